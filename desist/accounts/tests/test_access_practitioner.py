"""The practitioner relationship in the access gate: allocated, current and cleared, or nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import World, make_participant, make_user
from desist.accounts.access import (
    ParticipantNotFound,
    Relationship,
    can_edit_participant,
    get_participant_for,
    participants_for,
    relationships_to,
    visible_field_groups,
)
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, User
from desist.people.constants import FieldGroup
from desist.people.models import Participant
from desist.providers import services
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_practitioner
from desist.referrals.models import Allocation
from desist.referrals.tests.factories import make_allocation, make_referral

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)


@pytest.fixture
def mentor(world: World) -> Practitioner:
    return make_practitioner(world.personas["practitioner"], regions=[world.london])


def allocate(world: World, participant: Participant, practitioner: Practitioner) -> Allocation:
    referral = make_referral(participant, world.personas["supervising_officer"])
    return make_allocation(referral, practitioner, world.personas["programme_manager"])


def fresh(user: User) -> User:
    """The user as the next request would load it (nothing remembered on the object)."""
    return User.objects.get(pk=user.pk)


def can_read(user: User, participant: Participant) -> bool:
    listed = participants_for(user).filter(pk=participant.pk).exists()
    try:
        get_participant_for(user, participant.uuid)
    except ParticipantNotFound:
        found = False
    else:
        found = True
    assert listed == found
    return found


def test_allocated_cleared_practitioner_sees_the_case_in_the_list_and_by_uuid(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert list(participants_for(user)) == [world.case]
    assert get_participant_for(user, world.case.uuid) == world.case


def test_allocated_practitioner_sees_no_identifiers_or_risk_and_cannot_edit(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert relationships_to(user, world.case) == {Relationship.PRACTITIONER}
    groups = visible_field_groups(user, world.case)
    assert FieldGroup.IDENTITY in groups
    assert FieldGroup.IDENTIFIERS not in groups
    assert FieldGroup.RISK not in groups
    assert not can_edit_participant(user, world.case)


def test_practitioner_never_sees_a_participant_not_allocated_to_them(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert not can_read(user, world.other_case)
    assert relationships_to(user, world.other_case) == frozenset()


def test_practitioner_with_no_allocation_sees_nothing(world: World, mentor: Practitioner) -> None:
    user = world.personas["practitioner"]
    assert not participants_for(user).exists()
    assert not can_read(user, world.case)


def test_another_providers_practitioner_sees_nothing_of_the_case(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    other = world.personas["other_provider_practitioner"]
    other_mentor = make_practitioner(other, regions=[world.north_west])
    allocate(world, world.other_case, other_mentor)
    assert list(participants_for(other)) == [world.other_case]
    assert not can_read(other, world.case)
    assert relationships_to(other, world.case) == frozenset()


def test_a_colleague_at_the_same_provider_sees_nothing_of_the_case(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    colleague = make_user("colleague_mentor", world.provider, Role.PRACTITIONER)
    make_practitioner(colleague)
    assert not participants_for(colleague).exists()
    assert relationships_to(colleague, world.case) == frozenset()


def test_practitioner_role_without_a_practitioner_record_sees_nothing(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    no_record = make_user("new_mentor", world.provider, Role.PRACTITIONER)
    assert not participants_for(no_record).exists()
    assert relationships_to(no_record, world.case) == frozenset()


def test_a_practitioner_record_at_another_organisation_grants_nothing(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    # The user moved to another provider; the record still names the old one.
    user.organisation = Organisation.objects.create(
        name="New Provider", kind=OrganisationKind.PROVIDER
    )
    user.save(update_fields=["organisation"])
    assert not can_read(fresh(user), world.case)
    assert relationships_to(fresh(user), world.case) == frozenset()


def test_ending_the_allocation_removes_access_at_once(world: World, mentor: Practitioner) -> None:
    allocation = allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert can_read(user, world.case)
    allocation.ended_at = timezone.now()
    allocation.save(update_fields=["ended_at"])
    assert not can_read(user, world.case)
    assert relationships_to(fresh(user), world.case) == frozenset()


def test_a_new_allocation_shows_in_field_groups_on_the_same_user_object(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert relationships_to(user, world.case) == {Relationship.PRACTITIONER}
    third = make_participant(
        reference="CASE-3",
        family_name="Third-Marker",
        organisation=world.probation_london,
        region=world.london,
    )
    allocate(world, third, mentor)
    assert relationships_to(user, third) == {Relationship.PRACTITIONER}


@pytest.mark.parametrize("to_status", [PractitionerStatus.SUSPENDED, PractitionerStatus.WITHDRAWN])
def test_suspension_or_withdrawal_removes_access_at_once(
    world: World, mentor: Practitioner, to_status: str
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert can_read(user, world.case)
    assert relationships_to(user, world.case) == {Relationship.PRACTITIONER}
    services.practitioner_change_status(
        actor=world.personas["programme_manager"],
        practitioner=Practitioner.objects.get(pk=mentor.pk),
        to_status=to_status,
        reason="Concerns about conduct",
    )
    # The same user object (as in one long-lived process) and a freshly loaded one.
    assert not can_read(user, world.case)
    assert not can_read(fresh(user), world.case)
    assert relationships_to(fresh(user), world.case) == frozenset()


def test_suspension_through_the_service_clears_what_the_gate_remembered(
    world: World, mentor: Practitioner
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert relationships_to(user, world.case) == {Relationship.PRACTITIONER}
    # `mentor.user` is this very user object, as when a view passes request.user's record.
    services.practitioner_change_status(
        actor=world.personas["programme_manager"],
        practitioner=mentor,
        to_status=PractitionerStatus.SUSPENDED,
        reason="Concerns about conduct",
    )
    assert relationships_to(user, world.case) == frozenset()


def test_vetting_expiry_removes_access_the_next_day_without_any_scheduled_job(
    world: World, time_machine: Any
) -> None:
    today = timezone.localdate()
    mentor = make_practitioner(
        world.personas["practitioner"], vetting_expires_on=today + dt.timedelta(days=10)
    )
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    time_machine.move_to(START + dt.timedelta(days=10), tick=False)
    assert can_read(user, world.case)
    assert relationships_to(user, world.case) == {Relationship.PRACTITIONER}
    time_machine.move_to(START + dt.timedelta(days=11), tick=False)
    assert not can_read(user, world.case)
    assert relationships_to(user, world.case) == frozenset()
    # Still recorded as approved: access ended through the gate, not a status change.
    mentor.refresh_from_db()
    assert mentor.status == PractitionerStatus.APPROVED


def test_lapsed_required_training_removes_access(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    lapse = mentor.training.get(course__code="information_security").expires_on
    assert lapse is not None
    assert lapse < mentor.vetting_expires_on  # type: ignore[operator]
    time_machine.move_to(dt.datetime.combine(lapse, dt.time(12), tzinfo=dt.UTC), tick=False)
    assert can_read(user, world.case)
    time_machine.move_to(
        dt.datetime.combine(lapse + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC), tick=False
    )
    assert not can_read(user, world.case)
    assert relationships_to(user, world.case) == frozenset()


def test_the_list_has_one_row_per_participant_whatever_the_allocation_history(
    world: World, mentor: Practitioner
) -> None:
    first = allocate(world, world.case, mentor)
    first.ended_at = timezone.now()
    first.save(update_fields=["ended_at"])
    # Allocated again on the same referral, and once more on a second referral.
    make_allocation(first.referral, mentor, world.personas["programme_manager"])
    allocate(world, world.case, mentor)
    user = world.personas["practitioner"]
    assert Allocation.objects.filter(participant=world.case).count() == 3
    assert list(participants_for(user)) == [world.case]
    assert participants_for(user).count() == 1


def test_the_list_is_one_query_and_field_checks_do_not_add_one_a_row(
    world: World, mentor: Practitioner, django_assert_num_queries: Any
) -> None:
    cases = [world.case]
    for n in range(3):
        participant = make_participant(
            reference=f"CASE-X{n}",
            family_name="Extra-Marker",
            organisation=world.probation_london,
            region=world.london,
        )
        cases.append(participant)
    for participant in cases:
        allocate(world, participant, mentor)
    user = fresh(world.personas["practitioner"])
    assert Role.PRACTITIONER in user.roles  # loaded once per request, by the middleware's checks
    with django_assert_num_queries(1):
        listed = list(participants_for(user))
    assert len(listed) == 4
    # Clearance, then current allocations: two queries for any number of rows.
    with django_assert_num_queries(2):
        for participant in listed:
            assert Relationship.PRACTITIONER in relationships_to(user, participant)
