"""Reads of referrals and allocations, always starting from the access gate; and the facts
ranking needs, built from the database in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from desist.accounts.access import Relationship, participants_for, relationships_to
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import User as UserModel
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner
from desist.providers.selectors import (
    cleared_practitioners,
    contract_capacity_left,
    current_caseloads,
    practitioner_clearance,
)
from desist.referrals import ranking, rules
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral
from desist.referrals.ranking import PractitionerFacts, ReferralFacts

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser

# Relationships that see the full risk summary. Providers only ever see the redacted one.
FULL_RISK_RELATIONSHIPS = frozenset(
    {
        Relationship.PROGRAMME_TEAM,
        Relationship.SUPERVISING,
        Relationship.INVOLVED_AGENCY,
        Relationship.POLICE_LIAISON,
    }
)

TRIAGE_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)

_LIST_RELATED = (
    "participant",
    "participant__region",
    "referred_by",
    "referring_organisation",
    "legal_basis",
)


class ReferralNotFound(Http404):
    """A referral that does not exist or that this user may not see: the same answer."""

    def __init__(self) -> None:
        super().__init__("No referral found.")


def is_provider(user: AnyUser) -> bool:
    """Anyone in a provider organisation: never shown more than a provider may see."""
    organisation = getattr(user, "organisation", None)
    return organisation is not None and organisation.kind == OrganisationKind.PROVIDER


def open_referral(referrals: QuerySet[Referral]) -> Referral | None:
    """The open referral among these (a participant has at most one; see
    `rules.OPEN_STATUSES`), or None."""
    return referrals.filter(status__in=rules.OPEN_STATUSES).order_by("referred_at", "id").first()


def referrals_for(user: AnyUser) -> QuerySet[Referral]:
    """Referrals whose participant this user may see through the gate. Practitioners see only
    referrals currently allocated to them (and only while the gate lets them see the person)."""
    queryset = Referral.objects.filter(participant__in=participants_for(user))
    if is_provider(user):
        if not (isinstance(user, UserModel) and user.has_role(Role.PRACTITIONER)):
            return Referral.objects.none()
        mine = Allocation.objects.filter(practitioner__user=user, ended_at__isnull=True).values(
            "referral_id"
        )
        queryset = queryset.filter(pk__in=mine)
    return queryset.select_related(*_LIST_RELATED)


def referral_for(user: AnyUser, referral_uuid: uuid.UUID | str) -> Referral:
    """One referral if this user may see it; ReferralNotFound (a 404) otherwise."""
    try:
        key = uuid.UUID(str(referral_uuid))
    except ValueError:
        raise ReferralNotFound() from None
    referral = (
        referrals_for(user)
        .prefetch_related("status_history__changed_by", "allocations__practitioner__user")
        .filter(uuid=key)
        .first()
    )
    if referral is None:
        raise ReferralNotFound()
    return referral


def allocation_for(user: AnyUser, allocation_uuid: uuid.UUID | str) -> Allocation:
    """One allocation on a referral this user may see; ReferralNotFound otherwise."""
    try:
        key = uuid.UUID(str(allocation_uuid))
    except ValueError:
        raise ReferralNotFound() from None
    allocation = (
        Allocation.objects.filter(uuid=key, referral__in=referrals_for(user))
        .select_related("referral", "participant", "practitioner__user")
        .first()
    )
    if allocation is None:
        raise ReferralNotFound()
    return allocation


def triage_queue(user: AnyUser) -> QuerySet[Referral]:
    """Referrals waiting for a triage decision (submitted, or back with more information
    requested), oldest first."""
    return referrals_for(user).filter(status__in=TRIAGE_STATUSES).order_by("referred_at", "id")


def waiting_for_allocation(user: AnyUser) -> QuerySet[Referral]:
    """Accepted referrals waiting for a practitioner, oldest first."""
    return referrals_for(user).filter(status=ReferralStatus.ACCEPTED).order_by("referred_at", "id")


def allocation_history(referral: Referral) -> QuerySet[Allocation]:
    """Every allocation of the referral, the current one first (the referral passed the gate)."""
    return (
        Allocation.objects.filter(referral=referral)
        .select_related("practitioner__user", "practitioner__organisation", "allocated_by")
        .order_by("-allocated_at", "-id")
    )


def current_allocation(referral: Referral) -> Allocation | None:
    return (
        Allocation.objects.filter(referral=referral, ended_at__isnull=True)
        .select_related("practitioner__user")
        .first()
    )


def risk_summary_for(user: AnyUser, referral: Referral) -> str:
    """The version of the risk summary this user may read: providers get the version written
    for them, the programme team, supervising and involved agencies and police the full one;
    anyone else nothing."""
    if is_provider(user):
        if referrals_for(user).filter(pk=referral.pk).exists():
            return referral.risk_summary_for_provider
        return ""
    if relationships_to(user, referral.participant) & FULL_RISK_RELATIONSHIPS:
        return referral.risk_summary
    return ""


# Facts for ranking -------------------------------------------------------------------------


def referral_facts(referral: Referral) -> ReferralFacts:
    return referral_facts_many([referral])[0]


def referral_facts_many(referrals: Sequence[Referral]) -> list[ReferralFacts]:
    """Facts for each referral, in order, in one query for the previous practitioners."""
    participant_ids = {referral.participant_id for referral in referrals}
    previous: dict[int, set[int]] = {}
    rows = Allocation.objects.filter(participant_id__in=participant_ids).values_list(
        "participant_id", "practitioner_id"
    )
    for participant_id, practitioner_id in rows:
        previous.setdefault(participant_id, set()).add(practitioner_id)
    return [
        ReferralFacts(
            needs=tuple(referral.needs),
            region_id=referral.participant.region_id,
            preferred_sex=referral.preferred_practitioner_sex,
            preferred_language=referral.preferred_language,
            preferred_faith_tradition=referral.preferred_faith_tradition,
            expected_end_date=referral.expected_end_date,
            previous_practitioner_ids=frozenset(previous.get(referral.participant_id, set())),
            key=str(referral.uuid),
        )
        for referral in referrals
    ]


def candidate_practitioner_facts(*, on: dt.date) -> list[PractitionerFacts]:
    """Everyone who could be ranked on this date: practitioners cleared to work, and approved
    practitioners who are not (shown as ineligible with the reason). Sorted by id."""
    cleared_ids = set(cleared_practitioners(on=on).values_list("pk", flat=True))
    practitioners = (
        Practitioner.objects.filter(Q(pk__in=cleared_ids) | Q(status=PractitionerStatus.APPROVED))
        .select_related("user")
        .prefetch_related("regions")
        .order_by("id")
    )
    return _facts(practitioners, cleared_ids=cleared_ids, on=on)


def practitioner_facts_for(practitioner: Practitioner, *, on: dt.date) -> PractitionerFacts:
    """Facts for one practitioner, checked afresh (used when an allocation is confirmed)."""
    fresh = (
        Practitioner.objects.filter(pk=practitioner.pk)
        .select_related("user")
        .prefetch_related("regions")
    )
    cleared_ids = set(
        cleared_practitioners(on=on).filter(pk=practitioner.pk).values_list("pk", flat=True)
    )
    return _facts(fresh, cleared_ids=cleared_ids, on=on)[0]


def _facts(
    practitioners: Iterable[Practitioner], *, cleared_ids: set[int], on: dt.date
) -> list[PractitionerFacts]:
    caseloads = current_caseloads()
    places = contract_capacity_left(on=on)
    facts = []
    for practitioner in practitioners:
        problems: tuple[str, ...] = ()
        if practitioner.pk not in cleared_ids:
            problems = tuple(practitioner_clearance(practitioner, on=on)) or (
                "their clearance could not be confirmed",
            )
        facts.append(
            PractitionerFacts(
                id=practitioner.pk,
                organisation_id=practitioner.organisation_id,
                specialisms=frozenset(practitioner.specialisms),
                languages=frozenset(practitioner.languages),
                faith_traditions=frozenset(practitioner.faith_traditions),
                sex=practitioner.sex,
                region_ids=frozenset(region.pk for region in practitioner.regions.all()),
                capacity_left=practitioner.max_caseload - caseloads.get(practitioner.pk, 0),
                organisation_capacity_left=places.get(practitioner.organisation_id, 0),
                vetting_expires_on=practitioner.vetting_expires_on,
                clearance_problems=problems,
                name=practitioner.user.display_name,
                uuid=str(practitioner.uuid),
            )
        )
    return facts


# Why referrals are still waiting -----------------------------------------------------------


@dataclass(frozen=True)
class UnallocatedReferral:
    referral: Referral
    eligible_count: int
    why: str


_EXCLUSION_PHRASES = {
    ranking.REGION: "{n} do not work in the participant's region",
    ranking.CAPACITY: "{n} have no places left",
    ranking.VETTING: "{n} have vetting that ends before the expected end date",
    ranking.CLEARANCE: "{n} are not cleared to work",
}


def unallocated_with_reasons(user: AnyUser, *, on: dt.date) -> list[UnallocatedReferral]:
    """Accepted referrals still waiting, each with why (e.g. after "allocate the queue")."""
    referrals = list(waiting_for_allocation(user))
    if not referrals:
        return []
    practitioners = candidate_practitioner_facts(on=on)
    result = []
    for referral, facts in zip(referrals, referral_facts_many(referrals), strict=True):
        ranked = ranking.rank(facts, practitioners)
        eligible = sum(1 for row in ranked if row.eligible)
        result.append(
            UnallocatedReferral(referral=referral, eligible_count=eligible, why=why_waiting(ranked))
        )
    return result


def why_waiting(ranked: Sequence[ranking.RankedPractitioner]) -> str:
    """A one-line explanation of a referral's ranking, for the waiting list."""
    eligible = sum(1 for row in ranked if row.eligible)
    if eligible:
        noun = "practitioner" if eligible == 1 else "practitioners"
        return f"{eligible} eligible {noun}; ready to allocate."
    if not ranked:
        return "No practitioner is approved to work yet."
    counts: Counter[str] = Counter()
    for row in ranked:
        for label in {reason.label for reason in row.fit.exclusions}:
            counts[label] += 1
    parts = [
        phrase.format(n=counts[label])
        for label, phrase in _EXCLUSION_PHRASES.items()
        if counts[label]
    ]
    return f"No eligible practitioner: {'; '.join(parts)}."
