from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import CASE_READERS, PERSONAS, World, make_user
from desist.accounts.constants import Role
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals import selectors
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Referral
from desist.referrals.ranking import rank
from desist.referrals.tests.factories import make_allocation, make_referral

USER_PERSONAS = [p for p in PERSONAS if p != "anonymous"]


@pytest.fixture
def mentor(world: World) -> Practitioner:
    return make_practitioner(world.personas["practitioner"], regions=[world.london])


def referral_of(world: World, **extra: Any) -> Referral:
    return make_referral(world.case, world.personas["supervising_officer"], **extra)


@pytest.mark.parametrize("persona", USER_PERSONAS)
def test_a_referral_is_visible_to_whoever_can_see_its_participant(
    world: World, persona: str
) -> None:
    referral = referral_of(world)
    visible = selectors.referrals_for(world.personas[persona]).filter(pk=referral.pk).exists()
    assert visible == (persona in CASE_READERS)


def test_anonymous_sees_no_referral(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    referral_of(world)
    assert not selectors.referrals_for(AnonymousUser()).exists()


def test_practitioner_sees_only_referrals_currently_allocated_to_them(
    world: World, mentor: Practitioner
) -> None:
    practitioner = world.personas["practitioner"]
    referral = referral_of(world)
    assert not selectors.referrals_for(practitioner).exists()
    allocation = make_allocation(referral, mentor, world.personas["programme_manager"])
    assert list(selectors.referrals_for(practitioner)) == [referral]
    assert not selectors.referrals_for(world.personas["other_provider_practitioner"]).exists()
    allocation.ended_at = timezone.now()
    allocation.save(update_fields=["ended_at"])
    assert not selectors.referrals_for(practitioner).exists()


def test_a_provider_user_without_the_practitioner_role_sees_nothing(
    world: World, mentor: Practitioner
) -> None:
    referral = referral_of(world)
    make_allocation(referral, mentor, world.personas["programme_manager"])
    manager_at_provider = make_user("provider_boss", world.provider, Role.PROGRAMME_MANAGER)
    assert not selectors.referrals_for(manager_at_provider).exists()


def test_referral_for_gives_the_same_not_found_for_missing_and_forbidden(world: World) -> None:
    referral = referral_of(world)
    outsider = world.personas["officer_other_area"]
    assert selectors.referral_for(world.personas["programme_manager"], referral.uuid) == referral
    errors = []
    for key in (referral.uuid, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        with pytest.raises(selectors.ReferralNotFound) as error:
            selectors.referral_for(outsider, key)
        errors.append(str(error.value))
    assert len(set(errors)) == 1


def test_allocation_for_follows_the_referral_gate(world: World, mentor: Practitioner) -> None:
    allocation = make_allocation(referral_of(world), mentor, world.personas["programme_manager"])
    assert selectors.allocation_for(world.personas["supervising_officer"], allocation.uuid) == (
        allocation
    )
    with pytest.raises(selectors.ReferralNotFound):
        selectors.allocation_for(world.personas["officer_other_area"], allocation.uuid)


def test_triage_queue_holds_submitted_and_questioned_referrals_oldest_first(
    world: World,
) -> None:
    now = timezone.now()
    officer = world.personas["officer_other_area"]
    newest = referral_of(world, referred_at=now)
    oldest = make_referral(
        world.other_case,
        officer,
        referred_at=now - dt.timedelta(days=2),
        status=ReferralStatus.INFORMATION_REQUESTED,
    )
    referral_of(world, referred_at=now - dt.timedelta(days=5), status=ReferralStatus.ACCEPTED)
    referral_of(world, referred_at=now - dt.timedelta(days=9), status=ReferralStatus.DECLINED)
    manager = world.personas["programme_manager"]
    assert list(selectors.triage_queue(manager)) == [oldest, newest]
    # A supervising officer sees only their own organisation's part of the queue.
    assert list(selectors.triage_queue(world.personas["supervising_officer"])) == [newest]


def test_waiting_for_allocation_holds_accepted_referrals(world: World) -> None:
    accepted = referral_of(world, status=ReferralStatus.ACCEPTED)
    referral_of(world, status=ReferralStatus.ALLOCATED)
    assert list(selectors.waiting_for_allocation(world.personas["programme_manager"])) == [accepted]


def test_the_queue_loads_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    for _ in range(3):
        referral_of(world)
    manager = world.personas["programme_manager"]
    _ = manager.roles
    with django_assert_num_queries(1):
        rows = list(selectors.triage_queue(manager))
        assert {row.participant.region.name for row in rows} == {"London"}
        assert {row.referred_by.username for row in rows} == {"so"}


# Risk summary --------------------------------------------------------------------------------

FULL = "Full risk summary (restricted)."
REDACTED = "Summary written for providers."


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("programme_manager", FULL),
        ("supervising_officer", FULL),
        ("colleague_same_org", FULL),
        ("police_london", FULL),
        ("practitioner", REDACTED),
        ("officer_other_area", ""),
        ("police_other_region", ""),
        ("other_provider_practitioner", ""),
        ("prison_offender_manager", ""),
        ("analyst", ""),
        ("administrator", ""),
        ("no_roles", ""),
    ],
)
def test_risk_summary_for_gives_each_relationship_its_version(
    world: World, mentor: Practitioner, persona: str, expected: str
) -> None:
    referral = referral_of(world)
    make_allocation(referral, mentor, world.personas["programme_manager"])
    assert selectors.risk_summary_for(world.personas[persona], referral) == expected


def test_involved_agency_reads_the_full_risk_summary(world: World) -> None:
    referral = referral_of(world)
    world.case.agencies.add(world.prison)
    pom = world.personas["prison_offender_manager"]
    assert selectors.risk_summary_for(pom, referral) == FULL


def test_practitioner_not_allocated_reads_no_risk_summary(
    world: World, mentor: Practitioner
) -> None:
    referral = referral_of(world)
    assert selectors.risk_summary_for(world.personas["practitioner"], referral) == ""


def test_practitioner_never_reads_the_full_risk_summary_even_after_reallocation(
    world: World, mentor: Practitioner
) -> None:
    referral = referral_of(world)
    allocation = make_allocation(referral, mentor, world.personas["programme_manager"])
    allocation.ended_at = timezone.now()
    allocation.save(update_fields=["ended_at"])
    assert selectors.risk_summary_for(world.personas["practitioner"], referral) == ""


def test_a_suspended_practitioner_reads_no_risk_summary(world: World, mentor: Practitioner) -> None:
    referral = referral_of(world)
    make_allocation(referral, mentor, world.personas["programme_manager"])
    Practitioner.objects.filter(pk=mentor.pk).update(status=PractitionerStatus.SUSPENDED)
    assert selectors.risk_summary_for(world.personas["practitioner"], referral) == ""
    assert not selectors.referrals_for(world.personas["practitioner"]).exists()


# Facts ---------------------------------------------------------------------------------------


def test_practitioner_facts_count_places_left(world: World, mentor: Practitioner) -> None:
    make_contract(world.provider, capacity=3, regions=[world.london])
    Practitioner.objects.filter(pk=mentor.pk).update(max_caseload=4)
    make_allocation(referral_of(world), mentor, world.personas["programme_manager"])
    [facts] = selectors.candidate_practitioner_facts(on=timezone.localdate())
    assert facts.id == mentor.pk
    assert facts.capacity_left == 3
    assert facts.organisation_capacity_left == 2
    assert facts.region_ids == {world.london.pk}
    assert facts.clearance_problems == ()


def test_an_organisation_without_a_contract_has_no_places(
    world: World, mentor: Practitioner
) -> None:
    [facts] = selectors.candidate_practitioner_facts(on=timezone.localdate())
    assert facts.organisation_capacity_left == 0


def test_approved_but_not_cleared_practitioners_are_listed_with_the_problem(
    world: World,
) -> None:
    today = timezone.localdate()
    lapsed = make_practitioner(
        world.personas["practitioner"],
        regions=[world.london],
        vetting_granted_on=today - dt.timedelta(days=800),
        vetting_expires_on=today - dt.timedelta(days=1),
    )
    make_practitioner(
        world.personas["other_provider_practitioner"], status=PractitionerStatus.WITHDRAWN
    )
    [facts] = selectors.candidate_practitioner_facts(on=today)
    assert facts.id == lapsed.pk
    assert facts.clearance_problems


def test_referral_facts_carry_preferences_and_every_previous_practitioner(
    world: World, mentor: Practitioner
) -> None:
    manager = world.personas["programme_manager"]
    earlier = referral_of(world, status=ReferralStatus.CLOSED)
    old = make_allocation(earlier, mentor, manager, ended_at=timezone.now())
    assert not old.is_current
    current = referral_of(world, preferred_language="ur", expected_end_date=dt.date(2030, 1, 1))
    facts = selectors.referral_facts(current)
    assert facts.previous_practitioner_ids == {mentor.pk}
    assert facts.preferred_language == "ur"
    assert facts.region_id == world.london.pk
    assert facts.expected_end_date == dt.date(2030, 1, 1)
    assert facts.key == str(current.uuid)


def test_why_waiting_says_when_a_referral_is_ready() -> None:
    from desist.referrals.ranking import PractitionerFacts, ReferralFacts

    wanted = ReferralFacts(needs=("mentoring",), region_id=1)
    ready = PractitionerFacts(
        id=1,
        organisation_id=1,
        specialisms={"mentoring"},
        languages=set(),
        faith_traditions=set(),
        sex="male",
        region_ids={1},
        capacity_left=1,
        organisation_capacity_left=1,
        vetting_expires_on=None,
    )
    assert (
        selectors.why_waiting(rank(wanted, [ready]))
        == "1 eligible practitioner; ready to allocate."
    )
    assert selectors.why_waiting([]) == "No practitioner is approved to work yet."
