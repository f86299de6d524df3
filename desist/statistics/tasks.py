"""Background work for statistics: building the tables of a release (several seconds on a
large programme), so the page that asks for it answers at once and shows progress."""

from __future__ import annotations

from django_tasks import task

from desist.statistics import services_releases


@task()
def build_release(release_id: int) -> str:
    """Build one release's tables. Safe to run twice: a built release is left alone."""
    release = services_releases.release_build(release_id=release_id)
    return "skipped" if release is None else str(release.status)
