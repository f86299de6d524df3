"""Development plan pages: the participant's goals on each pathway and the actions towards them.

Every page sits under /participants/<participant_uuid>/support/: the access gate is passed
first, through the support relationships (`SUPPORT_READERS` to read, `SUPPORT_WRITERS` to
change), and the goal or action is then looked up within that participant, so a record of
another participant is the same not-found as a missing one. The police liaison, who sees the
participant, does not see their plan. Every page that shows the plan records the view with the
purpose given for the case.
"""

from __future__ import annotations

import uuid
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from desist.accounts.access import (
    SUPPORT_READERS,
    SUPPORT_WRITERS,
    get_participant_through,
    has_relationship,
)
from desist.accounts.decorators import participant_route
from desist.accounts.models import User
from desist.pages import call_service, posted
from desist.pages import record_participant_view as _record_view
from desist.people.models import Participant
from desist.support import selectors_plan as selectors
from desist.support import services_plan as services
from desist.support.constants import GoalStatus
from desist.support.forms_plan import ActionForm, GoalAchieveForm, GoalForm
from desist.support.models import Goal, GoalAction


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _not_found() -> Http404:
    return Http404("Page not found.")


def _reader(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, SUPPORT_READERS)


def _writer(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, SUPPORT_WRITERS)


def _goal(participant: Participant, goal_uuid: uuid.UUID) -> Goal:
    goal = selectors.goal_of(participant, goal_uuid)
    if goal is None:
        raise _not_found()
    return goal


def _action(participant: Participant, action_uuid: uuid.UUID) -> GoalAction:
    action = selectors.action_of(participant, action_uuid)
    if action is None:
        raise _not_found()
    return action


def _to_plan(participant: Participant) -> HttpResponse:
    return redirect("support:plan", participant_uuid=participant.uuid)


def _to_goal(participant: Participant, goal: Goal) -> HttpResponse:
    return redirect("support:goal_detail", participant_uuid=participant.uuid, goal_uuid=goal.uuid)


# Pages -------------------------------------------------------------------------------------


@participant_route
@require_GET
def plan(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """The whole plan: goals by pathway with their actions, what has been achieved, and what is
    overdue or due for review today."""
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return render(
        request,
        "support/plan.html",
        {
            "participant": participant,
            "summary": selectors.plan_summary(participant),
            "can_write": has_relationship(_user(request), participant, SUPPORT_WRITERS),
            "today": timezone.localdate(),
        },
    )


@participant_route
@require_GET
def goal_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, goal_uuid: uuid.UUID
) -> HttpResponse:
    participant = _reader(request, participant_uuid)
    goal = _goal(participant, goal_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return render(
        request,
        "support/goal_detail.html",
        {
            "participant": participant,
            "row": selectors.goal_row(goal, timezone.localdate()),
            "can_write": has_relationship(_user(request), participant, SUPPORT_WRITERS),
        },
    )


@participant_route
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    form = GoalForm(posted(request), initial={"pathway": request.GET.get("pathway", "")})
    if request.method == "POST" and form.is_valid():
        goal = call_service(
            form, services.goal_create, actor=user, participant=participant, **form.cleaned_data
        )
        if goal is not None:
            messages.success(request, "Goal added. Now add the first action towards it.")
            return _to_goal(participant, goal)
    return render(
        request,
        "support/goal_form.html",
        {"form": form, "participant": participant, "goal": None},
        status=400 if form.errors else 200,
    )


@participant_route
@require_http_methods(["GET", "POST"])
def goal_edit(
    request: HttpRequest, participant_uuid: uuid.UUID, goal_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    goal = _goal(participant, goal_uuid)
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    form = GoalForm(
        posted(request),
        goal=goal,
        initial={
            "pathway": goal.pathway,
            "description": goal.description,
            "status": goal.status,
            "review_on": goal.review_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        changes = call_service(
            form, services.goal_update, actor=user, goal=goal, **form.cleaned_data
        )
        if changes is not None:
            messages.success(request, "Goal updated" if changes else "Nothing was changed")
            return _to_goal(participant, goal)
    return render(
        request,
        "support/goal_form.html",
        {"form": form, "participant": participant, "goal": goal},
        status=400 if form.errors else 200,
    )


@participant_route
@require_http_methods(["GET", "POST"])
def goal_achieve(
    request: HttpRequest, participant_uuid: uuid.UUID, goal_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    goal = _goal(participant, goal_uuid)
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    initial = {
        "achieved_on": goal.achieved_on or timezone.localdate(),
        "celebration": goal.celebration,
    }
    form = GoalAchieveForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        done = call_service(form, services.goal_achieve, actor=user, goal=goal, **form.cleaned_data)
        if done is not None:
            messages.success(request, f"Goal achieved: {goal.get_pathway_display()}. Well done!")
            return _to_plan(participant)
    return render(
        request,
        "support/goal_achieve.html",
        {
            "form": form,
            "participant": participant,
            "goal": goal,
            "already": goal.status == GoalStatus.ACHIEVED,
        },
        status=400 if form.errors else 200,
    )


@participant_route
@require_http_methods(["GET", "POST"])
def action_create(
    request: HttpRequest, participant_uuid: uuid.UUID, goal_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    goal = _goal(participant, goal_uuid)
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    form = ActionForm(posted(request), participant=participant, goal=goal)
    if request.method == "POST" and form.is_valid():
        # `call_service` has a parameter of its own called "service": bind the arguments first.
        create = partial(services.action_create, actor=user, goal=goal, **form.service_arguments())
        action = call_service(form, create)
        if action is not None:
            messages.success(request, "Action added")
            return _to_goal(participant, goal)
    return render(
        request,
        "support/action_form.html",
        {"form": form, "participant": participant, "goal": goal, "action": None},
        status=400 if form.errors else 200,
    )


@participant_route
@require_http_methods(["GET", "POST"])
def action_edit(
    request: HttpRequest, participant_uuid: uuid.UUID, action_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    action = _action(participant, action_uuid)
    goal = action.goal
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    form = ActionForm(
        posted(request),
        participant=participant,
        goal=goal,
        action=action,
        initial={
            "description": action.description,
            "owner": action.owner,
            "service": action.service.uuid if action.service else None,
            "service_link": action.service_link,
            "due_on": action.due_on,
            "review_on": action.review_on,
            "status": action.status,
            "completed_on": action.completed_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        update = partial(
            services.action_update, actor=user, action=action, **form.service_arguments()
        )
        changes = call_service(form, update)
        if changes is not None:
            messages.success(request, "Action updated" if changes else "Nothing was changed")
            return _to_goal(participant, goal)
    return render(
        request,
        "support/action_form.html",
        {"form": form, "participant": participant, "goal": goal, "action": action},
        status=400 if form.errors else 200,
    )
