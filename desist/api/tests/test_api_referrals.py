"""/api/v1/referrals/: refer, triage, rank, allocate and allocate the queue, through the gate
and the referral services."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import World, make_participant
from desist.accounts.models import Region
from desist.api.tests.factories_api import (
    FULL_RISK,
    NOW,
    PROVIDER_RISK,
    PURPOSE,
    Scene,
    api_for,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.notifications.models import Notification
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import Specialism
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.tests.factories import make_referral

LIST = "/api/v1/referrals/"
QUEUE = "/api/v1/referrals/allocate-queue/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def detail(referral: Referral, verb: str = "") -> str:
    return f"{LIST}{referral.uuid}/" + (f"{verb}/" if verb else "")


def body(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "participant": str(world.case.uuid),
        "reason": "Convicted of a terrorism offence; released on licence.",
        "needs": ["mentoring", "theological"],
        "risk_summary": "Intelligence suggests contact with former associates.",
        "risk_summary_for_provider": "Meet in public places.",
        "preferred_language": "ur",
    }
    data.update(overrides)
    return data


def submitted(world: World) -> Referral:
    """An open referral of world.case waiting for triage (no allocation)."""
    return make_referral(
        world.case,
        world.personas["supervising_officer"],
        risk_summary=FULL_RISK,
        risk_summary_for_provider=PROVIDER_RISK,
    )


def writes() -> tuple[int, int, int]:
    return (
        Referral.objects.count(),
        ReferralStatusChange.objects.count(),
        AuditEvent.objects.count(),
    )


# Making a referral ---------------------------------------------------------------------------


def test_officer_refers_their_participant_and_it_is_audited(world: World) -> None:
    basis = LegalBasis.objects.create(
        participant=world.case, kind="licence", start_date=NOW.date(), attendance_mandatory=True
    )
    response = api_for(world, "supervising_officer").post(
        LIST, body(world, legal_basis=basis.pk), format="json"
    )

    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    data = response.json()
    assert data["id"] == str(referral.uuid)
    assert data["participant"] == {"id": str(world.case.uuid), "reference": "CASE-1"}
    assert data["status"] == ReferralStatus.SUBMITTED
    assert data["attendance_mandatory"] is True
    assert data["risk_summary"] == "Intelligence suggests contact with former associates."
    assert referral.referred_by == world.personas["supervising_officer"]
    assert referral.needs == ["mentoring", "theological"]
    event = AuditEvent.objects.get(entity="referrals.referral", action="create")
    assert event.participant_ref == str(world.case.uuid)
    assert event.actor_id == world.personas["supervising_officer"].pk
    assert Notification.objects.filter(
        recipient=world.personas["programme_manager"], kind="referral"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"needs": []}, "needs"),
        ({"needs": ["astrology"]}, "needs"),
        ({"risk_summary_for_provider": ""}, "risk_summary_for_provider"),
        ({"expected_end_date": "2026-02-30"}, "expected_end_date"),
        ({"expected_end_date": "2025-01-01"}, "expected_end_date"),
        ({"preferred_language": "xx"}, "preferred_language"),
    ],
)
def test_bad_referral_is_a_400_naming_the_field_and_writes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    data = {k: v for k, v in body(world, **overrides).items() if v is not None}
    before = writes()
    response = api_for(world, "supervising_officer").post(LIST, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_legal_basis_of_another_participant_is_refused(world: World) -> None:
    theirs = LegalBasis.objects.create(
        participant=world.other_case, kind="licence", start_date=NOW.date()
    )
    before = writes()
    response = api_for(world, "supervising_officer").post(
        LIST, body(world, legal_basis=theirs.pk), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"legal_basis": ["Select one of this participant's legal bases."]}
    assert writes() == before


def test_second_open_referral_is_refused_naming_the_participant(scene: Scene) -> None:
    response = scene.client("supervising_officer").post(LIST, body(scene.world), format="json")
    assert response.status_code == 400
    assert "already has an open referral" in response.json()["participant"][0]


@pytest.mark.parametrize(
    "persona", ["officer_other_area", "police_london", "practitioner", "analyst", "no_roles"]
)
def test_who_may_not_refer_the_participant_gets_404_and_nothing_is_written(
    world: World, persona: str
) -> None:
    before = writes()
    response = api_for(world, persona).post(LIST, body(world), format="json")
    assert response.status_code == 404
    assert writes() == before


def test_referring_an_unknown_participant_is_the_same_404(world: World) -> None:
    client = api_for(world, "officer_other_area")
    forbidden = client.post(LIST, body(world), format="json")
    missing = client.post(
        LIST, body(world, participant="00000000-0000-4000-8000-000000000000"), format="json"
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


# Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("supervising_officer", True),
        ("colleague_same_org", True),
        ("police_london", True),
        ("programme_manager", True),
        ("practitioner", True),
        ("officer_other_area", False),
        ("police_other_region", False),
        ("other_provider_practitioner", False),
        ("prison_offender_manager", False),
    ],
)
def test_list_shows_a_referral_only_to_whom_the_gate_shows_the_participant(
    scene: Scene, persona: str, sees: bool
) -> None:
    expected = {str(scene.referral.uuid)} if sees else set()
    assert ids(scene.client(persona).get(LIST)) == expected


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_list_is_404_for_roles_without_cases(scene: Scene, persona: str) -> None:
    assert scene.client(persona).get(LIST).status_code == 404


def test_list_needs_sign_in(scene: Scene) -> None:
    assert api_for(scene.world, "anonymous").get(LIST).status_code in (401, 403)


def test_practitioner_sees_only_referrals_allocated_to_them(scene: Scene) -> None:
    other = make_participant(
        reference="CASE-9",
        family_name="Other",
        organisation=scene.world.probation_london,
        region=scene.world.london,
    )
    make_referral(other, scene.persona("supervising_officer"))
    assert ids(scene.client("practitioner").get(LIST)) == {str(scene.referral.uuid)}
    assert len(results(scene.client("supervising_officer").get(LIST))) == 2


def test_list_filters_by_status_and_participant(scene: Scene) -> None:
    client = scene.client("programme_manager")
    assert ids(client.get(LIST, {"status": "allocated"})) == {str(scene.referral.uuid)}
    assert ids(client.get(LIST, {"status": ["submitted", "accepted"]})) == set()
    assert ids(client.get(LIST, {"participant": str(scene.world.other_case.uuid)})) == set()
    assert client.get(LIST, {"status": "nonsense"}).status_code == 400


def test_list_writes_one_event_naming_the_participants_shown(scene: Scene) -> None:
    before = AuditEvent.objects.count()
    scene.client("supervising_officer").get(LIST)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.purpose) == ("list", "api:referrals")
    assert event.changes == {"shown": [str(scene.world.case.uuid)]}


def test_list_rows_carry_no_names_or_risk(scene: Scene) -> None:
    text = scene.client("programme_manager").get(LIST).content.decode()
    for secret in ("Zebedee", FULL_RISK, PROVIDER_RISK, "1990-05-17"):
        assert secret not in text


def test_list_query_count_does_not_grow_with_the_page(scene: Scene) -> None:
    for n in range(10):
        person = make_participant(
            reference=f"BULK-{n}",
            family_name=f"Bulk-{n}",
            organisation=scene.world.probation_london,
            region=scene.world.london,
        )
        make_referral(person, scene.persona("supervising_officer"))
    one, ten = query_counts(scene.client("programme_manager"), LIST)
    assert one == ten


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    client = scene.client("supervising_officer")
    before = AuditEvent.objects.count()
    refused = client.get(detail(scene.referral))
    assert refused.status_code == 400
    assert "X-Access-Purpose" in refused.json()
    assert AuditEvent.objects.count() == before

    response = client.get(detail(scene.referral), headers=PURPOSE)
    assert response.status_code == 200
    data = response.json()
    assert data["risk_summary"] == FULL_RISK
    assert data["risk_summary_for_provider"] == PROVIDER_RISK
    assert [a["practitioner"]["id"] for a in data["allocations"]] == [str(scene.practitioner.uuid)]
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))
    assert event.purpose == "case_management"


def test_practitioner_never_receives_the_full_risk_summary(scene: Scene) -> None:
    scene.referral.triage_note = "Police hold intelligence about the family."
    scene.referral.save(update_fields=["triage_note"])
    response = scene.client("practitioner").get(detail(scene.referral), headers=PURPOSE)
    assert response.status_code == 200
    data = response.json()
    assert "risk_summary" not in data
    assert "triage_note" not in data
    assert data["risk_summary_for_provider"] == PROVIDER_RISK
    text = response.content.decode()
    assert FULL_RISK not in text
    assert "intelligence" not in text
    assert "Zebedee" not in text


@pytest.mark.parametrize(
    "persona", ["officer_other_area", "other_provider_practitioner", "police_other_region"]
)
def test_unrelated_persona_gets_the_same_404_as_a_missing_referral(
    scene: Scene, persona: str
) -> None:
    missing_and_forbidden_match(
        scene.client(persona), "get", detail(scene.referral), headers=PURPOSE
    )


# Triage --------------------------------------------------------------------------------------


def test_programme_manager_accepts_and_the_referrer_is_told(world: World) -> None:
    referral = submitted(world)
    response = api_for(world, "programme_manager").post(
        detail(referral, "accept"), {"note": "Meets the criteria."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ReferralStatus.ACCEPTED
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    event = AuditEvent.objects.filter(entity="referrals.referral", action="update").latest("seq")
    assert event.changes["status"] == ["submitted", "accepted"]
    assert event.actor_id == world.personas["programme_manager"].pk
    assert Notification.objects.filter(recipient=world.personas["supervising_officer"]).exists()


def test_decline_needs_a_known_reason(world: World) -> None:
    referral = submitted(world)
    client = api_for(world, "programme_manager")
    before = writes()
    response = client.post(detail(referral, "decline"), {"reason": "bored"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    response = client.post(detail(referral, "decline"), {"reason": "other"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["note"]
    assert writes() == before

    response = client.post(
        detail(referral, "decline"), {"reason": "duplicate", "note": ""}, format="json"
    )
    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "duplicate")


def test_question_and_answer_go_back_and_forth(world: World) -> None:
    referral = submitted(world)
    asked = api_for(world, "programme_manager").post(
        detail(referral, "request-information"), {"question": "Which mosque?"}, format="json"
    )
    assert asked.status_code == 200
    assert asked.json()["status"] == ReferralStatus.INFORMATION_REQUESTED
    empty = api_for(world, "supervising_officer").post(
        detail(referral, "provide-information"), {"answer": " "}, format="json"
    )
    assert empty.status_code == 400
    assert list(empty.json()) == ["answer"]
    answered = api_for(world, "supervising_officer").post(
        detail(referral, "provide-information"), {"answer": "The local one."}, format="json"
    )
    assert answered.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED


def test_refused_transition_is_a_400_on_status(scene: Scene) -> None:
    before = writes()
    response = scene.client("programme_manager").post(
        detail(scene.referral, "accept"), {}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert writes() == before


@pytest.mark.parametrize(
    ("verb", "persona"),
    [
        ("accept", "supervising_officer"),
        ("decline", "police_london"),
        ("request-information", "practitioner"),
        ("provide-information", "police_london"),
        ("close", "practitioner"),
        ("close", "officer_other_area"),
    ],
)
def test_triage_by_the_wrong_persona_is_a_404_and_changes_nothing(
    world: World, verb: str, persona: str
) -> None:
    referral = submitted(world)
    before = writes()
    client = api_for(world, persona)
    data = {"reason": "duplicate", "note": "x", "question": "x", "answer": "x"}
    missing_and_forbidden_match(client, "post", detail(referral, verb), data=data)
    assert writes() == before
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED


def test_officer_closes_the_referral_and_the_allocation_ends(scene: Scene) -> None:
    response = scene.client("supervising_officer").post(
        detail(scene.referral, "close"), {"reason": "Recalled to prison."}, format="json"
    )
    assert response.status_code == 200
    scene.allocation.refresh_from_db()
    assert scene.allocation.ended_at is not None
    assert response.json()["status"] == ReferralStatus.CLOSED
    # The practitioner's access ended with the allocation.
    assert scene.client("practitioner").get(LIST).json()["count"] == 0


# Ranking and allocation ----------------------------------------------------------------------


def accepted(world: World) -> Referral:
    referral = submitted(world)
    referral.status = ReferralStatus.ACCEPTED
    referral.save(update_fields=["status"])
    return referral


def cleared_practitioners(world: World) -> tuple[Any, Any]:
    mine = make_practitioner(world.personas["practitioner"], regions=[world.london])
    theirs = make_practitioner(
        world.personas["other_provider_practitioner"],
        regions=[world.north_west],
        specialisms=[Specialism.THEOLOGICAL],
    )
    make_contract(world.provider, regions=[world.london])
    make_contract(theirs.organisation, regions=[world.north_west])
    return mine, theirs


def test_ranking_shows_each_practitioner_with_the_reasons(world: World) -> None:
    referral = accepted(world)
    mine, theirs = cleared_practitioners(world)
    response = api_for(world, "programme_manager").get(detail(referral, "ranking"))
    assert response.status_code == 200
    rows = response.json()
    assert [row["practitioner"]["id"] for row in rows] == [str(mine.uuid), str(theirs.uuid)]
    assert rows[0]["position"] == 1
    assert rows[0]["eligible"] is True
    assert rows[1]["eligible"] is False
    assert rows[1]["position"] is None
    assert any(reason["label"] == "Region" and reason["excludes"] for reason in rows[1]["reasons"])


@pytest.mark.parametrize("persona", ["supervising_officer", "police_london", "practitioner"])
def test_ranking_is_for_the_programme_team_only(world: World, persona: str) -> None:
    referral = accepted(world)
    assert api_for(world, persona).get(detail(referral, "ranking")).status_code == 404


def test_programme_manager_allocates_from_the_ranking(world: World) -> None:
    referral = accepted(world)
    mine, _ = cleared_practitioners(world)
    response = api_for(world, "programme_manager").post(
        detail(referral, "allocate"), {"practitioner": str(mine.uuid)}, format="json"
    )
    assert response.status_code == 201, response.content
    allocation = Allocation.objects.get()
    data = response.json()
    assert data["id"] == str(allocation.uuid)
    assert data["practitioner"] == {"id": str(mine.uuid), "name": "mentor"}
    assert data["current"] is True
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ALLOCATED
    assert AuditEvent.objects.filter(entity="referrals.allocation", action="create").count() == 1
    # The practitioner now sees the participant.
    assert ids(api_for(world, "practitioner").get(LIST)) == {str(referral.uuid)}


@pytest.mark.parametrize(
    ("practitioner", "message"),
    [("unknown", "Select a practitioner"), ("theirs", "cannot be allocated")],
)
def test_allocating_someone_unknown_or_ineligible_is_a_400(
    world: World, practitioner: str, message: str
) -> None:
    referral = accepted(world)
    _, theirs = cleared_practitioners(world)
    key = str(theirs.uuid) if practitioner == "theirs" else "00000000-0000-4000-8000-000000000000"
    before = (Allocation.objects.count(), AuditEvent.objects.count())
    response = api_for(world, "programme_manager").post(
        detail(referral, "allocate"), {"practitioner": key}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["practitioner"][0]
    assert (Allocation.objects.count(), AuditEvent.objects.count()) == before


def test_allocate_queue_assigns_every_waiting_referral(world: World) -> None:
    referral = accepted(world)
    # No practitioner works in Wales, so this one waits.
    second = make_participant(
        reference="CASE-7",
        family_name="Seventh",
        organisation=world.probation_nw,
        region=Region.objects.get(code="wales"),
    )
    waiting = make_referral(second, world.personas["officer_other_area"])
    waiting.status = ReferralStatus.ACCEPTED
    waiting.save(update_fields=["status"])
    mine, _ = cleared_practitioners(world)
    response = api_for(world, "programme_manager").post(QUEUE, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [row["referral"] for row in data["allocated"]] == [str(referral.uuid)]
    assert data["allocated"][0]["practitioner"]["id"] == str(mine.uuid)
    assert [row["referral"] for row in data["waiting"]] == [str(waiting.uuid)]
    assert data["waiting"][0]["participant"] == {"id": str(second.uuid), "reference": "CASE-7"}
    assert data["waiting"][0]["why"].startswith("No eligible practitioner")
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.purpose) == ("list", "api:allocate-queue")
    assert set(event.changes["shown"]) == {str(world.case.uuid), str(second.uuid)}


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "analyst"])
def test_allocate_queue_is_for_the_programme_team_only(world: World, persona: str) -> None:
    accepted(world)
    cleared_practitioners(world)
    response = api_for(world, persona).post(QUEUE, format="json")
    assert response.status_code == 404
    assert Allocation.objects.count() == 0


def test_get_on_an_action_is_not_allowed(scene: Scene) -> None:
    client: APIClient = scene.client("programme_manager")
    assert client.get(detail(scene.referral, "accept")).status_code == 405
    assert client.get(QUEUE).status_code == 405
    assert Participant.objects.count() == 2
