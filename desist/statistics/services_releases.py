"""Writes for statistics releases: create (stored at once; the tables are built and frozen by a
background task), build (that task's work), publish (after which nothing changes), and verify
(build again for the same as-at date and compare).

Only programme managers create and publish releases. Each write audits itself in the same
transaction. Releases hold counts after disclosure control only, never personal data.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change
from desist.statistics import releases
from desist.statistics.models import ReleaseStatus, StatisticsRelease

TITLE_MAX = 200


def may_manage_releases(user: User) -> bool:
    return bool(user.has_role(Role.PROGRAMME_MANAGER))


def _require_manager(actor: User, doing: str) -> None:
    if not may_manage_releases(actor):
        raise PermissionDenied(f"Only programme managers can {doing} a statistics release.")


def release_title_errors(title: str) -> list[str]:
    if not title.strip():
        return ["Enter a title for the release"]
    if len(title.strip()) > TITLE_MAX:
        return [f"The title must be {TITLE_MAX} characters or fewer"]
    return []


def release_as_at_errors(as_at: dt.date, today: dt.date) -> list[str]:
    if as_at > today:
        return ["The date must be today or in the past"]
    return []


@transaction.atomic
def release_create(*, actor: User, title: str, as_at: dt.date) -> StatisticsRelease:
    """Start a release: stored at once as "being built", its tables built by a background task
    (`desist.statistics.tasks.build_release`) queued when this transaction commits."""
    _require_manager(actor, "create")
    errors: dict[str, list[str]] = {}
    if problems := release_title_errors(title):
        errors["title"] = problems
    if problems := release_as_at_errors(as_at, timezone.localdate()):
        errors["as_at"] = problems
    if errors:
        raise ValidationError(errors)
    release = StatisticsRelease.objects.create(
        title=title.strip(),
        as_at=as_at,
        tables=[],
        checksum="",
        status=ReleaseStatus.BUILDING,
        tables_total=len(releases.table_builders(as_at)),
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_change(
        actor=actor,
        obj=release,
        action=Action.CREATE,
        changes={
            "title": release.title,
            "as_at": as_at.isoformat(),
            "status": ReleaseStatus.BUILDING.value,
        },
    )
    from desist.statistics.tasks import build_release  # the task module imports this one

    release_id = release.pk
    transaction.on_commit(lambda: build_release.enqueue(release_id))
    return release


def release_build(*, release_id: int) -> StatisticsRelease | None:
    """Build the tables of a release that is being built, recording progress after each table
    (each in its own short transaction, so the release page can show it), then store them with
    their checksum as a draft, audited on behalf of the person who asked for the release.

    Safe to run twice: a release no longer being built is left alone (None). A failure marks
    the release "could not be built" with the kind of error, and is raised again."""
    release = StatisticsRelease.objects.filter(pk=release_id, status=ReleaseStatus.BUILDING).first()
    if release is None:
        return None

    def progress(done: int) -> None:
        StatisticsRelease.objects.filter(pk=release_id, status=ReleaseStatus.BUILDING).update(
            progress=done
        )

    try:
        tables = [
            table.to_dict() for table in releases.build_tables(release.as_at, progress=progress)
        ]
    except Exception as error:
        _release_failed(release_id, error)
        raise
    with transaction.atomic():
        locked = StatisticsRelease.objects.select_for_update().get(pk=release_id)
        if locked.status != ReleaseStatus.BUILDING:
            return None
        locked.tables = tables
        locked.checksum = releases.checksum(locked.as_at, tables)
        locked.status = ReleaseStatus.DRAFT
        locked.progress = len(tables)
        locked.tables_total = len(tables)
        locked.save(update_fields=["tables", "checksum", "status", "progress", "tables_total"])
        audit_change(
            actor=locked.created_by,
            obj=locked,
            action=Action.UPDATE,
            changes={
                "status": [ReleaseStatus.BUILDING.value, ReleaseStatus.DRAFT.value],
                "checksum": locked.checksum,
                "tables": [table["key"] for table in tables],
            },
        )
    return locked


@transaction.atomic
def _release_failed(release_id: int, error: Exception) -> None:
    # The kind of error only: a message could quote data.
    reason = f"The tables could not be built ({type(error).__name__}). Start a new release."
    updated = StatisticsRelease.objects.filter(pk=release_id, status=ReleaseStatus.BUILDING).update(
        status=ReleaseStatus.FAILED, build_error=reason
    )
    if updated:
        release = StatisticsRelease.objects.get(pk=release_id)
        audit_change(
            actor=release.created_by,
            obj=release,
            action=Action.UPDATE,
            changes={"status": [ReleaseStatus.BUILDING.value, ReleaseStatus.FAILED.value]},
        )


@transaction.atomic
def release_publish(*, actor: User, release: StatisticsRelease) -> StatisticsRelease:
    """Publish a draft. From then on the release is never changed."""
    _require_manager(actor, "publish")
    locked = StatisticsRelease.objects.select_for_update().get(pk=release.pk)
    if locked.is_published:
        raise ValidationError({"status": ["This release is already published and cannot change"]})
    if not locked.is_built:
        raise ValidationError(
            {"status": ["Only a release whose tables are built can be published"]}
        )
    if releases.checksum(locked.as_at, locked.tables) != locked.checksum:
        raise ValidationError({"checksum": ["The stored tables do not match their checksum"]})
    locked.status = ReleaseStatus.PUBLISHED
    locked.published_by = actor
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_by", "published_at"])
    audit_change(
        actor=actor,
        obj=locked,
        action=Action.UPDATE,
        changes={"status": [ReleaseStatus.DRAFT.value, ReleaseStatus.PUBLISHED.value]},
    )
    return locked


@transaction.atomic
def release_update(*, actor: User, release: StatisticsRelease, title: str) -> StatisticsRelease:
    """Rename a draft. A published release refuses every change."""
    _require_manager(actor, "change")
    locked = StatisticsRelease.objects.select_for_update().get(pk=release.pk)
    if locked.is_published:
        raise ValidationError({"title": ["A published release cannot be changed"]})
    if problems := release_title_errors(title):
        raise ValidationError({"title": problems})
    before = locked.title
    locked.title = title.strip()
    locked.save(update_fields=["title"])
    audit_change(
        actor=actor, obj=locked, action=Action.UPDATE, changes={"title": [before, locked.title]}
    )
    return locked


def release_verify(release: StatisticsRelease) -> bool:
    """Build the tables again for the release's as-at date and compare checksums: True when
    the data cut still gives exactly the stored figures (and the stored figures are intact).
    A release whose tables are not built has nothing to verify (False)."""
    if not release.is_built:
        return False
    rebuilt = [table.to_dict() for table in releases.build_tables(release.as_at)]
    stored_ok = releases.checksum(release.as_at, release.tables) == release.checksum
    return stored_ok and releases.checksum(release.as_at, rebuilt) == release.checksum
