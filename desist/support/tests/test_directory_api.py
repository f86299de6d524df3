"""/api/v1/services/: the directory for staff, changed by programme managers (audited)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import World
from desist.audit.models import AuditEvent
from desist.support.constants import EligibleSex
from desist.support.models import Service
from desist.support.tests.factories_plan import NOW, make_service

LIST = "/api/v1/services/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def api(world: World, persona: str) -> APIClient:
    client = APIClient()
    client.force_login(world.personas[persona])
    return client


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    "persona",
    ["supervising_officer", "prison_offender_manager", "police_london", "practitioner"],
)
def test_staff_read_the_directory_without_a_purpose_and_without_an_audit(
    world: World, persona: str
) -> None:
    service = make_service(regions=[world.london])
    client = api(world, persona)

    listed = client.get(LIST)
    one = client.get(f"{LIST}{service.uuid}/")

    assert _codes(listed) == [service.code]
    assert one.status_code == 200
    assert one.json()["regions"] == ["london"]
    assert one.json()["pathways"] == ["accommodation"]
    assert not AuditEvent.objects.filter(action__in=["view", "list"]).exists()


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_others_do_not_find_the_directory(world: World, persona: str) -> None:
    service = make_service()
    client = api(world, persona)
    assert client.get(LIST).status_code == 404
    assert client.get(f"{LIST}{service.uuid}/").status_code == 404


def test_the_list_filters_by_pathway_area_sex_and_age(world: World) -> None:
    make_service("match", regions=[world.london], eligible_sex=EligibleSex.MALE, max_age=40)
    make_service("national", national=True)
    make_service("elsewhere", regions=[world.north_west])
    make_service("women", national=True, eligible_sex=EligibleSex.FEMALE)
    make_service("too-young", national=True, max_age=39)
    make_service("debt", national=True, pathways=["finance"])
    make_service("closed", national=True, active=False)

    response = api(world, "practitioner").get(
        LIST, {"pathway": "accommodation", "region": "london", "sex": "male", "age": 40}
    )

    assert sorted(_codes(response)) == ["match", "national"]


def test_withdrawn_services_are_listed_only_when_asked_for(world: World) -> None:
    make_service("closed", active=False)
    client = api(world, "practitioner")
    assert _codes(client.get(LIST)) == []
    assert _codes(client.get(LIST, {"include_inactive": "true"})) == ["closed"]


def test_a_bad_filter_is_a_400_naming_it(world: World) -> None:
    response = api(world, "practitioner").get(LIST, {"region": "atlantis"})
    assert response.status_code == 400
    assert "region" in response.json()


def _body(**changes: Any) -> dict[str, Any]:
    return {
        "code": "debt-line",
        "name": "Debt line",
        "pathways": ["finance"],
        "national": True,
        "phone": "0808 157 0002",
        **changes,
    }


def test_a_programme_manager_adds_a_service_and_it_is_audited(world: World) -> None:
    response = api(world, "programme_manager").post(LIST, _body(), format="json")

    assert response.status_code == 201, response.content
    service = Service.objects.get()
    assert response.json()["id"] == str(service.uuid)
    event = AuditEvent.objects.get(entity="support.service")
    assert (event.action, event.actor_id) == ("create", world.personas["programme_manager"].pk)


def test_a_bad_service_is_a_400_naming_each_field(world: World) -> None:
    response = api(world, "programme_manager").post(
        LIST, _body(pathways=["housing"], national=False, website="nope"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"pathways", "regions", "website"}
    assert not Service.objects.exists()


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "police_london"])
def test_only_programme_managers_change_the_directory(world: World, persona: str) -> None:
    service = make_service()
    client = api(world, persona)
    assert client.post(LIST, _body(), format="json").status_code == 404
    assert client.patch(f"{LIST}{service.uuid}/", {"name": "X"}, format="json").status_code == 404
    assert Service.objects.count() == 1
    assert not AuditEvent.objects.filter(entity="support.service").exists()


def test_a_patch_changes_only_what_is_sent_and_is_audited(world: World) -> None:
    service = make_service(regions=[world.london], email="a@example.org")

    response = api(world, "programme_manager").patch(
        f"{LIST}{service.uuid}/", {"phone": "0300 123 4567", "active": False}, format="json"
    )

    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert (service.phone, service.email, service.active) == (
        "0300 123 4567",
        "a@example.org",
        False,
    )
    event = AuditEvent.objects.get(entity="support.service")
    assert event.changes == {"phone": ["020 7946 0000", "0300 123 4567"], "active": [True, False]}


def test_an_unknown_service_is_not_found(world: World) -> None:
    assert api(world, "practitioner").get(f"{LIST}{uuid.uuid4()}/").status_code == 404
