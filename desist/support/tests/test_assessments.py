"""Needs and strengths assessments: the service's checks against the questionnaire, who may
record, and the pages (latest and history, detail, the form), with the shared personas.

world.case is allocated to the world's practitioner. Time is frozen at 09:00 UTC on Monday
2 March 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from conftest import World
from desist.accounts.access import ParticipantNotFound
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support import services_assessments
from desist.support.constants import Pathway
from desist.support.instruments import instrument_load
from desist.support.models import Assessment, Instrument, PathwayAssessment
from desist.support.tests.factories_assessments import (
    NOW,
    OUTSIDERS,
    OWN_QUESTIONNAIRE,
    READERS,
    TODAY,
    allocate,
    assess,
    needs_instrument,
    ons4,
    pathways_payload,
)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def case(world: World) -> World:
    allocate(world)
    return world


def _record(world: World, persona: str = "practitioner", **changes: Any) -> Assessment:
    instrument = changes.pop("instrument", None) or needs_instrument()
    arguments: dict[str, Any] = {
        "actor": world.personas[persona],
        "participant": world.case,
        "instrument": instrument,
        "assessed_on": TODAY,
        "summary": "Agreed.",
        "pathways": pathways_payload(instrument),
    }
    return services_assessments.assessment_record(**(arguments | changes))


def _errors(world: World, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        _record(world, **changes)
    return raised.value.message_dict


def _with(world: World, pathway: str, **entry: Any) -> list[dict[str, Any]]:
    payload = pathways_payload(needs_instrument())
    for row in payload:
        if row["pathway"] == pathway:
            row.update(entry)
    return payload


def _writes() -> tuple[int, int, int]:
    return (
        Assessment.objects.count(),
        PathwayAssessment.objects.count(),
        AuditEvent.objects.exclude(action__in=[Action.VIEW, Action.LIST]).count(),
    )


# The service ----------------------------------------------------------------------------------


def test_the_allocated_practitioner_records_an_assessment_of_every_pathway(case: World) -> None:
    levels = {"accommodation": "high", "finance": "medium", "identity": "none"}
    payload = pathways_payload(needs_instrument(), levels)
    payload[0]["answers"] |= {"living_now": "approved_premises", "help": "  A tenancy.  "}
    assessment = _record(case, pathways=payload)

    entries = {p.pathway: p for p in assessment.pathways.all()}
    assert list(entries) == list(Pathway.values)
    assert entries["accommodation"].need_level == "high"
    assert entries["accommodation"].answers == {
        "settled": "yes",
        "living_now": "approved_premises",
        "help": "A tenancy.",
    }
    assert entries["finance"].strengths == "Strengths on finance."
    assert assessment.recorded_by == case.personas["practitioner"]
    event = AuditEvent.objects.get(entity="support.assessment", action=Action.CREATE)
    assert event.participant_ref == str(case.case.uuid)
    assert event.changes["instrument"] == [None, "needs-assessment v1"]


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "programme_manager"]
)
def test_supervision_and_the_programme_team_record_assessments(case: World, persona: str) -> None:
    assert _record(case, persona).recorded_by == case.personas[persona]


def test_yes_and_no_may_be_given_as_true_and_false(case: World) -> None:
    payload = _with(case, "finance", answers={"income": True, "debt": False})
    entry = _record(case, pathways=payload).pathways.get(pathway="finance")
    assert entry.answers == {"income": "yes", "debt": "no"}


def test_a_bad_answer_is_refused_naming_the_pathway_and_the_question(case: World) -> None:
    before = _writes()
    errors = _errors(case, pathways=_with(case, "accommodation", answers={"settled": "maybe"}))
    assert errors == {
        "accommodation.answers.settled": [
            "Accommodation, 'Do they have somewhere settled to live for at least the next three "
            "months?': answer yes or no."
        ]
    }
    assert _writes() == before


def test_a_choice_outside_the_options_is_refused_listing_them(case: World) -> None:
    answers = {"settled": "no", "living_now": "castle"}
    errors = _errors(case, pathways=_with(case, "accommodation", answers=answers))
    (message,) = errors["accommodation.answers.living_now"]
    assert message.startswith("Accommodation, 'Where are they living now?': choose one of")
    assert "Approved premises" in message


def test_a_required_question_left_blank_is_refused(case: World) -> None:
    errors = _errors(case, pathways=_with(case, "finance", answers={"income": " "}))
    assert errors == {
        "finance.answers.income": [
            "Finance, benefits and debt, 'Do they have a regular income (wages or benefits)?': "
            "answer this question."
        ]
    }


def test_an_answer_to_a_question_the_pathway_does_not_ask_is_refused(case: World) -> None:
    answers = {"registered_gp": "yes", "shoe_size": "9"}
    errors = _errors(case, pathways=_with(case, "physical_health", answers=answers))
    assert errors == {
        "physical_health.answers.shoe_size": [
            "Physical health, 'shoe_size': this pathway has no such question."
        ]
    }


def test_every_pathway_needs_a_level_of_need(case: World) -> None:
    payload = [row for row in pathways_payload(needs_instrument()) if row["pathway"] != "finance"]
    payload[0]["need_level"] = "severe"
    errors = _errors(case, pathways=payload)
    assert errors == {
        "accommodation.need_level": ["Accommodation: select the level of need."],
        "finance.need_level": ["Finance, benefits and debt: select the level of need."],
    }


def test_a_pathway_the_questionnaire_does_not_cover_is_refused(case: World) -> None:
    payload = [*pathways_payload(needs_instrument()), {"pathway": "hobbies", "need_level": "low"}]
    errors = _errors(case, pathways=payload)
    assert errors["pathways"] == [
        "Needs and strengths assessment (version 1) does not assess the pathway 'hobbies'."
    ]


def test_a_pathway_given_twice_is_refused(case: World) -> None:
    payload = pathways_payload(needs_instrument())
    errors = _errors(case, pathways=[*payload, payload[0]])
    assert errors["pathways"] == ["Accommodation is given more than once."]


def test_an_assessment_cannot_be_dated_in_the_future(case: World) -> None:
    errors = _errors(case, assessed_on=TODAY + dt.timedelta(days=1))
    assert errors == {"assessed_on": ["The date of the assessment cannot be in the future."]}


def test_a_retired_version_is_not_used_for_new_assessments(case: World) -> None:
    needs = needs_instrument()
    Instrument.objects.filter(pk=needs.pk).update(active=False)
    needs.refresh_from_db()
    errors = _errors(case, instrument=needs)
    assert errors["instrument"][0].startswith(
        "Version 1 of Needs and strengths assessment is no longer used"
    )


def test_a_measure_is_not_a_needs_assessment(case: World) -> None:
    errors = _errors(case, instrument=ons4(), pathways=[])
    assert list(errors) == ["instrument"]


def test_a_programmes_own_questionnaire_is_used_as_loaded(case: World) -> None:
    import yaml

    own = instrument_load(definition=yaml.safe_load(OWN_QUESTIONNAIRE), actor=None).instrument
    assessment = _record(
        case,
        instrument=own,
        pathways=[
            {"pathway": "accommodation", "need_level": "medium", "answers": {"settled": "no"}},
            {"pathway": "identity", "need_level": "low", "answers": {"belonging": "Football."}},
        ],
    )
    assert [p.pathway for p in assessment.pathways.all()] == ["accommodation", "identity"]
    long_answer = {"belonging": "x" * 201}
    errors = _errors(
        case,
        instrument=own,
        pathways=[
            {"pathway": "accommodation", "need_level": "low", "answers": {"settled": "no"}},
            {"pathway": "identity", "need_level": "low", "answers": long_answer},
        ],
    )
    assert errors["identity.answers.belonging"] == [
        "Identity and belonging, 'Where do they feel they belong?': the answer must be 200 "
        "characters or fewer."
    ]


@pytest.mark.parametrize("persona", ["police_london", "prison_offender_manager"])
def test_who_sees_the_person_but_does_not_work_on_support_is_told_they_may_not(
    case: World, persona: str
) -> None:
    if persona == "prison_offender_manager":
        case.case.agencies.add(case.personas[persona].organisation)  # an involved agency
    with pytest.raises(PermissionDenied):
        _record(case, persona)


@pytest.mark.parametrize(
    "persona", ["other_provider_practitioner", "officer_other_area", "police_other_region"]
)
def test_who_may_not_see_the_person_gets_not_found(case: World, persona: str) -> None:
    with pytest.raises(ParticipantNotFound):
        _record(case, persona)
    assert not Assessment.objects.exists()


# Pages ----------------------------------------------------------------------------------------


def _client(world: World, persona: str) -> Client:
    client = world.client_for(persona)
    session = client.session
    session["access_purposes"] = {str(world.case.uuid): "case_management"}
    session.save()
    return client


def _url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"support:{name}", kwargs={"participant_uuid": world.case.uuid, **kwargs})


def _history(world: World) -> tuple[Assessment, Assessment]:
    officer = world.personas["supervising_officer"]
    first = assess(officer, world.case, on=dt.date(2026, 1, 5), default="high")
    latest = assess(
        world.personas["practitioner"], world.case, on=dt.date(2026, 2, 23), default="low"
    )
    return first, latest


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_the_latest_assessment_and_the_history(case: World, persona: str) -> None:
    first, latest = _history(case)
    response = _client(case, persona).get(_url(case, "assessments"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Latest assessment, 23 February 2026" in page
    for assessment in (first, latest):
        assert _url(case, "assessment_detail", assessment_uuid=assessment.uuid) in page
    assert "Need fell by 2" in page  # high (3) to low (1) on every pathway
    view = AuditEvent.objects.filter(action=Action.VIEW).last()
    assert view is not None
    assert (view.actor_id, view.purpose) == (case.personas[persona].pk, "case_management")


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_police_liaison_and_outsiders_get_not_found_on_every_assessment_page(
    case: World, persona: str
) -> None:
    first, _ = _history(case)
    client = _client(case, persona)
    for url in (
        _url(case, "assessments"),
        _url(case, "assessment_create"),
        _url(case, "assessment_detail", assessment_uuid=first.uuid),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Zebedee" not in response.content
    before = _writes()
    response = client.post(_url(case, "assessment_create"), {"assessed_on": "2026-03-01"})
    assert response.status_code == 404
    assert _writes() == before


def test_without_a_purpose_the_page_asks_for_one_first(case: World) -> None:
    response = case.client_for("practitioner").get(_url(case, "assessments"))
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("people:purpose", kwargs={"participant_uuid": case.case.uuid})
    )
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_the_detail_page_shows_the_answers_in_words(case: World) -> None:
    payload = _with(
        case, "accommodation", answers={"settled": "no", "living_now": "approved_premises"}
    )
    assessment = _record(case, pathways=payload)
    response = _client(case, "supervising_officer").get(
        _url(case, "assessment_detail", assessment_uuid=assessment.uuid)
    )
    page = response.content.decode()
    assert "Where are they living now?" in page
    assert "Approved premises" in page
    assert "approved_premises" not in page


def test_an_assessment_of_another_participant_is_not_found_under_this_one(case: World) -> None:
    other = assess(case.personas["programme_manager"], case.other_case)
    response = _client(case, "programme_manager").get(
        _url(case, "assessment_detail", assessment_uuid=other.uuid)
    )
    assert response.status_code == 404


def _form_data(**changes: str) -> dict[str, str]:
    data = {"assessed_on": "2026-03-01", "summary": "Agreed today."}
    for row in pathways_payload(needs_instrument(), default="medium"):
        code = row["pathway"]
        data[f"{code}__need_level"] = row["need_level"]
        data[f"{code}__strengths"] = f"Strengths on {code}."
        for key, value in row["answers"].items():
            data[f"{code}__q__{key}"] = value
    return data | changes


def test_the_practitioner_records_an_assessment_through_the_form(case: World) -> None:
    client = _client(case, "practitioner")
    form = client.get(_url(case, "assessment_create"))
    assert form.status_code == 200
    page = form.content.decode()
    for pathway in Pathway:
        assert str(pathway.label) in page.replace("&#x27;", "'")
    response = client.post(_url(case, "assessment_create"), _form_data())
    assert response.status_code == 302
    assert response["Location"] == _url(case, "assessments")
    assessment = Assessment.objects.get()
    assert assessment.assessed_on == dt.date(2026, 3, 1)
    assert assessment.pathways.get(pathway="identity").need_level == "medium"


def test_form_errors_are_listed_and_linked_to_their_fields(case: World) -> None:
    data = _form_data()
    del data["finance__need_level"]
    data["accommodation__q__settled"] = ""
    response = _client(case, "practitioner").post(_url(case, "assessment_create"), data)
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert "There is a problem" in page
    assert '<a href="#id_finance__need_level_0">Select the level of need for Finance' in page
    assert 'id="id_finance__need_level_0"' in page
    assert (
        '<a href="#id_accommodation__q__settled_0">Accommodation: answer \'Do they have '
        "somewhere settled" in page
    )
    assert not Assessment.objects.exists()


def test_a_service_error_is_shown_on_its_field(case: World) -> None:
    data = _form_data(assessed_on="2026-03-03")
    response = _client(case, "practitioner").post(_url(case, "assessment_create"), data)
    assert response.status_code == 400
    assert (
        '<a href="#id_assessed_on">The date of the assessment cannot be in the future.</a>'
        in response.content.decode()
    )


def test_a_reassessment_starts_from_the_last_assessment(case: World) -> None:
    _record(case, pathways=_with(case, "accommodation", need_level="high", strengths="Her sister."))
    page = _client(case, "practitioner").get(_url(case, "assessment_create")).content.decode()
    assert "Record a reassessment" in page
    assert re.search(r'value="high"[^>]*id="id_accommodation__need_level_3"[^>]*checked', page)
    assert "Her sister." in page


def test_an_unknown_questionnaire_is_not_found(case: World) -> None:
    response = _client(case, "practitioner").get(
        _url(case, "assessment_create") + "?instrument=nothing"
    )
    assert response.status_code == 404


def test_with_several_questionnaires_in_use_the_user_chooses(case: World) -> None:
    import yaml

    instrument_load(definition=yaml.safe_load(OWN_QUESTIONNAIRE), actor=None)
    client = _client(case, "practitioner")
    page = client.get(_url(case, "assessment_create")).content.decode()
    assert "Which questionnaire?" in page
    assert "?instrument=own-questionnaire" in page
    chosen = client.get(_url(case, "assessment_create") + "?instrument=own-questionnaire")
    assert "Where do they feel they belong?" in chosen.content.decode()


def test_readers_who_may_not_record_see_no_button(case: World) -> None:
    case.case.agencies.add(case.personas["prison_offender_manager"].organisation)
    response = _client(case, "prison_offender_manager").get(_url(case, "assessments"))
    assert response.status_code == 200
    assert _url(case, "assessment_create") not in response.content.decode()
    assert (
        _client(case, "prison_offender_manager").get(_url(case, "assessment_create")).status_code
        == 404
    )


def test_the_history_page_takes_the_same_queries_however_long_the_history(case: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(case, "supervising_officer")
    assess(case.personas["programme_manager"], case.case, on=dt.date(2026, 1, 5))
    client.get(_url(case, "assessments"))
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url(case, "assessments")).status_code == 200
    for day in (12, 19, 26):
        assess(case.personas["programme_manager"], case.case, on=dt.date(2026, 1, day))
    with CaptureQueriesContext(connection) as four:
        assert client.get(_url(case, "assessments")).status_code == 200
    assert len(four.captured_queries) == len(one.captured_queries)
