"""Reads of participant data, always starting from the access gate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from desist.accounts.access import participants_for, pseudonymised_participants_for
from desist.people.identifiers import normalise_pnc
from desist.people.models import Alias, Participant

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser


def participant_search_filter(text: str) -> Q:
    """Names (including aliases) containing each word, or an exact reference or identifier."""
    text = text.strip()
    if not text:
        return Q()
    exact = text.upper()
    condition = (
        Q(reference__iexact=text)
        | Q(pnc_number=normalise_pnc(exact))
        | Q(prison_number=exact)
        | Q(probation_crn=exact)
    )
    words = Q()
    for word in text.split():
        alias_ids = Alias.objects.filter(
            Q(family_name__icontains=word) | Q(given_name__icontains=word)
        ).values("participant_id")
        words &= (
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(pk__in=alias_ids)
        )
    return condition | words


def caseload_for(
    user: AnyUser,
    *,
    strand: str = "",
    status: str = "",
    region_id: int | None = None,
    search: str = "",
) -> QuerySet[Participant]:
    queryset = participants_for(user)
    if strand:
        queryset = queryset.filter(strand=strand)
    if status:
        queryset = queryset.filter(status=status)
    if region_id:
        queryset = queryset.filter(region_id=region_id)
    if search:
        queryset = queryset.filter(participant_search_filter(search))
    return queryset.select_related(
        "region", "supervising_organisation", "supervising_officer"
    ).order_by("family_name", "given_name", "id")


def participant_detail_for(user: AnyUser, participant: Participant) -> Participant:
    """The participant already passed the gate; load what its page shows in a few queries."""
    return (
        Participant.objects.filter(pk=participant.pk)
        .select_related("region", "supervising_organisation", "supervising_officer")
        .prefetch_related("aliases", "legal_bases", "status_history__recorded_by", "agencies")
        .get()
    )


def pseudonymised_rows_for(
    user: AnyUser, *, strand: str = "", status: str = "", region_id: int | None = None
) -> QuerySet[Participant]:
    queryset = pseudonymised_participants_for(user)
    if region_id:
        queryset = queryset.filter(region_id=region_id)
    if strand:
        queryset = queryset.filter(strand=strand)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("region").order_by("pseudonym")
