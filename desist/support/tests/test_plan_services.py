"""The development plan's services: goals and actions, their rules, who may write, and the audit.

Time is frozen at 09:00 UTC on Monday 2 March 2026.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import World
from desist.accounts.access import ParticipantNotFound
from desist.audit.models import AuditEvent
from desist.support import services_plan as services
from desist.support.constants import ActionStatus, GoalStatus, Owner, Pathway, ServiceLink
from desist.support.models import Goal, GoalAction
from desist.support.tests.factories_plan import NOW, TODAY, allocate, make_goal, make_service


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def _events(entity: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity=entity).order_by("seq"))


# Rules -------------------------------------------------------------------------------------


def test_a_date_being_set_must_not_be_in_the_past_but_one_kept_may_be() -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    assert services.future_date_error(yesterday, what="due date", today=TODAY) == (
        "The due date must be today or in the future"
    )
    assert services.future_date_error(TODAY, what="due date", today=TODAY) is None
    assert services.future_date_error(None, what="due date", today=TODAY) is None
    assert (
        services.future_date_error(
            yesterday, what="due date", today=TODAY, unchanged_from=yesterday
        )
        is None
    )


def test_a_partner_service_owning_an_action_must_be_named() -> None:
    errors = services.action_service_errors(
        owner=Owner.PARTNER_SERVICE, service=None, service_link=""
    )
    assert errors == {"service": ["Choose the partner service that owns this action"][0]}


def test_a_goal_cannot_be_created_already_achieved() -> None:
    assert services.goal_status_error(None, GoalStatus.ACHIEVED) is not None
    assert services.goal_status_error(GoalStatus.IN_PROGRESS, GoalStatus.ACHIEVED) is None
    assert services.goal_status_error(None, "finished") is not None


# Goals -------------------------------------------------------------------------------------


def test_supervising_officer_adds_a_goal_and_it_is_audited_against_the_participant(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]

    goal = services.goal_create(
        actor=officer,
        participant=world.case,
        pathway=Pathway.EDUCATION_EMPLOYMENT,
        description="  Get a forklift licence  ",
        review_on=TODAY + dt.timedelta(days=28),
    )

    assert (goal.description, goal.status, goal.created_by) == (
        "Get a forklift licence",
        GoalStatus.NOT_STARTED,
        officer,
    )
    [event] = _events("support.goal")
    assert (event.action, event.actor_id, event.participant_ref) == (
        "create",
        officer.pk,
        str(world.case.uuid),
    )
    assert event.changes["pathway"] == [None, "education_employment"]
    assert event.changes["review_on"] == [None, "2026-03-30"]


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("pathway", {"pathway": "housing"}, "Choose the pathway the goal is on"),
        ("description", {"description": "   "}, "Enter a description of the goal"),
        ("description", {"description": "x" * 501}, "must be 500 characters or fewer"),
        ("review_on", {"review_on": dt.date(2026, 3, 1)}, "must be today or in the future"),
        ("status", {"status": GoalStatus.ACHIEVED}, "cannot already be achieved"),
    ],
)
def test_a_bad_goal_is_refused_naming_the_field_and_nothing_is_written(
    world: World, field: str, values: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "pathway": Pathway.ACCOMMODATION,
        "description": "Find a flat",
        **values,
    }
    with pytest.raises(ValidationError) as excinfo:
        services.goal_create(
            actor=world.personas["supervising_officer"], participant=world.case, **arguments
        )
    assert message in _errors(excinfo)[field][0]
    assert not Goal.objects.exists()
    assert not _events("support.goal")


def test_the_allocated_practitioner_may_add_a_goal(world: World) -> None:
    allocate(world)
    goal = services.goal_create(
        actor=world.personas["practitioner"],
        participant=world.case,
        pathway=Pathway.IDENTITY,
        description="Join a five-a-side team",
    )
    assert goal.created_by == world.personas["practitioner"]


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("police_london", PermissionDenied),  # sees the participant, not their plan
        ("officer_other_area", ParticipantNotFound),
        ("other_provider_practitioner", ParticipantNotFound),
        ("analyst", ParticipantNotFound),
    ],
)
def test_those_who_may_not_write_the_plan_are_refused(
    world: World, persona: str, refusal: type[Exception]
) -> None:
    allocate(world)
    with pytest.raises(refusal):
        services.goal_create(
            actor=world.personas[persona],
            participant=world.case,
            pathway=Pathway.ACCOMMODATION,
            description="Find a flat",
        )
    assert not Goal.objects.exists()


def test_an_involved_agency_may_read_but_not_change_the_plan(world: World) -> None:
    world.case.agencies.add(world.probation_nw)
    with pytest.raises(PermissionDenied):
        services.goal_create(
            actor=world.personas["officer_other_area"],
            participant=world.case,
            pathway=Pathway.ACCOMMODATION,
            description="Find a flat",
        )


def test_an_achieved_goal_needs_the_date_it_was_achieved(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        services.goal_achieve(
            actor=world.personas["supervising_officer"], goal=goal, achieved_on=None
        )
    assert _errors(excinfo) == {"achieved_on": ["Enter the date the goal was achieved"]}
    goal.refresh_from_db()
    assert goal.status == GoalStatus.IN_PROGRESS


def test_a_goal_cannot_be_achieved_in_the_future(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        services.goal_achieve(
            actor=world.personas["supervising_officer"],
            goal=goal,
            achieved_on=TODAY + dt.timedelta(days=1),
        )
    assert _errors(excinfo) == {"achieved_on": ["The date achieved cannot be in the future"]}


def test_achieving_a_goal_records_the_date_and_the_celebration_and_audits_them(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer)

    services.goal_achieve(
        actor=officer, goal=goal, achieved_on=dt.date(2026, 2, 27), celebration="Keys in hand!"
    )

    goal.refresh_from_db()
    assert (goal.status, goal.achieved_on, goal.celebration) == (
        GoalStatus.ACHIEVED,
        dt.date(2026, 2, 27),
        "Keys in hand!",
    )
    [event] = _events("support.goal")
    assert event.changes == {
        "status": ["in_progress", "achieved"],
        "achieved_on": [None, "2026-02-27"],
        "celebration": ["", "Keys in hand!"],
    }
    assert event.participant_ref == str(world.case.uuid)


def test_marking_a_goal_achieved_by_update_also_needs_the_date(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        services.goal_update(
            actor=world.personas["supervising_officer"],
            goal=goal,
            description=goal.description,
            status=GoalStatus.ACHIEVED,
            review_on=None,
        )
    assert "achieved_on" in _errors(excinfo)


def test_editing_an_achieved_goal_keeps_its_date_and_moving_it_back_clears_them(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(
        world.case, officer, status=GoalStatus.ACHIEVED, celebration="Well done", review_on=None
    )

    services.goal_update(
        actor=officer, goal=goal, description="Settled", status=GoalStatus.ACHIEVED, review_on=None
    )
    goal.refresh_from_db()
    assert (goal.achieved_on, goal.celebration) == (TODAY, "Well done")

    changes = services.goal_update(
        actor=officer,
        goal=goal,
        description="Settled",
        status=GoalStatus.IN_PROGRESS,
        review_on=None,
    )
    goal.refresh_from_db()
    assert (goal.achieved_on, goal.celebration) == (None, "")
    assert changes["achieved_on"] == ["2026-03-02", None]


def test_a_review_date_that_has_passed_may_stay_but_not_be_set_again(world: World) -> None:
    officer = world.personas["supervising_officer"]
    passed = dt.date(2026, 2, 1)
    goal = make_goal(world.case, officer, review_on=passed)

    services.goal_update(
        actor=officer, goal=goal, description="New words", status=goal.status, review_on=passed
    )
    with pytest.raises(ValidationError) as excinfo:
        services.goal_update(
            actor=officer,
            goal=goal,
            description="New words",
            status=goal.status,
            review_on=dt.date(2026, 2, 2),
        )
    assert _errors(excinfo) == {"review_on": ["The review date must be today or in the future"]}


def test_an_update_that_changes_nothing_writes_no_audit(world: World) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer)
    changes = services.goal_update(
        actor=officer, goal=goal, description=goal.description, status=goal.status, review_on=None
    )
    assert changes == {}
    assert not _events("support.goal")


def test_a_failure_while_auditing_leaves_no_goal_behind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The goal and its audit event are one transaction: a failure of the audit (injected
    here) takes the goal with it."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_change", broken)
    with pytest.raises(RuntimeError):
        services.goal_create(
            actor=world.personas["supervising_officer"],
            participant=world.case,
            pathway=Pathway.ACCOMMODATION,
            description="Find a flat",
        )
    assert not Goal.objects.exists()


# Actions -----------------------------------------------------------------------------------


def _action(world: World, goal: Goal, **values: Any) -> GoalAction:
    arguments: dict[str, Any] = {
        "description": "Register with a GP",
        "owner": Owner.PARTICIPANT,
        **values,
    }
    return services.action_create(
        actor=world.personas["supervising_officer"], goal=goal, **arguments
    )


def test_an_action_signposting_a_service_is_added_and_audited(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    service = make_service(regions=[world.london])

    action = _action(
        world,
        goal,
        service=service,
        service_link=ServiceLink.SIGNPOST,
        due_on=TODAY + dt.timedelta(days=7),
    )

    assert (action.status, action.service, action.completed_on) == (
        ActionStatus.TO_DO,
        service,
        None,
    )
    [event] = _events("support.goalaction")
    assert event.participant_ref == str(world.case.uuid)
    assert event.changes["service"] == [None, service.pk]
    assert event.changes["goal"] == [None, str(goal.uuid)]


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("description", {"description": ""}, "Enter a description of the action"),
        ("owner", {"owner": "landlord"}, "Choose who owns the action"),
        ("due_on", {"due_on": dt.date(2026, 3, 1)}, "The due date must be today or in the future"),
        (
            "review_on",
            {"review_on": dt.date(2026, 2, 1)},
            "The review date must be today or in the future",
        ),
        (
            "service",
            {"owner": Owner.PARTNER_SERVICE},
            "Choose the partner service that owns this action",
        ),
        (
            "service",
            {"service_link": ServiceLink.REFERRAL},
            "Choose the service the action signposts or refers to",
        ),
    ],
)
def test_a_bad_action_is_refused_naming_the_field_and_nothing_is_written(
    world: World, field: str, values: dict[str, Any], message: str
) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        _action(world, goal, **values)
    assert _errors(excinfo)[field] == [message]
    assert not GoalAction.objects.exists()
    assert not _events("support.goalaction")


def test_a_service_linked_without_saying_how_is_refused(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        _action(world, goal, service=make_service())
    assert list(_errors(excinfo)) == ["service_link"]


def test_a_partner_service_owning_an_action_needs_no_link(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    action = _action(world, goal, owner=Owner.PARTNER_SERVICE, service=make_service())
    assert action.service_link == ""


def test_a_withdrawn_service_cannot_be_linked(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    with pytest.raises(ValidationError) as excinfo:
        _action(
            world,
            goal,
            service=make_service(name="Closed Hostel", active=False),
            service_link=ServiceLink.REFERRAL,
        )
    assert _errors(excinfo) == {"service": ["Closed Hostel is no longer in the service directory"]}


def test_a_service_not_open_to_the_participant_cannot_be_linked(world: World) -> None:
    goal = make_goal(world.case, world.personas["supervising_officer"])
    elsewhere = make_service(name="Leeds Only", regions=[world.north_west])
    with pytest.raises(ValidationError) as excinfo:
        _action(world, goal, service=elsewhere, service_link=ServiceLink.SIGNPOST)
    assert "Leeds Only is not open to this participant" in _errors(excinfo)["service"][0]


def test_marking_an_action_done_records_today_and_undoing_it_clears_the_day(world: World) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer)
    action = _action(world, goal, due_on=TODAY)
    fields: dict[str, Any] = {
        "description": action.description,
        "owner": action.owner,
        "service": None,
        "service_link": "",
        "due_on": action.due_on,
        "review_on": None,
    }

    changes = services.action_update(
        actor=officer, action=action, status=ActionStatus.DONE, **fields
    )
    action.refresh_from_db()
    assert (action.status, action.completed_on) == (ActionStatus.DONE, TODAY)
    assert changes == {"status": ["to_do", "done"], "completed_on": [None, "2026-03-02"]}

    services.action_update(actor=officer, action=action, status=ActionStatus.IN_PROGRESS, **fields)
    action.refresh_from_db()
    assert action.completed_on is None
    assert len(_events("support.goalaction")) == 3


def test_an_action_cannot_be_completed_in_the_future(world: World) -> None:
    officer = world.personas["supervising_officer"]
    action = _action(world, make_goal(world.case, officer))
    with pytest.raises(ValidationError) as excinfo:
        services.action_update(
            actor=officer,
            action=action,
            description=action.description,
            owner=action.owner,
            service=None,
            service_link="",
            due_on=None,
            review_on=None,
            status=ActionStatus.DONE,
            completed_on=TODAY + dt.timedelta(days=2),
        )
    assert _errors(excinfo) == {"completed_on": ["The date completed cannot be in the future"]}


def test_a_linked_service_stays_linked_after_it_is_withdrawn(world: World) -> None:
    officer = world.personas["supervising_officer"]
    service = make_service(regions=[world.london])
    action = _action(
        world, make_goal(world.case, officer), service=service, service_link=ServiceLink.REFERRAL
    )
    service.active = False
    service.save(update_fields=["active"])

    services.action_update(
        actor=officer,
        action=action,
        description="Still going",
        owner=action.owner,
        service=service,
        service_link=ServiceLink.REFERRAL,
        due_on=None,
        review_on=None,
        status=ActionStatus.IN_PROGRESS,
    )
    action.refresh_from_db()
    assert (action.service, action.description) == (service, "Still going")
