"""/api/v1/plans/: the practitioner proposes, the supervising organisation approves or returns."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    Scene,
    ids,
    make_scene,
    missing_and_forbidden_match,
    propose,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.delivery.constants import PlanStatus
from desist.delivery.models import InterventionPlan, PlanObjective
from desist.notifications.models import Notification

LIST = "/api/v1/plans/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def detail(plan: InterventionPlan, verb: str = "") -> str:
    return f"{LIST}{plan.uuid}/" + (f"{verb}/" if verb else "")


def proposal(scene: Scene, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "allocation": str(scene.allocation.uuid),
        "objectives": ["Find stable work", "Rebuild contact with family"],
        "intervention_types": ["mentoring", "family"],
        "planned_sessions": 8,
        "summary": "Weekly mentoring, then fortnightly.",
    }
    data.update(overrides)
    return data


def writes() -> tuple[int, int, int]:
    return (
        InterventionPlan.objects.count(),
        PlanObjective.objects.count(),
        AuditEvent.objects.exclude(action__in=["view", "list"]).count(),
    )


def test_practitioner_proposes_a_plan_and_the_officer_is_told(scene: Scene) -> None:
    response = scene.client("practitioner").post(LIST, proposal(scene), format="json")

    assert response.status_code == 201, response.content
    plan = InterventionPlan.objects.get()
    data = response.json()
    assert data["id"] == str(plan.uuid)
    assert (data["version"], data["status"]) == (1, PlanStatus.PROPOSED)
    assert [o["description"] for o in data["objectives"]] == [
        "Find stable work",
        "Rebuild contact with family",
    ]
    assert data["participant"] == {"id": str(scene.world.case.uuid), "reference": "CASE-1"}
    event = AuditEvent.objects.get(entity="delivery.interventionplan", action="create")
    assert event.participant_ref == str(scene.world.case.uuid)
    assert Notification.objects.filter(
        recipient=scene.persona("supervising_officer"), kind="plan"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"objectives": []}, "objectives"),
        ({"intervention_types": ["astrology"]}, "intervention_types"),
        ({"planned_sessions": 0}, "planned_sessions"),
        ({"planned_sessions": "lots"}, "planned_sessions"),
    ],
)
def test_bad_plan_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, overrides: dict[str, Any], field: str
) -> None:
    before = writes()
    response = scene.client("practitioner").post(LIST, proposal(scene, **overrides), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_a_second_proposal_waits_for_the_first_decision(scene: Scene) -> None:
    propose(scene)
    before = writes()
    response = scene.client("practitioner").post(LIST, proposal(scene), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["plan"]
    assert writes() == before


@pytest.mark.parametrize(
    "persona", ["other_provider_practitioner", "supervising_officer", "police_london"]
)
def test_only_the_allocated_practitioner_proposes(scene: Scene, persona: str) -> None:
    before = writes()
    response = scene.client(persona).post(LIST, proposal(scene), format="json")
    assert response.status_code == 404
    assert writes() == before


def test_officer_approves_and_the_deadline_is_met(scene: Scene) -> None:
    plan = propose(scene)
    response = scene.client("supervising_officer").post(
        detail(plan, "approve"), {"note": "Agreed."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PlanStatus.APPROVED
    assert response.json()["decision_note"] == "Agreed."
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == scene.persona("supervising_officer")
    event = AuditEvent.objects.filter(entity="delivery.interventionplan").latest("seq")
    assert event.changes["status"] == ["proposed", "approved"]


def test_return_needs_a_note(scene: Scene) -> None:
    plan = propose(scene)
    client = scene.client("supervising_officer")
    before = writes()
    refused = client.post(detail(plan, "return"), {"note": "  "}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["note"]
    assert writes() == before
    returned = client.post(detail(plan, "return"), {"note": "Add a housing goal."}, format="json")
    assert returned.status_code == 200
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED


def test_approving_twice_is_a_400_on_status(scene: Scene) -> None:
    plan = propose(scene)
    client = scene.client("supervising_officer")
    assert client.post(detail(plan, "approve"), {}, format="json").status_code == 200
    again = client.post(detail(plan, "approve"), {}, format="json")
    assert again.status_code == 400
    assert list(again.json()) == ["status"]


@pytest.mark.parametrize(
    ("persona", "verb"),
    [
        ("practitioner", "approve"),
        ("police_london", "approve"),
        ("officer_other_area", "return"),
        ("other_provider_practitioner", "approve"),
    ],
)
def test_decision_by_the_wrong_persona_is_a_404_and_changes_nothing(
    scene: Scene, persona: str, verb: str
) -> None:
    plan = propose(scene)
    before = writes()
    missing_and_forbidden_match(
        scene.client(persona), "post", detail(plan, verb), data={"note": "x"}
    )
    assert writes() == before
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("practitioner", True),
        ("supervising_officer", True),
        ("police_london", True),
        ("programme_manager", True),
        ("other_provider_practitioner", False),
        ("officer_other_area", False),
    ],
)
def test_plans_are_shown_through_the_gate(scene: Scene, persona: str, sees: bool) -> None:
    plan = propose(scene)
    assert ids(scene.client(persona).get(LIST)) == ({str(plan.uuid)} if sees else set())


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    plan = propose(scene)
    client = scene.client("practitioner")
    assert client.get(detail(plan)).status_code == 400
    response = client.get(detail(plan), headers=PURPOSE)
    assert response.status_code == 200
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))


def test_list_is_audited_and_filterable(scene: Scene) -> None:
    plan = propose(scene)
    client = scene.client("supervising_officer")
    assert ids(client.get(LIST, {"status": "proposed"})) == {str(plan.uuid)}
    assert results(client.get(LIST, {"status": "approved"})) == []
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert (event.purpose, event.changes) == ("api:plans", {"shown": [str(scene.world.case.uuid)]})


def test_list_query_count_does_not_grow_with_the_page(scene: Scene) -> None:
    for _ in range(10):
        plan = propose(scene)
        plan.status = PlanStatus.RETURNED
        plan.save(update_fields=["status"])
    one, ten = query_counts(scene.client("supervising_officer"), LIST)
    assert one == ten
