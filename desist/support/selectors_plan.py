"""Reads for the development plan. Lists start from the access gate and keep only the
participants whose support records the user may read (`access.SUPPORT_READERS`): the police
liaison sees the participant but not their plan.

What needs attention is decided by small pure functions (`action_overdue`, `review_due`), so
the plan page, the API and any dashboard agree on it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from desist.accounts.access import support_participants_for
from desist.delivery.selectors import TimelineEntry
from desist.people.models import Participant
from desist.support.constants import ActionStatus, GoalStatus, Pathway
from desist.support.models import Goal, GoalAction

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser

# The roles whose relationships to a participant are among SUPPORT_READERS. The police liaison
# is the one relationship left out, and its role is never held with these: a role counts only
# in its own kind of organisation (accounts.constants.ROLE_ORGANISATION_KINDS).
OPEN_GOAL_STATUSES = frozenset({GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS})
OPEN_ACTION_STATUSES = frozenset({ActionStatus.TO_DO, ActionStatus.IN_PROGRESS})


# Rules -------------------------------------------------------------------------------------


def action_overdue(*, status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """Not yet done (or given up), and its due date has passed."""
    return status in OPEN_ACTION_STATUSES and due_on is not None and due_on < today


def action_review_due(*, status: str, review_on: dt.date | None, today: dt.date) -> bool:
    return status in OPEN_ACTION_STATUSES and review_on is not None and review_on <= today


def review_due(*, status: str, review_on: dt.date | None, today: dt.date) -> bool:
    """A goal still being worked on whose review date is today or has passed."""
    return status in OPEN_GOAL_STATUSES and review_on is not None and review_on <= today


# Querysets ---------------------------------------------------------------------------------


def _actions() -> QuerySet[GoalAction]:
    # Soonest due first, undated last, the same on SQLite and PostgreSQL.
    return GoalAction.objects.select_related("service").order_by(
        F("due_on").asc(nulls_last=True), "id"
    )


def goals_for(user: AnyUser) -> QuerySet[Goal]:
    """Goals of every participant whose plan the user may read, with their actions."""
    return (
        Goal.objects.filter(participant__in=support_participants_for(user))
        .select_related("participant", "created_by")
        .prefetch_related(Prefetch("actions", queryset=_actions()))
        .order_by("participant_id", "pathway", "created_at", "id")
    )


def goals_of(participant: Participant) -> QuerySet[Goal]:
    """The participant's goals with their actions. The caller has passed the gate."""
    return (
        Goal.objects.filter(participant=participant)
        .select_related("created_by")
        .prefetch_related(Prefetch("actions", queryset=_actions()))
        .order_by("pathway", "created_at", "id")
    )


def goal_of(participant: Participant, goal_uuid: uuid.UUID | str) -> Goal | None:
    """One goal of this participant (None for a goal of anyone else, or none)."""
    try:
        key = uuid.UUID(str(goal_uuid))
    except ValueError:
        return None
    return goals_of(participant).filter(uuid=key).first()


def action_of(participant: Participant, action_uuid: uuid.UUID | str) -> GoalAction | None:
    try:
        key = uuid.UUID(str(action_uuid))
    except ValueError:
        return None
    return (
        _actions()
        .select_related("goal__participant")
        .filter(goal__participant=participant, uuid=key)
        .first()
    )


def actions_for(user: AnyUser) -> QuerySet[GoalAction]:
    """Actions on goals of participants whose plan the user may read."""
    return (
        _actions()
        .select_related("goal__participant")
        .filter(goal__participant__in=support_participants_for(user))
    )


# The plan page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    action: GoalAction
    overdue: bool
    review_due: bool


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    actions: list[ActionRow]
    review_due: bool

    @property
    def achieved(self) -> bool:
        return self.goal.status == GoalStatus.ACHIEVED

    @property
    def overdue_actions(self) -> int:
        return sum(1 for row in self.actions if row.overdue)


@dataclass(frozen=True)
class PathwayGroup:
    pathway: str
    label: str
    goals: list[GoalRow]


@dataclass(frozen=True)
class PlanSummary:
    groups: list[PathwayGroup]
    achieved: list[Goal] = field(default_factory=list)  # most recent first
    overdue_actions: list[ActionRow] = field(default_factory=list)
    goals_for_review: list[GoalRow] = field(default_factory=list)
    actions_for_review: list[ActionRow] = field(default_factory=list)


def goal_row(goal: Goal, today: dt.date) -> GoalRow:
    return GoalRow(
        goal=goal,
        actions=[
            ActionRow(
                action=action,
                overdue=action_overdue(status=action.status, due_on=action.due_on, today=today),
                review_due=action_review_due(
                    status=action.status, review_on=action.review_on, today=today
                ),
            )
            for action in goal.actions.all()
        ],
        review_due=review_due(status=goal.status, review_on=goal.review_on, today=today),
    )


def plan_summary(participant: Participant, *, today: dt.date | None = None) -> PlanSummary:
    """The plan grouped by pathway (in the pathways' usual order), what has been achieved, and
    what needs attention today. Two queries whatever the size of the plan."""
    day = today or timezone.localdate()
    rows = [goal_row(goal, day) for goal in goals_of(participant)]
    groups = [
        PathwayGroup(
            pathway=pathway.value,
            label=str(pathway.label),
            goals=[row for row in rows if row.goal.pathway == pathway.value],
        )
        for pathway in Pathway
    ]
    achieved = sorted(
        (row.goal for row in rows if row.achieved),
        key=lambda goal: (goal.achieved_on or dt.date.min, goal.pk),
        reverse=True,
    )
    return PlanSummary(
        groups=[group for group in groups if group.goals],
        achieved=achieved,
        overdue_actions=[a for row in rows for a in row.actions if a.overdue],
        goals_for_review=[row for row in rows if row.review_due],
        actions_for_review=[a for row in rows for a in row.actions if a.review_due],
    )


# Timeline ----------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def goal_timeline_entries(participant: Participant) -> list[TimelineEntry]:
    """Achieved goals, to celebrate on the participant's timeline (oldest first, as the other
    parts of `desist.delivery.selectors.participant_timeline` are). The caller has checked the
    user may read the participant's support records: the pathway and the goal are personal
    detail the police liaison does not see."""
    rows = Goal.objects.filter(
        participant=participant, status=GoalStatus.ACHIEVED, achieved_on__isnull=False
    ).order_by("achieved_on", "id")
    entries = []
    for goal in rows:
        if goal.achieved_on is None:  # filtered out above; this tells the type checker
            continue
        detail = _sentence(goal.description)
        if goal.celebration:
            detail += " " + _sentence(goal.celebration)
        entries.append(
            TimelineEntry(
                when=_day_start(goal.achieved_on),
                kind="goal",
                title=f"Goal achieved: {goal.get_pathway_display()}",
                detail=detail,
            )
        )
    return entries
