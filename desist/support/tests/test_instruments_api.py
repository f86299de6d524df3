"""/api/v1/instruments/: every loaded version, for anyone with a caseload role."""

from __future__ import annotations

import pytest

from conftest import World
from desist.api.tests.factories_api import api_for, results
from desist.support.models import Instrument

LIST = "/api/v1/instruments/"


@pytest.mark.parametrize(
    "persona",
    ["practitioner", "supervising_officer", "police_london", "programme_manager"],
)
def test_caseload_roles_list_the_instruments(world: World, persona: str) -> None:
    rows = results(api_for(world, persona).get(LIST))
    assert {(row["key"], row["kind"], row["active"]) for row in rows} >= {
        ("needs-assessment", "needs_assessment", True),
        ("ons4", "measure", True),
    }


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_others_get_not_found(world: World, persona: str) -> None:
    assert api_for(world, persona).get(LIST).status_code == 404


def test_anonymous_is_refused(world: World) -> None:
    assert api_for(world, "anonymous").get(LIST).status_code in (401, 403)


def test_one_instrument_holds_its_definition_and_credit(world: World) -> None:
    ons4 = Instrument.objects.get(key="ons4", version=1)
    response = api_for(world, "practitioner").get(f"{LIST}{ons4.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["sha256"] == ons4.sha256
    assert [item["key"] for item in data["definition"]["items"]] == [
        "life_satisfaction",
        "worthwhile",
        "happiness",
        "anxiety",
    ]
    assert "Office for National Statistics" in data["credit"]
    assert api_for(world, "practitioner").get(f"{LIST}999999/").status_code == 404


def test_the_list_filters_by_kind(world: World) -> None:
    rows = results(api_for(world, "practitioner").get(LIST, {"kind": "measure"}))
    assert {row["key"] for row in rows} == {"ons4"}
