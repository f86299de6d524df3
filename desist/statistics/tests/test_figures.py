"""The "more figures" tables, on tiny hand-built data with hand-worked expected values.

Time is frozen at 15 June 2025 (British Summer Time). Most tests set the disclosure threshold
to 1 (nothing hidden) to check the counting, and the disclosure tests use the real default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World
from desist.accounts.models import Region
from desist.delivery.models import Concern, EndReport, Session
from desist.people.models import Participant
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_practitioner
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.tests.factories import make_allocation, make_referral
from desist.statistics.figures import (
    all_figures,
    attendance_table,
    concerns_by_type_table,
    figure_table,
    referral_flow_table,
    referrals_by_region_table,
    referrals_by_strand_table,
    time_to_first_session_table,
)
from desist.statistics.models import HistoricalSession
from desist.statistics.tables import PublishedTable

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
AS_AT = dt.date(2025, 6, 14)
# 31 March 2024 was the first day of British Summer Time (from 01:00 UTC): 22:30 UTC is 23:30
# on 31 March (financial year 2023/24) and 23:30 UTC is 00:30 on 1 April (2024/25).
LAST_OF_2023_24 = dt.datetime(2024, 3, 31, 22, 30, tzinfo=dt.UTC)
FIRST_OF_2024_25 = dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC)


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def nothing_hidden(settings: Any) -> None:
    settings.DESIST_DISCLOSURE_THRESHOLD = 1


class Data:
    """Small factories for referrals and what follows them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.practitioner: Practitioner = make_practitioner(
            world.personas["practitioner"], regions=[world.london]
        )

    def referral(self, when: dt.datetime, participant: Participant | None = None) -> Referral:
        return make_referral(
            participant or self.world.case,
            self.world.personas["supervising_officer"],
            referred_at=when,
        )

    def status(self, referral: Referral, to_status: str, when: dt.datetime) -> None:
        ReferralStatusChange.objects.create(referral=referral, to_status=to_status, changed_at=when)

    def allocate(self, referral: Referral, when: dt.datetime) -> Allocation:
        return make_allocation(
            referral, self.practitioner, self.world.personas["programme_manager"], allocated_at=when
        )

    def session(self, allocation: Allocation, when: dt.datetime, outcome: str) -> Session:
        return Session.objects.create(
            participant=allocation.participant,
            allocation=allocation,
            practitioner=self.practitioner,
            scheduled_start=when,
            mode="in_person",
            session_type="mentoring",
            outcome=outcome,
            created_by=self.practitioner.user,
        )

    def end(self, allocation: Allocation, when: dt.datetime, conclusion: str) -> EndReport:
        return EndReport.objects.create(
            allocation=allocation,
            participant=allocation.participant,
            conclusion=conclusion,
            ended_early_reason="disengaged" if conclusion == "ended_early" else "",
            summary="Summary.",
            submitted_by=self.practitioner.user,
            submitted_at=when,
        )

    def concern(self, when: dt.datetime, category: str) -> Concern:
        return Concern.objects.create(
            participant=self.world.case,
            raised_by=self.practitioner.user,
            raised_at=when,
            category=category,
            description="Described.",
        )


@pytest.fixture
def data(world: World) -> Data:
    return Data(world)


@pytest.fixture
def flow(data: Data) -> Data:
    """Four referrals across three financial years (see each test for the hand count)."""
    first = data.referral(at(2023, 5, 10))
    data.status(first, ReferralStatus.ACCEPTED, at(2023, 5, 12))
    allocation = data.allocate(first, at(2023, 5, 20))
    data.session(allocation, at(2023, 6, 1), "attended")
    data.end(allocation, at(2024, 1, 10), "completed")

    declined = data.referral(LAST_OF_2023_24)
    data.status(declined, ReferralStatus.DECLINED, at(2024, 4, 2))

    third = data.referral(FIRST_OF_2024_25)
    allocation = data.allocate(third, at(2024, 4, 5))
    data.session(allocation, at(2024, 4, 10), "did_not_attend")
    data.session(allocation, at(2024, 4, 17), "late")
    data.end(allocation, at(2025, 1, 1), "ended_early")

    fourth = data.referral(at(2025, 6, 10))
    allocation = data.allocate(fourth, at(2025, 6, 12))
    # 23:30 UTC on 14 June is 00:30 on 15 June in London: after the as-at date.
    data.session(allocation, dt.datetime(2025, 6, 14, 23, 30, tzinfo=dt.UTC), "attended")

    data.referral(at(2025, 6, 15, 9))  # after the as-at date: not counted anywhere
    return data


def body(table: PublishedTable) -> list[list[str]]:
    return [list(row) for row in table.rows]


def test_flow_counts_each_referral_in_its_year_of_referral_as_at_the_date(
    flow: Data, nothing_hidden: None
) -> None:
    table = referral_flow_table(as_at=AS_AT)

    assert table.columns == (
        "Financial year of referral",
        "Received",
        "Accepted",
        "Declined",
        "Started",
        "Completed",
        "Ended early",
    )
    assert body(table) == [
        ["2023/24", "2", "1", "1", "1", "1", "0"],
        ["2024/25", "1", "1", "0", "1", "0", "1"],
        ["2025/26", "1", "1", "0", "0", "0", "0"],
    ]
    assert table.chart == "bar"
    assert table.as_at == AS_AT


def test_flow_leaves_out_steps_after_the_as_at_date(flow: Data, nothing_hidden: None) -> None:
    table = referral_flow_table(as_at=dt.date(2024, 1, 9))

    # Only the first referral existed; its completion (10 January 2024) came later.
    assert body(table) == [["2023/24", "1", "1", "0", "1", "0", "0"]]


def test_flow_shows_small_counts_as_below_the_threshold(flow: Data) -> None:
    table = referral_flow_table(as_at=AS_AT)

    assert body(table)[0] == ["2023/24", "<10", "<10", "<10", "<10", "<10", "0"]
    assert any("<10" in note for note in table.notes)


def test_no_data_gives_tables_with_no_rows(world: World) -> None:
    tables = all_figures(as_at=AS_AT)

    assert [t.key for t in tables] == [
        "referral-flow",
        "time-to-first-session",
        "attendance",
        "concerns-by-type",
        "referrals-by-strand",
        "referrals-by-region",
    ]
    assert all(t.rows == () for t in tables)
    assert all(t.definition and t.chart in ("bar", "line") for t in tables)


def test_a_figure_is_found_by_its_key(flow: Data, nothing_hidden: None) -> None:
    assert figure_table("referral-flow", as_at=AS_AT) == referral_flow_table(as_at=AS_AT)
    with pytest.raises(KeyError):
        figure_table("no-such-figure", as_at=AS_AT)


def test_time_to_first_session_counts_days_to_the_first_attended_session(
    flow: Data, nothing_hidden: None
) -> None:
    table = time_to_first_session_table(as_at=AS_AT)

    # 10 May to 1 June 2023 is 22 days; 1 April (local) to 17 April 2024 is 16 days (the session
    # on 10 April was missed); the 2025/26 referral has no first session by the as-at date.
    assert body(table) == [
        ["2023/24", "1", "22", "22", "22"],
        ["2024/25", "1", "16", "16", "16"],
        ["2025/26", "0", "[c]", "[c]", "[c]"],
    ]
    assert table.chart == "line"


def _waits(data: Data, days: list[int]) -> None:
    for wait in days:
        allocation = data.allocate(data.referral(at(2024, 5, 1)), at(2024, 5, 1))
        data.session(allocation, at(2024, 5, 1) + dt.timedelta(days=wait), "attended")


def test_time_to_first_session_median_and_quartiles_interpolate(
    data: Data, nothing_hidden: None
) -> None:
    _waits(data, [1, 2, 4, 10])

    table = time_to_first_session_table(as_at=AS_AT)

    # Sorted 1, 2, 4, 10: lower quartile at position 0.75 = 1.75; median 3; upper at 2.25 = 5.5.
    assert body(table) == [
        ["2024/25", "4", "3", "1.8", "5.5"],
        ["2025/26", "0", "[c]", "[c]", "[c]"],
    ]


def test_time_to_first_session_hides_a_median_with_a_small_base(data: Data, settings: Any) -> None:
    settings.DESIST_DISCLOSURE_THRESHOLD = 5
    _waits(data, [1, 2, 4, 10])

    table = time_to_first_session_table(as_at=AS_AT)

    assert body(table)[0] == ["2024/25", "<5", "[c]", "[c]", "[c]"]
    assert any("median or quartile is shown as [c]" in note for note in table.notes)


@pytest.fixture
def sessions(data: Data) -> Data:
    allocation = data.allocate(data.referral(at(2023, 4, 1)), at(2023, 4, 1))
    data.session(allocation, LAST_OF_2023_24, "attended")
    data.session(allocation, FIRST_OF_2024_25, "did_not_attend")
    data.session(allocation, at(2024, 4, 10), "late")
    data.session(allocation, at(2024, 4, 11), "cancelled_by_provider")
    data.session(allocation, at(2024, 4, 12), "rescheduled")
    data.session(allocation, at(2024, 4, 13), "cancelled_by_participant")
    data.session(allocation, at(2025, 6, 14), "")  # no outcome yet
    return data


def test_attendance_rate_is_attended_or_late_over_sessions_with_an_outcome(
    sessions: Data, nothing_hidden: None
) -> None:
    table = attendance_table(as_at=AS_AT)

    assert table.columns[1:] == (
        "Attended (including late)",
        "Did not attend or cancelled by participant",
        "Sessions with an outcome",
        "Attendance rate (%)",
    )
    # 2024/25: late (attended) out of did-not-attend, late and cancelled by the participant.
    assert body(table) == [
        ["2023/24", "1", "0", "1", "100"],
        ["2024/25", "1", "2", "3", "33.3"],
        ["2025/26", "0", "0", "0", "[c]"],
    ]


def test_imported_sessions_count_in_the_attendance_rate_by_their_date(
    sessions: Data, nothing_hidden: None
) -> None:
    def imported(day: dt.date, attendance: str) -> None:
        HistoricalSession.objects.create(
            participant=sessions.world.other_case,
            session_date=day,
            attendance=attendance,
            source="past.csv",
            imported_at=NOW,
        )

    imported(dt.date(2022, 5, 1), "attended")  # 2022/23: a year only the import has
    imported(dt.date(2022, 5, 2), "cancelled")  # who cancelled is unknown: left out
    imported(dt.date(2024, 3, 31), "did_not_attend")  # last day of 2023/24
    imported(dt.date(2024, 4, 1), "late")  # first day of 2024/25
    imported(dt.date(2025, 6, 15), "attended")  # after the as-at date: left out

    table = attendance_table(as_at=AS_AT)

    # Delivery alone gave 2023/24 1 of 1 and 2024/25 1 of 3 (the test above).
    # 2023/24: 1 attended + 1 missed = 2, 50%; 2024/25: 2 attended of 4, 50%.
    assert body(table) == [
        ["2022/23", "1", "0", "1", "100"],
        ["2023/24", "1", "1", "2", "50"],
        ["2024/25", "2", "2", "4", "50"],
        ["2025/26", "0", "0", "0", "[c]"],
    ]


def test_attendance_rate_is_hidden_for_a_small_base(data: Data) -> None:
    allocation = data.allocate(data.referral(at(2024, 4, 1)), at(2024, 4, 1))
    for day in range(1, 6):
        data.session(allocation, at(2024, 5, day), "attended")

    table = attendance_table(as_at=AS_AT)

    assert body(table)[0] == ["2024/25", "<10", "0", "<10", "[c]"]
    assert any("attendance rate is shown as [c]" in note for note in table.notes)


def test_attendance_hides_the_other_part_and_the_rate_when_one_part_is_small(data: Data) -> None:
    allocation = data.allocate(data.referral(at(2024, 4, 1)), at(2024, 4, 1))
    for day in range(1, 13):
        data.session(allocation, at(2024, 5, day), "attended")
    for day in range(1, 3):
        data.session(allocation, at(2024, 6, day), "did_not_attend")

    table = attendance_table(as_at=AS_AT)

    # 12 attended, 2 missed, 14 in all: the 2 is "<10", and the 12 is hidden too ([c]) or the 2
    # could be worked out as 14 - 12; the rate (which would give 12 away) is not shown.
    assert body(table)[0] == ["2024/25", "[c]", "<10", "14", "[c]"]


def test_concerns_are_counted_by_type_and_year_of_raising(data: Data, nothing_hidden: None) -> None:
    data.concern(LAST_OF_2023_24, "risk_to_self")
    data.concern(FIRST_OF_2024_25, "safeguarding")
    data.concern(at(2024, 7, 1), "safeguarding")
    data.concern(at(2024, 8, 1), "other")
    data.concern(at(2025, 6, 15, 9), "ideological")  # after the as-at date

    table = concerns_by_type_table(as_at=AS_AT)

    assert table.columns == (
        "Financial year",
        "Risk to others",
        "Risk to self",
        "Safeguarding",
        "Ideological",
        "Other",
        "Total",
    )
    assert body(table) == [
        ["2023/24", "0", "1", "0", "0", "0", "1"],
        ["2024/25", "0", "0", "2", "0", "1", "3"],
        ["2025/26", "0", "0", "0", "0", "0", "0"],
    ]


def test_concerns_apply_secondary_suppression_along_each_year(data: Data) -> None:
    for day in range(1, 13):
        data.concern(at(2024, 5, day), "safeguarding")
    data.concern(at(2024, 6, 1), "risk_to_others")

    table = concerns_by_type_table(as_at=dt.date(2025, 3, 31))

    assert body(table) == [["2024/25", "<10", "0", "[c]", "0", "0", "13"]]


def test_referrals_are_broken_down_by_strand_and_by_region(
    world: World, data: Data, nothing_hidden: None
) -> None:
    Participant.objects.filter(pk=world.other_case.pk).update(strand="tpim")
    data.referral(LAST_OF_2023_24)
    data.referral(FIRST_OF_2024_25)
    data.referral(at(2024, 9, 1), world.other_case)

    by_strand = referrals_by_strand_table(as_at=dt.date(2025, 3, 31))
    by_region = referrals_by_region_table(as_at=dt.date(2025, 3, 31))

    assert by_strand.columns == (
        "Financial year of referral",
        "Probation licence",
        "TPIM",
        "TEO",
        "Custody",
        "Other",
        "Total",
    )
    assert body(by_strand) == [
        ["2023/24", "1", "0", "0", "0", "0", "1"],
        ["2024/25", "1", "1", "0", "0", "0", "2"],
    ]
    names = list(Region.objects.order_by("name").values_list("name", flat=True))
    assert list(by_region.columns) == ["Financial year of referral", *names, "Total"]
    london, north_west = names.index(world.london.name) + 1, names.index(world.north_west.name) + 1
    rows = body(by_region)
    assert (rows[0][london], rows[0][north_west], rows[0][-1]) == ("1", "0", "1")
    assert (rows[1][london], rows[1][north_west], rows[1][-1]) == ("1", "1", "2")
    assert sum(int(v) for v in rows[1][1:-1]) == 2


def test_every_figure_says_what_it_counts_and_carries_no_names(flow: Data) -> None:
    for table in all_figures(as_at=AS_AT):
        text = repr(table.to_dict())
        assert "Marker" not in text and "CASE-1" not in text
        assert table.as_at_text == "Figures correct as at 14 June 2025."
        assert any("shown as <10" in note for note in table.notes)
        assert PublishedTable.from_dict(table.to_dict()) == table
