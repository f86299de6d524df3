"""Figures before disclosure control: programme managers only, marked, audited; the threshold
from settings.

The data: one person (world.case) attended a session on 1 June 2019, so 2019/20 has 1 person:
published as "<10", unpublished as "1".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from conftest import World
from desist.accounts.models import User
from desist.audit.models import AuditEvent
from desist.statistics import exports
from desist.statistics.models import HistoricalSession
from desist.statistics.selectors import active_participants_table
from desist.statistics.services import AUDIT_ENTITY
from desist.statistics.tables import NOT_FOR_PUBLICATION

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
AS_AT = dt.date(2020, 3, 31)
PAGE = reverse("statistics:active_participants")
API = "/api/v1/statistics/active-participants/"


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


def audited() -> list[dict[str, Any]]:
    names = dict(User.objects.values_list("pk", "username"))
    return [
        {"actor": names.get(event.actor_id or 0), **event.changes}
        for event in AuditEvent.objects.filter(entity=AUDIT_ENTITY).order_by("seq")
    ]


def run(*args: str) -> str:
    out = StringIO()
    call_command("stats", "active-participants", "--as-at", "2020-03-31", *args, stdout=out)
    return out.getvalue()


# The selector and the exports ---------------------------------------------------------------


def test_unpublished_figures_are_exact_and_marked_not_for_publication(data: World) -> None:
    published = active_participants_table(as_at=AS_AT)
    unpublished = active_participants_table(as_at=AS_AT, unpublished=True)

    assert published.totals == ("<10",) and not published.unpublished
    assert unpublished.totals == ("1",)
    assert unpublished.all_notes()[0] == NOT_FOR_PUBLICATION
    assert "No disclosure control was applied" in unpublished.disclosure


def test_an_unpublished_breakdown_shows_exact_cells(data: World) -> None:
    table = active_participants_table(as_at=AS_AT, by="strand", unpublished=True)

    row = dict(zip(table.columns, table.cells[0], strict=True))
    assert row["probation_licence"] == "1"
    assert set(row.values()) == {"0", "1"}


@override_settings(DESIST_DISCLOSURE_THRESHOLD=3)
def test_the_threshold_comes_from_settings(data: World) -> None:
    table = active_participants_table(as_at=AS_AT)

    assert table.totals == ("<3",)
    assert "counts from 1 to 2 are shown as <3" in table.disclosure


def test_every_export_but_csv_carries_the_mark(data: World) -> None:
    table = active_participants_table(as_at=AS_AT, unpublished=True)

    text = exports.render(table, "table").decode()
    as_json = json.loads(exports.render(table, "json"))
    book = load_workbook(BytesIO(exports.render(table, "xlsx")))

    assert text.startswith(NOT_FOR_PUBLICATION.upper())
    assert as_json["unpublished"] is True and as_json["marking"] == NOT_FOR_PUBLICATION
    assert book["Active participants"]["A1"].value == NOT_FOR_PUBLICATION
    assert NOT_FOR_PUBLICATION in book.properties.title
    assert "not-for-publication" in exports.filename(table, "xlsx")
    with pytest.raises(exports.UnmarkableFormat):
        exports.render(table, "csv")


def test_the_ods_file_says_not_for_publication_above_the_table(data: World, tmp_path: Path) -> None:
    from odf.opendocument import load  # type: ignore[import-untyped]
    from odf.table import Table  # type: ignore[import-untyped]

    path = tmp_path / "t.ods"
    path.write_bytes(exports.to_ods(active_participants_table(as_at=AS_AT, unpublished=True)))

    sheet = load(str(path)).spreadsheet.getElementsByType(Table)[0]
    assert str(sheet.childNodes[0]).startswith(NOT_FOR_PUBLICATION)


# The page --------------------------------------------------------------------------------------


def test_a_programme_manager_is_offered_the_box_and_an_analyst_is_not(world: World) -> None:
    manager = world.client_for("programme_manager").get(PAGE).content.decode()
    analyst = world.client_for("analyst").get(PAGE).content.decode()

    assert 'name="unpublished"' in manager
    assert 'name="unpublished"' not in analyst


def test_a_programme_manager_sees_exact_figures_marked_and_audited(data: World) -> None:
    response = data.client_for("programme_manager").get(
        PAGE, {"as_at": "2020-03-31", "unpublished": "on"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Not for publication" in body
    assert "&lt;10" not in body
    assert "download=csv" not in body and "download=xlsx" in body
    assert audited() == [
        {
            "actor": data.personas["programme_manager"].username,
            "unpublished": True,
            "granted": True,
            "channel": "page",
            "as_at": "2020-03-31",
            "by": "",
            "format": "page",
            "years": 1,
        }
    ]


def test_an_unpublished_download_is_marked_and_csv_is_not_offered(data: World) -> None:
    client = data.client_for("programme_manager")
    query = {"as_at": "2020-03-31", "unpublished": "on"}

    xlsx = client.get(PAGE, {**query, "download": "xlsx"})
    csv_asked = client.get(PAGE, {**query, "download": "csv"})

    book = load_workbook(BytesIO(xlsx.content))
    assert book["Active participants"]["A1"].value == NOT_FOR_PUBLICATION
    assert "not-for-publication" in xlsx["Content-Disposition"]
    assert csv_asked["Content-Type"].startswith("text/html")  # the page, not a CSV file
    assert [event["format"] for event in audited()] == ["xlsx", "page"]


def test_an_analyst_asking_for_unpublished_figures_gets_a_form_error_and_is_audited(
    data: World,
) -> None:
    response = data.client_for("analyst").get(PAGE, {"as_at": "2020-03-31", "unpublished": "on"})

    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_unpublished"' in body
    assert "Only programme managers can see figures before disclosure control" in body
    assert "govuk-table" not in body
    assert (
        audited()[0]["granted"] is False
        and audited()[0]["actor"] == data.personas["analyst"].username
    )


# The API ---------------------------------------------------------------------------------------


def test_the_api_gives_a_programme_manager_marked_exact_figures(data: World) -> None:
    response = data.client_for("programme_manager").get(
        API, {"as_at": "2020-03-31", "unpublished": "true"}
    )

    body = response.json()
    assert body["unpublished"] is True
    assert body["marking"] == NOT_FOR_PUBLICATION
    assert body["rows"][0]["total"] == "1"
    assert audited()[0]["channel"] == "api" and audited()[0]["granted"] is True


def test_the_api_publishes_by_default_with_a_blank_marking(data: World) -> None:
    body = data.client_for("programme_manager").get(API, {"as_at": "2020-03-31"}).json()

    assert body["unpublished"] is False and body["marking"] == ""
    assert body["rows"][0]["total"] == "<10"
    assert audited() == []


def test_the_api_refuses_an_analyst_unpublished_figures_naming_the_parameter(
    data: World,
) -> None:
    response = data.client_for("analyst").get(API, {"as_at": "2020-03-31", "unpublished": "true"})

    assert response.status_code == 400
    assert "Only programme managers" in response.json()["unpublished"][0]
    assert audited()[0]["granted"] is False


# The command -----------------------------------------------------------------------------------


def test_the_command_gives_a_programme_manager_marked_exact_figures(data: World) -> None:
    manager = data.personas["programme_manager"].username

    out = run("--unpublished", "--actor", manager)

    assert out.startswith(NOT_FOR_PUBLICATION.upper())
    assert re.search(r"^2019/20\s+1$", out, re.MULTILINE)
    assert audited()[0]["channel"] == "command" and audited()[0]["actor"] == manager


def test_the_command_refuses_unpublished_figures_to_an_analyst_and_audits_it(
    data: World,
) -> None:
    with pytest.raises(CommandError, match="not a programme manager"):
        run("--unpublished", "--actor", data.personas["analyst"].username)

    assert audited()[0]["granted"] is False


def test_the_command_needs_an_actor_for_unpublished_figures(data: World) -> None:
    with pytest.raises(CommandError, match="--actor"):
        run("--unpublished")


def test_the_command_refuses_unpublished_figures_as_csv(data: World) -> None:
    manager = data.personas["programme_manager"].username

    with pytest.raises(CommandError, match="cannot be written as CSV"):
        run("--unpublished", "--actor", manager, "--format", "csv")
