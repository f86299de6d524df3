"""Reads for release planning: the release plans a user may see, one participant's plan with
what its page shows, and the countdown of releases (next 4 and next 12 weeks).

Everything starts from the access gate (`participants_for`); release planning is read by
every relationship the gate knows (`RELEASE_READERS`: police need the release date and the
conditions), so the gate's own list is the list of readable plans.

The release date is the participant's own `expected_release_date`; someone is in custody
while their `custody_establishment` is filled in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from desist.accounts.access import participants_for
from desist.accounts.constants import Role
from desist.people.models import Participant
from desist.support.constants import ChecklistStatus
from desist.support.models import ReleaseChecklistEntry, ReleasePlan

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser

# Who sees the countdown (/releases/) and the counts on the dashboard.
COUNTDOWN_ROLES: tuple[str, ...] = (
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.POLICE_LIAISON,
)
SOON_DAYS = 28  # "the next 4 weeks"
HORIZON_DAYS = 84  # "the next 12 weeks"

# Checklist items that still need doing; "not needed" is finished too.
FINISHED_STATUSES = frozenset({ChecklistStatus.DONE, ChecklistStatus.NOT_NEEDED})


# Rules -------------------------------------------------------------------------------------


def days_to_go(release_date: dt.date, today: dt.date) -> int:
    """Whole days from today to the release date (0 on the day, negative once past)."""
    return (release_date - today).days


def within(days: int, horizon: int) -> bool:
    """A release `days` away counts as "in the next N days" from today up to day N itself."""
    return 0 <= days <= horizon


def entry_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """A checklist item is overdue when it has a due date before today and is not finished."""
    if due_on is None:
        return False
    if status in FINISHED_STATUSES:
        return False
    return due_on < today


@dataclass(frozen=True)
class Progress:
    """Checklist progress: `done` of `total` done, where items not needed do not count."""

    done: int
    total: int
    overdue: int

    @property
    def complete(self) -> bool:
        return self.done == self.total


def progress_of(entries: list[ReleaseChecklistEntry], today: dt.date) -> Progress:
    needed = [e for e in entries if e.status != ChecklistStatus.NOT_NEEDED]
    return Progress(
        done=sum(1 for e in needed if e.status == ChecklistStatus.DONE),
        total=len(needed),
        overdue=sum(1 for e in entries if entry_overdue(e.status, e.due_on, today)),
    )


# Release plans -----------------------------------------------------------------------------


def release_plans_for(user: AnyUser) -> QuerySet[ReleasePlan]:
    """Release plans of participants the user may see (every relationship reads them)."""
    return (
        ReleasePlan.objects.filter(participant__in=participants_for(user))
        .select_related(
            "participant",
            "release_region",
            "community_organisation",
            "community_officer",
            "handed_over_by",
        )
        .prefetch_related("checklist", "appointments__service", "contacts")
        .order_by("participant__expected_release_date", "id")
    )


def release_plan_of(participant: Participant) -> ReleasePlan | None:
    """The participant's plan (the participant has already passed the gate), with what its
    page shows."""
    return (
        ReleasePlan.objects.filter(participant=participant)
        .select_related(
            "release_region",
            "community_organisation",
            "community_officer",
            "handed_over_by",
            "created_by",
        )
        .prefetch_related("checklist__updated_by", "appointments__service", "contacts")
        .first()
    )


def checklist_entry_of(plan: ReleasePlan, item: str) -> ReleaseChecklistEntry | None:
    return ReleaseChecklistEntry.objects.filter(plan=plan, item=item).first()


# The countdown -----------------------------------------------------------------------------


def in_custody(queryset: QuerySet[Participant]) -> QuerySet[Participant]:
    return queryset.exclude(custody_establishment="")


def _releasing(user: AnyUser, today: dt.date, horizon: int) -> QuerySet[Participant]:
    return in_custody(participants_for(user)).filter(
        expected_release_date__gte=today,
        expected_release_date__lte=today + dt.timedelta(days=horizon),
    )


def _entries_count(condition: Q) -> Coalesce:
    """The number of the participant's checklist entries matching `condition`, as a subquery
    (one per row in the same query, so the list costs the same however long it is)."""
    counted = (
        ReleaseChecklistEntry.objects.filter(condition, plan__participant=OuterRef("pk"))
        .order_by()
        .values("plan__participant")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class ReleaseRow:
    participant: Participant
    days_to_go: int
    has_plan: bool
    handed_over: bool
    progress: Progress


def releases_for(user: AnyUser, *, today: dt.date) -> list[ReleaseRow]:
    """Participants the user may see who are in custody with a release date in the next 12
    weeks (today included), soonest first, with their checklist progress. One query."""
    rows = (
        _releasing(user, today, HORIZON_DAYS)
        .select_related("supervising_organisation", "supervising_officer")
        .annotate(
            plan_id=F("release_plan__id"),
            plan_handed_over_at=F("release_plan__handed_over_at"),
            checklist_total=_entries_count(~Q(status=ChecklistStatus.NOT_NEEDED)),
            checklist_done=_entries_count(Q(status=ChecklistStatus.DONE)),
            checklist_overdue=_entries_count(
                Q(due_on__lt=today) & ~Q(status__in=list(FINISHED_STATUSES))
            ),
        )
        .order_by("expected_release_date", "reference")
    )
    found: list[ReleaseRow] = []
    for participant in rows:
        extra: Any = participant
        release_date = participant.expected_release_date
        if release_date is None:  # filtered out above; keeps the type checker sure
            continue
        found.append(
            ReleaseRow(
                participant=participant,
                days_to_go=days_to_go(release_date, today),
                has_plan=extra.plan_id is not None,
                handed_over=extra.plan_handed_over_at is not None,
                progress=Progress(
                    done=extra.checklist_done,
                    total=extra.checklist_total,
                    overdue=extra.checklist_overdue,
                ),
            )
        )
    return found


@dataclass(frozen=True)
class ReleaseCounts:
    soon: int  # in the next 4 weeks
    horizon: int  # in the next 12 weeks (the 4 included)


def release_counts_for(user: AnyUser, *, today: dt.date) -> ReleaseCounts:
    """The dashboard's two numbers, in one query."""
    counts = _releasing(user, today, HORIZON_DAYS).aggregate(
        horizon=Count("pk"),
        soon=Count("pk", filter=Q(expected_release_date__lte=today + dt.timedelta(days=SOON_DAYS))),
    )
    return ReleaseCounts(soon=counts["soon"], horizon=counts["horizon"])
