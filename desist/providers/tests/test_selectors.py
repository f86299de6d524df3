from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import World, make_participant, make_user
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation
from desist.people.models import Participant
from desist.providers import selectors
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner, TrainingCompletion, TrainingCourse
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals.models import Allocation
from desist.referrals.tests.factories import make_allocation, make_referral

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
# make_practitioner: vetting until TODAY + 730 days; training completed TODAY - 30 days, lasting
# 30 days a month: information security (12 months) to TODAY + 330, safeguarding (24) to
# TODAY + 690, desistance (36) to TODAY + 1050.
UNTIL = TODAY + dt.timedelta(days=400)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)


def practitioner(world: World, name: str, **extra: Any) -> Practitioner:
    return make_practitioner(make_user(name, world.provider, Role.PRACTITIONER), **extra)


def completion(p: Practitioner, code: str) -> TrainingCompletion:
    return p.training.get(course__code=code)


@pytest.fixture
def mixed(world: World) -> dict[str, Practitioner]:
    """One practitioner for each way of being cleared or not, by name."""
    found = {
        "cleared": practitioner(world, "cleared"),
        "suspended": practitioner(world, "suspended", status=PractitionerStatus.SUSPENDED),
        "applied": practitioner(world, "applied", cleared=False),
        "no_vetting": practitioner(
            world, "no_vetting", vetting_expires_on=None, vetting_granted_on=None
        ),
        "vetting_expired": practitioner(
            world, "vetting_expired", vetting_expires_on=TODAY - dt.timedelta(days=1)
        ),
        "vetting_ends_early": practitioner(
            world, "vetting_ends_early", vetting_expires_on=TODAY + dt.timedelta(days=100)
        ),
        "course_missing": practitioner(world, "course_missing"),
        "course_lapsed": practitioner(world, "course_lapsed"),
        "course_renewed": practitioner(world, "course_renewed"),
        "optional_lapsed": practitioner(world, "optional_lapsed"),
    }
    completion(found["course_missing"], "safeguarding").delete()
    lapsed = completion(found["course_lapsed"], "safeguarding")
    lapsed.expires_on = TODAY - dt.timedelta(days=1)
    lapsed.save(update_fields=["expires_on"])
    # An old, lapsed completion does not count against a newer one.
    TrainingCompletion.objects.create(
        practitioner=found["course_renewed"],
        course=TrainingCourse.objects.get(code="safeguarding"),
        completed_on=TODAY - dt.timedelta(days=800),
        expires_on=TODAY - dt.timedelta(days=80),
    )
    optional = TrainingCourse.objects.create(
        code="first_aid", name="First aid", required=False, valid_for_months=12
    )
    TrainingCompletion.objects.create(
        practitioner=found["optional_lapsed"],
        course=optional,
        completed_on=TODAY - dt.timedelta(days=400),
        expires_on=TODAY - dt.timedelta(days=35),
    )
    return found


def ids(*practitioners: Practitioner) -> set[int]:
    return {p.pk for p in practitioners}


def test_cleared_practitioners_are_approved_with_vetting_and_required_training_in_date(
    mixed: dict[str, Practitioner],
) -> None:
    cleared = set(selectors.cleared_practitioners(on=TODAY).values_list("pk", flat=True))
    expected = ["cleared", "vetting_ends_early", "course_renewed", "optional_lapsed"]
    assert cleared == ids(*(mixed[name] for name in expected))


def test_clearance_for_the_whole_expected_period_also_needs_vetting_and_training_until_then(
    mixed: dict[str, Practitioner],
) -> None:
    cleared = set(
        selectors.cleared_practitioners(on=TODAY, until=UNTIL).values_list("pk", flat=True)
    )
    # Information security (to TODAY + 330) lapses before UNTIL for everyone made by the
    # factory; a renewal would be needed, so make one for "cleared" only.
    assert cleared == set()
    TrainingCompletion.objects.create(
        practitioner=mixed["cleared"],
        course=TrainingCourse.objects.get(code="information_security"),
        completed_on=TODAY,
        expires_on=UNTIL,
    )
    cleared = set(
        selectors.cleared_practitioners(on=TODAY, until=UNTIL).values_list("pk", flat=True)
    )
    assert cleared == ids(mixed["cleared"])


@pytest.mark.parametrize("until", [None, TODAY + dt.timedelta(days=200), UNTIL])
def test_the_query_and_the_rules_agree_on_every_practitioner(
    mixed: dict[str, Practitioner], until: dt.date | None
) -> None:
    cleared = set(
        selectors.cleared_practitioners(on=TODAY, until=until).values_list("pk", flat=True)
    )
    by_rules = {
        p.pk
        for p in Practitioner.objects.all()
        if selectors.practitioner_clearance(p, on=TODAY, until=until) == []
    }
    assert cleared == by_rules


def test_clearance_explains_each_problem(mixed: dict[str, Practitioner]) -> None:
    def problems(name: str) -> list[str]:
        return selectors.practitioner_clearance(mixed[name], on=TODAY)

    assert problems("cleared") == []
    assert problems("suspended") == ['Their status is "Suspended", not approved.']
    assert problems("no_vetting") == ["No vetting has been recorded."]
    assert problems("vetting_expired") == ["Vetting expired on 1 March 2026."]
    assert problems("course_missing") == [
        "Safeguarding adults and children has not been completed."
    ]
    assert problems("course_lapsed") == [
        "Safeguarding adults and children expired on 1 March 2026."
    ]
    assert problems("course_renewed") == []
    assert selectors.practitioner_clearance(mixed["vetting_ends_early"], on=TODAY, until=UNTIL)[
        0
    ] == ("Vetting expires on 10 June 2026, before the expected end date.")


def test_a_course_that_never_expires_counts_over_an_older_one_that_did(world: World) -> None:
    p = practitioner(world, "new_mentor")
    course = TrainingCourse.objects.get(code="safeguarding")
    TrainingCompletion.objects.create(
        practitioner=p, course=course, completed_on=TODAY - dt.timedelta(days=1), expires_on=None
    )
    assert selectors.training_held(p)["safeguarding"] is None


def test_cleared_practitioners_is_one_query(
    mixed: dict[str, Practitioner], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        assert len(list(selectors.cleared_practitioners(on=TODAY))) == 4


def test_cleared_practitioner_for_user_is_their_own_cleared_record_or_none(
    world: World, mixed: dict[str, Practitioner]
) -> None:
    mentor = mixed["cleared"]
    assert selectors.cleared_practitioner_for_user(mentor.user, on=TODAY) == mentor
    assert selectors.cleared_practitioner_for_user(mixed["suspended"].user, on=TODAY) is None
    assert (
        selectors.cleared_practitioner_for_user(
            mixed["vetting_ends_early"].user, on=TODAY + dt.timedelta(days=101)
        )
        is None
    )
    assert selectors.cleared_practitioner_for_user(world.personas["practitioner"], on=TODAY) is None


# Caseloads and capacity ---------------------------------------------------------------------


def participants(world: World, count: int) -> list[Participant]:
    return [
        make_participant(
            reference=f"CAP-{n}",
            family_name="Capacity-Marker",
            organisation=world.probation_london,
            region=world.london,
        )
        for n in range(count)
    ]


def allocate(world: World, participant: Participant, p: Practitioner) -> Allocation:
    referral = make_referral(participant, world.personas["supervising_officer"])
    return make_allocation(referral, p, world.personas["programme_manager"])


def test_current_caseloads_count_allocations_not_yet_ended(world: World) -> None:
    first = practitioner(world, "first")
    second = practitioner(world, "second")
    practitioner(world, "idle")
    people = participants(world, 4)
    for participant in people[:3]:
        allocate(world, participant, first)
    ended = allocate(world, people[3], second)
    ended.ended_at = timezone.now()
    ended.save(update_fields=["ended_at"])
    allocate(world, people[3], second)
    assert selectors.current_caseloads() == {first.pk: 3, second.pk: 1}


def test_contract_places_left_are_capacity_in_force_less_current_allocations(
    world: World,
) -> None:
    # Mentors Ltd: 30 + 20 in force; an ended contract (100) and a future one (60) do not count.
    make_contract(world.provider, capacity=30, reference="A-1", today=TODAY)
    make_contract(world.provider, capacity=20, reference="A-2", today=TODAY)
    make_contract(
        world.provider, capacity=100, reference="A-OLD", today=TODAY - dt.timedelta(days=800)
    )
    make_contract(
        world.provider, capacity=60, reference="A-NEW", today=TODAY + dt.timedelta(days=400)
    )
    # Small Mentors: capacity 1 but 2 allocated; never below 0.
    small = Organisation.objects.create(name="Small Mentors", kind=OrganisationKind.PROVIDER)
    make_contract(small, capacity=1, reference="B-1", today=TODAY)
    # Other Mentors (from the world): no contract at all.
    other = Organisation.objects.get(name="Other Mentors")

    mentor = make_practitioner(world.personas["practitioner"])
    small_mentor = make_practitioner(make_user("small", small, Role.PRACTITIONER))
    people = participants(world, 6)
    for participant in people[:3]:
        allocate(world, participant, mentor)
    ended = allocate(world, people[3], mentor)
    ended.ended_at = timezone.now()
    ended.save(update_fields=["ended_at"])
    for participant in people[4:]:
        allocate(world, participant, small_mentor)

    # Mentors Ltd: 30 + 20 - 3 current = 47. Small: 1 - 2 -> 0. Other: no contract -> 0.
    assert selectors.contract_capacity_left(on=TODAY) == {
        world.provider.pk: 47,
        small.pk: 0,
        other.pk: 0,
    }


def test_a_contract_counts_on_its_first_and_last_day_only_within_them(world: World) -> None:
    contract = make_contract(world.provider, capacity=5, reference="EDGE", today=TODAY)
    assert selectors.contract_capacity_left(on=contract.start_date)[world.provider.pk] == 5
    assert selectors.contract_capacity_left(on=contract.end_date)[world.provider.pk] == 5
    before = contract.start_date - dt.timedelta(days=1)
    after = contract.end_date + dt.timedelta(days=1)
    assert selectors.contract_capacity_left(on=before)[world.provider.pk] == 0
    assert selectors.contract_capacity_left(on=after)[world.provider.pk] == 0
