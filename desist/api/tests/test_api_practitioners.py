"""/api/v1/practitioners/: the programme team's records of practitioners, their vetting,
training and status; `me/` for a practitioner's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World, make_user
from desist.accounts.constants import Role
from desist.api.tests.factories_api import (
    NOW,
    TODAY,
    api_for,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner, PractitionerStatusChange, TrainingCompletion
from desist.providers.tests.factories import make_practitioner

LIST = "/api/v1/practitioners/"
ME = "/api/v1/practitioners/me/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def detail(practitioner: Practitioner, verb: str = "") -> str:
    return f"{LIST}{practitioner.uuid}/" + (f"{verb}/" if verb else "")


def new_user(world: World, username: str = "newbie") -> Any:
    return make_user(username, world.provider, Role.PRACTITIONER)


def create_body(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": new_user(world).pk,
        "specialisms": ["mentoring", "theological"],
        "languages": ["en", "ur"],
        "faith_traditions": ["islam_sunni"],
        "sex": "female",
        "regions": ["london", "north_west"],
        "max_caseload": 8,
    }
    data.update(overrides)
    return data


def writes() -> tuple[int, int, int]:
    return (
        Practitioner.objects.count(),
        PractitionerStatusChange.objects.count(),
        AuditEvent.objects.count(),
    )


def test_programme_manager_adds_a_practitioner_and_it_is_audited(world: World) -> None:
    response = api_for(world, "programme_manager").post(LIST, create_body(world), format="json")

    assert response.status_code == 201, response.content
    practitioner = Practitioner.objects.get()
    data = response.json()
    assert data["id"] == str(practitioner.uuid)
    assert data["status"] == PractitionerStatus.APPLIED
    assert data["regions"] == ["london", "north_west"]
    assert data["cleared"] is False
    assert data["clearance_problems"]
    assert practitioner.organisation == world.provider
    event = AuditEvent.objects.get(entity="providers.practitioner", action="create")
    assert event.actor_id == world.personas["programme_manager"].pk
    assert event.changes["max_caseload"] == [None, 8]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"specialisms": []}, "specialisms"),
        ({"specialisms": ["astrology"]}, "specialisms"),
        ({"languages": []}, "languages"),
        ({"regions": []}, "regions"),
        ({"regions": ["atlantis"]}, "regions"),
        ({"max_caseload": 0}, "max_caseload"),
        ({"max_caseload": 101}, "max_caseload"),
        ({"sex": "x"}, "sex"),
        ({"user": 999999}, "user"),
    ],
)
def test_bad_practitioner_is_a_400_naming_the_field_and_writes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    body = create_body(world, **overrides)
    before = writes()
    response = api_for(world, "programme_manager").post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_user_without_the_practitioner_role_is_refused(world: World) -> None:
    body = create_body(world, user=world.personas["supervising_officer"].pk)
    response = api_for(world, "programme_manager").post(LIST, body, format="json")
    assert response.status_code == 400
    assert "practitioner role" in response.json()["user"][0]


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "practitioner", "police_london", "analyst", "administrator"]
)
def test_practitioner_records_are_for_the_programme_team_only(world: World, persona: str) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    client = api_for(world, persona)
    assert client.get(LIST).status_code == 404
    before = writes()
    assert client.post(LIST, create_body(world), format="json").status_code == 404
    missing_and_forbidden_match(client, "get", detail(practitioner))
    missing_and_forbidden_match(
        client, "post", detail(practitioner, "status"), data={"to_status": "suspended"}
    )
    missing_and_forbidden_match(client, "patch", detail(practitioner), data={"max_caseload": 1})
    assert writes() == before


def test_anonymous_is_refused(world: World) -> None:
    assert api_for(world, "anonymous").get(LIST).status_code in (401, 403)


def test_list_shows_caseload_and_clearance_and_filters(world: World) -> None:
    scene = make_scene(world)
    client = api_for(world, "programme_manager")
    rows = {row["id"]: row for row in results(client.get(LIST))}
    mine = rows[str(scene.practitioner.uuid)]
    assert (mine["caseload"], mine["cleared"], mine["name"]) == (1, True, "mentor")
    assert rows[str(scene.other_practitioner.uuid)]["caseload"] == 0
    scene.other_practitioner.status = PractitionerStatus.SUSPENDED
    scene.other_practitioner.save(update_fields=["status"])
    assert ids(client.get(LIST, {"cleared": "true"})) == {str(scene.practitioner.uuid)}
    assert ids(client.get(LIST, {"status": "suspended"})) == {str(scene.other_practitioner.uuid)}
    assert ids(client.get(LIST, {"region": "wales"})) == set()


def test_list_query_count_does_not_grow_with_the_page(world: World) -> None:
    for n in range(10):
        make_practitioner(new_user(world, f"p{n}"), regions=[world.london])
    one, ten = query_counts(api_for(world, "programme_manager"), LIST)
    assert one == ten


def test_list_of_practitioners_is_not_a_participant_record_so_writes_no_audit(world: World) -> None:
    make_practitioner(world.personas["practitioner"], regions=[world.london])
    before = AuditEvent.objects.count()
    api_for(world, "programme_manager").get(LIST)
    assert AuditEvent.objects.count() == before


def test_patch_changes_only_what_was_sent(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    response = api_for(world, "programme_manager").patch(
        detail(practitioner), {"max_caseload": 3}, format="json"
    )
    assert response.status_code == 200, response.content
    practitioner.refresh_from_db()
    assert practitioner.max_caseload == 3
    assert practitioner.specialisms == ["mentoring"]
    assert list(practitioner.regions.values_list("code", flat=True)) == ["london"]
    event = AuditEvent.objects.filter(entity="providers.practitioner").latest("seq")
    assert event.changes == {"max_caseload": [10, 3]}


def test_suspension_removes_access_at_once_and_tells_them(world: World) -> None:
    scene = make_scene(world)
    assert api_for(world, "practitioner").get("/api/v1/referrals/").json()["count"] == 1
    response = api_for(world, "programme_manager").post(
        detail(scene.practitioner, "status"),
        {"to_status": "suspended", "reason": "Under investigation."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PractitionerStatus.SUSPENDED
    assert response.json()["status_history"][0]["reason"] == "Under investigation."
    assert api_for(world, "practitioner").get("/api/v1/referrals/").json()["count"] == 0
    assert Notification.objects.filter(recipient=scene.user, kind="access_removed").exists()
    event = AuditEvent.objects.filter(entity="providers.practitioner").latest("seq")
    assert event.changes["status"] == ["approved", "suspended"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"to_status": "approved", "reason": "Looks fine"}, "to_status"),  # no vetting yet
        ({"to_status": "withdrawn", "reason": " "}, "reason"),
        ({"to_status": "expired", "reason": "x"}, "status"),  # not from 'applied'
        ({"to_status": "promoted", "reason": "x"}, "to_status"),
    ],
)
def test_refused_status_change_is_a_400_and_writes_nothing(
    world: World, data: dict[str, Any], field: str
) -> None:
    practitioner = make_practitioner(new_user(world), cleared=False)
    practitioner.status = PractitionerStatus.VETTING if field == "to_status" else "applied"
    practitioner.save(update_fields=["status"])
    before = writes()
    response = api_for(world, "programme_manager").post(
        detail(practitioner, "status"), data, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_vetting_and_training_are_recorded_then_approval_goes_through(world: World) -> None:
    practitioner = make_practitioner(new_user(world), cleared=False, status="vetting")
    client = api_for(world, "programme_manager")
    vetting = client.post(
        detail(practitioner, "vetting"),
        {"level": "sc", "granted_on": "2026-01-05", "expires_on": "2031-01-05"},
        format="json",
    )
    assert vetting.status_code == 200, vetting.content
    assert vetting.json()["vetting_level"] == "sc"
    for code in ("desistance", "safeguarding", "information_security"):
        done = client.post(
            detail(practitioner, "training"),
            {"course": code, "completed_on": "2026-02-01"},
            format="json",
        )
        assert done.status_code == 200, done.content
    assert TrainingCompletion.objects.filter(practitioner=practitioner).count() == 3
    approved = client.post(
        detail(practitioner, "status"),
        {"to_status": "approved", "reason": "Vetted and trained."},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["cleared"] is True
    assert approved.json()["clearance_problems"] == []


VETTING = {"level": "sc", "granted_on": "2026-01-05", "expires_on": "2031-01-05"}


@pytest.mark.parametrize(
    ("verb", "data", "field"),
    [
        ("vetting", VETTING | {"expires_on": "2025-01-05"}, "expires_on"),
        ("vetting", VETTING | {"level": "zz"}, "level"),
        ("vetting", VETTING | {"granted_on": "2027-01-05"}, "granted_on"),
        ("training", {"course": "knitting", "completed_on": "2026-02-01"}, "course"),
        ("training", {"course": "desistance", "completed_on": "2026-12-01"}, "completed_on"),
    ],
)
def test_bad_vetting_or_training_is_a_400_and_writes_nothing(
    world: World, verb: str, data: dict[str, Any], field: str
) -> None:
    practitioner = make_practitioner(new_user(world), cleared=False, status="vetting")
    before = (writes(), TrainingCompletion.objects.count())
    response = api_for(world, "programme_manager").post(
        detail(practitioner, verb), data, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert (writes(), TrainingCompletion.objects.count()) == before
    practitioner.refresh_from_db()
    assert practitioner.vetting_level == ""


def test_practitioner_reads_their_own_record(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"],
        regions=[world.london],
        vetting_expires_on=TODAY - dt.timedelta(days=1),
    )
    response = api_for(world, "practitioner").get(ME)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(practitioner.uuid)
    assert data["cleared"] is False
    assert data["clearance_problems"] == ["Vetting expired on 1 March 2026."]


@pytest.mark.parametrize("persona", ["practitioner", "programme_manager", "supervising_officer"])
def test_me_is_404_without_a_practitioner_record_of_ones_own(world: World, persona: str) -> None:
    make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    assert api_for(world, persona).get(ME).status_code == 404
