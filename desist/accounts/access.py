"""The one access gate. Every read of a participant's record goes through here.

Deny by default: a user sees a participant only through a relationship.

- programme team (programme manager): every participant, read and write;
- supervising organisation (supervising officer, prison offender manager): their own cases,
  read and write; cases where their organisation is an involved agency, read only;
- police liaison: participants in the regions their counter-terrorism unit covers, read only;
- practitioner: only participants with a current allocation (`referrals.Allocation`, not
  ended) to their own practitioner record, read only, without identifiers or risk, and only
  while that record is cleared today (approved, vetting and required training in date; see
  `desist.providers.selectors.cleared_practitioners`). The list is a subquery that checks
  clearance and allocation in the same query on every read, so suspension, withdrawal, or
  vetting or training lapsing removes access at once, without waiting for any scheduled job,
  and so does ending the allocation. `relationships_to` (field groups) remembers the
  clearance and the current allocations on the user object (for that day), which lives for
  one request; `forget_cached_access` drops them;
- analyst: no identifiable record; pseudonymised rows only (`pseudonymised_participants_for`);
- administrator: manages users and organisations, sees no participant.

Missing and forbidden give the same `ParticipantNotFound` (a 404), so the answer never says
whether a record exists.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from desist.accounts.constants import Role
from desist.accounts.models import Organisation
from desist.people.constants import FieldGroup
from desist.people.models import Participant

if TYPE_CHECKING:
    from desist.accounts.models import User
    from desist.referrals.models import Allocation

    AnyUser = User | AnonymousUser


class Relationship(StrEnum):
    PROGRAMME_TEAM = "programme_team"
    SUPERVISING = "supervising"
    INVOLVED_AGENCY = "involved_agency"
    POLICE_LIAISON = "police_liaison"
    PRACTITIONER = "practitioner"


# Practitioners never write participant records: they record sessions, plans and concerns
# through their own services.
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

# Person-centred support (needs and strengths, development plan, progress measures) holds
# health and personal detail for those who work with the person: not for police liaison.
SUPPORT_READERS = frozenset(
    {
        Relationship.PROGRAMME_TEAM,
        Relationship.SUPERVISING,
        Relationship.INVOLVED_AGENCY,
        Relationship.PRACTITIONER,
    }
)
SUPPORT_WRITERS = frozenset(
    {Relationship.PROGRAMME_TEAM, Relationship.SUPERVISING, Relationship.PRACTITIONER}
)
# The roles through which a support relationship can arise (police liaison gives none).
SUPPORT_READING_ROLES = (
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.PRACTITIONER,
)
# Release planning and the exit passport: everyone with a relationship reads (police need the
# release date and conditions); supervision and the programme team write.
RELEASE_READERS = frozenset(Relationship)
RELEASE_WRITERS = WRITE_RELATIONSHIPS

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
    if Role.PRACTITIONER in roles:
        condition |= Q(pk__in=_practitioner_participant_ids(user))
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


def _practitioner_participant_ids(user: User) -> QuerySet[Allocation, Any]:
    """Participant ids currently allocated to the user's own practitioner record while it is
    cleared today, as a subquery: no query of its own and nothing to go stale, and a subquery
    rather than a join, so rows are never repeated however many allocations a case has had."""
    from desist.providers.selectors import cleared_practitioners
    from desist.referrals.models import Allocation

    own_cleared = cleared_practitioners(on=timezone.localdate()).filter(
        user_id=user.pk, organisation_id=user.organisation_id or 0
    )
    return Allocation.objects.filter(
        ended_at__isnull=True, practitioner_id__in=own_cleared.values("pk")
    ).values("participant_id")


def _cleared_practitioner_id(user: User) -> int | None:
    """The id of the user's own practitioner record if it is cleared today, else None. One
    query, remembered on the user object for that day (a request's user object lives for one
    request)."""
    today = timezone.localdate()
    cache = getattr(user, "_desist_cleared_practitioner", None)
    if cache is None or cache[0] != today:
        from desist.providers.selectors import cleared_practitioner_for_user

        practitioner = cleared_practitioner_for_user(user, on=today)
        cache = (today, practitioner.pk if practitioner is not None else None)
        user._desist_cleared_practitioner = cache  # type: ignore[attr-defined]
    return cache[1]


def _allocated_to(user: User, practitioner_id: int, participant_id: int) -> bool:
    """Whether the participant has a current allocation to the practitioner. The practitioner's
    current participants are fetched once and remembered, so field checks on a list page cost
    one query, not one a row; a participant not among them is looked up again, in case they
    were allocated since."""
    from desist.referrals.models import Allocation

    current = Allocation.objects.filter(practitioner_id=practitioner_id, ended_at__isnull=True)
    cache = getattr(user, "_desist_allocated_ids", None)
    if cache is None or cache[0] != practitioner_id:
        cache = (practitioner_id, frozenset(current.values_list("participant_id", flat=True)))
        user._desist_allocated_ids = cache  # type: ignore[attr-defined]
        return participant_id in cache[1]
    return participant_id in cache[1] or current.filter(participant_id=participant_id).exists()


def forget_cached_access(user: User) -> None:
    """Drop what the gate remembers on this user object (clearance, allocations, regions).
    Services that change a practitioner's clearance or allocations call it, so code that goes
    on using the same user object sees the change too."""
    for name in ("_desist_cleared_practitioner", "_desist_allocated_ids", "_desist_region_ids"):
        user.__dict__.pop(name, None)


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
    if Role.PRACTITIONER in roles:
        practitioner_id = _cleared_practitioner_id(usable)
        if practitioner_id is not None and _allocated_to(usable, practitioner_id, participant.pk):
            found.add(Relationship.PRACTITIONER)
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


def get_participant_through(
    user: AnyUser, participant_uuid: uuid.UUID | str, allowed: frozenset[Relationship]
) -> Participant:
    """As get_participant_for, but only through one of `allowed` relationships (e.g.
    SUPPORT_WRITERS); anyone else gets the same not-found as for a missing record."""
    participant = get_participant_for(user, participant_uuid)
    if not relationships_to(user, participant) & allowed:
        raise ParticipantNotFound()
    return participant


def has_relationship(
    user: AnyUser, participant: Participant, allowed: frozenset[Relationship]
) -> bool:
    """For showing or hiding links and buttons; the pages and services check again."""
    return bool(relationships_to(user, participant) & allowed)


def support_participants_for(user: AnyUser) -> QuerySet[Participant]:
    """Participants whose person-centred support records the user may read: the gate's rows,
    for a user whose roles give a support relationship (a role counts only in its kind of
    organisation, so no user is both police liaison and supervising officer)."""
    usable = _usable(user)
    if usable is None or not usable.has_role(*SUPPORT_READING_ROLES):
        return Participant.objects.none()
    return participants_for(usable)
