"""Demo history: years of past sessions loaded through the sessions import service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World, make_participant
from desist.audit.models import AuditEvent
from desist.statistics.demo import FIRST_YEAR, demo_history_create, demo_history_delete
from desist.statistics.models import HistoricalSession
from desist.statistics.selectors import active_participants_table

TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(dt.datetime(2025, 6, 15, 11, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def people(world: World) -> None:
    for i in range(40):
        make_participant(
            reference=f"HIST-{i:03d}",
            family_name=f"Historyperson{i}",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            organisation=world.probation_london,
            region=world.london,
        )


def rows() -> list[tuple[int, dt.date, str]]:
    return list(
        HistoricalSession.objects.order_by(
            "participant_id", "session_date", "attendance"
        ).values_list("participant_id", "session_date", "attendance")
    )


def test_history_spans_the_programme_years_and_ends_before_today(people: None) -> None:
    counts = demo_history_create(seed=1, today=TODAY)

    held = rows()
    assert counts["historical_sessions"] == len(held) > 0
    days = [day for _, day, _ in held]
    assert min(days) >= dt.date(FIRST_YEAR, 4, 1) and max(days) < TODAY
    assert {attendance for _, _, attendance in held} == {
        "attended",
        "late",
        "did_not_attend",
        "cancelled",
    }
    # Several years have active people, so the demo statistics show a history.
    table = active_participants_table(as_at=TODAY, unpublished=True)
    assert sum(1 for total in table.totals if int(total) > 0) >= 5


def test_history_goes_through_the_import_service_and_is_audited(people: None) -> None:
    demo_history_create(seed=1, today=TODAY)

    event = AuditEvent.objects.get(entity="statistics.historicalsession", action="import")
    assert event.changes["created"] == HistoricalSession.objects.count()
    assert event.changes["file"] == "demo-past-sessions.csv"


def test_the_same_seed_gives_the_same_history_and_delete_removes_it(people: None) -> None:
    demo_history_create(seed=7, today=TODAY)
    first = rows()
    assert demo_history_delete()["historical_sessions"] == len(first)
    assert not HistoricalSession.objects.exists()

    demo_history_create(seed=7, today=TODAY)
    assert rows() == first
    demo_history_delete()
    demo_history_create(seed=8, today=TODAY)
    assert rows() != first
