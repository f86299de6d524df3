"""Progress measures: scores checked against the items' ranges (errors naming the item), who may
record, the history page with its chart and table, and the form. A programme's own licensed
measure is loaded as data and recorded without code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from conftest import World
from desist.accounts.access import ParticipantNotFound
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support import services_assessments
from desist.support.instruments import instrument_load
from desist.support.models import MeasureResponse
from desist.support.tests.factories_assessments import (
    NOW,
    OUTSIDERS,
    OWN_MEASURE,
    READERS,
    TODAY,
    allocate,
    measure,
    needs_instrument,
    ons4,
    ons4_scores,
)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def case(world: World) -> World:
    allocate(world)
    return world


def _record(world: World, persona: str = "practitioner", **changes: Any) -> MeasureResponse:
    arguments: dict[str, Any] = {
        "actor": world.personas[persona],
        "participant": world.case,
        "instrument": ons4(),
        "completed_on": TODAY,
        "scores": ons4_scores(),
    }
    return services_assessments.measure_response_record(**(arguments | changes))


def _errors(world: World, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        _record(world, **changes)
    return raised.value.message_dict


# The service ----------------------------------------------------------------------------------


def test_the_practitioner_records_the_ons_wellbeing_scores(case: World) -> None:
    scores = {"anxiety": 3, "happiness": 7, "worthwhile": 8, "life_satisfaction": 6}
    response = _record(case, scores=scores)
    # Stored in the questionnaire's order.
    assert list(response.scores.items()) == [
        ("life_satisfaction", 6),
        ("worthwhile", 8),
        ("happiness", 7),
        ("anxiety", 3),
    ]
    event = AuditEvent.objects.get(entity="support.measureresponse", action=Action.CREATE)
    assert event.participant_ref == str(case.case.uuid)
    assert event.changes["instrument"] == [None, "ons4 v1"]


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        (
            ons4_scores(anxiety=11),
            "scores.anxiety",
            'Anxiety (\'On a scale where 0 is "not at all anxious" and 10 is "completely '
            "anxious\", overall, how anxious did you feel yesterday?'): 11 is outside the range "
            "0 to 10.",
        ),
        (
            ons4_scores(happiness=-1),
            "scores.happiness",
            "Happiness ('Overall, how happy did you feel yesterday?'): -1 is outside the range "
            "0 to 10.",
        ),
        (
            {**ons4_scores(), "worthwhile": 7.5},
            "scores.worthwhile",
            "Worthwhile ('Overall, to what extent do you feel that the things you do in your "
            "life are worthwhile?'): give a whole number from 0 to 10.",
        ),
        (
            {**ons4_scores(), "worthwhile": "7"},
            "scores.worthwhile",
            "Worthwhile ('Overall, to what extent do you feel that the things you do in your "
            "life are worthwhile?'): give a whole number from 0 to 10.",
        ),
        (
            {**ons4_scores(), "worthwhile": True},
            "scores.worthwhile",
            "Worthwhile ('Overall, to what extent do you feel that the things you do in your "
            "life are worthwhile?'): give a whole number from 0 to 10.",
        ),
        (
            {k: v for k, v in ons4_scores().items() if k != "life_satisfaction"},
            "scores.life_satisfaction",
            "Life satisfaction ('Overall, how satisfied are you with your life nowadays?'): give "
            "a score from 0 to 10.",
        ),
        (
            {**ons4_scores(), "mood": 4},
            "scores.mood",
            "'mood': this measure has no such item.",
        ),
    ],
)
def test_a_bad_score_is_refused_naming_the_item(
    case: World, scores: dict[str, Any], field: str, message: str
) -> None:
    assert _errors(case, scores=scores) == {field: [message]}
    assert not MeasureResponse.objects.exists()


def test_a_response_cannot_be_dated_in_the_future(case: World) -> None:
    errors = _errors(case, completed_on=TODAY + dt.timedelta(days=1))
    assert errors == {"completed_on": ["The date of the response cannot be in the future."]}


def test_a_questionnaire_is_not_a_measure(case: World) -> None:
    assert list(_errors(case, instrument=needs_instrument())) == ["instrument"]


def test_police_liaison_may_not_record_and_outsiders_get_not_found(case: World) -> None:
    with pytest.raises(PermissionDenied):
        _record(case, "police_london")
    with pytest.raises(ParticipantNotFound):
        _record(case, "other_provider_practitioner")
    assert not MeasureResponse.objects.exists()


def test_an_organisations_own_licensed_measure_is_recorded_as_loaded(case: World) -> None:
    own = instrument_load(definition=yaml.safe_load(OWN_MEASURE), actor=None).instrument
    assert _record(case, instrument=own, scores={"hope": 4}).scores == {"hope": 4}
    assert _errors(case, instrument=own, scores={"hope": 0}) == {
        "scores.hope": [
            "Hope ('How hopeful do you feel about the future?'): 0 is outside the range 1 to 5."
        ]
    }


# Pages ----------------------------------------------------------------------------------------


def _client(world: World, persona: str) -> Client:
    client = world.client_for(persona)
    session = client.session
    session["access_purposes"] = {str(world.case.uuid): "case_management"}
    session.save()
    return client


def _url(world: World, name: str) -> str:
    return reverse(f"support:{name}", kwargs={"participant_uuid": world.case.uuid})


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_the_history_as_a_chart_and_a_table(case: World, persona: str) -> None:
    officer = case.personas["supervising_officer"]
    measure(officer, case.case, on=dt.date(2026, 1, 5), life_satisfaction=3, anxiety=9)
    measure(officer, case.case, on=dt.date(2026, 2, 23), life_satisfaction=6, anxiety=4)
    response = _client(case, persona).get(_url(case, "measures"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<svg role="img"' in page
    assert "Anxiety (lower is better)" in page
    table = page[page.index("<table") :]
    assert table.index("23 Feb 2026") < table.index("5 Jan 2026")  # newest first
    assert "Office for National Statistics" in page
    assert AuditEvent.objects.filter(action=Action.VIEW, purpose="case_management").exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_police_liaison_and_outsiders_get_not_found_on_measure_pages(
    case: World, persona: str
) -> None:
    client = _client(case, persona)
    assert client.get(_url(case, "measures")).status_code == 404
    assert client.get(_url(case, "measure_create")).status_code == 404
    response = client.post(_url(case, "measure_create") + "?instrument=ons4", {})
    assert response.status_code == 404
    assert not MeasureResponse.objects.exists()


def test_the_practitioner_records_scores_through_the_form(case: World) -> None:
    client = _client(case, "practitioner")
    form = client.get(_url(case, "measure_create"))
    assert form.status_code == 200
    page = form.content.decode()
    assert "Overall, how satisfied are you with your life nowadays?" in page
    assert "0 is not at all anxious, 10 is completely anxious" in page
    data = {
        "completed_on": "2026-03-02",
        "score__life_satisfaction": "6",
        "score__worthwhile": "7",
        "score__happiness": "5",
        "score__anxiety": "2",
    }
    response = client.post(_url(case, "measure_create"), data)
    assert response.status_code == 302
    assert response["Location"] == _url(case, "measures")
    assert MeasureResponse.objects.get().scores["anxiety"] == 2


def test_an_out_of_range_score_is_shown_on_its_field(case: World) -> None:
    data = {
        "completed_on": "2026-03-02",
        "score__life_satisfaction": "6",
        "score__worthwhile": "12",
        "score__happiness": "",
        "score__anxiety": "2",
    }
    response = _client(case, "practitioner").post(_url(case, "measure_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#id_score__happiness">Give a score for Happiness, from 0 to 10</a>' in page
    data["score__happiness"] = "5"
    response = _client(case, "practitioner").post(_url(case, "measure_create"), data)
    assert response.status_code == 400
    assert '<a href="#id_score__worthwhile">Worthwhile (' in response.content.decode()
    assert not MeasureResponse.objects.exists()


def test_with_several_measures_in_use_the_user_chooses(case: World) -> None:
    instrument_load(definition=yaml.safe_load(OWN_MEASURE), actor=None)
    client = _client(case, "practitioner")
    assert "Which measure?" in client.get(_url(case, "measure_create")).content.decode()
    own = client.get(_url(case, "measure_create") + "?instrument=own-measure")
    assert "How hopeful do you feel about the future?" in own.content.decode()
    assert client.get(_url(case, "measure_create") + "?instrument=none").status_code == 404
