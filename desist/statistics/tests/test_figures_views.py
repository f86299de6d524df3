"""The figures page and API: analysts and programme managers only, every table with its chart,
definition and notes, as at a chosen date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from conftest import PERSONAS, World
from desist.delivery.models import Concern
from desist.statistics.figures import FIGURES

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
PAGE = reverse("statistics:figures")
API = "/api/v1/statistics/figures/"
ALLOWED = {"analyst", "programme_manager"}


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def concerns(world: World) -> World:
    for day in range(1, 13):
        Concern.objects.create(
            participant=world.case,
            raised_by=world.personas["supervising_officer"],
            raised_at=dt.datetime(2024, 5, day, 10, tzinfo=dt.UTC),
            category="safeguarding",
            description="Described.",
        )
    return world


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_see_the_page(world: World, persona: str) -> None:
    response = world.client_for(persona).get(PAGE)

    if persona in ALLOWED:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code in (403, 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_use_the_api(world: World, persona: str) -> None:
    client = world.client_for(persona)

    listed = client.get(API)
    one = client.get(f"{API}concerns-by-type/")

    if persona in ALLOWED:
        assert (listed.status_code, one.status_code) == (200, 200)
    elif persona == "anonymous":
        assert listed.status_code in (401, 403) and one.status_code in (401, 403)
    else:
        assert listed.status_code in (403, 404) and one.status_code in (403, 404)


def test_the_page_shows_every_table_with_chart_definition_and_notes_as_at_today(
    concerns: World,
) -> None:
    response = concerns.client_for("analyst").get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2025-06-15"' in html
    assert html.count('role="img"') == len(FIGURES)
    assert html.count("<title id=") == len(FIGURES)
    for key in FIGURES:
        assert f'id="{key}"' in html
    assert "Figures correct as at 15 June 2025." in html
    assert "Concerns about a participant raised by practitioners" in html
    assert "Counts from 1 to 9 are shown as &lt;10" in html
    # 12 safeguarding concerns in 2024/25, none of another type: shown, not hidden.
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">12</td>' in html
    assert "Zebedee-Marker" not in html and "CASE-1" not in html


def test_the_page_takes_an_as_at_date(concerns: World) -> None:
    response = concerns.client_for("programme_manager").get(PAGE, {"as_at": "2024-03-31"})

    html = response.content.decode()
    assert "Figures correct as at 31 March 2024." in html
    assert ">12</td>" not in html  # the concerns were raised later


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-06-16", "The date must be today or in the past"),
        ("not a date", "Enter a date in the format YYYY-MM-DD"),
        ("", "Enter the date the figures are correct as at"),
    ],
)
def test_a_bad_as_at_date_is_named_in_an_error(world: World, value: str, message: str) -> None:
    response = world.client_for("analyst").get(PAGE, {"as_at": value})

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert 'href="#id_as_at"' in html
    assert 'role="img"' not in html


def test_the_api_lists_every_table_as_published(concerns: World) -> None:
    response = concerns.client_for("analyst").get(API, {"as_at": "2025-03-31"})

    data = response.json()
    assert [t["key"] for t in data] == list(FIGURES)
    concerns_table = data[list(FIGURES).index("concerns-by-type")]
    assert concerns_table["as_at"] == "2025-03-31"
    assert concerns_table["rows"] == [["2024/25", "0", "0", "12", "0", "0", "12"]]
    assert concerns_table["chart"] == "bar" and concerns_table["unpublished"] is False
    assert concerns_table["definition"]


def test_the_api_gives_one_table_by_key_and_not_found_for_an_unknown_key(
    concerns: World,
) -> None:
    client = concerns.client_for("programme_manager")

    one = client.get(f"{API}concerns-by-type/")
    missing = client.get(f"{API}no-such-figure/")

    assert one.status_code == 200
    assert one.json()["key"] == "concerns-by-type"
    assert one.json()["as_at"] == "2025-06-15"
    assert missing.status_code == 404


def test_the_api_refuses_a_future_date(world: World) -> None:
    response = world.client_for("analyst").get(API, {"as_at": "2025-06-16"})

    assert response.status_code == 400
    assert "as_at" in response.json()
