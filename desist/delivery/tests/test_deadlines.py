from __future__ import annotations

import datetime as dt

import pytest

from conftest import World
from desist.delivery.constants import DeadlineKind
from desist.delivery.deadlines import (
    add_working_days,
    deadline_cancel,
    deadline_meet,
    deadline_open,
    is_working_day,
    overdue,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (dt.date(2026, 11, 23), 0, dt.date(2026, 11, 23), "no days: the start itself"),
        (dt.date(2026, 11, 23), 1, dt.date(2026, 11, 24), "Monday + 1 is Tuesday"),
        (dt.date(2026, 11, 27), 1, dt.date(2026, 11, 30), "Friday + 1 skips the weekend"),
        (dt.date(2026, 11, 28), 1, dt.date(2026, 11, 30), "from a Saturday, Monday"),
        (dt.date(2025, 12, 24), 1, dt.date(2025, 12, 29), "Christmas, Boxing Day, weekend"),
        (dt.date(2026, 4, 2), 1, dt.date(2026, 4, 7), "Good Friday and Easter Monday 2026"),
        (dt.date(2026, 11, 23), 10, dt.date(2026, 12, 7), "two working weeks"),
    ],
)
def test_add_working_days_in_england(
    start: dt.date, days: int, expected: dt.date, why: str, settings: object
) -> None:
    assert add_working_days(start, days, "ENG") == expected, why


def test_holidays_follow_the_part_of_the_uk() -> None:
    # St Andrew's Day (Monday 30 November 2026) is a bank holiday in Scotland only.
    assert is_working_day(dt.date(2026, 11, 30), "ENG")
    assert not is_working_day(dt.date(2026, 11, 30), "SCT")
    assert add_working_days(dt.date(2026, 11, 27), 1, "SCT") == dt.date(2026, 12, 1)
    # Easter Monday is not a bank holiday in Scotland.
    assert is_working_day(dt.date(2026, 4, 6), "SCT")
    assert not is_working_day(dt.date(2026, 4, 6), "ENG")


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(dt.date(2026, 11, 23), -1)


def test_working_days_between_counts_the_end_not_the_start() -> None:
    assert working_days_between(dt.date(2025, 12, 24), dt.date(2025, 12, 29), "ENG") == 1
    assert working_days_between(dt.date(2025, 12, 29), dt.date(2025, 12, 24), "ENG") == -1
    assert working_days_between(dt.date(2026, 11, 23), dt.date(2026, 11, 23), "ENG") == 0


def test_deadline_opens_with_the_configured_working_days(world: World, settings: object) -> None:
    settings.DESIST_DEADLINE_WORKING_DAYS = {"first_contact": 5}  # type: ignore[attr-defined]
    settings.DESIST_HOLIDAYS_SUBDIVISION = "ENG"  # type: ignore[attr-defined]
    deadline = deadline_open(
        participant=world.case, kind=DeadlineKind.FIRST_CONTACT, starts_on=dt.date(2025, 12, 22)
    )
    # Tue 23, Wed 24, Mon 29, Tue 30, Wed 31 December 2025.
    assert deadline.due_on == dt.date(2025, 12, 31)
    again = deadline_open(
        participant=world.case, kind=DeadlineKind.FIRST_CONTACT, starts_on=dt.date(2025, 12, 23)
    )
    assert again.pk == deadline.pk


def test_met_and_cancelled_deadlines_are_not_overdue(world: World) -> None:
    start = dt.date(2026, 11, 2)
    for kind in (DeadlineKind.FIRST_CONTACT, DeadlineKind.FIRST_SESSION, DeadlineKind.END_REPORT):
        deadline_open(participant=world.case, kind=kind, starts_on=start, working_days=2)
    today = dt.date(2026, 11, 23)
    assert [d.kind for d in overdue(today=today)] == [
        DeadlineKind.FIRST_CONTACT,
        DeadlineKind.FIRST_SESSION,
        DeadlineKind.END_REPORT,
    ]
    assert deadline_meet(participant=world.case, kind=DeadlineKind.FIRST_CONTACT) == 1
    assert deadline_meet(participant=world.case, kind=DeadlineKind.FIRST_CONTACT) == 0
    assert deadline_cancel(participant=world.case, kind=DeadlineKind.END_REPORT) == 1
    assert [d.kind for d in overdue(today=today)] == [DeadlineKind.FIRST_SESSION]
    # Due on 4 November: not overdue on the day itself.
    assert list(overdue(today=dt.date(2026, 11, 4))) == []
