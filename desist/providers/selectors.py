"""Reads about practitioners: who is cleared to work, caseloads and contract places left.

`cleared_practitioners` is the database form of `rules.clearance_problems` (a test checks
that they agree); the access gate and allocation both use it, so a practitioner whose
vetting or training lapses, or who is suspended, loses access the moment it happens.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from desist.accounts.constants import OrganisationKind
from desist.accounts.models import Organisation, User
from desist.providers import rules
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Contract, Practitioner, TrainingCompletion, TrainingCourse
from desist.referrals.models import Allocation


def cleared_practitioners(*, on: dt.date, until: dt.date | None = None) -> QuerySet[Practitioner]:
    """Practitioners cleared to work on `on` and, when given, still cleared on `until`: approved,
    vetting in date, and every required course completed with a completion in date. One
    query (subqueries, no joins), so it can be filtered further or used as a subquery."""
    last_day = max(on, until) if until is not None else on
    in_date_completion = TrainingCompletion.objects.filter(
        practitioner_id=OuterRef(OuterRef("pk")), course_id=OuterRef("pk")
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=last_day))
    required_course_not_held = TrainingCourse.objects.filter(required=True).filter(
        ~Exists(in_date_completion)
    )
    return Practitioner.objects.filter(
        status=PractitionerStatus.APPROVED, vetting_expires_on__gte=last_day
    ).filter(~Exists(required_course_not_held))


def required_courses() -> dict[str, str]:
    """Code to name of every course a practitioner must hold."""
    return dict(TrainingCourse.objects.filter(required=True).values_list("code", "name"))


def training_held(practitioner: Practitioner) -> dict[str, dt.date | None]:
    """Course code to the expiry of the practitioner's best completion (None: never expires).
    A newer completion replaces an older one, so the latest expiry counts."""
    held: dict[str, dt.date | None] = {}
    completions = TrainingCompletion.objects.filter(practitioner=practitioner).values_list(
        "course__code", "expires_on"
    )
    for code, expires_on in completions:
        best = held.get(code, expires_on)
        if code not in held:
            held[code] = expires_on
        elif best is None or expires_on is None:
            held[code] = None
        else:
            held[code] = max(best, expires_on)
    return held


def practitioner_clearance(
    practitioner: Practitioner, *, on: dt.date, until: dt.date | None = None
) -> list[str]:
    """Plain-English reasons the practitioner is not cleared; empty when they are."""
    return rules.clearance_problems(
        status=practitioner.status,
        vetting_expires_on=practitioner.vetting_expires_on,
        training=training_held(practitioner),
        required_courses=required_courses(),
        on=on,
        until=until,
    )


def cleared_practitioner_for_user(user: User, *, on: dt.date) -> Practitioner | None:
    """The user's own practitioner record if it is cleared on that date, else None."""
    if user.pk is None or user.organisation_id is None:
        return None
    return (
        cleared_practitioners(on=on)
        .filter(user_id=user.pk, organisation_id=user.organisation_id)
        .first()
    )


def current_caseloads() -> dict[int, int]:
    """Practitioner id to the number of their current allocations (only those with any)."""
    rows = (
        Allocation.objects.filter(ended_at__isnull=True)
        .values("practitioner_id")
        .annotate(n=Count("id"))
        .values_list("practitioner_id", "n")
    )
    return dict(rows)


def contracts_in_force(*, on: dt.date) -> QuerySet[Contract]:
    return Contract.objects.filter(start_date__lte=on, end_date__gte=on)


def contract_capacity_left(*, on: dt.date) -> dict[int, int]:
    """Provider organisation id to the places left on that date: the capacity of its contracts
    in force minus its practitioners' current allocations, never below 0. Every provider
    organisation is a key; those with no contract in force have 0."""
    capacity = dict(
        contracts_in_force(on=on)
        .values("organisation_id")
        .annotate(total=Sum("capacity"))
        .values_list("organisation_id", "total")
    )
    allocated = dict(
        Allocation.objects.filter(ended_at__isnull=True)
        .values("practitioner__organisation_id")
        .annotate(n=Count("id"))
        .values_list("practitioner__organisation_id", "n")
    )
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).values_list(
        "pk", flat=True
    )
    return {
        organisation_id: max(
            capacity.get(organisation_id, 0) - allocated.get(organisation_id, 0), 0
        )
        for organisation_id in {*providers, *capacity}
    }
