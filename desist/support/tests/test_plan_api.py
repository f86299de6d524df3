"""/api/v1/goals/ and /api/v1/goal-actions/: the development plan through the API, gated to
those who may read support records, audited, with the purpose header on reads of one goal.

Time is frozen at 09:00 UTC on Monday 2 March 2026.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import World
from desist.audit.models import AuditEvent
from desist.support.constants import ActionStatus, GoalStatus, Owner, Pathway
from desist.support.models import Goal, GoalAction
from desist.support.tests.factories_plan import (
    NOW,
    PURPOSE,
    TODAY,
    allocate,
    make_action,
    make_goal,
    make_service,
)

GOALS = "/api/v1/goals/"
ACTIONS = "/api/v1/goal-actions/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def api(world: World, persona: str) -> APIClient:
    client = APIClient()
    client.force_login(world.personas[persona])
    return client


@pytest.fixture
def goal(world: World) -> Goal:
    allocate(world)
    goal = make_goal(world.case, world.personas["supervising_officer"], review_on=TODAY)
    make_action(goal, world.personas["supervising_officer"], due_on=TODAY.replace(day=1))
    make_goal(world.other_case, world.personas["officer_other_area"])
    return goal


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# Reading ------------------------------------------------------------------------------------


def test_goals_are_listed_with_their_actions_and_what_needs_attention(
    world: World, goal: Goal
) -> None:
    response = api(world, "practitioner").get(GOALS)

    [row] = response.json()["results"]
    assert row["id"] == str(goal.uuid)
    assert row["participant"] == {"id": str(world.case.uuid), "reference": "CASE-1"}
    assert (row["pathway"], row["status"], row["review_due"]) == (
        "accommodation",
        "in_progress",
        True,
    )
    [action] = row["actions"]
    assert (action["owner"], action["status"], action["overdue"]) == ("participant", "to_do", True)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("supervising_officer", {"case"}),
        ("programme_manager", {"case", "other"}),
        ("practitioner", {"case"}),
        ("police_london", set()),  # sees the participant, not their plan
        ("other_provider_practitioner", set()),
        ("officer_other_area", {"other"}),
    ],
)
def test_the_list_holds_only_goals_the_caller_may_read(
    world: World, goal: Goal, persona: str, visible: set[str]
) -> None:
    other = Goal.objects.get(participant=world.other_case)
    names = {str(goal.uuid): "case", str(other.uuid): "other"}
    assert {names[i] for i in _ids(api(world, persona).get(GOALS))} == visible


def test_the_list_is_audited_naming_the_participants_shown(world: World, goal: Goal) -> None:
    api(world, "supervising_officer").get(GOALS)
    event = AuditEvent.objects.get(action="list")
    assert str(world.case.uuid) in str(event.changes)


def test_reading_one_goal_needs_a_purpose_and_records_it(world: World, goal: Goal) -> None:
    client = api(world, "practitioner")
    url = f"{GOALS}{goal.uuid}/"

    assert client.get(url).status_code == 400
    response = client.get(url, headers=PURPOSE)

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="view")
    assert (event.participant_ref, event.purpose) == (str(world.case.uuid), "case_management")


@pytest.mark.parametrize("persona", ["police_london", "other_provider_practitioner"])
def test_a_goal_the_caller_may_not_read_is_the_same_not_found_as_a_missing_one(
    world: World, goal: Goal, persona: str
) -> None:
    client = api(world, persona)
    real = client.get(f"{GOALS}{goal.uuid}/", headers=PURPOSE)
    fake = client.get(f"{GOALS}{uuid.uuid4()}/", headers=PURPOSE)
    assert real.status_code == fake.status_code == 404
    assert real.content == fake.content


# Writing ------------------------------------------------------------------------------------


def test_the_allocated_practitioner_adds_a_goal(world: World) -> None:
    allocate(world)
    response = api(world, "practitioner").post(
        GOALS,
        {
            "participant": str(world.case.uuid),
            "pathway": Pathway.FAMILIES,
            "description": "See my daughter every month",
            "review_on": "2026-04-01",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    goal = Goal.objects.get()
    assert response.json()["id"] == str(goal.uuid)
    assert (goal.pathway, goal.status) == (Pathway.FAMILIES, GoalStatus.NOT_STARTED)
    assert AuditEvent.objects.get(entity="support.goal").participant_ref == str(world.case.uuid)


def test_a_bad_goal_is_a_400_naming_the_field(world: World) -> None:
    response = api(world, "supervising_officer").post(
        GOALS,
        {
            "participant": str(world.case.uuid),
            "pathway": Pathway.FAMILIES,
            "description": "",
            "review_on": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "description": ["Enter a description of the goal"],
        "review_on": ["The review date must be today or in the future"],
    }
    assert not Goal.objects.exists()


@pytest.mark.parametrize("persona", ["police_london", "officer_other_area", "analyst"])
def test_those_who_may_not_write_the_plan_get_not_found(world: World, persona: str) -> None:
    response = api(world, persona).post(
        GOALS,
        {"participant": str(world.case.uuid), "pathway": "finance", "description": "Budget"},
        format="json",
    )
    assert response.status_code == 404
    assert not Goal.objects.exists()


def test_a_goal_is_marked_achieved_with_its_date_by_patch(world: World, goal: Goal) -> None:
    client = api(world, "supervising_officer")

    refused = client.patch(f"{GOALS}{goal.uuid}/", {"status": "achieved"}, format="json")
    response = client.patch(
        f"{GOALS}{goal.uuid}/",
        {"status": "achieved", "achieved_on": "2026-03-01", "celebration": "Moved in!"},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json() == {"achieved_on": ["Enter the date the goal was achieved"]}
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["achieved_on"], data["celebration"]) == (
        "achieved",
        "2026-03-01",
        "Moved in!",
    )
    # What was not sent stayed as it was.
    assert data["description"] == goal.description


def test_an_action_referring_to_a_service_is_added_and_changed(world: World, goal: Goal) -> None:
    service = make_service(regions=[world.london])
    client = api(world, "practitioner")

    created = client.post(
        ACTIONS,
        {
            "goal": str(goal.uuid),
            "description": "Referral to the housing team",
            "owner": Owner.PRACTITIONER,
            "service": str(service.uuid),
            "service_link": "referral",
            "due_on": "2026-03-16",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    action = GoalAction.objects.get(description="Referral to the housing team")
    assert created.json()["service"] == {
        "id": str(service.uuid),
        "code": service.code,
        "name": service.name,
    }

    done = client.patch(f"{ACTIONS}{action.uuid}/", {"status": "done"}, format="json")

    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["completed_on"]) == ("done", "2026-03-02")
    action.refresh_from_db()
    assert (action.status, action.service) == (ActionStatus.DONE, service)
    assert AuditEvent.objects.filter(entity="support.goalaction").count() == 2


def test_an_action_for_a_partner_service_needs_the_service(world: World, goal: Goal) -> None:
    response = api(world, "supervising_officer").post(
        ACTIONS,
        {"goal": str(goal.uuid), "description": "Assessment", "owner": "partner_service"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"service": ["Choose the partner service that owns this action"]}


def test_an_unknown_service_is_a_400_on_the_service_field(world: World, goal: Goal) -> None:
    response = api(world, "supervising_officer").post(
        ACTIONS,
        {
            "goal": str(goal.uuid),
            "description": "Assessment",
            "owner": "partner_service",
            "service": str(uuid.uuid4()),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"service": ["No service in the directory has this id"]}


def test_actions_cannot_be_added_to_a_goal_the_caller_may_not_see(world: World, goal: Goal) -> None:
    response = api(world, "other_provider_practitioner").post(
        ACTIONS,
        {"goal": str(goal.uuid), "description": "Anything", "owner": "participant"},
        format="json",
    )
    assert response.status_code == 404
    assert GoalAction.objects.count() == 1


def test_the_police_liaison_cannot_change_an_action(world: World, goal: Goal) -> None:
    action = GoalAction.objects.get()
    response = api(world, "police_london").patch(
        f"{ACTIONS}{action.uuid}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.TO_DO
