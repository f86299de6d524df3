"""The countdown of releases (/releases/) and its counts on the dashboard. Time is frozen at
09:00 on Monday 2 March 2026: "the next 4 weeks" runs to 30 March (day 28) and "the next 12
weeks" to 25 May (day 84), both days included."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import World
from desist.audit.models import AuditEvent
from desist.people.models import Participant
from desist.support import services_release as services
from desist.support.constants import ChecklistItem, ChecklistStatus, Owner
from desist.support.selectors_release import (
    days_to_go,
    entry_overdue,
    release_counts_for,
    releases_for,
    within,
)
from desist.support.tests.factories_release import (
    NOW,
    TODAY,
    days,
    make_custody_case,
    make_plan,
)

URL = "/releases/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def _case(world: World, reference: str, day: int | None, **extra: Any) -> Participant:
    return make_custody_case(
        world,
        reference=reference,
        release_date=days(day) if day is not None else None,
        family_name=f"Family-{reference}",
        **extra,
    )


@pytest.fixture
def cases(world: World) -> dict[str, Participant]:
    """Releases around the boundaries, all in London and supervised by the prison."""
    found = {
        "today": _case(world, "R-TODAY", 0),
        "day-28": _case(world, "R-28", 28),
        "day-29": _case(world, "R-29", 29),
        "day-84": _case(world, "R-84", 84),
        "day-85": _case(world, "R-85", 85),
        "yesterday": _case(world, "R-PAST", -1),
        "no-date": _case(world, "R-NODATE", None),
    }
    # Released already: a date in range, but no longer in custody.
    found["out"] = _case(world, "R-OUT", 10, custody_establishment="")
    return found


def _references(rows: list[Any]) -> list[str]:
    return [row.participant.reference for row in rows]


# Rules ---------------------------------------------------------------------------------------


def test_days_to_go_and_the_window_boundaries() -> None:
    assert days_to_go(days(28), TODAY) == 28
    assert within(0, 28) and within(28, 28)
    assert not within(29, 28)
    assert not within(-1, 84)


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("not_started", -1, True),
        ("in_progress", -1, True),
        ("done", -1, False),
        ("not_needed", -1, False),
        ("not_started", 0, False),
        ("not_started", None, False),
    ],
)
def test_a_checklist_item_is_overdue_only_unfinished_and_past_its_date(
    status: str, due: int | None, overdue: bool
) -> None:
    assert entry_overdue(status, days(due) if due is not None else None, TODAY) is overdue


# The list ------------------------------------------------------------------------------------


def test_twelve_weeks_include_both_boundary_days_and_nothing_past_or_released(
    world: World, cases: dict[str, Participant]
) -> None:
    rows = releases_for(world.personas["programme_manager"], today=TODAY)

    assert _references(rows) == ["R-TODAY", "R-28", "R-29", "R-84"]
    assert [row.days_to_go for row in rows] == [0, 28, 29, 84]


def test_page_separates_the_next_four_weeks(world: World, cases: dict[str, Participant]) -> None:
    response = world.client_for("prison_offender_manager").get(URL)

    assert response.status_code == 200
    assert _references(response.context["soon"]) == ["R-TODAY", "R-28"]
    assert _references(response.context["later"]) == ["R-29", "R-84"]
    body = response.content.decode()
    assert "FAMILY-R-28, Test" in body
    assert "R-85" not in body
    assert "R-PAST" not in body
    assert "R-OUT" not in body


def test_the_day_after_moves_a_release_out_of_the_four_weeks(
    world: World, cases: dict[str, Participant], time_machine: Any
) -> None:
    time_machine.move_to(NOW.replace(day=3), tick=False)

    response = world.client_for("programme_manager").get(URL)

    assert _references(response.context["soon"]) == ["R-28", "R-29"]
    assert _references(response.context["later"]) == ["R-84", "R-85"]


def test_checklist_progress_and_overdue_items_are_shown(
    world: World, cases: dict[str, Participant]
) -> None:
    pom = world.personas["prison_offender_manager"]
    plan = make_plan(cases["day-28"], pom)
    for item, status, due in [
        (ChecklistItem.ACCOMMODATION, ChecklistStatus.DONE, None),
        (ChecklistItem.IDENTITY_DOCUMENTS, ChecklistStatus.DONE, None),
        (ChecklistItem.BANK_ACCOUNT, ChecklistStatus.DONE, None),
        (ChecklistItem.BENEFITS_CLAIM, ChecklistStatus.NOT_NEEDED, days(-3)),
        (ChecklistItem.GP_REGISTRATION, ChecklistStatus.IN_PROGRESS, days(-1)),
    ]:
        services.release_checklist_update(
            actor=pom,
            entry=plan.checklist.get(item=item),
            data={"status": status, "due_on": due, "owner": Owner.PRISON_OFFENDER_MANAGER},
        )

    response = world.client_for("programme_manager").get(URL)

    row = response.context["soon"][1]
    assert (row.progress.done, row.progress.total, row.progress.overdue) == (3, 6, 1)
    body = response.content.decode()
    assert "3 of 6 done" in body
    assert "1 overdue" in body
    assert "No release plan" in body  # the others have none yet


def test_list_shows_only_participants_the_user_may_see(
    world: World, cases: dict[str, Participant]
) -> None:
    _case(world, "R-NW", 5, region=world.north_west, prison_supervises=False)
    london_probation = _case(world, "R-LDN", 6, prison_supervises=False)

    officer = releases_for(world.personas["supervising_officer"], today=TODAY)
    police = releases_for(world.personas["police_london"], today=TODAY)
    other_police = releases_for(world.personas["police_other_region"], today=TODAY)
    other_area = releases_for(world.personas["officer_other_area"], today=TODAY)

    # The officer sees what their organisation supervises, wherever it is; the police see
    # their region; an officer elsewhere sees neither.
    assert _references(officer) == ["R-NW", london_probation.reference]
    assert _references(police) == ["R-TODAY", "R-LDN", "R-28", "R-29", "R-84"]
    assert _references(other_police) == ["R-NW"]
    assert _references(other_area) == []


@pytest.mark.parametrize(
    "persona",
    ["practitioner", "analyst", "administrator", "no_roles", "other_provider_practitioner"],
)
def test_countdown_is_not_found_for_other_roles(world: World, persona: str) -> None:
    assert world.client_for(persona).get(URL).status_code == 404


def test_list_view_is_recorded_with_the_participants_shown(
    world: World, cases: dict[str, Participant]
) -> None:
    world.client_for("programme_manager").get(URL)

    event = AuditEvent.objects.get(action="list")
    assert event.purpose == "releases"
    assert event.changes["shown"] == [
        str(cases[key].uuid) for key in ("today", "day-28", "day-29", "day-84")
    ]


def test_countdown_costs_the_same_number_of_queries_however_many_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    pom = world.personas["prison_offender_manager"]
    client = world.client_for("programme_manager")
    make_plan(_case(world, "Q-1", 3), pom)
    _case(world, "Q-2", 40)
    client.get(URL)  # warm the session and the user's caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n in range(3, 13):
        case = _case(world, f"Q-{n}", n * 5)
        if n % 2:
            make_plan(case, pom)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.context["total"] == 12


# The dashboard -------------------------------------------------------------------------------


def test_counts_include_both_boundary_days(world: World, cases: dict[str, Participant]) -> None:
    counts = release_counts_for(world.personas["programme_manager"], today=TODAY)

    assert (counts.soon, counts.horizon) == (2, 4)


@pytest.mark.parametrize(
    ("persona", "soon", "horizon"),
    [
        ("programme_manager", 2, 4),
        ("prison_offender_manager", 2, 4),
        ("police_london", 2, 4),
        ("supervising_officer", 0, 0),
    ],
)
def test_dashboard_shows_the_release_counts_linking_to_the_countdown(
    world: World, cases: dict[str, Participant], persona: str, soon: int, horizon: int
) -> None:
    response = world.client_for(persona).get("/")

    counts = response.context["releases"]
    assert (counts.soon, counts.horizon) == (soon, horizon)
    body = response.content.decode()
    assert 'href="/releases/"' in body
    assert f">{horizon}</span>release" in body


def test_practitioners_dashboard_has_no_release_counts(allocated_world: World) -> None:
    response = allocated_world.client_for("practitioner").get("/")

    assert response.status_code == 200
    assert "releases" not in response.context
    assert "/releases/" not in response.content.decode()
