"""Deadlines counted in working days: weekends and UK bank holidays (the `holidays` library)
do not count. The part of the UK is `DESIST_HOLIDAYS_SUBDIVISION` (ENG, WLS, SCT, NIR)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import holidays
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from desist.delivery.constants import DeadlineKind
from desist.delivery.models import Deadline
from desist.people.models import Participant
from desist.referrals.models import Allocation, Referral


@lru_cache(maxsize=8)
def _bank_holidays(subdivision: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year).keys())


def is_working_day(day: dt.date, subdivision: str | None = None) -> bool:
    subdivision = subdivision or settings.DESIST_HOLIDAYS_SUBDIVISION
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(subdivision, day.year)


def add_working_days(start: dt.date, days: int, subdivision: str | None = None) -> dt.date:
    """The date `days` working days after `start` (start itself never counts).

    0 days gives `start` itself. Wednesday 24 December 2025 + 1 working day is Monday
    29 December 2025 in England: Christmas Day, Boxing Day and the weekend are skipped.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day, subdivision):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, subdivision: str | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start, subdivision)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, subdivision):
            count += 1
    return count


@transaction.atomic
def deadline_open(
    *,
    participant: Participant,
    kind: DeadlineKind | str,
    starts_on: dt.date,
    referral: Referral | None = None,
    allocation: Allocation | None = None,
    working_days: int | None = None,
) -> Deadline:
    """Open a deadline `working_days` after `starts_on` (default: the programme setting for
    this kind). An open deadline of the same kind for the same allocation/referral is reused."""
    kind = DeadlineKind(kind)
    if working_days is None:
        working_days = settings.DESIST_DEADLINE_WORKING_DAYS[kind.value]
    existing = Deadline.objects.filter(
        participant=participant,
        kind=kind,
        referral=referral,
        allocation=allocation,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    return Deadline.objects.create(
        participant=participant,
        referral=referral,
        allocation=allocation,
        kind=kind,
        starts_on=starts_on,
        due_on=add_working_days(starts_on, working_days),
    )


def deadline_meet(
    *,
    participant: Participant,
    kind: DeadlineKind | str,
    allocation: Allocation | None = None,
    referral: Referral | None = None,
    when: dt.datetime | None = None,
) -> int:
    """Mark the participant's open deadlines of this kind met (narrowed to the allocation or
    referral when given). Returns how many were met; 0 is not an error."""
    rows = Deadline.objects.filter(
        participant=participant,
        kind=DeadlineKind(kind),
        met_at__isnull=True,
        cancelled_at__isnull=True,
    )
    if allocation is not None:
        rows = rows.filter(allocation=allocation)
    if referral is not None:
        rows = rows.filter(referral=referral)
    return rows.update(met_at=when or timezone.now())


def deadline_cancel(
    *,
    participant: Participant,
    kind: DeadlineKind | str | None = None,
    allocation: Allocation | None = None,
    referral: Referral | None = None,
) -> int:
    """Cancel open deadlines that no longer apply (e.g. the allocation ended)."""
    rows = Deadline.objects.filter(
        participant=participant, met_at__isnull=True, cancelled_at__isnull=True
    )
    if kind is not None:
        rows = rows.filter(kind=DeadlineKind(kind))
    if allocation is not None:
        rows = rows.filter(allocation=allocation)
    if referral is not None:
        rows = rows.filter(referral=referral)
    return rows.update(cancelled_at=timezone.now())


def overdue(*, today: dt.date | None = None) -> QuerySet[Deadline]:
    """Open deadlines past their due date, oldest first."""
    today = today or timezone.localdate()
    return (
        Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True, due_on__lt=today)
        .select_related("participant")
        .order_by("due_on", "id")
    )


def overdue_for(user: Any, *, today: dt.date | None = None) -> QuerySet[Deadline]:
    """Overdue deadlines about participants this user may see; a practitioner sees only those
    of their own current allocations."""
    from desist.accounts.access import participants_for
    from desist.accounts.constants import OrganisationKind

    rows = overdue(today=today).filter(participant__in=participants_for(user))
    organisation = getattr(user, "organisation", None)
    if organisation is not None and organisation.kind == OrganisationKind.PROVIDER:
        rows = rows.filter(allocation__practitioner__user=user, allocation__ended_at__isnull=True)
    return rows
