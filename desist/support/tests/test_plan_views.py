"""Development plan pages through the Django test client, with the shared personas.

Time is frozen at 09:00 UTC on Monday 2 March 2026.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import World
from desist.audit.models import AuditEvent
from desist.support.constants import ActionStatus, EligibleSex, GoalStatus, Owner, Pathway
from desist.support.models import Goal, GoalAction
from desist.support.tests.factories_plan import (
    NOW,
    TODAY,
    allocate,
    client_for,
    make_action,
    make_goal,
    make_service,
)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def _url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"support:{name}", kwargs={"participant_uuid": world.case.uuid, **kwargs})


def _pages(world: World, goal: Goal, action: GoalAction) -> list[str]:
    return [
        _url(world, "plan"),
        _url(world, "goal_create"),
        _url(world, "goal_detail", goal_uuid=goal.uuid),
        _url(world, "goal_edit", goal_uuid=goal.uuid),
        _url(world, "goal_achieve", goal_uuid=goal.uuid),
        _url(world, "action_create", goal_uuid=goal.uuid),
        _url(world, "action_edit", action_uuid=action.uuid),
    ]


@pytest.fixture
def plan(world: World) -> tuple[Goal, GoalAction]:
    allocate(world)
    goal = make_goal(world.case, world.personas["supervising_officer"])
    return goal, make_action(goal, world.personas["supervising_officer"])


# Who may see and change the plan -----------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["police_london", "other_provider_practitioner", "officer_other_area", "analyst"]
)
def test_those_outside_support_get_the_same_not_found_on_every_plan_page(
    world: World, plan: tuple[Goal, GoalAction], persona: str
) -> None:
    client = client_for(world, persona)
    missing = client.get(_url(world, "goal_detail", goal_uuid=uuid.uuid4()))
    for url in _pages(world, *plan):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.content == missing.content
        # 405 (a read-only page) is the same for everybody and every record.
        assert client.post(url, {"description": "x"}).status_code in (404, 405)
    assert Goal.objects.count() == 1


def test_police_liaison_sees_the_participant_but_not_the_plan(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    client = client_for(world, "police_london")
    assert client.get(reverse("people:detail", args=[world.case.uuid])).status_code == 200
    assert client.get(_url(world, "plan")).status_code == 404


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "programme_manager", "practitioner"]
)
def test_those_who_work_with_the_person_read_and_change_the_plan(
    world: World, plan: tuple[Goal, GoalAction], persona: str
) -> None:
    client = client_for(world, persona)
    for url in _pages(world, *plan):
        assert client.get(url).status_code == 200, url
    assert "Add a goal" in client.get(_url(world, "plan")).content.decode()


def test_an_involved_agency_reads_the_plan_without_the_means_to_change_it(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    world.case.agencies.add(world.probation_nw)
    client = client_for(world, "officer_other_area")
    goal, _ = plan

    page = client.get(_url(world, "plan"))

    assert page.status_code == 200
    assert "Add a goal" not in page.content.decode()
    assert "Change the goal" not in page.content.decode()
    assert client.get(_url(world, "goal_edit", goal_uuid=goal.uuid)).status_code == 404
    assert client.post(_url(world, "goal_create"), {"pathway": "finance"}).status_code == 404


def test_a_goal_of_another_participant_is_not_found_under_this_one(world: World) -> None:
    other = make_goal(world.other_case, world.personas["programme_manager"])
    client = client_for(world, "programme_manager")
    assert client.get(_url(world, "goal_detail", goal_uuid=other.uuid)).status_code == 404


# Viewing is recorded with its purpose -------------------------------------------------------


def test_viewing_the_plan_records_the_view_with_its_purpose(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    client_for(world, "practitioner").get(_url(world, "plan"))
    event = AuditEvent.objects.get(action="view")
    assert (event.actor_id, event.participant_ref, event.purpose) == (
        world.personas["practitioner"].pk,
        str(world.case.uuid),
        "case_management",
    )


def test_without_a_purpose_the_plan_asks_for_one_first(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    response = world.client_for("supervising_officer").get(_url(world, "plan"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:purpose", args=[world.case.uuid]))
    assert not AuditEvent.objects.filter(action="view").exists()


# The plan page -----------------------------------------------------------------------------


def test_the_plan_groups_goals_by_pathway_and_celebrates_achieved_ones(world: World) -> None:
    officer = world.personas["supervising_officer"]
    make_goal(world.case, officer, pathway=Pathway.FINANCE, description="Open a bank account")
    make_goal(
        world.case,
        officer,
        pathway=Pathway.ACCOMMODATION,
        description="Move into the flat",
        status=GoalStatus.ACHIEVED,
        achieved_on=dt.date(2026, 2, 20),
        celebration="First home of my own",
    )

    body = client_for(world, "supervising_officer").get(_url(world, "plan")).content.decode()

    assert "govuk-panel--confirmation" in body
    assert "1 goal achieved" in body
    assert "First home of my own" in body
    # Pathways in their usual order: accommodation before finance.
    assert body.index(">Accommodation</h2>") < body.index(">Finance, benefits and debt</h2>")


def test_overdue_actions_and_goals_due_for_review_need_attention(world: World) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer, review_on=TODAY, description="Stay sober")
    make_action(goal, officer, description="Book the key worker", due_on=TODAY - dt.timedelta(1))
    make_action(
        goal,
        officer,
        description="Done already",
        due_on=TODAY - dt.timedelta(5),
        status=ActionStatus.DONE,
        completed_on=TODAY - dt.timedelta(6),
    )

    body = client_for(world, "supervising_officer").get(_url(world, "plan")).content.decode()

    attention = body[body.index('id="attention"') : body.index('id="pathway-')]
    assert "1 action overdue" in attention
    assert "Book the key worker" in attention
    assert "Done already" not in attention
    assert "1 goal due for review" in attention
    assert "Stay sober" in attention
    assert body.count(">Overdue</strong>") == 1


def test_the_plan_page_costs_the_same_queries_however_many_goals(world: World) -> None:
    officer = world.personas["supervising_officer"]
    client = client_for(world, "supervising_officer")
    goal = make_goal(world.case, officer)
    make_action(
        goal, officer, service=make_service(regions=[world.london]), service_link="signpost"
    )
    client.get(_url(world, "plan"))
    with CaptureQueriesContext(connection) as one:
        client.get(_url(world, "plan"))
    for number in range(5):
        more = make_goal(world.case, officer, pathway=Pathway.FAMILIES)
        make_action(
            more,
            officer,
            service=make_service(f"service-{number}", regions=[world.london]),
            service_link="referral",
        )
    with CaptureQueriesContext(connection) as six:
        client.get(_url(world, "plan"))
    assert len(six.captured_queries) == len(one.captured_queries)


# Changing the plan -------------------------------------------------------------------------


def test_the_allocated_practitioner_adds_a_goal_on_the_page(world: World) -> None:
    allocate(world)
    client = client_for(world, "practitioner")

    response = client.post(
        _url(world, "goal_create"),
        {
            "pathway": Pathway.EDUCATION_EMPLOYMENT,
            "description": "Get a CSCS card",
            "status": GoalStatus.NOT_STARTED,
            "review_on": "2026-04-01",
        },
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url(world, "goal_detail", goal_uuid=goal.uuid)
    assert (goal.created_by, goal.review_on) == (
        world.personas["practitioner"],
        dt.date(2026, 4, 1),
    )
    assert AuditEvent.objects.filter(entity="support.goal", action="create").count() == 1


def test_a_goal_form_with_mistakes_names_each_field_in_the_error_summary(world: World) -> None:
    response = client_for(world, "supervising_officer").post(
        _url(world, "goal_create"),
        {"pathway": "", "description": "", "status": "not_started", "review_on": "2026-02-01"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_pathway">Choose the pathway the goal is on</a>' in body
    assert '<a href="#id_description">Enter a description of the goal</a>' in body
    assert not Goal.objects.exists()


def test_a_review_date_in_the_past_is_shown_on_its_field(world: World) -> None:
    response = client_for(world, "supervising_officer").post(
        _url(world, "goal_create"),
        {
            "pathway": "finance",
            "description": "Budget",
            "status": "not_started",
            "review_on": "2026-02-01",
        },
    )
    assert response.status_code == 400
    assert '<a href="#id_review_on">The review date must be today or in the future</a>' in (
        response.content.decode()
    )


def test_marking_a_goal_achieved_on_the_page_celebrates_it(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    goal, _ = plan
    client = client_for(world, "practitioner")

    response = client.post(
        _url(world, "goal_achieve", goal_uuid=goal.uuid),
        {"achieved_on": "2026-03-02", "celebration": "Signed the tenancy"},
        follow=True,
    )

    body = response.content.decode()
    assert "Goal achieved: Accommodation. Well done!" in body
    assert "Signed the tenancy" in body
    goal.refresh_from_db()
    assert (goal.status, goal.achieved_on) == (GoalStatus.ACHIEVED, TODAY)


def test_the_achieved_form_asks_for_the_date(world: World, plan: tuple[Goal, GoalAction]) -> None:
    goal, _ = plan
    response = client_for(world, "supervising_officer").post(
        _url(world, "goal_achieve", goal_uuid=goal.uuid), {"achieved_on": "", "celebration": ""}
    )
    assert response.status_code == 400
    assert "Enter the date the goal was achieved" in response.content.decode()


def _service_options(body: str) -> list[str]:
    select = body[
        body.index('name="service"') : body.index("</select>", body.index('name="service"'))
    ]
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select)


def test_the_action_form_offers_services_on_the_pathway_open_to_the_participant(
    world: World,
) -> None:
    # world.case: London, born 17 May 1990 (35 today), sex not recorded.
    goal = make_goal(world.case, world.personas["supervising_officer"])
    make_service("local", name="London Housing", regions=[world.london])
    make_service("national", name="National Housing Line", national=True)
    make_service("north-west", name="North West Housing", regions=[world.north_west])
    make_service("money", name="Money Advice", pathways=[Pathway.FINANCE], national=True)
    make_service("women", name="Women's Housing", eligible_sex=EligibleSex.FEMALE, national=True)
    make_service("young", name="Young People's Housing", max_age=25, national=True)
    make_service("closed", name="Closed Hostel", national=True, active=False)

    body = (
        client_for(world, "supervising_officer")
        .get(_url(world, "action_create", goal_uuid=goal.uuid))
        .content.decode()
    )

    assert _service_options(body) == ["London Housing", "National Housing Line"]


def test_an_action_for_a_partner_service_without_the_service_is_refused_on_its_field(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    goal, _ = plan
    response = client_for(world, "practitioner").post(
        _url(world, "action_create", goal_uuid=goal.uuid),
        {"description": "Housing team to assess", "owner": Owner.PARTNER_SERVICE},
    )
    assert response.status_code == 400
    assert '<a href="#id_service">Choose the partner service that owns this action</a>' in (
        response.content.decode()
    )
    assert GoalAction.objects.count() == 1


def test_an_action_referring_to_a_service_is_added_on_the_page(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    goal, _ = plan
    service = make_service(name="Shelter London", regions=[world.london])
    response = client_for(world, "supervising_officer").post(
        _url(world, "action_create", goal_uuid=goal.uuid),
        {
            "description": "Refer to Shelter",
            "owner": Owner.SUPERVISING_OFFICER,
            "service": str(service.uuid),
            "service_link": "referral",
            "due_on": "2026-03-09",
        },
        follow=True,
    )
    action = GoalAction.objects.get(description="Refer to Shelter")
    assert (action.service, action.service_link, action.due_on) == (
        service,
        "referral",
        dt.date(2026, 3, 9),
    )
    assert "Shelter London</a> (referred)" in response.content.decode()


def test_marking_an_action_done_on_the_page_records_today(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    _, action = plan
    response = client_for(world, "practitioner").post(
        _url(world, "action_edit", action_uuid=action.uuid),
        {
            "description": action.description,
            "owner": action.owner,
            "service": "",
            "service_link": "",
            "due_on": "",
            "review_on": "",
            "status": ActionStatus.DONE,
            "completed_on": "",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.completed_on) == (ActionStatus.DONE, TODAY)


# The admin ----------------------------------------------------------------------------------


def test_the_admin_shows_goals_as_workflow_state_only_and_changes_nothing(
    world: World, plan: tuple[Goal, GoalAction]
) -> None:
    goal, action = plan
    client = world.client_for("administrator")

    page = client.get(f"/admin/support/goal/{goal.pk}/change/")
    action_page = client.get(f"/admin/support/goalaction/{action.pk}/change/")

    assert page.status_code == action_page.status_code == 200
    assert str(goal.uuid) in page.content.decode()
    assert goal.description not in page.content.decode()
    assert "Accommodation" not in page.content.decode()
    assert action.description not in action_page.content.decode()
    assert client.post(f"/admin/support/goal/{goal.pk}/delete/").status_code == 403
    assert client.get("/admin/support/goal/add/").status_code == 403
    assert Goal.objects.count() == 1


def test_changing_an_action_keeps_its_service_on_offer_even_once_withdrawn(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer)
    service = make_service(name="Closing Hostel", regions=[world.london], active=False)
    action = make_action(goal, officer, service=service, service_link="referral")

    body = (
        client_for(world, "supervising_officer")
        .get(_url(world, "action_edit", action_uuid=action.uuid))
        .content.decode()
    )

    assert f'<option value="{service.uuid}" selected>Closing Hostel</option>' in body
