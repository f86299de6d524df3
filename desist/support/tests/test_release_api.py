"""/api/v1/release-plans/: release plans with their checklist, appointments and the exit
passport as JSON. world.case (London, supervised by Probation London, allocated to the
practitioner) is in custody with a release four weeks away. Time is frozen at 09:00 on
2 March 2026."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from conftest import World
from desist.audit.models import AuditEvent
from desist.support.models import Appointment, ReleasePlan
from desist.support.tests.factories_release import (
    NOW,
    PURPOSE,
    days,
    fresh_custody,
    make_plan,
    set_first_name,
)

LIST = "/api/v1/release-plans/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def _in_custody(allocated_world: World) -> None:
    fresh_custody(allocated_world.case, days(28))


def api(world: World, persona: str) -> APIClient:
    client = APIClient()
    client.force_login(world.personas[persona])
    return client


def _plan(world: World) -> ReleasePlan:
    return make_plan(
        world.case,
        world.personas["supervising_officer"],
        community_organisation=world.probation_london,
        community_officer=set_first_name(world.personas["supervising_officer"], "Sam"),
        conditions_plain="Live at the address agreed",
    )


def detail(plan: ReleasePlan, verb: str = "") -> str:
    return f"{LIST}{plan.uuid}/" + (f"{verb}/" if verb else "")


def _writes() -> int:
    return AuditEvent.objects.exclude(action__in=["view", "list"]).count()


# Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "seen"),
    [
        ("supervising_officer", 1),
        ("police_london", 1),
        ("practitioner", 1),
        ("programme_manager", 1),
        ("officer_other_area", 0),
        ("police_other_region", 0),
    ],
)
def test_list_holds_the_plans_of_participants_the_caller_may_see(
    world: World, persona: str, seen: int
) -> None:
    _plan(world)

    response = api(world, persona).get(LIST)

    assert response.status_code == 200
    assert len(response.json()["results"]) == seen


def test_list_is_audited_and_carries_the_checklist(world: World) -> None:
    plan = _plan(world)

    rows = api(world, "supervising_officer").get(LIST).json()["results"]

    assert rows[0]["id"] == str(plan.uuid)
    assert rows[0]["expected_release_date"] == "2026-03-30"
    assert [e["item"] for e in rows[0]["checklist"]][:2] == ["accommodation", "identity_documents"]
    assert "given_name" not in rows[0]["participant"]
    event = AuditEvent.objects.get(action="list")
    assert (event.purpose, event.changes["shown"]) == ("api:release-plans", [str(world.case.uuid)])


def test_retrieve_needs_a_purpose_and_is_audited(world: World) -> None:
    plan = _plan(world)
    client = api(world, "police_london")

    assert client.get(detail(plan)).status_code == 400
    response = client.get(detail(plan), headers=PURPOSE)

    assert response.status_code == 200
    assert response.json()["conditions_plain"] == "Live at the address agreed"
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.actor_id, event.purpose) == (
        world.personas["police_london"].pk,
        "case_management",
    )


def test_other_area_gets_the_same_404_as_a_missing_plan(world: World) -> None:
    plan = _plan(world)
    client = api(world, "officer_other_area")

    forbidden = client.get(detail(plan), headers=PURPOSE)
    missing = client.get(f"{LIST}00000000-0000-4000-8000-000000000000/", headers=PURPOSE)

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


# Writing -------------------------------------------------------------------------------------


def test_officer_creates_a_plan_with_its_checklist(world: World) -> None:
    response = api(world, "supervising_officer").post(
        LIST,
        {
            "participant": str(world.case.uuid),
            "release_address_area": "Croydon",
            "release_region": "london",
            "community_organisation": world.probation_london.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["checklist"]) == 7
    assert body["expected_release_date"] == "2026-03-30"  # unchanged: not sent
    assert body["community_organisation"]["name"] == "Probation London"
    assert AuditEvent.objects.filter(entity="support.releaseplan", action="create").exists()


def test_create_refuses_bad_values_naming_the_field(world: World) -> None:
    response = api(world, "supervising_officer").post(
        LIST,
        {
            "participant": str(world.case.uuid),
            "expected_release_date": "2026-02-01",
            "community_organisation": world.probation_london.pk,
            "community_officer": world.personas["officer_other_area"].pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"expected_release_date", "community_officer"}
    assert not ReleasePlan.objects.exists()


@pytest.mark.parametrize("persona", ["police_london", "practitioner", "officer_other_area"])
def test_those_who_may_not_write_get_404_and_change_nothing(world: World, persona: str) -> None:
    plan = _plan(world)
    client = api(world, persona)
    before = _writes()

    responses = [
        client.post(LIST, {"participant": str(world.case.uuid)}, format="json"),
        client.patch(detail(plan), {"conditions_plain": "Changed"}, format="json"),
        client.patch(detail(plan, "checklist/bank_account"), {"status": "done"}, format="json"),
        client.post(
            detail(plan, "appointments"),
            {"starts_at": "2026-03-30T10:00:00Z", "with_whom": "GP", "place": "Surgery"},
            format="json",
        ),
        client.post(detail(plan, "handover"), {}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert _writes() == before


def test_patch_changes_the_plan_and_leaves_the_rest(world: World) -> None:
    plan = _plan(world)

    response = api(world, "colleague_same_org").patch(
        detail(plan), {"conditions_plain": "Meet your officer weekly"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["conditions_plain"] == "Meet your officer weekly"
    assert response.json()["community_organisation"]["name"] == "Probation London"


def test_checklist_entry_is_patched_by_its_item_code(world: World) -> None:
    plan = _plan(world)
    client = api(world, "supervising_officer")

    response = client.patch(
        detail(plan, "checklist/bank_account"),
        {"status": "done", "note": "Account opened"},
        format="json",
    )

    assert response.status_code == 200
    entry = next(e for e in response.json()["checklist"] if e["item"] == "bank_account")
    assert (entry["status"], entry["note"]) == ("done", "Account opened")
    assert client.patch(detail(plan, "checklist/moon"), {}, format="json").status_code == 404
    bad = client.patch(detail(plan, "checklist/gp_registration"), {"status": "x"}, format="json")
    assert bad.status_code == 400
    assert "status" in bad.json()


def test_appointment_is_added_or_refused_naming_the_field(world: World) -> None:
    plan = _plan(world)
    client = api(world, "programme_manager")

    early = client.post(
        detail(plan, "appointments"),
        {"starts_at": "2026-03-29T10:00:00+01:00", "with_whom": "GP", "place": "Surgery"},
        format="json",
    )
    added = client.post(
        detail(plan, "appointments"),
        {"starts_at": "2026-03-30T10:00:00+01:00", "with_whom": "GP", "place": "Surgery"},
        format="json",
    )

    assert early.status_code == 400
    assert list(early.json()) == ["starts_at"]
    assert added.status_code == 201
    assert Appointment.objects.get().with_whom == "GP"


def test_handover_through_the_api(world: World) -> None:
    plan = _plan(world)

    response = api(world, "supervising_officer").post(detail(plan, "handover"), format="json")

    assert response.status_code == 200
    assert response.json()["handed_over_at"] is not None


# The passport --------------------------------------------------------------------------------


def test_passport_as_json_holds_only_safe_values_and_is_audited(world: World) -> None:
    plan = _plan(world)
    client = api(world, "practitioner")

    assert client.get(detail(plan, "passport")).status_code == 400
    response = client.get(detail(plan, "passport"), headers=PURPOSE)

    assert response.status_code == 200
    body = response.json()
    assert body["release_date"] == "2026-03-30"
    assert body["conditions"] == ["Live at the address agreed"]
    assert body["contacts"][0]["name"] == "Sam"
    assert len(body["checklist"]) == 7
    assert set(body) == {
        "given_name",
        "family_name",
        "release_date",
        "release_area",
        "prepared_on",
        "contacts",
        "appointments",
        "appointments_from",
        "appointments_until",
        "conditions",
        "needs",
        "checklist",
    }
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert event.changes == {"shown": "exit_passport_api"}


def test_schema_describes_the_release_api_without_warnings(db: Any) -> None:
    out = io.StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=io.StringIO())
    schema = out.getvalue()

    for path in (
        "/api/v1/release-plans/",
        "/api/v1/release-plans/{release_plan_uuid}/",
        "/api/v1/release-plans/{release_plan_uuid}/checklist/{item}/",
        "/api/v1/release-plans/{release_plan_uuid}/appointments/",
        "/api/v1/release-plans/{release_plan_uuid}/passport/",
    ):
        assert path in schema, path
