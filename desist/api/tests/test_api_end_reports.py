"""/api/v1/end-reports/: the practitioner's end-of-intervention report ends the allocation."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    Scene,
    approved_plan,
    ids,
    make_scene,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.models import EndReport, InterventionPlan, ObjectiveAchievement
from desist.people.constants import Status
from desist.people.models import Participant
from desist.referrals.tests.factories import make_allocation, make_referral

LIST = "/api/v1/end-reports/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def report_body(scene: Scene, plan: InterventionPlan | None, **overrides: Any) -> dict[str, Any]:
    objectives = list(plan.objectives.order_by("position")) if plan else []
    data: dict[str, Any] = {
        "allocation": str(scene.allocation.uuid),
        "conclusion": "completed",
        "summary": "Engaged well throughout; found work.",
        "recommendations": "Keep contact with the mosque's mentoring group.",
        "achievements": [
            {"objective": objective.pk, "achievement": "achieved", "note": ""}
            for objective in objectives
        ],
    }
    data.update(overrides)
    return data


def writes() -> tuple[int, int]:
    return EndReport.objects.count(), AuditEvent.objects.exclude(
        action__in=["view", "list"]
    ).count()


def test_practitioner_submits_the_report_and_the_intervention_ends(scene: Scene) -> None:
    plan = approved_plan(scene)
    response = scene.client("practitioner").post(LIST, report_body(scene, plan), format="json")

    assert response.status_code == 201, response.content
    report = EndReport.objects.get()
    data = response.json()
    assert data["id"] == str(report.uuid)
    assert data["conclusion"] == "completed"
    assert [row["achievement"] for row in data["achievements"]] == ["achieved", "achieved"]
    scene.allocation.refresh_from_db()
    assert scene.allocation.ended_at is not None
    assert Participant.objects.get(pk=scene.world.case.pk).status == Status.ENDED
    event = AuditEvent.objects.get(entity="delivery.endreport", action="create")
    assert event.participant_ref == str(scene.world.case.uuid)
    # With the allocation over, the practitioner no longer sees the participant's records.
    assert results(scene.client("practitioner").get(LIST)) == []
    assert ids(scene.client("supervising_officer").get(LIST)) == {str(report.uuid)}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"conclusion": "ended_early"}, "ended_early_reason"),
        ({"conclusion": "vanished"}, "conclusion"),
        ({"summary": " "}, "summary"),
        ({"achievements": []}, "achievements"),
        ({"achievements": [{"objective": 1, "achievement": "mostly"}]}, "achievements"),
    ],
)
def test_bad_report_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, overrides: dict[str, Any], field: str
) -> None:
    plan = approved_plan(scene)
    before = writes()
    response = scene.client("practitioner").post(
        LIST, report_body(scene, plan, **overrides), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before
    scene.allocation.refresh_from_db()
    assert scene.allocation.ended_at is None


@pytest.mark.parametrize(
    "persona", ["other_provider_practitioner", "supervising_officer", "programme_manager"]
)
def test_only_the_allocated_practitioner_submits(scene: Scene, persona: str) -> None:
    plan = approved_plan(scene)
    before = writes()
    response = scene.client(persona).post(LIST, report_body(scene, plan), format="json")
    assert response.status_code == 404
    assert writes() == before


def submitted(scene: Scene) -> EndReport:
    plan = approved_plan(scene)
    return services.end_report_submit(
        actor=scene.user,
        allocation=scene.allocation,
        conclusion="ended_early",
        ended_early_reason="moved",
        summary="Moved to another area.",
        recommendations="",
        achievements={o.pk: ("partly", "") for o in plan.objectives.all()},
    )


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("supervising_officer", True),
        ("police_london", True),
        ("programme_manager", True),
        ("officer_other_area", False),
        ("practitioner", False),
    ],
)
def test_reports_are_shown_through_the_gate(scene: Scene, persona: str, sees: bool) -> None:
    report = submitted(scene)
    assert ids(scene.client(persona).get(LIST)) == ({str(report.uuid)} if sees else set())


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    report = submitted(scene)
    client = scene.client("supervising_officer")
    assert client.get(f"{LIST}{report.uuid}/").status_code == 400
    response = client.get(f"{LIST}{report.uuid}/", headers=PURPOSE)
    assert response.status_code == 200
    assert response.json()["ended_early_reason"] == "moved"
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))


def test_list_is_audited_and_its_query_count_does_not_grow(scene: Scene) -> None:
    objective = submitted(scene).achievements.first().objective  # type: ignore[union-attr]
    for n in range(9):
        # Earlier interventions of the same participant, each with its own report.
        referral = make_referral(scene.world.case, scene.persona("supervising_officer"))
        allocation = make_allocation(
            referral, scene.practitioner, scene.persona("programme_manager"), ended_at=NOW
        )
        report = EndReport.objects.create(
            allocation=allocation,
            participant=scene.world.case,
            conclusion="completed",
            summary=f"Report {n}",
            submitted_by=scene.user,
            submitted_at=NOW,
        )
        # Something in every prefetched relation, so a missing prefetch would show as N+1.
        ObjectiveAchievement.objects.create(
            report=report, objective=objective, achievement="achieved"
        )
    client = scene.client("supervising_officer")
    one, ten = query_counts(client, LIST)
    assert one == ten
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert event.purpose == "api:end-reports"
    assert ids(client.get(LIST, {"conclusion": "ended_early"})) == {
        str(EndReport.objects.get(conclusion="ended_early").uuid)
    }
