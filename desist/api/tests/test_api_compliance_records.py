"""/api/v1/compliance-records/: opened by an unacceptable absence, decided by the supervising
organisation."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    Scene,
    at,
    book,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.models import ComplianceRecord

LIST = "/api/v1/compliance-records/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world, mandatory=True)


def missed(scene: Scene, day: int = 1, hour: int = 10) -> ComplianceRecord:
    session = book(scene, at(day, hour))
    services.session_record_outcome(
        actor=scene.user,
        session=session,
        outcome="did_not_attend",
        absence="unacceptable",
        absence_reason="Did not answer the phone.",
    )
    return ComplianceRecord.objects.get(session=session)


def detail(record: ComplianceRecord, verb: str = "") -> str:
    return f"{LIST}{record.uuid}/" + (f"{verb}/" if verb else "")


def writes() -> tuple[int, int]:
    return (
        ComplianceRecord.objects.exclude(decision="").count(),
        AuditEvent.objects.exclude(action__in=["view", "list"]).count(),
    )


def test_officer_records_a_decision_and_it_is_audited(scene: Scene) -> None:
    record = missed(scene)
    response = scene.client("supervising_officer").post(
        detail(record, "decision"),
        {"decision": "warning", "reason": "First missed session; warned by phone."},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["decision"], data["decided_by"]) == ("warning", "so")
    record.refresh_from_db()
    assert record.decision == "warning"
    assert record.decided_by == scene.persona("supervising_officer")
    event = AuditEvent.objects.filter(entity="delivery.compliancerecord").latest("seq")
    assert event.action == "update"
    assert event.changes["decision"] == [None, "warning"]
    assert event.participant_ref == str(scene.world.case.uuid)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "flogging", "reason": "x"}, "decision"),
        ({"decision": "no_action", "reason": " "}, "reason"),
        ({"reason": "x"}, "decision"),
    ],
)
def test_bad_decision_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, data: dict[str, Any], field: str
) -> None:
    record = missed(scene)
    before = writes()
    response = scene.client("supervising_officer").post(
        detail(record, "decision"), data, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_deciding_twice_is_refused(scene: Scene) -> None:
    record = missed(scene)
    client = scene.client("supervising_officer")
    decision = {"decision": "no_action", "reason": "Was in hospital."}
    assert client.post(detail(record, "decision"), decision, format="json").status_code == 200
    again = client.post(detail(record, "decision"), decision, format="json")
    assert again.status_code == 400


@pytest.mark.parametrize(
    "persona",
    ["practitioner", "police_london", "officer_other_area", "other_provider_practitioner"],
)
def test_decision_by_the_wrong_persona_is_a_404_and_changes_nothing(
    scene: Scene, persona: str
) -> None:
    record = missed(scene)
    before = writes()
    missing_and_forbidden_match(
        scene.client(persona),
        "post",
        detail(record, "decision"),
        data={"decision": "warning", "reason": "x"},
    )
    assert writes() == before


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("supervising_officer", True),
        ("practitioner", True),
        ("police_london", True),
        ("programme_manager", True),
        ("other_provider_practitioner", False),
        ("officer_other_area", False),
    ],
)
def test_records_are_shown_through_the_gate(scene: Scene, persona: str, sees: bool) -> None:
    record = missed(scene)
    assert ids(scene.client(persona).get(LIST)) == ({str(record.uuid)} if sees else set())


def test_list_filters_by_decided_and_is_audited(scene: Scene) -> None:
    record = missed(scene)
    client = scene.client("supervising_officer")
    assert ids(client.get(LIST, {"decided": "false"})) == {str(record.uuid)}
    assert results(client.get(LIST, {"decided": "true"})) == []
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert event.purpose == "api:compliance-records"


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    record = missed(scene)
    client = scene.client("supervising_officer")
    assert client.get(detail(record)).status_code == 400
    response = client.get(detail(record), headers=PURPOSE)
    assert response.status_code == 200
    assert response.json()["stage"] == record.stage
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))


def test_list_query_count_does_not_grow_with_the_page(scene: Scene) -> None:
    for n in range(1, 11):
        missed(scene, day=1, hour=6 + n)
    one, ten = query_counts(scene.client("supervising_officer"), LIST)
    assert one == ten
