"""Participant pages through the Django test client, checked against the shared personas."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import World, make_participant
from desist.audit.models import AuditEvent
from desist.people import services
from desist.people.identifiers import PNC_CHECK_LETTERS, pnc_check_letter
from desist.people.models import LegalBasis, Participant, StatusChange

CASELOAD = reverse("people:caseload")
CREATE = reverse("people:create")
PSEUDONYMISED = reverse("people:pseudonymised")

# Every address a page points at: links, form actions, scripts and styles.
_TARGETS = re.compile(r"""(?:href|action|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_DETAIL_LINK = re.compile(r'href="/participants/([0-9a-f-]{36})/"')
_COUNT = re.compile(r"(\d+) participants?\b")

VALID_PNC = "2012/0012345" + pnc_check_letter("2012", "0012345")
WRONG_PNC = "2012/0012345" + next(
    c for c in PNC_CHECK_LETTERS if c != pnc_check_letter("2012", "0012345")
)


def url(name: str, participant: Participant) -> str:
    return reverse(f"people:{name}", kwargs={"participant_uuid": participant.uuid})


def html(response: Any) -> str:
    return str(response.content.decode())


def link_targets(response: Any) -> list[str]:
    return _TARGETS.findall(html(response))


def listed_uuids(response: Any) -> set[str]:
    return set(_DETAIL_LINK.findall(html(response)))


def shown_count(response: Any) -> int:
    match = _COUNT.search(html(response))
    assert match, "the page should say how many participants it found"
    return int(match[1])


def assert_no_name_in_addresses(response: Any, *names: str) -> None:
    targets = [t.lower() for t in link_targets(response)]
    location = response.get("Location", "").lower()
    for name in names:
        assert not [t for t in targets if name.lower() in t], name
        assert name.lower() not in location


def open_record(client: Client, participant: Participant, purpose: str = "case_management") -> None:
    """Give a purpose for this case in this session, as the purpose page asks."""
    response = client.post(url("purpose", participant), {"purpose": purpose})
    assert response.status_code == 302


def audit_count() -> int:
    return AuditEvent.objects.count()


def officer_case(world: World, reference: str, family_name: str, **extra: Any) -> Participant:
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=world.probation_london,
        region=extra.pop("region", world.london),
        officer=world.personas["supervising_officer"],
        **extra,
    )


def create_data(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": "NEW-1",
        "given_name": "Ada",
        "family_name": "Ockham-Vale",
        "date_of_birth": "1988-02-03",
        "sex": "female",
        "gender_identity": "",
        "pnc_number": "",
        "prison_number": "",
        "probation_crn": "",
        "phone": "",
        "email": "",
        "address": "",
        "region": world.london.pk,
        "strand": "tpim",
        "referral_date": "2024-03-01",
        "supervising_organisation": world.probation_london.pk,
        "supervising_officer": world.personas["supervising_officer"].pk,
        "mappa_category": "",
        "mappa_level": "",
        "custody_establishment": "",
        "expected_release_date": "",
    }
    data.update(overrides)
    return data


def edit_data(participant: Participant, **overrides: Any) -> dict[str, Any]:
    """The edit form as a browser would post it back unchanged."""
    p = participant
    data: dict[str, Any] = {
        "reference": p.reference,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": p.date_of_birth.isoformat(),
        "sex": p.sex,
        "gender_identity": p.gender_identity,
        "pnc_number": p.pnc_number,
        "prison_number": p.prison_number,
        "probation_crn": p.probation_crn,
        "phone": p.phone,
        "email": p.email,
        "address": p.address,
        "region": p.region_id,
        "strand": p.strand,
        "referral_date": p.referral_date.isoformat() if p.referral_date else "",
        "supervising_organisation": p.supervising_organisation_id,
        "supervising_officer": p.supervising_officer_id or "",
        "mappa_category": p.mappa_category,
        "mappa_level": p.mappa_level,
        "custody_establishment": p.custody_establishment,
        "expected_release_date": "",
    }
    data.update(overrides)
    return data


# --- caseload -------------------------------------------------------------------------------


def test_caseload_lists_only_visible_participants_with_a_count(world: World) -> None:
    response = world.client_for("supervising_officer").get(CASELOAD)
    assert response.status_code == 200
    assert listed_uuids(response) == {str(world.case.uuid)}
    assert shown_count(response) == 1
    assert "ZEBEDEE-MARKER, Test" in html(response)
    assert "Quillfeather" not in html(response)


def test_programme_manager_caseload_counts_every_participant(world: World) -> None:
    response = world.client_for("programme_manager").get(CASELOAD)
    assert listed_uuids(response) == {str(world.case.uuid), str(world.other_case.uuid)}
    assert shown_count(response) == 2
    assert "2 participants" in html(response)


def test_police_caseload_shows_only_their_regions(world: World) -> None:
    response = world.client_for("police_other_region").get(CASELOAD)
    assert listed_uuids(response) == {str(world.other_case.uuid)}


def test_caseload_writes_one_list_event_naming_the_records_shown(world: World) -> None:
    before = audit_count()
    world.client_for("supervising_officer").get(CASELOAD)
    assert audit_count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == "list"
    assert event.changes == {"shown": [str(world.case.uuid)]}
    assert event.purpose == "caseload"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"strand": "tpim"}, {"TPIM"}),
        ({"status": "active"}, {"ACTIVE"}),
        ({"region": "north_west"}, {"NW"}),
        ({"strand": "probation_licence", "status": "referred"}, {"CASE-1"}),
    ],
)
def test_caseload_filters_by_strand_status_and_region(
    world: World, query: dict[str, str], expected: set[str]
) -> None:
    cases = {
        "CASE-1": world.case,
        "TPIM": officer_case(world, "TPIM", "Tpim-Person", strand="tpim"),
        "ACTIVE": officer_case(world, "ACTIVE", "Active-Person"),
        "NW": officer_case(
            world, "NW", "Northwest-Person", region=world.north_west, strand="custody"
        ),
    }
    services.participant_change_status(
        actor=None, participant=cases["ACTIVE"], status="active", effective_date=dt.date(2024, 1, 1)
    )
    params = dict(query)
    if "region" in params:
        params["region"] = str(world.north_west.pk)
    response = world.client_for("supervising_officer").get(CASELOAD, params)
    assert response.status_code == 200
    assert listed_uuids(response) == {str(cases[ref].uuid) for ref in expected}
    assert shown_count(response) == len(expected)


def test_search_by_name_is_posted_and_kept_out_of_the_address(world: World) -> None:
    client = world.client_for("programme_manager")
    response = client.post(CASELOAD + "?strand=probation_licence", {"q": "Zebedee"})
    assert response.status_code == 302
    assert response["Location"] == CASELOAD + "?strand=probation_licence"
    assert "zebedee" not in response["Location"].lower()
    assert client.session["caseload_search"] == "Zebedee"

    page = client.get(response["Location"])
    assert listed_uuids(page) == {str(world.case.uuid)}
    assert "matching your search" in html(page)
    assert_no_name_in_addresses(page, "Zebedee", "Marker")
    # The next page shows the same search without anything in its address.
    again = client.get(CASELOAD)
    assert listed_uuids(again) == {str(world.case.uuid)}


def test_a_name_in_the_query_string_is_ignored(world: World) -> None:
    response = world.client_for("programme_manager").get(CASELOAD, {"q": "Zebedee"})
    assert listed_uuids(response) == {str(world.case.uuid), str(world.other_case.uuid)}


def test_clearing_the_search_shows_everything_again(world: World) -> None:
    client = world.client_for("programme_manager")
    client.post(CASELOAD, {"q": "Zebedee"})
    client.post(CASELOAD, {"q": ""})
    assert client.session["caseload_search"] == ""
    assert len(listed_uuids(client.get(CASELOAD))) == 2


def test_search_by_alias_finds_the_participant(world: World) -> None:
    services.alias_add(
        actor=None, participant=world.case, given_name="Jon", family_name="Oddlyname"
    )
    client = world.client_for("supervising_officer")
    client.post(CASELOAD, {"q": "oddlyname"})
    response = client.get(CASELOAD)
    assert listed_uuids(response) == {str(world.case.uuid)}
    assert_no_name_in_addresses(response, "oddlyname")


def test_search_by_exact_pnc_finds_only_that_participant(world: World) -> None:
    with_pnc = officer_case(world, "PNC-1", "Pnc-Holder", pnc_number=VALID_PNC)
    client = world.client_for("supervising_officer")
    client.post(CASELOAD, {"q": VALID_PNC.lower()})
    response = client.get(CASELOAD)
    assert listed_uuids(response) == {str(with_pnc.uuid)}
    client.post(CASELOAD, {"q": VALID_PNC[:-1]})
    assert listed_uuids(client.get(CASELOAD)) == set()


def test_search_never_reveals_participants_outside_the_gate(world: World) -> None:
    client = world.client_for("supervising_officer")
    client.post(CASELOAD, {"q": "Quillfeather"})
    response = client.get(CASELOAD)
    assert listed_uuids(response) == set()
    assert "0 participants" in html(response)


@pytest.fixture
def big_caseload(world: World) -> list[Participant]:
    # 30 more cases for the officer, plus world.case: 31 in all, names sorting before "Zebedee".
    return [officer_case(world, f"BULK-{n:02d}", f"Bulk-{n:02d}") for n in range(30)]


def test_caseload_pages_by_25_by_default(world: World, big_caseload: list[Participant]) -> None:
    client = world.client_for("supervising_officer")
    first = client.get(CASELOAD)
    assert len(listed_uuids(first)) == 25
    assert "Page 1 of 2" in html(first)
    assert shown_count(first) == 31
    second = client.get(CASELOAD, {"page": 2})
    expected = {str(p.uuid) for p in big_caseload[25:]} | {str(world.case.uuid)}
    assert listed_uuids(second) == expected
    assert "Page 2 of 2" in html(second)


def test_caseload_shows_50_per_page_when_asked(
    world: World, big_caseload: list[Participant]
) -> None:
    response = world.client_for("supervising_officer").get(CASELOAD, {"per_page": 50})
    assert len(listed_uuids(response)) == 31
    assert "Page 1 of" not in html(response)


def test_unknown_page_size_falls_back_to_25(world: World, big_caseload: list[Participant]) -> None:
    client = world.client_for("supervising_officer")
    for per_page in ["7", "1000", "abc", "-25", ""]:
        response = client.get(CASELOAD, {"per_page": per_page})
        assert response.status_code == 200, per_page
        assert len(listed_uuids(response)) == 25, per_page


def test_caseload_query_count_does_not_grow_with_page_size(
    world: World, big_caseload: list[Participant]
) -> None:
    for index, participant in enumerate(big_caseload):
        services.alias_add(
            actor=None, participant=participant, given_name="", family_name=f"Alias{index}"
        )
    client = world.client_for("supervising_officer")
    client.get(CASELOAD)  # settles the session (MFA flag) so both measured requests match
    with CaptureQueriesContext(connection) as small:
        assert len(listed_uuids(client.get(CASELOAD, {"per_page": 25}))) == 25
    with CaptureQueriesContext(connection) as large:
        assert len(listed_uuids(client.get(CASELOAD, {"per_page": 100}))) == 31
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("analyst", 404),
        ("administrator", 404),
        ("no_roles", 404),
        # Practitioners hold a caseload role (allocation arrives with referrals), so they get
        # the page, but with nothing in it until something is allocated to them.
        ("practitioner", 200),
    ],
)
def test_caseload_is_refused_or_empty_for_roles_without_cases(
    world: World, persona: str, status: int
) -> None:
    response = world.client_for(persona).get(CASELOAD)
    assert response.status_code == status
    assert "Zebedee" not in html(response)
    assert "Quillfeather" not in html(response)
    if status == 200:
        assert listed_uuids(response) == set()


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    response = world.client_for("anonymous").get(CASELOAD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- purpose and detail ---------------------------------------------------------------------


def test_detail_asks_for_a_purpose_first(world: World) -> None:
    before = audit_count()
    response = world.client_for("supervising_officer").get(url("detail", world.case))
    assert response.status_code == 302
    assert response["Location"] == url("purpose", world.case)
    assert audit_count() == before


def test_purpose_form_shows_an_error_summary_when_nothing_is_chosen(world: World) -> None:
    # As a browser sends the form: the hidden `next` and an empty detail, no purpose chosen.
    response = world.client_for("supervising_officer").post(
        url("purpose", world.case), {"next": "", "detail": ""}
    )
    assert response.status_code == 200
    body = html(response)
    assert "govuk-error-summary" in body
    assert "There is a problem" in body
    assert "Select why you are opening this record" in body
    assert "<title>Why are you opening this record? - Error" in body


def test_detail_after_purpose_shows_the_record_and_audits_the_view(world: World) -> None:
    client = world.client_for("supervising_officer")
    client.post(url("purpose", world.case), {"purpose": "risk_assessment", "detail": "MAPPA mtg"})
    before = audit_count()
    response = client.get(url("detail", world.case))
    assert response.status_code == 200
    assert "Test Zebedee-Marker" in html(response)
    assert "17 May 1990" in html(response)
    assert audit_count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == "view"
    assert event.purpose == "risk_assessment: MAPPA mtg"
    assert event.participant_ref == str(world.case.uuid)
    assert event.actor_id == world.personas["supervising_officer"].pk

    client.get(url("detail", world.case))
    views = AuditEvent.objects.filter(action="view", participant_ref=str(world.case.uuid))
    assert views.count() == 2


def test_purpose_is_asked_once_per_case_in_a_session(world: World) -> None:
    second = officer_case(world, "CASE-3", "Second-Case")
    client = world.client_for("supervising_officer")
    open_record(client, world.case)
    assert client.get(url("detail", world.case)).status_code == 200
    assert client.get(url("detail", world.case)).status_code == 200
    response = client.get(url("detail", second))
    assert response.status_code == 302
    assert response["Location"] == url("purpose", second)
    # A new session (signing in again) asks again.
    assert world.client_for("supervising_officer").get(url("detail", world.case)).status_code == 302


def test_purpose_page_does_not_redirect_off_site(world: World) -> None:
    client = world.client_for("supervising_officer")
    response = client.post(
        url("purpose", world.case),
        {"purpose": "case_management", "next": "https://evil.example/steal"},
    )
    assert response["Location"] == url("detail", world.case)


@pytest.mark.parametrize("persona", ["officer_other_area", "practitioner", "analyst", "no_roles"])
def test_purpose_and_detail_are_404_without_a_relationship(world: World, persona: str) -> None:
    client = world.client_for(persona)
    assert client.get(url("purpose", world.case)).status_code == 404
    assert client.post(url("purpose", world.case), {"purpose": "safeguarding"}).status_code == 404
    assert client.get(url("detail", world.case)).status_code == 404


def test_missing_and_forbidden_records_give_the_same_page(world: World) -> None:
    client = world.client_for("officer_other_area")
    forbidden = client.get(url("detail", world.case))
    missing = client.get(reverse("people:detail", kwargs={"participant_uuid": uuid.uuid4()}))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


# --- create ---------------------------------------------------------------------------------


def test_create_form_lists_each_missing_field_in_the_error_summary(world: World) -> None:
    blank = {name: "" for name in create_data(world)}
    blank["sex"] = "not_known"  # a select with no blank option: a browser always sends it
    participants, events = Participant.objects.count(), audit_count()
    response = world.client_for("supervising_officer").post(CREATE, blank)
    assert response.status_code == 200
    body = html(response)
    assert "There is a problem" in body
    for message in [
        "Enter the participant reference",
        "Enter the given name",
        "Enter the family name",
        "Enter the date of birth",
        "Select the region",
        "Select the strand",
        "Select the supervising organisation",
    ]:
        assert message in body
    assert 'href="#id_family_name"' in body
    assert "This field is required" not in body
    assert (Participant.objects.count(), audit_count()) == (participants, events)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pnc_number", WRONG_PNC, "Enter a PNC number with the right check letter"),
        ("pnc_number", "12345", "Enter a PNC number in the format 2012/0012345K"),
        ("prison_number", "1234ABC", "Enter a prison number in the format A1234BC"),
        ("probation_crn", "X12345", "Enter a probation case reference in the format X123456"),
        ("date_of_birth", "tomorrow", "Date of birth must be in the past"),
        ("date_of_birth", "1990-02-30", "Date of birth must be a real date"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(
    world: World, field: str, value: str, message: str
) -> None:
    if value == "tomorrow":
        value = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    participants, events = Participant.objects.count(), audit_count()
    statuses = StatusChange.objects.count()
    response = world.client_for("supervising_officer").post(
        CREATE, create_data(world, **{field: value})
    )
    assert response.status_code == 200
    body = html(response)
    assert "There is a problem" in body
    assert f'<a href="#id_{field}">{message}</a>' in body
    assert (Participant.objects.count(), audit_count(), StatusChange.objects.count()) == (
        participants,
        events,
        statuses,
    )


def test_valid_create_writes_participant_status_and_audit(world: World) -> None:
    client = world.client_for("supervising_officer")
    response = client.post(
        CREATE,
        create_data(
            world,
            pnc_number=VALID_PNC.lower(),
            prison_number="a1234bc",
            probation_crn="x123456",
            agencies=[world.police_london.pk],
        ),
    )
    participant = Participant.objects.get(reference="NEW-1")
    assert response.status_code == 302
    assert response["Location"] == url("detail", participant)
    assert participant.family_name == "Ockham-Vale"
    assert participant.pnc_number == VALID_PNC
    assert participant.prison_number == "A1234BC"
    assert participant.probation_crn == "X123456"
    assert participant.status == "referred"
    assert list(participant.agencies.all()) == [world.police_london]

    history = list(StatusChange.objects.filter(participant=participant))
    assert [(s.status, s.effective_date) for s in history] == [("referred", dt.date(2024, 3, 1))]
    assert history[0].recorded_by == world.personas["supervising_officer"]

    event = AuditEvent.objects.get(action="create", participant_ref=str(participant.uuid))
    assert event.actor_id == world.personas["supervising_officer"].pk
    assert event.changes["family_name"] == [None, "Ockham-Vale"]
    assert event.changes["agencies"] == [None, [world.police_london.pk]]

    # The creator was remembered as opening it for case management: no purpose page.
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Ada Ockham-Vale" in html(detail)
    assert AuditEvent.objects.latest("seq").purpose == "case_management"


def test_officer_cannot_create_a_case_for_another_organisation(world: World) -> None:
    client = world.client_for("supervising_officer")
    select = re.search(
        r'<select name="supervising_organisation".*?</select>', html(client.get(CREATE)), re.S
    )
    assert select is not None
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select[0])
    assert options == ["---------", "Probation London"]

    before = Participant.objects.count()
    response = client.post(
        CREATE,
        create_data(world, supervising_organisation=world.probation_nw.pk, supervising_officer=""),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["supervising_organisation"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Participant.objects.count() == before


def test_supervising_officer_must_work_for_the_chosen_organisation(world: World) -> None:
    response = world.client_for("programme_manager").post(
        CREATE,
        create_data(world, supervising_officer=world.personas["officer_other_area"].pk),
    )
    assert response.status_code == 200
    assert "The supervising officer must work for that organisation" in html(response)


@pytest.mark.parametrize(
    "persona", ["police_london", "practitioner", "analyst", "administrator", "no_roles"]
)
def test_create_page_is_404_for_roles_that_cannot_create(world: World, persona: str) -> None:
    client = world.client_for(persona)
    before = Participant.objects.count()
    assert client.get(CREATE).status_code == 404
    assert client.post(CREATE, create_data(world)).status_code == 404
    assert Participant.objects.count() == before


# --- edit, status, legal basis --------------------------------------------------------------


def test_edit_asks_for_a_purpose_and_comes_back(world: World) -> None:
    client = world.client_for("supervising_officer")
    response = client.get(url("edit", world.case))
    assert response.status_code == 302
    assert response["Location"] == url("purpose", world.case) + "?next=" + url("edit", world.case)
    back = client.post(
        url("purpose", world.case), {"purpose": "data_correction", "next": url("edit", world.case)}
    )
    assert back["Location"] == url("edit", world.case)
    assert client.get(url("edit", world.case)).status_code == 200


def test_edit_audits_only_the_fields_that_changed(world: World) -> None:
    client = world.client_for("supervising_officer")
    open_record(client, world.case)
    response = client.post(
        url("edit", world.case),
        edit_data(
            world.case, given_name="Tessa", phone="020 7946 0000", region=world.north_west.pk
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", world.case)
    world.case.refresh_from_db()
    assert (world.case.given_name, world.case.phone) == ("Tessa", "020 7946 0000")
    event = AuditEvent.objects.filter(action="update").latest("seq")
    assert event.participant_ref == str(world.case.uuid)
    assert event.changes == {
        "given_name": ["Test", "Tessa"],
        "phone": ["", "020 7946 0000"],
        "region": [world.london.pk, world.north_west.pk],
    }


def test_edit_with_no_changes_writes_no_audit(world: World) -> None:
    client = world.client_for("supervising_officer")
    open_record(client, world.case)
    before = audit_count()
    response = client.post(url("edit", world.case), edit_data(world.case))
    assert response.status_code == 302
    assert audit_count() == before


def test_edit_with_errors_changes_nothing(world: World) -> None:
    client = world.client_for("supervising_officer")
    open_record(client, world.case)
    before = audit_count()
    response = client.post(
        url("edit", world.case), edit_data(world.case, family_name="", prison_number="nope")
    )
    assert response.status_code == 200
    assert "Enter the family name" in html(response)
    assert "Enter a prison number in the format A1234BC" in html(response)
    world.case.refresh_from_db()
    assert world.case.family_name == "Zebedee-Marker"
    assert audit_count() == before


def test_status_change_adds_history_and_audit(world: World) -> None:
    client = world.client_for("colleague_same_org")
    response = client.post(
        url("status", world.case),
        {"status": "active", "effective_date": "2024-04-02", "reason": "Engaged"},
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert world.case.status == "active"
    latest = StatusChange.objects.filter(participant=world.case).order_by("id").last()
    assert latest is not None
    assert (latest.status, latest.effective_date, latest.reason) == (
        "active",
        dt.date(2024, 4, 2),
        "Engaged",
    )
    assert latest.recorded_by == world.personas["colleague_same_org"]
    event = AuditEvent.objects.latest("seq")
    assert event.action == "update"
    assert event.changes == {
        "status": ["referred", "active"],
        "status_effective_date": [None, "2024-04-02"],
        "status_reason": [None, "Engaged"],
    }


def test_status_form_needs_a_status_and_a_date(world: World) -> None:
    before = StatusChange.objects.count()
    response = world.client_for("supervising_officer").post(
        url("status", world.case), {"status": "", "effective_date": "", "reason": ""}
    )
    assert response.status_code == 200
    assert "Select the new status" in html(response)
    assert "Enter the date the status changes" in html(response)
    assert StatusChange.objects.count() == before


def test_legal_basis_is_added_and_audited(world: World) -> None:
    response = world.client_for("supervising_officer").post(
        url("legal_basis_add", world.case),
        {
            "kind": "licence",
            "start_date": "2024-01-01",
            "end_date": "2026-01-01",
            "attendance_mandatory": "on",
        },
    )
    assert response.status_code == 302
    basis = LegalBasis.objects.get(participant=world.case)
    assert (basis.kind, basis.attendance_mandatory) == ("licence", True)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.entity, event.participant_ref) == (
        "create",
        "people.legalbasis",
        str(world.case.uuid),
    )
    assert event.changes["end_date"] == [None, "2026-01-01"]


def test_legal_basis_ending_before_it_starts_is_refused(world: World) -> None:
    events = audit_count()
    response = world.client_for("supervising_officer").post(
        url("legal_basis_add", world.case),
        {"kind": "licence", "start_date": "2024-06-01", "end_date": "2024-05-31"},
    )
    assert response.status_code == 200
    body = html(response)
    assert "There is a problem" in body
    assert '<a href="#id_end_date">End date must be the same as or after the start date</a>' in body
    assert not LegalBasis.objects.filter(participant=world.case).exists()
    assert audit_count() == events


def test_police_liaison_can_view_but_not_change(world: World) -> None:
    client = world.client_for("police_london")
    open_record(client, world.case, "risk_assessment")
    detail = client.get(url("detail", world.case))
    assert detail.status_code == 200
    assert "Test Zebedee-Marker" in html(detail)
    assert url("edit", world.case) not in html(detail)
    assert url("status", world.case) not in html(detail)

    before = audit_count()
    for name in ("edit", "status", "legal_basis_add"):
        assert client.get(url(name, world.case)).status_code == 404, name
        assert client.post(url(name, world.case), {}).status_code == 404, name
    assert audit_count() == before
    world.case.refresh_from_db()
    assert world.case.status == "referred"


@pytest.mark.parametrize(
    "persona",
    ["officer_other_area", "prison_offender_manager", "practitioner", "analyst", "no_roles"],
)
def test_write_pages_are_404_without_a_write_relationship(world: World, persona: str) -> None:
    client = world.client_for(persona)
    for name in ("edit", "status", "legal_basis_add"):
        assert client.get(url(name, world.case)).status_code == 404, name


# --- pseudonymised --------------------------------------------------------------------------


def test_analyst_sees_pseudonyms_but_never_names_or_dates_of_birth(world: World) -> None:
    response = world.client_for("analyst").get(PSEUDONYMISED)
    assert response.status_code == 200
    body = html(response)
    assert world.case.pseudonym in body
    assert world.other_case.pseudonym in body
    for secret in [
        "Zebedee",
        "Quillfeather",
        "CASE-1",
        "17 May 1990",
        "1990-05-17",
        "17/05/1990",
        str(world.case.uuid),
    ]:
        assert secret not in body
    assert '<td class="govuk-table__cell">1990</td>' in body


@pytest.mark.parametrize("persona", ["supervising_officer", "police_london", "practitioner"])
def test_pseudonymised_page_is_404_for_case_workers(world: World, persona: str) -> None:
    assert world.client_for(persona).get(PSEUDONYMISED).status_code == 404


def test_pseudonymised_page_filters_by_strand(world: World) -> None:
    tpim = officer_case(world, "TPIM", "Tpim-Person", strand="tpim")
    body = html(world.client_for("analyst").get(PSEUDONYMISED, {"strand": "tpim"}))
    assert tpim.pseudonym in body
    assert world.case.pseudonym not in body


def test_pseudonymised_page_filters_by_region(world: World) -> None:
    body = html(world.client_for("analyst").get(PSEUDONYMISED, {"region": world.london.pk}))
    assert world.case.pseudonym in body
    assert world.other_case.pseudonym not in body


# --- no names in addresses ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["supervising_officer", "programme_manager", "police_london"])
def test_no_page_puts_a_name_in_an_address(world: World, persona: str) -> None:
    client = world.client_for(persona)
    client.post(CASELOAD, {"q": "Zebedee"})
    names = ("Zebedee", "Marker", "Quillfeather")
    responses = [client.get(CASELOAD), client.get(url("purpose", world.case))]
    open_record(client, world.case)
    responses.append(client.get(url("detail", world.case)))
    if persona != "police_london":
        responses += [
            client.get(url("edit", world.case)),
            client.get(url("status", world.case)),
            client.get(url("legal_basis_add", world.case)),
            client.get(CREATE),
            client.post(url("edit", world.case), edit_data(world.case, phone="1")),
        ]
    for response in responses:
        assert response.status_code in (200, 302)
        assert_no_name_in_addresses(response, *names)
