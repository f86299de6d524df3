"""/api/v1/contracts/: provider contracts, for the programme team."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    TODAY,
    api_for,
    ids,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.providers.models import Contract
from desist.providers.tests.factories import make_contract

LIST = "/api/v1/contracts/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def body(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation": world.provider.pk,
        "reference": "DDP-2026-01",
        "start_date": "2026-04-01",
        "end_date": "2028-03-31",
        "regions": ["london"],
        "capacity": 40,
    }
    data.update(overrides)
    return data


def writes() -> tuple[int, int]:
    return Contract.objects.count(), AuditEvent.objects.count()


def test_programme_manager_adds_a_contract_and_it_is_audited(world: World) -> None:
    response = api_for(world, "programme_manager").post(LIST, body(world), format="json")
    assert response.status_code == 201, response.content
    contract = Contract.objects.get()
    data = response.json()
    assert data["id"] == str(contract.uuid)
    assert data["organisation"] == {"id": world.provider.pk, "name": "Mentors Ltd"}
    assert data["in_force"] is False  # starts next month
    assert data["regions"] == ["london"]
    event = AuditEvent.objects.get(entity="providers.contract", action="create")
    assert event.changes["capacity"] == [None, 40]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"organisation": "probation"}, "organisation"),
        ({"reference": " "}, "reference"),
        ({"end_date": "2026-03-31"}, "end_date"),
        ({"regions": []}, "regions"),
        ({"capacity": 0}, "capacity"),
        ({"start_date": "1 April"}, "start_date"),
    ],
)
def test_bad_contract_is_a_400_naming_the_field_and_writes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    if overrides.get("organisation") == "probation":
        overrides = {"organisation": world.probation_london.pk}
    before = writes()
    response = api_for(world, "programme_manager").post(
        LIST, body(world, **overrides), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_duplicate_reference_is_refused(world: World) -> None:
    make_contract(world.provider, reference="DDP-2026-01")
    response = api_for(world, "programme_manager").post(LIST, body(world), format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["reference"][0]


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "analyst", "no_roles"])
def test_contracts_are_for_the_programme_team_only(world: World, persona: str) -> None:
    contract = make_contract(world.provider)
    client = api_for(world, persona)
    assert client.get(LIST).status_code == 404
    missing_and_forbidden_match(client, "get", f"{LIST}{contract.uuid}/")
    before = writes()
    assert client.post(LIST, body(world), format="json").status_code == 404
    assert writes() == before


def test_list_filters_by_in_force_and_region(world: World) -> None:
    current = make_contract(world.provider, regions=[world.london])
    ended = Contract.objects.create(
        organisation=world.provider,
        reference="OLD",
        start_date=TODAY - dt.timedelta(days=800),
        end_date=TODAY - dt.timedelta(days=1),
        capacity=5,
    )
    client = api_for(world, "programme_manager")
    assert ids(client.get(LIST, {"in_force": "true"})) == {str(current.uuid)}
    assert ids(client.get(LIST, {"in_force": "false"})) == {str(ended.uuid)}
    assert ids(client.get(LIST, {"region": "london"})) == {str(current.uuid)}
    response = client.get(f"{LIST}{current.uuid}/")
    assert response.status_code == 200
    assert response.json()["in_force"] is True


def test_list_query_count_does_not_grow_with_the_page(world: World) -> None:
    for _ in range(10):
        make_contract(world.provider, regions=[world.london, world.north_west])
    one, ten = query_counts(api_for(world, "programme_manager"), LIST)
    assert one == ten
    assert len(results(api_for(world, "programme_manager").get(LIST))) == 10
