"""/api/v1/assessments/: gate-narrowed to support relationships, reads audited with the purpose
header, creation through the service with errors naming the pathway and question."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import World
from desist.api.tests.factories_api import api_for, results
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support.models import Assessment
from desist.support.tests.factories_assessments import (
    NOW,
    PURPOSE,
    allocate,
    assess,
    needs_instrument,
    pathways_payload,
)

LIST = "/api/v1/assessments/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def case(world: World) -> World:
    allocate(world)
    return world


def _client(world: World, persona: str) -> APIClient:
    return api_for(world, persona)


def _body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "participant": str(world.case.uuid),
        "instrument": "needs-assessment",
        "assessed_on": "2026-03-01",
        "summary": "Agreed.",
        "pathways": pathways_payload(needs_instrument(), {"finance": "high"}),
    }
    return body | changes


def test_the_practitioner_records_an_assessment(case: World) -> None:
    response = _client(case, "practitioner").post(LIST, _body(case), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assessment = Assessment.objects.get()
    assert data["id"] == str(assessment.uuid)
    assert data["participant"] == {"id": str(case.case.uuid), "reference": "CASE-1"}
    assert data["instrument"]["key"] == "needs-assessment"
    assert {p["pathway"]: p["need_level"] for p in data["pathways"]}["finance"] == "high"
    assert "Zebedee" not in response.content.decode()
    event = AuditEvent.objects.get(entity="support.assessment", action=Action.CREATE)
    assert event.actor_id == case.personas["practitioner"].pk


def test_a_bad_answer_is_a_400_naming_the_pathway_and_question(case: World) -> None:
    body = _body(case)
    body["pathways"][0]["answers"]["settled"] = "perhaps"
    response = _client(case, "practitioner").post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["accommodation.answers.settled"]
    assert "Accommodation" in response.json()["accommodation.answers.settled"][0]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instrument": "no-such-questionnaire"}, "instrument"),
        ({"instrument": "ons4"}, "instrument"),
        ({"assessed_on": "2026-03-03"}, "assessed_on"),
        ({"assessed_on": "yesterday"}, "assessed_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    case: World, changes: dict[str, Any], field: str
) -> None:
    response = _client(case, "practitioner").post(LIST, _body(case, **changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "persona", ["police_london", "other_provider_practitioner", "analyst", "officer_other_area"]
)
def test_who_may_not_record_gets_404_and_nothing_is_written(case: World, persona: str) -> None:
    response = _client(case, persona).post(LIST, _body(case), format="json")
    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_lists_hold_only_support_caseload_rows_and_are_audited(case: World) -> None:
    pm = case.personas["programme_manager"]
    mine = assess(pm, case.case)
    assess(pm, case.other_case)
    rows = results(_client(case, "practitioner").get(LIST))
    assert [row["id"] for row in rows] == [str(mine.uuid)]
    event = AuditEvent.objects.get(action=Action.LIST, purpose="api:assessments")
    assert event.changes["shown"] == [str(case.case.uuid)]
    assert results(_client(case, "police_london").get(LIST)) == []
    assert len(results(_client(case, "programme_manager").get(LIST))) == 2


def test_the_list_filters_by_participant(case: World) -> None:
    pm = case.personas["programme_manager"]
    assess(pm, case.case)
    other = assess(pm, case.other_case)
    rows = results(
        _client(case, "programme_manager").get(LIST, {"participant": str(case.other_case.uuid)})
    )
    assert [row["id"] for row in rows] == [str(other.uuid)]


def test_reading_one_needs_a_purpose_and_is_audited(case: World) -> None:
    assessment = assess(case.personas["programme_manager"], case.case)
    client = _client(case, "supervising_officer")
    url = f"{LIST}{assessment.uuid}/"
    assert client.get(url).status_code == 400
    response = client.get(url, headers=PURPOSE)
    assert response.status_code == 200
    assert response.json()["summary"] == "Agreed with the participant."
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.participant_ref, event.purpose) == (str(case.case.uuid), "case_management")


@pytest.mark.parametrize("persona", ["police_london", "other_provider_practitioner"])
def test_one_assessment_is_the_same_404_as_a_missing_one(case: World, persona: str) -> None:
    assessment = assess(case.personas["programme_manager"], case.case)
    client = _client(case, persona)
    real = client.get(f"{LIST}{assessment.uuid}/", headers=PURPOSE)
    fake = client.get(f"{LIST}{uuid.uuid4()}/", headers=PURPOSE)
    assert real.status_code == fake.status_code == 404
    assert real.content == fake.content
