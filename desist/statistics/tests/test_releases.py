"""Statistics releases: frozen tables with a checksum, built again to the same bytes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from conftest import World, make_participant
from desist.audit.models import AuditEvent
from desist.statistics import releases
from desist.statistics.models import (
    HistoricalSession,
    PublishedReleaseError,
    ReleaseStatus,
    StatisticsRelease,
)
from desist.statistics.selectors import active_participants_table
from desist.statistics.services_releases import (
    release_build,
    release_create,
    release_publish,
    release_update,
    release_verify,
)

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
AS_AT = dt.date(2020, 3, 31)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def attended(world: World, count: int, day: dt.date, prefix: str = "REL") -> None:
    """`count` new people, each with one attended session on `day`."""
    for i in range(count):
        participant = make_participant(
            reference=f"{prefix}-{i}",
            family_name=f"Person{prefix}{i}",
            organisation=world.probation_london,
            region=world.london,
        )
        HistoricalSession.objects.create(
            participant=participant,
            session_date=day,
            attendance="attended",
            source="test.csv",
            imported_at=NOW,
        )


@pytest.fixture
def data(world: World) -> World:
    attended(world, 12, dt.date(2019, 6, 1))
    attended(world, 3, dt.date(2018, 6, 1), prefix="OLD")
    return world


def create(world: World, title: str = "Programme statistics 2019/20") -> StatisticsRelease:
    """A release asked for and built (the background task's work, run here directly)."""
    asked = release_create(actor=world.personas["programme_manager"], title=title, as_at=AS_AT)
    built = release_build(release_id=asked.pk)
    assert built is not None
    return built


def test_the_checksum_is_the_same_when_the_release_is_built_twice_on_the_same_data(
    data: World,
) -> None:
    first = create(data)
    second = create(data, title="Again")

    assert first.checksum == second.checksum
    assert first.tables == second.tables
    assert len(first.checksum) == 64


def test_the_checksum_changes_when_the_data_changes(data: World) -> None:
    before = create(data)
    attended(data, 1, dt.date(2019, 7, 1), prefix="NEW")

    after = create(data)

    assert after.checksum != before.checksum
    assert not release_verify(before)


def test_a_release_verifies_against_the_same_data_cut(data: World) -> None:
    release = create(data)
    attended(data, 1, dt.date(2020, 4, 2), prefix="LATER")  # after the as-at date

    assert release_verify(release)


def test_the_checksum_covers_the_canonical_json_of_the_date_and_tables(data: World) -> None:
    release = create(data)

    canonical = releases.canonical_json(release.as_at, release.tables)
    assert canonical.startswith(b'{"as_at":"2020-03-31","tables":[{"as_at":')
    assert b"\n" not in canonical and b'": ' not in canonical
    assert releases.checksum(release.as_at, release.tables) == release.checksum


def test_the_release_holds_the_active_participants_tables_first(data: World) -> None:
    release = create(data)

    keys = [table["key"] for table in release.tables]
    assert keys[:5] == [
        "active-participants",
        "active-participants-by-strand",
        "active-participants-by-region",
        "active-participants-by-sex",
        "active-participants-by-age-band",
    ]
    total = release.tables[0]
    assert total["columns"] == ["Financial year", "Total"]
    assert total["rows"] == [["2018/19", "<10"], ["2019/20", "12"]]


def test_the_converter_keeps_the_breakdown_labels_and_all_notes(data: World) -> None:
    table = active_participants_table(as_at=AS_AT, by="sex")

    published = releases.published_from_active(table)

    assert published.columns == ("Financial year", "Total", *table.column_labels)
    assert published.rows[1][:2] == ("2019/20", "12")
    assert table.duplicates in published.notes and table.disclosure in published.notes
    assert set(table.all_notes()) <= set(published.all_notes())


def test_creating_a_release_is_audited_without_personal_data(data: World) -> None:
    release = create(data)

    event = AuditEvent.objects.get(entity="statistics.statisticsrelease", action="create")
    assert event.entity_id == str(release.pk)
    assert event.changes["status"] == "building"
    built = AuditEvent.objects.get(entity="statistics.statisticsrelease", action="update")
    assert built.changes["checksum"] == release.checksum
    assert built.changes["status"] == ["building", "draft"]
    assert built.actor_id == data.personas["programme_manager"].pk
    assert "PersonREL" not in str(release.tables) and "REL-0" not in str(release.tables)


@pytest.mark.parametrize("persona", ["analyst", "supervising_officer", "administrator"])
def test_only_programme_managers_create_releases(world: World, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        release_create(actor=world.personas[persona], title="Release", as_at=AS_AT)


def test_a_release_needs_a_title_and_a_date_not_in_the_future(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        release_create(
            actor=world.personas["programme_manager"], title=" ", as_at=dt.date(2025, 6, 16)
        )

    assert set(error.value.message_dict) == {"title", "as_at"}


def test_publishing_freezes_the_release(data: World) -> None:
    manager = data.personas["programme_manager"]
    release = release_publish(actor=manager, release=create(data))

    assert release.status == ReleaseStatus.PUBLISHED
    assert release.published_by == manager and release.published_at == NOW
    with pytest.raises(ValidationError):
        release_publish(actor=manager, release=release)
    with pytest.raises(ValidationError):
        release_update(actor=manager, release=release, title="Renamed")
    release.refresh_from_db()
    assert release.title == "Programme statistics 2019/20"


def test_a_draft_can_be_renamed(data: World) -> None:
    release = release_update(
        actor=data.personas["programme_manager"], release=create(data), title="Renamed"
    )

    assert release.title == "Renamed"


def test_only_programme_managers_publish(data: World) -> None:
    release = create(data)

    with pytest.raises(PermissionDenied):
        release_publish(actor=data.personas["analyst"], release=release)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT


def test_releases_are_always_built_after_disclosure_control(data: World) -> None:
    release = create(data)

    assert not any(table["unpublished"] for table in release.tables)
    exact = releases.published_from_active(active_participants_table(as_at=AS_AT, unpublished=True))
    assert exact.unpublished and exact.rows[0] == ("2018/19", "3")


def test_a_new_release_is_built_by_a_background_task_after_commit(
    data: World, django_capture_on_commit_callbacks: Any
) -> None:
    manager = data.personas["programme_manager"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        release = release_create(actor=manager, title="Queued", as_at=AS_AT)
    # Nothing is built inside the request's transaction.
    assert release.status == ReleaseStatus.BUILDING and release.tables == []
    assert release.tables_total == len(releases.table_builders(AS_AT)) and release.progress == 0
    assert len(callbacks) == 1

    callbacks[0]()  # the commit: the (immediate) task backend runs the build now

    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT
    assert release.progress == release.tables_total == len(release.tables)
    assert release.checksum == releases.checksum(AS_AT, release.tables)


def test_the_build_records_progress_after_each_table(data: World, monkeypatch: Any) -> None:
    release = release_create(actor=data.personas["programme_manager"], title="Watched", as_at=AS_AT)
    seen: list[int] = []
    real = releases.table_builders

    def watched(as_at: dt.date) -> list[Any]:
        def step(build: Any) -> Any:
            def run() -> Any:
                seen.append(StatisticsRelease.objects.get(pk=release.pk).progress)
                return build()

            return run

        return [step(build) for build in real(as_at)]

    monkeypatch.setattr(releases, "table_builders", watched)
    release_build(release_id=release.pk)

    # Before table n is built, n - 1 are recorded as done.
    assert seen == list(range(release.tables_total))


def test_building_twice_changes_nothing(data: World) -> None:
    release = create(data)

    assert release_build(release_id=release.pk) is None
    assert AuditEvent.objects.filter(action="update").count() == 1


def test_a_build_that_fails_marks_the_release_and_names_only_the_kind_of_error(
    data: World, monkeypatch: Any
) -> None:
    release = release_create(actor=data.personas["programme_manager"], title="Bad", as_at=AS_AT)

    def broken(as_at: dt.date) -> list[Any]:
        def fail() -> Any:
            raise ZeroDivisionError("PersonREL-0001 divided")

        return [fail]

    monkeypatch.setattr(releases, "table_builders", broken)
    with pytest.raises(ZeroDivisionError):
        release_build(release_id=release.pk)

    release.refresh_from_db()
    assert release.status == ReleaseStatus.FAILED
    assert "ZeroDivisionError" in release.build_error and "PersonREL" not in release.build_error
    with pytest.raises(ValidationError):
        release_publish(actor=data.personas["programme_manager"], release=release)


def test_a_release_still_being_built_cannot_be_published(data: World) -> None:
    manager = data.personas["programme_manager"]
    release = release_create(actor=manager, title="Not yet", as_at=AS_AT)

    with pytest.raises(ValidationError) as error:
        release_publish(actor=manager, release=release)
    assert "built" in str(error.value)


def test_the_database_refuses_to_change_or_delete_a_published_release(data: World) -> None:
    manager = data.personas["programme_manager"]
    release = release_publish(actor=manager, release=create(data))

    # Past the services and the model: a plain UPDATE and DELETE are refused by the trigger.
    with pytest.raises(IntegrityError), transaction.atomic():
        StatisticsRelease.objects.filter(pk=release.pk).update(title="Changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        StatisticsRelease.objects.filter(pk=release.pk).delete()
    with pytest.raises(PublishedReleaseError):
        release.save()
    with pytest.raises(PublishedReleaseError):
        release.delete()
    release.refresh_from_db()
    assert release.title == "Programme statistics 2019/20"


def test_a_draft_can_still_be_changed_and_deleted_in_the_database(data: World) -> None:
    release = create(data)

    StatisticsRelease.objects.filter(pk=release.pk).update(title="Changed")
    StatisticsRelease.objects.filter(pk=release.pk).delete()
    assert not StatisticsRelease.objects.filter(pk=release.pk).exists()
