"""The participant API: the same gate, audit and validation as the pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import World, make_participant, make_user
from desist.accounts.constants import Role
from desist.api.serializers import FIELD_GROUPS
from desist.audit.models import AuditEvent
from desist.people import services
from desist.people.identifiers import PNC_CHECK_LETTERS, pnc_check_letter
from desist.people.models import Alias, LegalBasis, Participant, StatusChange

LIST = "/api/v1/participants/"
SEARCH = "/api/v1/participants/search/"
PSEUDONYMISED = "/api/v1/pseudonymised-participants/"
SCHEMA = "/api/schema/"
PURPOSE = {"X-Access-Purpose": "case_management"}

VALID_PNC = "2012/0012345" + pnc_check_letter("2012", "0012345")
WRONG_PNC = "2012/0012345" + next(
    c for c in PNC_CHECK_LETTERS if c != pnc_check_letter("2012", "0012345")
)


def detail(participant: Participant | uuid.UUID) -> str:
    key = participant if isinstance(participant, uuid.UUID) else participant.uuid
    return f"{LIST}{key}/"


def api_for(world: World, persona: str) -> APIClient:
    """A signed-in browser session, as the pages use (TOTP on record, so the API accepts it)."""
    client = APIClient()
    if persona != "anonymous":
        client.force_login(world.personas[persona])
    return client


def ids(response: Any) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def new_case(world: World, reference: str, family_name: str, **extra: Any) -> Participant:
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=world.probation_london,
        region=extra.pop("region", world.london),
        officer=world.personas["supervising_officer"],
        **extra,
    )


def create_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "API-1",
        "given_name": "Ada",
        "family_name": "Ockham-Vale",
        "date_of_birth": "1988-02-03",
        "sex": "female",
        "region": "london",
        "strand": "tpim",
        "referral_date": "2024-03-01",
        "supervising_organisation": world.probation_london.pk,
        "supervising_officer": world.personas["supervising_officer"].pk,
    }
    body.update(overrides)
    return body


# --- list -----------------------------------------------------------------------------------


def test_list_returns_only_visible_participants(world: World) -> None:
    response = api_for(world, "supervising_officer").get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert [row["id"] for row in body["results"]] == [str(world.case.uuid)]
    assert body["results"][0]["family_name"] == "Zebedee-Marker"


def test_programme_manager_lists_everyone(world: World) -> None:
    response = api_for(world, "programme_manager").get(LIST)
    assert ids(response) == {str(world.case.uuid), str(world.other_case.uuid)}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("practitioner", 200), ("analyst", 404), ("administrator", 404), ("no_roles", 404)],
)
def test_list_is_empty_or_404_for_roles_without_cases(
    world: World, persona: str, status: int
) -> None:
    response = api_for(world, persona).get(LIST)
    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == 0
    assert "Zebedee" not in response.content.decode()


def test_anonymous_is_refused(world: World) -> None:
    response = api_for(world, "anonymous").get(LIST)
    assert response.status_code in (401, 403)
    assert "Zebedee" not in response.content.decode()


def test_list_is_paginated(world: World) -> None:
    second = new_case(world, "CASE-3", "Aardvark")
    client = api_for(world, "supervising_officer")
    first_page = client.get(LIST, {"page_size": 1}).json()
    assert first_page["count"] == 2
    assert [row["id"] for row in first_page["results"]] == [str(second.uuid)]
    assert first_page["next"] is not None
    assert "page=2" in first_page["next"]
    next_page = client.get(first_page["next"]).json()
    assert [row["id"] for row in next_page["results"]] == [str(world.case.uuid)]
    assert next_page["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"strand": "tpim"}, {"TPIM"}),
        ({"status": "active"}, {"ACTIVE"}),
        ({"region": "north_west"}, {"NW"}),
        ({"strand": "probation_licence", "status": "referred", "region": "london"}, {"CASE-1"}),
        ({"region": "wales"}, set()),
    ],
)
def test_list_filters_by_strand_status_and_region_code(
    world: World, query: dict[str, str], expected: set[str]
) -> None:
    cases = {
        "CASE-1": world.case,
        "TPIM": new_case(world, "TPIM", "Tpim-Person", strand="tpim"),
        "ACTIVE": new_case(world, "ACTIVE", "Active-Person"),
        "NW": new_case(world, "NW", "Nw-Person", region=world.north_west, strand="custody"),
    }
    services.participant_change_status(
        actor=None, participant=cases["ACTIVE"], status="active", effective_date=dt.date(2024, 1, 1)
    )
    response = api_for(world, "supervising_officer").get(LIST, query)
    assert response.status_code == 200
    assert ids(response) == {str(cases[ref].uuid) for ref in expected}


def test_unknown_filter_value_is_a_400(world: World) -> None:
    response = api_for(world, "supervising_officer").get(LIST, {"strand": "nonsense"})
    assert response.status_code == 400
    assert "strand" in response.json()


def test_list_writes_one_event_naming_the_records_shown(world: World) -> None:
    new_case(world, "CASE-3", "Aardvark")
    before = AuditEvent.objects.count()
    response = api_for(world, "supervising_officer").get(LIST)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == "list"
    assert event.purpose == "api"
    assert event.actor_id == world.personas["supervising_officer"].pk
    assert sorted(event.changes["shown"]) == sorted(ids(response))
    assert len(event.changes["shown"]) == 2


def test_empty_list_writes_no_event(world: World) -> None:
    before = AuditEvent.objects.count()
    api_for(world, "practitioner").get(LIST)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("persona", ["supervising_officer", "police_london", "programme_manager"])
def test_list_query_count_does_not_grow_with_page_size(world: World, persona: str) -> None:
    people = Participant.objects.bulk_create(
        Participant(
            reference=f"BULK-{n:03d}",
            given_name="Bulk",
            family_name=f"Bulk-{n:03d}",
            date_of_birth=dt.date(1990, 1, 1),
            strand="probation_licence",
            region=world.london,
            supervising_organisation=world.probation_london,
            supervising_officer=world.personas["supervising_officer"],
        )
        for n in range(120)
    )
    # Something in every prefetched relation, so a missing prefetch would show as N+1.
    Alias.objects.bulk_create(Alias(participant=p, family_name="Alias") for p in people)
    LegalBasis.objects.bulk_create(
        LegalBasis(participant=p, kind="licence", start_date=dt.date(2024, 1, 1)) for p in people
    )
    Participant.agencies.through.objects.bulk_create(
        Participant.agencies.through(participant_id=p.pk, organisation_id=world.police_london.pk)
        for p in people
    )
    client = api_for(world, persona)
    client.get(LIST, {"page_size": 10})
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(LIST, {"page_size": 10}).json()["results"]) == 10
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(LIST, {"page_size": 100}).json()["results"]) == 100
    assert len(large.captured_queries) == len(small.captured_queries)


# --- retrieve -------------------------------------------------------------------------------


def test_retrieve_needs_a_purpose_header(world: World) -> None:
    before = AuditEvent.objects.count()
    response = api_for(world, "supervising_officer").get(detail(world.case))
    assert response.status_code == 400
    message = response.json()["X-Access-Purpose"]
    assert "X-Access-Purpose" in str(message)
    assert "case_management" in str(message)
    assert "Zebedee" not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_retrieve_refuses_an_unknown_purpose(world: World) -> None:
    response = api_for(world, "supervising_officer").get(
        detail(world.case), HTTP_X_ACCESS_PURPOSE="curiosity"
    )
    assert response.status_code == 400


def test_retrieve_with_a_purpose_returns_the_record_and_audits_it(world: World) -> None:
    before = AuditEvent.objects.count()
    response = api_for(world, "supervising_officer").get(
        detail(world.case), HTTP_X_ACCESS_PURPOSE="risk_assessment: MAPPA meeting"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(world.case.uuid)
    assert body["reference"] == "CASE-1"
    assert body["family_name"] == "Zebedee-Marker"
    assert body["date_of_birth"] == "1990-05-17"
    assert body["region"] == "london"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == "view"
    assert event.participant_ref == str(world.case.uuid)
    assert event.purpose == "risk_assessment: MAPPA meeting"


def test_supervising_officer_gets_every_field_group(world: World) -> None:
    participant = new_case(
        world, "RISK-1", "Risky", pnc_number=VALID_PNC, mappa_category="4", mappa_level="2"
    )
    body = api_for(world, "supervising_officer").get(detail(participant), headers=PURPOSE).json()
    assert set(body) == {"id", "reference", *FIELD_GROUPS}
    assert body["pnc_number"] == VALID_PNC
    assert (body["mappa_category"], body["mappa_level"]) == ("4", "2")


@pytest.mark.parametrize(
    "persona",
    [
        "officer_other_area",
        "prison_offender_manager",
        "police_other_region",
        "practitioner",
        "other_provider_practitioner",
        "analyst",
        "administrator",
        "no_roles",
    ],
)
def test_unrelated_persona_gets_the_same_404_as_a_missing_record(
    world: World, persona: str
) -> None:
    client = api_for(world, persona)
    before = AuditEvent.objects.count()
    missing = client.get(detail(uuid.uuid4()), headers=PURPOSE)
    forbidden = client.get(detail(world.case), headers=PURPOSE)
    assert missing.status_code == forbidden.status_code == 404
    assert forbidden.content == missing.content

    patch_missing = client.patch(detail(uuid.uuid4()), {"given_name": "X"}, format="json")
    patch_forbidden = client.patch(detail(world.case), {"given_name": "X"}, format="json")
    assert patch_missing.status_code == patch_forbidden.status_code == 404
    assert patch_forbidden.content == patch_missing.content == missing.content
    world.case.refresh_from_db()
    assert world.case.given_name == "Test"
    assert AuditEvent.objects.count() == before


def test_police_can_read_but_patch_is_the_same_404_as_a_missing_record(world: World) -> None:
    client = api_for(world, "police_london")
    assert client.get(detail(world.case), headers=PURPOSE).status_code == 200
    forbidden = client.patch(detail(world.case), {"given_name": "X"}, format="json")
    missing = client.patch(detail(uuid.uuid4()), {"given_name": "X"}, format="json")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    world.case.refresh_from_db()
    assert world.case.given_name == "Test"


def test_put_is_not_offered(world: World) -> None:
    response = api_for(world, "supervising_officer").put(
        detail(world.case), create_body(world), format="json"
    )
    assert response.status_code == 405


# --- pseudonymised --------------------------------------------------------------------------


def test_pseudonymised_rows_carry_no_identifying_keys(world: World) -> None:
    response = api_for(world, "analyst").get(PSEUDONYMISED)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 2
    for row in rows:
        assert set(row) == {"pseudonym", "year_of_birth", "sex", "strand", "status", "region"}
    by_pseudonym = {row["pseudonym"]: row for row in rows}
    assert by_pseudonym[world.case.pseudonym] == {
        "pseudonym": world.case.pseudonym,
        "year_of_birth": 1990,
        "sex": "not_known",
        "strand": "probation_licence",
        "status": "referred",
        "region": "london",
    }
    text = response.content.decode()
    for secret in ("Zebedee", "CASE-1", "1990-05-17", str(world.case.uuid)):
        assert secret not in text


def test_pseudonymised_rows_filter_by_region_code(world: World) -> None:
    rows = api_for(world, "analyst").get(PSEUDONYMISED, {"region": "north_west"}).json()
    assert [row["pseudonym"] for row in rows["results"]] == [world.other_case.pseudonym]


@pytest.mark.parametrize("persona", ["supervising_officer", "police_london", "practitioner"])
def test_pseudonymised_rows_are_404_for_case_workers(world: World, persona: str) -> None:
    assert api_for(world, persona).get(PSEUDONYMISED).status_code == 404


# --- create ---------------------------------------------------------------------------------


def test_officer_creates_a_case_for_their_organisation(world: World) -> None:
    response = api_for(world, "supervising_officer").post(
        LIST, create_body(world, pnc_number=VALID_PNC.lower()), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    participant = Participant.objects.get(reference="API-1")
    assert body["id"] == str(participant.uuid)
    assert body["pnc_number"] == VALID_PNC
    assert body["status"] == "referred"
    assert participant.supervising_organisation == world.probation_london
    assert StatusChange.objects.filter(participant=participant, status="referred").count() == 1
    event = AuditEvent.objects.get(action="create", participant_ref=str(participant.uuid))
    assert event.actor_id == world.personas["supervising_officer"].pk
    assert event.changes["family_name"] == [None, "Ockham-Vale"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"pnc_number": WRONG_PNC}, "pnc_number", "Enter a PNC number with the right check letter"),
        ({"prison_number": "1234ABC"}, "prison_number", "Enter a prison number in the format"),
        ({"probation_crn": "X12345"}, "probation_crn", "Enter a probation case reference"),
        ({"family_name": None}, "family_name", "required"),
        ({"region": "atlantis"}, "region", "does not exist"),
        ({"reference": "CASE-1"}, "reference", "already exists"),
    ],
)
def test_create_refuses_bad_values_naming_the_field(
    world: World, overrides: dict[str, Any], field: str, message: str
) -> None:
    body = create_body(world, **overrides)
    body = {k: v for k, v in body.items() if v is not None}
    before = (Participant.objects.count(), AuditEvent.objects.count())
    response = api_for(world, "supervising_officer").post(LIST, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before


def test_officer_cannot_create_for_another_organisation(world: World) -> None:
    before = Participant.objects.count()
    response = api_for(world, "supervising_officer").post(
        LIST,
        create_body(
            world,
            supervising_organisation=world.probation_nw.pk,
            supervising_officer=world.personas["officer_other_area"].pk,
        ),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["supervising_organisation"]
    assert "You can create cases for your organisation only." in str(errors)
    assert Participant.objects.count() == before


def test_programme_manager_may_create_for_any_organisation(world: World) -> None:
    response = api_for(world, "programme_manager").post(
        LIST,
        create_body(
            world,
            supervising_organisation=world.probation_nw.pk,
            supervising_officer=world.personas["officer_other_area"].pk,
        ),
        format="json",
    )
    assert response.status_code == 201
    assert Participant.objects.get(reference="API-1").supervising_organisation == world.probation_nw


@pytest.mark.parametrize("persona", ["police_london", "practitioner", "analyst", "no_roles"])
def test_roles_that_cannot_create_get_404(world: World, persona: str) -> None:
    before = Participant.objects.count()
    response = api_for(world, persona).post(LIST, create_body(world), format="json")
    assert response.status_code == 404
    assert Participant.objects.count() == before


def test_create_refuses_an_officer_from_another_organisation(world: World) -> None:
    response = api_for(world, "supervising_officer").post(
        LIST,
        create_body(world, supervising_officer=world.personas["officer_other_area"].pk),
        format="json",
    )
    assert response.status_code == 400
    assert "supervising_officer" in response.json()


# --- update ---------------------------------------------------------------------------------


def test_patch_writes_an_update_event_with_old_and_new(world: World) -> None:
    response = api_for(world, "supervising_officer").patch(
        detail(world.case),
        {"given_name": "Tessa", "phone": "020 7946 0000", "family_name": "Zebedee-Marker"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["given_name"] == "Tessa"
    world.case.refresh_from_db()
    assert world.case.given_name == "Tessa"
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("update", str(world.case.uuid))
    assert event.actor_id == world.personas["supervising_officer"].pk
    # family_name was sent unchanged, so it is not in the record of changes.
    assert event.changes == {"given_name": ["Test", "Tessa"], "phone": ["", "020 7946 0000"]}


def test_patch_refuses_a_bad_pnc(world: World) -> None:
    before = AuditEvent.objects.count()
    response = api_for(world, "supervising_officer").patch(
        detail(world.case), {"pnc_number": WRONG_PNC}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["pnc_number"]
    assert AuditEvent.objects.count() == before


def test_patch_cannot_change_status(world: World) -> None:
    api_for(world, "supervising_officer").patch(
        detail(world.case), {"status": "ended"}, format="json"
    )
    world.case.refresh_from_db()
    assert world.case.status == "referred"


def test_officer_cannot_patch_the_case_to_another_organisation(world: World) -> None:
    # Today the move is saved and audited, then re-reading the case the officer can no longer
    # see raises Participant.DoesNotExist: a 500 after the write.
    client = APIClient(raise_request_exception=False)
    client.force_login(world.personas["supervising_officer"])
    response = client.patch(
        detail(world.case),
        {"supervising_organisation": world.probation_nw.pk, "supervising_officer": None},
        format="json",
    )
    world.case.refresh_from_db()
    assert world.case.supervising_organisation == world.probation_london
    assert response.status_code == 400
    assert "supervising_organisation" in response.json()


# --- search ---------------------------------------------------------------------------------


def test_search_finds_by_name(world: World) -> None:
    response = api_for(world, "programme_manager").post(SEARCH, {"q": "zebedee"}, format="json")
    assert response.status_code == 200
    assert ids(response) == {str(world.case.uuid)}
    assert response.json()["count"] == 1


def test_search_finds_by_alias(world: World) -> None:
    services.alias_add(
        actor=None, participant=world.case, given_name="Jon", family_name="Oddlyname"
    )
    response = api_for(world, "supervising_officer").post(SEARCH, {"q": "Oddlyname"}, format="json")
    assert ids(response) == {str(world.case.uuid)}


def test_search_finds_by_exact_pnc(world: World) -> None:
    holder = new_case(world, "PNC-1", "Holder", pnc_number=VALID_PNC)
    response = api_for(world, "supervising_officer").post(SEARCH, {"q": VALID_PNC}, format="json")
    assert ids(response) == {str(holder.uuid)}


def test_search_stays_inside_the_gate(world: World) -> None:
    response = api_for(world, "supervising_officer").post(
        SEARCH, {"q": "Quillfeather"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_search_writes_a_list_event(world: World) -> None:
    before = AuditEvent.objects.count()
    api_for(world, "supervising_officer").post(SEARCH, {"q": "Zebedee"}, format="json")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.changes) == ("list", {"shown": [str(world.case.uuid)]})


def test_search_by_get_is_not_allowed(world: World) -> None:
    response = api_for(world, "supervising_officer").get(SEARCH, {"q": "Zebedee"})
    assert response.status_code == 405


def test_search_needs_a_query(world: World) -> None:
    response = api_for(world, "supervising_officer").post(SEARCH, {}, format="json")
    assert response.status_code == 400
    assert "q" in response.json()


# --- authentication -------------------------------------------------------------------------


def test_service_account_token_can_list(world: World) -> None:
    service = make_user(
        "svc", world.probation_london, Role.SUPERVISING_OFFICER, totp=False, is_service_account=True
    )
    token = Token.objects.create(user=service)
    client = APIClient()
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert ids(response) == {str(world.case.uuid)}
    assert AuditEvent.objects.latest("seq").actor_id == service.pk


def test_token_of_a_person_is_refused(world: World) -> None:
    token = Token.objects.create(user=world.personas["supervising_officer"])
    response = APIClient().get(LIST, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code in (401, 403)
    assert "Zebedee" not in response.content.decode()
    assert response.json()["detail"] == "Tokens are for service accounts only."


def test_unknown_token_is_refused(world: World) -> None:
    response = APIClient().get(LIST, HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401


def test_session_without_totp_is_refused(world: World) -> None:
    user = make_user("fresh", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    client = APIClient()
    client.force_login(user)
    response = client.get(LIST)
    assert response.status_code in (401, 403)
    assert "Zebedee" not in response.content.decode()


def test_service_account_session_is_not_accepted(world: World) -> None:
    service = make_user(
        "svc", world.probation_london, Role.SUPERVISING_OFFICER, totp=False, is_service_account=True
    )
    client = APIClient()
    client.force_login(service)
    response = client.get(LIST)
    # The middleware signs service accounts out of any browser session before the API runs.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


# --- schema ---------------------------------------------------------------------------------


def test_schema_is_refused_to_anonymous(world: World) -> None:
    assert APIClient().get(SCHEMA).status_code in (401, 403)


def test_schema_describes_the_participant_api(world: World) -> None:
    response = api_for(world, "supervising_officer").get(SCHEMA)
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "/api/v1/participants/" in schema["paths"]
    assert "/api/v1/participants/search/" in schema["paths"]
    assert "get" not in schema["paths"]["/api/v1/participants/search/"]
    retrieve = schema["paths"]["/api/v1/participants/{participant_uuid}/"]["get"]
    headers = {p["name"]: p for p in retrieve["parameters"] if p["in"] == "header"}
    assert headers["X-Access-Purpose"]["required"] is True
