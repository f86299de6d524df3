"""The duplicate links behind the table are cached, and the cache follows every change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World, make_participant
from desist.people.models import Participant
from desist.statistics.models import HistoricalSession
from desist.statistics.selectors import active_participants_table, cached_duplicate_links

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
AS_AT = dt.date(2020, 3, 31)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def attended(participant: Participant) -> None:
    HistoricalSession.objects.create(
        participant=participant,
        session_date=dt.date(2019, 6, 1),
        attendance="attended",
        source="test.csv",
        imported_at=NOW,
    )


def twin(world: World) -> Participant:
    """Same given name, family name and date of birth as world.case: the same person."""
    return make_participant(
        reference="CASE-9",
        family_name=world.case.family_name,
        organisation=world.probation_london,
        region=world.london,
    )


def test_the_links_are_reused_while_nothing_changes(world: World) -> None:
    assert cached_duplicate_links() == cached_duplicate_links()


def test_a_new_record_of_the_same_person_is_seen_at_once(world: World) -> None:
    attended(world.case)
    before = active_participants_table(as_at=AS_AT)

    attended(twin(world))
    after = active_participants_table(as_at=AS_AT)

    assert "2 records were counted as 1 person" not in before.duplicates
    assert "2 records were counted as 1 person" in after.duplicates


def test_an_edited_record_is_seen_at_once(world: World, time_machine: Any) -> None:
    other = twin(world)
    other.family_name = "Someone-Else"
    other.save(update_fields=["family_name", "updated_at"])
    attended(world.case)
    attended(other)
    before = active_participants_table(as_at=AS_AT)

    time_machine.move_to(NOW + dt.timedelta(seconds=1), tick=False)  # a later updated_at
    other.family_name = world.case.family_name
    other.save(update_fields=["family_name", "updated_at"])
    after = active_participants_table(as_at=AS_AT)

    assert "2 records were counted as 2 people" in before.duplicates
    assert "2 records were counted as 1 person" in after.duplicates
