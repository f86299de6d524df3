"""The one access gate. Every read of a participant's record goes through here.

Deny by default: a user sees a participant only through a relationship.

- programme team (programme manager): every participant, read and write;
- supervising organisation (supervising officer, prison offender manager): their own cases,
  read and write; cases where their organisation is an involved agency, read only;
- police liaison: participants in the regions their counter-terrorism unit covers, read only;
- practitioner: only participants allocated to them (allocation arrives with referrals);
- analyst: no identifiable record; pseudonymised rows only (`pseudonymised_participants_for`);
- administrator: manages users and organisations, sees no participant.

Missing and forbidden give the same `ParticipantNotFound` (a 404), so the answer never says
whether a record exists.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import Exact
from django.http import Http404

from desist.accounts.constants import Role
from desist.accounts.models import Organisation
from desist.people.constants import FieldGroup
from desist.people.models import Participant

if TYPE_CHECKING:
    from desist.accounts.models import User

    AnyUser = User | AnonymousUser


class Relationship(StrEnum):
    PROGRAMME_TEAM = "programme_team"
    SUPERVISING = "supervising"
    INVOLVED_AGENCY = "involved_agency"
    POLICE_LIAISON = "police_liaison"
    PRACTITIONER = "practitioner"


WRITE_RELATIONSHIPS = frozenset({Relationship.PROGRAMME_TEAM, Relationship.SUPERVISING})

ALL_GROUPS = frozenset(FieldGroup)
FIELDS_BY_RELATIONSHIP: dict[Relationship, frozenset[FieldGroup]] = {
    Relationship.PROGRAMME_TEAM: ALL_GROUPS,
    Relationship.SUPERVISING: ALL_GROUPS,
    Relationship.INVOLVED_AGENCY: ALL_GROUPS,
    Relationship.POLICE_LIAISON: ALL_GROUPS,
    # Providers work with the person, not the intelligence picture.
    Relationship.PRACTITIONER: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.SUPERVISION, FieldGroup.CUSTODY}
    ),
}

SUPERVISING_ROLES = (Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER)
CASE_CREATING_ROLES = (Role.PROGRAMME_MANAGER, *SUPERVISING_ROLES)


class ParticipantNotFound(Http404):
    """Raised for a participant that does not exist or that this user may not see."""

    def __init__(self) -> None:
        super().__init__("No participant found.")


def _usable(user: AnyUser) -> User | None:
    if not user.is_authenticated or not user.is_active:
        return None
    from desist.accounts.models import User

    if not isinstance(user, User) or user.organisation_id is None:
        return None
    return user


def _visibility_filter(user: User) -> Q | None:
    """The rows a user may see as a Q, or None when they may see none. Q() means all."""
    roles = user.roles
    organisation_id = user.organisation_id
    if organisation_id is None:
        return None
    if Role.PROGRAMME_MANAGER in roles:
        return Q()
    condition = Q(pk__in=[])
    granted = False
    if any(role in roles for role in SUPERVISING_ROLES):
        # "+ 0" keeps SQLite off the organisation index, so it walks the name index and stops
        # after one page instead of sorting every visible row (see docs/benchmarks.md).
        condition |= Q(Exact(F("supervising_organisation_id") + 0, organisation_id))
        # A subquery, not a join, so rows are never repeated and the queryset stays countable.
        involved = Participant.agencies.through.objects.filter(
            organisation_id=organisation_id
        ).values("participant_id")
        condition |= Q(pk__in=involved)
        granted = True
    if Role.POLICE_LIAISON in roles:
        region_ids = _region_ids(user)
        condition |= Q(region_id__in=region_ids)
        granted = True
    return condition if granted else None


def _region_ids(user: User) -> list[int]:
    cache = getattr(user, "_desist_region_ids", None)
    if cache is None:
        cache = list(
            Organisation.regions.through.objects.filter(
                organisation_id=user.organisation_id or 0
            ).values_list("region_id", flat=True)
        )
        user._desist_region_ids = cache  # type: ignore[attr-defined]
    return cache


def participants_for(user: AnyUser) -> QuerySet[Participant]:
    """Participants whose identifiable record this user may read."""
    usable = _usable(user)
    if usable is None:
        return Participant.objects.none()
    condition = _visibility_filter(usable)
    if condition is None:
        return Participant.objects.none()
    return Participant.objects.filter(condition)


def get_participant_for(user: AnyUser, participant_uuid: uuid.UUID | str) -> Participant:
    """The participant with this uuid if the user may read it; ParticipantNotFound otherwise."""
    try:
        key = uuid.UUID(str(participant_uuid))
    except ValueError:
        raise ParticipantNotFound() from None
    participant = participants_for(user).filter(uuid=key).first()
    if participant is None:
        raise ParticipantNotFound()
    return participant


def relationships_to(user: AnyUser, participant: Participant) -> frozenset[Relationship]:
    usable = _usable(user)
    if usable is None:
        return frozenset()
    roles = usable.roles
    found: set[Relationship] = set()
    if Role.PROGRAMME_MANAGER in roles:
        found.add(Relationship.PROGRAMME_TEAM)
    if any(role in roles for role in SUPERVISING_ROLES):
        if participant.supervising_organisation_id == usable.organisation_id:
            found.add(Relationship.SUPERVISING)
        elif any(a.pk == usable.organisation_id for a in participant.agencies.all()):
            found.add(Relationship.INVOLVED_AGENCY)
    if Role.POLICE_LIAISON in roles and participant.region_id in _region_ids(usable):
        found.add(Relationship.POLICE_LIAISON)
    return frozenset(found)


def visible_field_groups(user: AnyUser, participant: Participant) -> frozenset[FieldGroup]:
    groups: set[FieldGroup] = set()
    for relationship in relationships_to(user, participant):
        groups |= FIELDS_BY_RELATIONSHIP[relationship]
    return frozenset(groups)


def can_edit_participant(user: AnyUser, participant: Participant) -> bool:
    return bool(relationships_to(user, participant) & WRITE_RELATIONSHIPS)


def get_participant_for_edit(user: AnyUser, participant_uuid: uuid.UUID | str) -> Participant:
    """As get_participant_for, but also not-found for a user who may only read."""
    participant = get_participant_for(user, participant_uuid)
    if not can_edit_participant(user, participant):
        raise ParticipantNotFound()
    return participant


def can_create_participant(user: AnyUser) -> bool:
    usable = _usable(user)
    return usable is not None and usable.has_role(*CASE_CREATING_ROLES)


def pseudonymised_participants_for(user: AnyUser) -> QuerySet[Participant]:
    """Rows for statistical work; the caller must expose only non-identifying fields."""
    usable = _usable(user)
    if usable is None or not usable.has_role(Role.ANALYST, Role.PROGRAMME_MANAGER):
        return Participant.objects.none()
    return Participant.objects.all()
