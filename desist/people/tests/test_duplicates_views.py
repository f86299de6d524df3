"""The suspected duplicates page: programme managers only, decisions through forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PERSONAS, World, make_participant
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind
from desist.people.services_duplicates import duplicates_merge

URL = "/participants/duplicates/"


def _twin(world: World, n: int, **extra: Any) -> Participant:
    return make_participant(
        reference=f"DUP-{n}",
        family_name=extra.pop("family_name", f"Twin{n}"),
        organisation=world.probation_london,
        region=world.london,
        **extra,
    )


@pytest.fixture
def pair(world: World) -> tuple[Participant, Participant]:
    Participant.objects.filter(pk__in=[world.case.pk, world.other_case.pk]).update(
        probation_crn="X123456"
    )
    world.case.refresh_from_db()
    world.other_case.refresh_from_db()
    return world.case, world.other_case


def test_the_page_is_at_its_address() -> None:
    assert reverse("people:duplicates") == URL


@pytest.mark.parametrize(
    "persona", [p for p in PERSONAS if p not in ("programme_manager", "anonymous")]
)
def test_everyone_but_a_programme_manager_gets_the_same_not_found(
    world: World, pair: Any, persona: str
) -> None:
    client = world.client_for(persona)
    missing = client.get("/participants/no-such-page/")
    for response in (client.get(URL), client.post(URL, {"reason": "x"})):
        assert response.status_code == 404
        assert response.content == missing.content
    assert not DuplicateDecision.objects.exists()


def test_a_programme_manager_sees_each_pair_with_why_it_is_suspected(
    world: World, pair: Any
) -> None:
    response = world.client_for("programme_manager").get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Same probation case reference" in body
    assert "ZEBEDEE-MARKER" in body and "QUILLFEATHER-MARKER" in body
    assert "Same person (merge)" in body and "Different people" in body
    assert "does not delete, move or change either record" in body


def test_showing_the_page_records_which_records_were_listed(world: World, pair: Any) -> None:
    world.client_for("programme_manager").get(URL)
    event = AuditEvent.objects.filter(action=Action.LIST).latest("seq")
    assert event.purpose == "duplicates"
    assert set(event.changes["shown"]) == {str(world.case.uuid), str(world.other_case.uuid)}


def test_merging_from_the_page_records_the_decision_and_lists_it_as_decided(
    world: World, pair: Any
) -> None:
    client = world.client_for("programme_manager")
    response = client.post(
        URL,
        {
            "first": world.case.uuid,
            "second": world.other_case.uuid,
            "decision": "same_person",
            "reason": "Confirmed with probation",
        },
    )
    assert response.status_code == 302
    [decision] = DuplicateDecision.objects.all()
    assert decision.decision == DuplicateDecisionKind.SAME_PERSON
    body = client.get(URL).content.decode()
    assert "There are no suspected duplicate records waiting for a decision" in body
    assert "Confirmed with probation" in body
    assert "Same person (merged)" in body


def test_marking_different_people_without_a_reason_shows_an_error_on_that_field(
    world: World, pair: Any
) -> None:
    response = world.client_for("programme_manager").post(
        URL,
        {"first": world.case.uuid, "second": world.other_case.uuid, "decision": "distinct"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    field_id = f"pair-{world.case.uuid}-{world.other_case.uuid}-reason"
    assert f'href="#{field_id}"' in body
    assert f'id="{field_id}"' in body
    assert "Enter why you made this decision" in body
    assert not DuplicateDecision.objects.exists()


def test_a_decision_about_an_unknown_record_is_not_found(world: World, pair: Any) -> None:
    response = world.client_for("programme_manager").post(
        URL,
        {
            "first": world.case.uuid,
            "second": "6d0f6a41-1b4e-4f57-9a56-000000000000",
            "decision": "distinct",
            "reason": "x",
        },
    )
    assert response.status_code == 404
    assert not DuplicateDecision.objects.exists()


def test_the_page_uses_the_same_number_of_queries_for_few_or_many_pairs(world: World) -> None:
    client = world.client_for("programme_manager")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    queries()  # the first request of a session loads more than the page needs
    pm = world.personas["programme_manager"]
    for n in range(2):
        _twin(world, n, family_name="Same", date_of_birth=dt.date(1980, 1, 1))
    duplicates_merge(actor=pm, first=world.case, second=world.other_case, reason="Checked")
    few = queries()
    for n in range(2, 12):
        _twin(world, n, family_name="Same", date_of_birth=dt.date(1980, 1, 1))
    for n in range(12, 16):
        _twin(world, n, prison_number="A1234BC")
    for n in range(16, 26, 2):
        a, b = _twin(world, n), _twin(world, n + 1)
        duplicates_merge(actor=pm, first=a, second=b, reason="Checked")
    many = queries()
    assert many == few
    assert few <= 25
