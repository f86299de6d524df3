"""Writes for the development plan: goals on each pathway and the actions towards them. Each is
atomic and audits itself in the same transaction.

Who may write: those who work with the person (`access.SUPPORT_WRITERS`: the programme team,
the supervising organisation and the allocated practitioner). Someone the gate would not show
the participant to gets `ParticipantNotFound`; someone who may read but not write the plan (an
involved agency) gets `PermissionDenied`. The police liaison neither reads nor writes it.

The rules are small pure functions (`*_error(s)`), so each is tested on its own; the services
collect every problem into one ValidationError naming the fields.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from desist.accounts.access import (
    SUPPORT_WRITERS,
    ParticipantNotFound,
    participants_for,
    relationships_to,
)
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change, diff, snapshot
from desist.people.models import Participant
from desist.support.constants import ActionStatus, GoalStatus, Owner, Pathway, ServiceLink
from desist.support.models import Goal, GoalAction, Service
from desist.support.selectors_directory import service_is_for

GOAL_FIELDS = ("pathway", "description", "status", "review_on", "achieved_on", "celebration")
ACTION_FIELDS = (
    "description",
    "owner",
    "service",
    "service_link",
    "due_on",
    "review_on",
    "status",
    "completed_on",
)


class _Keep(Enum):
    KEEP = "keep"


# "Leave as it is", for arguments where None is a value (no date).
KEEP = _Keep.KEEP


def _max_length(model: type[Goal] | type[GoalAction], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# Rules: each returns the message for a bad value, or None -----------------------------------


def text_error(text: str, *, what: str, limit: int) -> str | None:
    if not text:
        return f"Enter {what}"
    if len(text) > limit:
        return f"{what[0].upper()}{what[1:]} must be {limit} characters or fewer"
    return None


def future_date_error(
    day: dt.date | None, *, what: str, today: dt.date, unchanged_from: dt.date | None = None
) -> str | None:
    """A date being set must be today or later; one already recorded may have passed (that is
    what makes an action overdue), so it is checked only when it changes."""
    if day is None or day == unchanged_from:
        return None
    if day < today:
        return f"The {what} must be today or in the future"
    return None


def past_date_error(day: dt.date | None, *, what: str, today: dt.date) -> str | None:
    if day is not None and day > today:
        return f"The {what} cannot be in the future"
    return None


def goal_status_error(old: str | None, new: str) -> str | None:
    """Goals reach "achieved" only through `goal_achieve` (or an update giving the date), so
    the date achieved is never missing."""
    if new not in GoalStatus.values:
        return f"Choose the goal's status: {', '.join(GoalStatus.values)}"
    if old is None and new == GoalStatus.ACHIEVED:
        return "A new goal cannot already be achieved: add it, then mark it as achieved"
    return None


def achieved_errors(
    *, status: str, achieved_on: dt.date | None, celebration: str, today: dt.date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if status == GoalStatus.ACHIEVED:
        if achieved_on is None:
            errors["achieved_on"] = "Enter the date the goal was achieved"
        elif message := past_date_error(achieved_on, what="date achieved", today=today):
            errors["achieved_on"] = message
    else:
        if achieved_on is not None:
            errors["achieved_on"] = "Only an achieved goal has a date achieved"
        if celebration:
            errors["celebration"] = "Only an achieved goal can be celebrated"
    limit = _max_length(Goal, "celebration")
    if len(celebration) > limit:
        errors["celebration"] = f"What to celebrate must be {limit} characters or fewer"
    return errors


def action_service_errors(
    *, owner: str, service: Service | None, service_link: str
) -> dict[str, str]:
    """A partner service owning an action must be named; a service linked to must be named and
    say how (signposted or referred); a named service needs a reason to be there."""
    errors: dict[str, str] = {}
    if owner not in Owner.values:
        errors["owner"] = "Choose who owns the action"
    if service_link and service_link not in ServiceLink.values:
        errors["service_link"] = "Choose whether the action signposts or refers to the service"
    if owner == Owner.PARTNER_SERVICE and service is None:
        errors["service"] = "Choose the partner service that owns this action"
    elif service_link and service is None:
        errors["service"] = "Choose the service the action signposts or refers to"
    elif service is not None and not service_link and owner != Owner.PARTNER_SERVICE:
        errors["service_link"] = "Say whether the action signposts or refers to the service"
    return errors


def completion_error(
    *, status: str, completed_on: dt.date | None, today: dt.date
) -> tuple[str, str] | None:
    if status not in ActionStatus.values:
        return "status", f"Choose the action's status: {', '.join(ActionStatus.values)}"
    if status != ActionStatus.DONE and completed_on is not None:
        return "completed_on", "Only a done action has a date completed"
    if message := past_date_error(completed_on, what="date completed", today=today):
        return "completed_on", message
    return None


# Permissions -------------------------------------------------------------------------------


def _require_writer(actor: User, participant: Participant) -> None:
    if relationships_to(actor, participant) & SUPPORT_WRITERS:
        return
    if not participants_for(actor).filter(pk=participant.pk).exists():
        raise ParticipantNotFound()
    raise PermissionDenied(
        "Only the supervising organisation, the programme team and the allocated practitioner "
        "can change the development plan."
    )


def _ref(participant: Participant) -> str:
    # The audit trail names participants by uuid everywhere (see desist.people.services).
    return str(participant.uuid)


def _created(obj: Goal | GoalAction, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: [None, value] for name, value in snapshot(obj, fields).items()}


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


# Goals -------------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    actor: User,
    participant: Participant,
    pathway: str,
    description: str,
    review_on: dt.date | None = None,
    status: str = GoalStatus.NOT_STARTED,
) -> Goal:
    """Add a goal on one pathway of the participant's development plan."""
    _require_writer(actor, participant)
    now = timezone.now()
    today = timezone.localdate(now)
    description = description.strip()
    errors: dict[str, str] = {}
    if pathway not in Pathway.values:
        errors["pathway"] = "Choose the pathway the goal is on"
    if message := text_error(
        description, what="a description of the goal", limit=_max_length(Goal, "description")
    ):
        errors["description"] = message
    if message := goal_status_error(None, status):
        errors["status"] = message
    if message := future_date_error(review_on, what="review date", today=today):
        errors["review_on"] = message
    _raise(errors)
    goal = Goal.objects.create(
        participant=participant,
        pathway=pathway,
        description=description,
        status=status,
        review_on=review_on,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    audit_change(
        actor=actor,
        obj=goal,
        action=Action.CREATE,
        changes=_created(goal, ("participant", *GOAL_FIELDS)),
        participant_ref=_ref(participant),
    )
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: User,
    goal: Goal,
    description: str,
    status: str,
    review_on: dt.date | None,
    pathway: str | None = None,
    achieved_on: dt.date | Literal[_Keep.KEEP] | None = KEEP,
    celebration: str | None = None,
) -> dict[str, list[Any]]:
    """Change a goal. Marking it achieved needs the date (see `goal_achieve`); moving it back
    from achieved clears the date and the celebration. Left out (KEEP, None), the date and the
    celebration stay as they are while the goal stays achieved. Returns {field: [old, new]}."""
    participant = goal.participant
    _require_writer(actor, participant)
    list(Goal.objects.filter(pk=goal.pk).select_for_update().values_list("pk"))
    goal.refresh_from_db(fields=[*GOAL_FIELDS, "updated_at"])
    now = timezone.now()
    today = timezone.localdate(now)
    description = description.strip()
    pathway = goal.pathway if pathway is None else pathway
    keeping = status == GoalStatus.ACHIEVED
    if achieved_on is KEEP:
        achieved_on = goal.achieved_on if keeping else None
    celebration = (goal.celebration if keeping else "") if celebration is None else celebration
    celebration = celebration.strip()
    errors: dict[str, str] = {}
    if pathway not in Pathway.values:
        errors["pathway"] = "Choose the pathway the goal is on"
    if message := text_error(
        description, what="a description of the goal", limit=_max_length(Goal, "description")
    ):
        errors["description"] = message
    if message := goal_status_error(goal.status, status):
        errors["status"] = message
    else:
        errors |= achieved_errors(
            status=status, achieved_on=achieved_on, celebration=celebration, today=today
        )
    if message := future_date_error(
        review_on, what="review date", today=today, unchanged_from=goal.review_on
    ):
        errors["review_on"] = message
    _raise(errors)
    before = snapshot(goal, GOAL_FIELDS)
    goal.pathway = pathway
    goal.description = description
    goal.status = status
    goal.review_on = review_on
    goal.achieved_on = achieved_on
    goal.celebration = celebration
    changes = diff(before, snapshot(goal, GOAL_FIELDS))
    if changes:
        goal.updated_at = now
        goal.save(update_fields=[*changes, "updated_at"])
        audit_change(
            actor=actor,
            obj=goal,
            action=Action.UPDATE,
            changes=changes,
            participant_ref=_ref(participant),
        )
    return changes


@transaction.atomic
def goal_achieve(
    *, actor: User, goal: Goal, achieved_on: dt.date | None, celebration: str = ""
) -> Goal:
    """Mark a goal as achieved on a day, with what the participant or their worker want to
    celebrate about it (shown on the plan and the participant's timeline). Calling it again
    corrects the date or the celebration."""
    goal_update(
        actor=actor,
        goal=goal,
        description=goal.description,
        status=GoalStatus.ACHIEVED,
        review_on=goal.review_on,
        achieved_on=achieved_on,
        celebration=celebration,
    )
    return goal


# Actions -----------------------------------------------------------------------------------


def _service_errors(
    *, participant: Participant, service: Service | None, unchanged: bool, today: dt.date
) -> dict[str, str]:
    """A service newly linked must still be in the directory and open to the participant. One
    already linked stays linked even if it has since changed."""
    if service is None or unchanged:
        return {}
    if not service.active:
        return {"service": f"{service.name} is no longer in the service directory"}
    if not service_is_for(participant, service, today=today):
        return {
            "service": f"{service.name} is not open to this participant (where they live, "
            "their sex or their age): choose another service"
        }
    return {}


@transaction.atomic
def action_create(
    *,
    actor: User,
    goal: Goal,
    description: str,
    owner: str,
    service: Service | None = None,
    service_link: str = "",
    due_on: dt.date | None = None,
    review_on: dt.date | None = None,
) -> GoalAction:
    """Add an action towards a goal, owned by the participant, a worker or a partner service,
    optionally signposting or referring to a service in the directory."""
    participant = goal.participant
    _require_writer(actor, participant)
    now = timezone.now()
    today = timezone.localdate(now)
    description = description.strip()
    errors: dict[str, str] = {}
    if message := text_error(
        description,
        what="a description of the action",
        limit=_max_length(GoalAction, "description"),
    ):
        errors["description"] = message
    errors |= action_service_errors(owner=owner, service=service, service_link=service_link)
    if "service" not in errors:
        errors |= _service_errors(
            participant=participant, service=service, unchanged=False, today=today
        )
    if message := future_date_error(due_on, what="due date", today=today):
        errors["due_on"] = message
    if message := future_date_error(review_on, what="review date", today=today):
        errors["review_on"] = message
    _raise(errors)
    action = GoalAction.objects.create(
        goal=goal,
        description=description,
        owner=owner,
        service=service,
        service_link=service_link,
        due_on=due_on,
        review_on=review_on,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    changes = _created(action, ACTION_FIELDS)
    changes["goal"] = [None, str(goal.uuid)]
    audit_change(
        actor=actor,
        obj=action,
        action=Action.CREATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    return action


@transaction.atomic
def action_update(
    *,
    actor: User,
    action: GoalAction,
    description: str,
    owner: str,
    service: Service | None,
    service_link: str,
    due_on: dt.date | None,
    review_on: dt.date | None,
    status: str,
    completed_on: dt.date | None = None,
) -> dict[str, list[Any]]:
    """Change an action. Marking it done records the day it was completed (today unless
    given); moving it back from done clears that day. Returns {field: [old, new]}."""
    participant = action.goal.participant
    _require_writer(actor, participant)
    list(GoalAction.objects.filter(pk=action.pk).select_for_update().values_list("pk"))
    action.refresh_from_db(fields=[*ACTION_FIELDS, "updated_at"])
    now = timezone.now()
    today = timezone.localdate(now)
    description = description.strip()
    errors: dict[str, str] = {}
    if message := text_error(
        description,
        what="a description of the action",
        limit=_max_length(GoalAction, "description"),
    ):
        errors["description"] = message
    errors |= action_service_errors(owner=owner, service=service, service_link=service_link)
    if "service" not in errors:
        errors |= _service_errors(
            participant=participant,
            service=service,
            unchanged=service is not None and service.pk == action.service_id,
            today=today,
        )
    if message := future_date_error(
        due_on, what="due date", today=today, unchanged_from=action.due_on
    ):
        errors["due_on"] = message
    if message := future_date_error(
        review_on, what="review date", today=today, unchanged_from=action.review_on
    ):
        errors["review_on"] = message
    if problem := completion_error(status=status, completed_on=completed_on, today=today):
        errors[problem[0]] = problem[1]
    _raise(errors)
    if status == ActionStatus.DONE:
        # Kept when it was already done and no other day is given.
        completed_on = completed_on or action.completed_on or today
    before = snapshot(action, ACTION_FIELDS)
    action.description = description
    action.owner = owner
    action.service = service
    action.service_link = service_link
    action.due_on = due_on
    action.review_on = review_on
    action.status = status
    action.completed_on = completed_on
    changes = diff(before, snapshot(action, ACTION_FIELDS))
    if changes:
        action.updated_at = now
        action.save(update_fields=[*changes, "updated_at"])
        audit_change(
            actor=actor,
            obj=action,
            action=Action.UPDATE,
            changes=changes,
            participant_ref=_ref(participant),
        )
    return changes
