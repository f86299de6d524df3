from __future__ import annotations

import pytest

from conftest import CASE_READERS, CASE_WRITERS, PERSONAS, World
from desist.accounts.access import (
    ParticipantNotFound,
    can_create_participant,
    can_edit_participant,
    get_participant_for,
    participants_for,
    pseudonymised_participants_for,
    visible_field_groups,
)
from desist.people.constants import FieldGroup

USER_PERSONAS = [p for p in PERSONAS if p != "anonymous"]


@pytest.mark.parametrize("persona", USER_PERSONAS)
def test_only_related_personas_can_read_the_case(world: World, persona: str) -> None:
    user = world.personas[persona]
    visible = set(participants_for(user).values_list("reference", flat=True))
    assert ("CASE-1" in visible) == (persona in CASE_READERS)
    if persona in CASE_READERS:
        assert get_participant_for(user, world.case.uuid) == world.case
    else:
        with pytest.raises(ParticipantNotFound):
            get_participant_for(user, world.case.uuid)


@pytest.mark.parametrize("persona", USER_PERSONAS)
def test_only_supervising_organisation_and_programme_team_can_edit(
    world: World, persona: str
) -> None:
    user = world.personas[persona]
    assert can_edit_participant(user, world.case) == (persona in CASE_WRITERS)


def test_missing_and_forbidden_raise_the_same_error(world: World) -> None:
    user = world.personas["officer_other_area"]
    with pytest.raises(ParticipantNotFound) as forbidden:
        get_participant_for(user, world.case.uuid)
    with pytest.raises(ParticipantNotFound) as missing:
        get_participant_for(user, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(ParticipantNotFound) as garbage:
        get_participant_for(user, "not-a-uuid")
    assert str(forbidden.value) == str(missing.value) == str(garbage.value)


def test_involved_agency_can_read_but_not_edit(world: World) -> None:
    pom = world.personas["prison_offender_manager"]
    assert not participants_for(pom).filter(pk=world.case.pk).exists()
    world.case.agencies.add(world.prison)
    assert participants_for(pom).filter(pk=world.case.pk).count() == 1
    assert not can_edit_participant(pom, world.case)


def test_police_liaison_sees_only_their_regions(world: World) -> None:
    police = world.personas["police_london"]
    assert set(participants_for(police).values_list("reference", flat=True)) == {"CASE-1"}
    assert not can_edit_participant(police, world.case)


def test_role_held_in_the_wrong_kind_of_organisation_grants_nothing(world: World) -> None:
    from conftest import make_user
    from desist.accounts.constants import Role

    # A programme-manager role granted to someone in a provider organisation is ignored.
    user = make_user("odd", world.provider, Role.PROGRAMME_MANAGER)
    assert participants_for(user).count() == 0


def test_inactive_user_sees_nothing(world: World) -> None:
    user = world.personas["programme_manager"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.refresh_from_db()
    assert participants_for(user).count() == 0


def test_analyst_gets_pseudonymised_rows_only(world: World) -> None:
    analyst = world.personas["analyst"]
    assert participants_for(analyst).count() == 0
    assert pseudonymised_participants_for(analyst).count() == 2
    assert pseudonymised_participants_for(world.personas["supervising_officer"]).count() == 0


def test_field_groups_follow_the_relationship(world: World) -> None:
    assert visible_field_groups(world.personas["supervising_officer"], world.case) == frozenset(
        FieldGroup
    )
    assert visible_field_groups(world.personas["officer_other_area"], world.case) == frozenset()


def test_case_creation_roles(world: World) -> None:
    assert can_create_participant(world.personas["supervising_officer"])
    assert can_create_participant(world.personas["programme_manager"])
    assert not can_create_participant(world.personas["police_london"])
    assert not can_create_participant(world.personas["analyst"])
