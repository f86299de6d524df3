from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import PERSONAS, World
from desist.statistics.models import HistoricalSession

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
PAGE = reverse("statistics:active_participants")
API = "/api/v1/statistics/active-participants/"
ALLOWED = {"analyst", "programme_manager"}


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def data(world: World) -> World:
    HistoricalSession.objects.create(
        participant=world.case,
        session_date=dt.date(2019, 6, 1),
        attendance="attended",
        source="test.csv",
        imported_at=NOW,
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
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_use_the_api(world: World, persona: str) -> None:
    response = world.client_for(persona).get(API, {"as_at": "2020-03-31"})

    if persona in ALLOWED:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 404


def test_the_page_shows_the_table_and_its_notes_without_names(data: World) -> None:
    response = data.client_for("analyst").get(PAGE, {"as_at": "2020-03-31", "by": "sex"})

    body = response.content.decode()
    assert "govuk-table" in body
    assert "2019/20" in body and "&lt;10" in body
    assert "Figures correct as at 31 March 2020." in body
    assert "Records of the same person were counted once." in body
    assert "download=xlsx" in body
    assert "Zebedee-Marker" not in body and data.case.reference not in body


def test_the_page_names_a_bad_date_in_the_error_summary(world: World) -> None:
    response = world.client_for("analyst").get(PAGE, {"as_at": "2020-02-30"})

    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_as_at"' in body
    assert "Enter a date in the format YYYY-MM-DD" in body


def test_the_page_offers_csv_and_spreadsheet_downloads(data: World) -> None:
    client = data.client_for("programme_manager")

    csv_response = client.get(PAGE, {"as_at": "2020-03-31", "download": "csv"})
    xlsx_response = client.get(PAGE, {"as_at": "2020-03-31", "download": "xlsx"})

    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode() == "financial_year,total\n2019/20,<10\n"
    assert 'filename="active-participants-2020-03-31.xlsx"' in xlsx_response["Content-Disposition"]
    from io import BytesIO

    book = load_workbook(BytesIO(xlsx_response.content))
    assert book.sheetnames == ["Active participants", "Notes"]


def test_the_api_returns_the_table_with_its_notes(data: World) -> None:
    response = data.client_for("analyst").get(API, {"as_at": "2020-03-31", "by": "strand"})

    body = response.json()
    assert body["as_at"] == "2020-03-31"
    assert body["rows"][0]["financial_year"] == "2019/20"
    assert body["rows"][0]["total"] == "<10"
    assert body["duplicates"] and body["definition"] and body["disclosure"]
    assert data.case.reference not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [({}, "as_at"), ({"as_at": "31/03/2020"}, "as_at"), ({"as_at": "2020-03-31", "by": "x"}, "by")],
)
def test_the_api_names_the_bad_parameter(world: World, query: dict[str, str], field: str) -> None:
    response = world.client_for("analyst").get(API, query)

    assert response.status_code == 400
    assert field in response.json()
