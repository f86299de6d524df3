"""/api/v1/measure-responses/: gate-narrowed to support relationships, reads audited, scores
checked against the items' ranges with errors naming the item."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import World
from desist.api.tests.factories_api import api_for, results
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support.instruments import instrument_load
from desist.support.models import MeasureResponse
from desist.support.tests.factories_assessments import (
    NOW,
    OWN_MEASURE,
    PURPOSE,
    allocate,
    measure,
    ons4_scores,
)

LIST = "/api/v1/measure-responses/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def case(world: World) -> World:
    allocate(world)
    return world


def _body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "participant": str(world.case.uuid),
        "instrument": "ons4",
        "completed_on": "2026-03-02",
        "scores": ons4_scores(anxiety=2),
    }
    return body | changes


def test_the_supervising_officer_records_wellbeing_scores(case: World) -> None:
    response = api_for(case, "supervising_officer").post(LIST, _body(case), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["scores"]["anxiety"] == 2
    assert (data["instrument"]["key"], data["instrument"]["version"]) == ("ons4", 1)
    assert MeasureResponse.objects.get().recorded_by == case.personas["supervising_officer"]


def test_an_out_of_range_score_is_a_400_naming_the_item(case: World) -> None:
    body = _body(case, scores=ons4_scores(life_satisfaction=15))
    response = api_for(case, "practitioner").post(LIST, body, format="json")
    assert response.status_code == 400
    (message,) = response.json()["scores.life_satisfaction"]
    assert message.startswith("Life satisfaction ('Overall, how satisfied are you")
    assert message.endswith("15 is outside the range 0 to 10.")
    assert not MeasureResponse.objects.exists()


def test_an_organisations_own_measure_is_recorded_by_its_key(case: World) -> None:
    instrument_load(definition=yaml.safe_load(OWN_MEASURE), actor=None)
    body = _body(case, instrument="own-measure", scores={"hope": 5})
    response = api_for(case, "practitioner").post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["scores"] == {"hope": 5}


@pytest.mark.parametrize("persona", ["police_london", "other_provider_practitioner", "no_roles"])
def test_who_may_not_record_gets_404(case: World, persona: str) -> None:
    response = api_for(case, persona).post(LIST, _body(case), format="json")
    assert response.status_code == 404
    assert not MeasureResponse.objects.exists()


def test_lists_are_narrowed_and_audited_and_one_read_needs_a_purpose(case: World) -> None:
    pm = case.personas["programme_manager"]
    mine = measure(pm, case.case)
    measure(pm, case.other_case)
    client = api_for(case, "practitioner")
    assert [row["id"] for row in results(client.get(LIST))] == [str(mine.uuid)]
    assert AuditEvent.objects.filter(action=Action.LIST, purpose="api:measure-responses").exists()
    assert results(api_for(case, "police_london").get(LIST)) == []
    assert client.get(f"{LIST}{mine.uuid}/").status_code == 400
    response = client.get(f"{LIST}{mine.uuid}/", headers=PURPOSE)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=Action.VIEW, purpose="case_management").exists()
    assert (
        api_for(case, "police_london").get(f"{LIST}{mine.uuid}/", headers=PURPOSE).status_code
        == 404
    )
