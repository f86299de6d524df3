"""Active participants on hand-built data: desist's own sessions and imported history together.

The scene (as at 1 April 2020, today frozen at 15 June 2025):
- CASE-1 (world.case): a delivery session attended at 23:30 UTC on 31 March 2019, which is
  00:30 on 1 April 2019 in London (BST), so in 2019/20; a missed one in June 2018 (not
  counted).
- CASE-2 (world.other_case): history attended on 1 April 2018 (2018/19), late on 31 March
  2020 (2019/20), attended on 2 April 2020 (after the as-at date: left out).
- CASE-3: a cancelled session in May 2019 only (never active).
So: 2018/19 one person (CASE-2); 2019/20 two (CASE-1, CASE-2); 2020/21 none yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from conftest import World, make_participant
from desist.delivery.models import Session
from desist.delivery.tests.factories_delivery import Scene, make_scene
from desist.people.models import Participant
from desist.statistics.models import HistoricalSession
from desist.statistics.selectors import (
    active_participants_table,
    activity_arrays,
    age_band_codes,
    count_active_participants,
    financial_year_starts,
)

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
AS_AT = dt.date(2020, 4, 1)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def delivery_session(
    scene: Scene, participant: Participant, start: dt.datetime, outcome: str
) -> None:
    Session.objects.create(
        participant=participant,
        allocation=scene.allocation,
        practitioner=scene.practitioner,
        scheduled_start=start,
        mode="in_person",
        session_type="mentoring",
        outcome=outcome,
        created_by=scene.user,
    )


def history(participant: Participant, day: dt.date, attendance: str) -> None:
    HistoricalSession.objects.create(
        participant=participant,
        session_date=day,
        attendance=attendance,
        source="test.csv",
        imported_at=NOW,
    )


def person(world: World, reference: str, family_name: str, **extra: Any) -> Participant:
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=world.probation_london,
        region=world.london,
        **extra,
    )


@pytest.fixture
def scene(world: World) -> Scene:
    scene = make_scene(world)
    delivery_session(scene, world.case, dt.datetime(2019, 3, 31, 23, 30, tzinfo=dt.UTC), "attended")
    delivery_session(
        scene, world.case, dt.datetime(2018, 6, 1, 10, tzinfo=dt.UTC), "did_not_attend"
    )
    history(world.other_case, dt.date(2018, 4, 1), "attended")
    history(world.other_case, dt.date(2020, 3, 31), "late")
    history(world.other_case, dt.date(2020, 4, 2), "attended")
    history(person(world, "CASE-3", "Thirdperson"), dt.date(2019, 5, 1), "cancelled")
    return scene


def raw_counts(as_at: dt.date = AS_AT, by: str = "", columns: int = 0) -> Any:
    return count_active_participants(
        activity_arrays(as_at=as_at, by=by), as_at=as_at, columns=columns
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("stats", "active-participants", *args, stdout=out)
    return out.getvalue()


def test_delivery_and_historical_sessions_count_together_by_financial_year(scene: Scene) -> None:
    counts = raw_counts()

    assert counts.years == ("2018/19", "2019/20", "2020/21")
    assert counts.totals == (1, 2, 0)


def test_a_later_as_at_date_takes_in_later_sessions(scene: Scene) -> None:
    # The 2 April 2020 session now counts: CASE-2 is active in 2020/21.
    assert raw_counts(as_at=dt.date(2020, 4, 2)).totals == (1, 2, 1)
    # As at 31 March 2019 CASE-1's session (1 April 2019 in London) has not happened yet.
    assert raw_counts(as_at=dt.date(2019, 3, 31)).totals == (1,)


def test_the_csv_has_exactly_the_published_columns(scene: Scene) -> None:
    out = run("--as-at", "2020-04-01", "--format", "csv")

    assert list(csv.reader(io.StringIO(out))) == [
        ["financial_year", "total"],
        ["2018/19", "<10"],  # 1 person, suppressed
        ["2019/20", "<10"],  # 2 people, suppressed
        ["2020/21", "0"],  # zeros are shown
    ]


def test_counts_of_ten_or_more_are_published_and_a_breakdown_adds_a_column_per_value(
    world: World,
) -> None:
    # 12 people active in 2019/20: 10 men and 2 women. By sex, the two women are suppressed
    # ("<10"); the men's 10 could then be worked out from the total (12 - 2 shown as <10 ...),
    # so secondary suppression hides the smallest other non-zero cell: the men's 10 -> "[c]".
    for i in range(12):
        sex = "female" if i < 2 else "male"
        history(
            person(world, f"P-{i}", f"Person{chr(65 + i)}", sex=sex),
            dt.date(2019, 6, 1),
            "attended",
        )

    plain = run("--as-at", "2020-03-31", "--format", "csv")
    by_sex = run("--as-at", "2020-03-31", "--format", "csv", "--by", "sex")

    assert list(csv.reader(io.StringIO(plain))) == [["financial_year", "total"], ["2019/20", "12"]]
    assert list(csv.reader(io.StringIO(by_sex))) == [
        ["financial_year", "total", "female", "male", "not_known"],
        ["2019/20", "12", "<10", "[c]", "0"],
    ]
    counts = raw_counts(as_at=dt.date(2020, 3, 31), by="sex", columns=3)
    assert counts.by_category[0][:3] == (2, 10, 0)


def test_records_of_the_same_person_count_once(world: World) -> None:
    # Same given name, family name and date of birth: one person under the duplicates rules.
    first = person(world, "DUP-1", "Samename")
    second = person(world, "DUP-2", "Samename")
    history(first, dt.date(2019, 6, 1), "attended")
    history(second, dt.date(2019, 7, 1), "attended")

    counts = raw_counts(as_at=dt.date(2020, 3, 31))

    assert counts.totals == (1,)
    table = active_participants_table(as_at=dt.date(2020, 3, 31))
    assert table.duplicates.startswith("Records of the same person were counted once.")


def test_a_history_longer_than_one_packed_column_counts_every_year(world: World) -> None:
    # Years are packed 62 to a column: 1950/51 is bit 0 of the first column, 2012/13 bit 0
    # of the second, 2019/20 bit 7 of it. A session on 31 March 2013 is still in 2012/13.
    old = person(world, "LONG-1", "Longhistory")
    history(old, dt.date(1950, 4, 1), "attended")
    history(old, dt.date(2013, 3, 31), "late")
    history(old, dt.date(2019, 4, 1), "attended")
    history(old, dt.date(2019, 5, 1), "did_not_attend")

    counts = raw_counts(as_at=dt.date(2020, 3, 31))

    assert counts.years[0] == "1950/51" and counts.years[-1] == "2019/20"
    active = {year for year, total in zip(counts.years, counts.totals, strict=True) if total}
    assert active == {"1950/51", "2012/13", "2019/20"}
    assert sum(counts.totals) == 3


def test_only_received_sessions_on_or_before_the_as_at_date_make_a_year(world: World) -> None:
    someone = person(world, "RECV-1", "Receiver")
    history(someone, dt.date(2019, 4, 1), "did_not_attend")
    history(someone, dt.date(2019, 4, 2), "cancelled")
    history(someone, dt.date(2020, 3, 31), "attended")

    assert raw_counts(as_at=dt.date(2020, 3, 30)).totals == ()  # nothing received yet
    assert raw_counts(as_at=dt.date(2020, 3, 31)).totals == (1,)


def test_a_breakdown_takes_the_main_record_of_a_person_with_two(world: World) -> None:
    # Two records of one person (same name and date of birth) in different strands: the
    # person counts once, under the strand of the record with the smaller pk.
    first = person(world, "MAIN-1", "Mainrecord", strand="custody")
    second = person(world, "MAIN-2", "Mainrecord", strand="tpim")
    history(second, dt.date(2019, 6, 1), "attended")
    history(first, dt.date(2019, 7, 1), "attended")
    columns = list(Participant._meta.get_field("strand").choices or [])
    custody = [value for value, _ in columns].index("custody")

    counts = raw_counts(as_at=dt.date(2020, 3, 31), by="strand", columns=len(columns))

    assert counts.totals == (1,)
    assert counts.by_category[0][custody] == 1
    assert sum(counts.by_category[0]) == 1


def test_financial_years_begin_on_the_first_of_april() -> None:
    days = np.array(["2019-03-31", "2019-04-01", "2020-03-31", "2020-04-01"], dtype="datetime64[D]")

    assert financial_year_starts(days).tolist() == [2018, 2019, 2019, 2020]


def test_age_bands_use_the_age_on_the_first_of_april() -> None:
    births = np.array(
        ["2001-04-01", "2001-04-02", "1995-04-01", "1965-04-01", "2010-01-01"],
        dtype="datetime64[D]",
    )
    # On 1 April 2019: 18 (birthday that day), 17 (birthday tomorrow), 24, 54, 9.
    codes = age_band_codes(births, np.full(5, 2019, dtype=np.int64))

    assert codes.tolist() == [1, 0, 1, 4, 0]


def test_the_age_band_breakdown_moves_a_person_up_a_band_in_the_year_they_turn_25(
    world: World,
) -> None:
    young = person(world, "AGE-1", "Agerson", date_of_birth=dt.date(1995, 4, 1))
    history(young, dt.date(2019, 6, 1), "attended")  # 24 on 1 April 2019
    history(young, dt.date(2020, 6, 1), "attended")  # 25 on 1 April 2020

    counts = raw_counts(as_at=dt.date(2020, 6, 30), by="age-band", columns=6)

    assert counts.by_category[0][:6] == (0, 1, 0, 0, 0, 0)
    assert counts.by_category[1][:6] == (0, 0, 1, 0, 0, 0)


def test_the_table_format_shows_the_notes_below_the_table(scene: Scene) -> None:
    out = run("--as-at", "2020-04-01", "--by", "region")

    assert "Financial year" in out and "London" in out and "2019/20" in out
    assert "Figures correct as at 1 April 2020." in out
    assert "distinct people who received at least one" in out
    assert "Records of the same person were counted once." in out
    assert "Disclosure control" in out
    for name in ("Zebedee-Marker", "Quillfeather-Marker", "CASE-1"):
        assert name not in out


def test_json_parses_back_with_its_notes(scene: Scene) -> None:
    data = json.loads(run("--as-at", "2020-04-01", "--format", "json", "--by", "strand"))

    assert data["as_at"] == "2020-04-01"
    assert data["columns"][:2] == ["financial_year", "total"]
    assert "probation_licence" in data["columns"]
    assert [row["financial_year"] for row in data["rows"]] == ["2018/19", "2019/20", "2020/21"]
    assert data["definition"] and data["duplicates"] and data["disclosure"]


def test_xlsx_opens_with_openpyxl_and_carries_the_notes(scene: Scene, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    call_command(
        "stats",
        "active-participants",
        "--as-at",
        "2020-04-01",
        "--format",
        "xlsx",
        "--output",
        str(path),
        stderr=StringIO(),
    )

    book = load_workbook(path)
    assert book.sheetnames == ["Active participants", "Notes"]
    values = [row for row in book["Active participants"].iter_rows(values_only=True)]
    assert ("Financial year", "Total") in values
    assert ("2020/21", 0) in values and ("2019/20", "<10") in values
    notes = [row[0] for row in book["Notes"].iter_rows(values_only=True)]
    assert "Figures correct as at 1 April 2020." in notes


def test_ods_opens_with_odfpy_and_carries_the_notes(scene: Scene, tmp_path: Path) -> None:
    from odf import teletype
    from odf.opendocument import load
    from odf.table import Table, TableCell

    path = tmp_path / "out.ods"
    call_command(
        "stats",
        "active-participants",
        "--as-at",
        "2020-04-01",
        "--format",
        "ods",
        "--output",
        str(path),
        stderr=StringIO(),
    )

    document = load(str(path))
    sheets = {
        sheet.getAttribute("name"): [
            teletype.extractText(c) for c in sheet.getElementsByType(TableCell)
        ]
        for sheet in document.spreadsheet.getElementsByType(Table)
    }
    assert set(sheets) == {"Active participants", "Notes"}
    assert sheets["Active participants"][-2:] == ["2020/21", "0"]
    assert "Figures correct as at 1 April 2020." in sheets["Notes"]


def test_spreadsheets_need_an_output_file(world: World) -> None:
    with pytest.raises(CommandError, match="give --output FILE"):
        run("--as-at", "2020-04-01", "--format", "xlsx")


@pytest.mark.parametrize("bad", ["2020-13-01", "1/4/2020", "2020-4-1", "yesterday"])
def test_a_bad_as_at_date_is_a_clear_error(world: World, bad: str) -> None:
    with pytest.raises(
        CommandError, match=f'--as-at "{bad}" is not a date in the format YYYY-MM-DD'
    ):
        run("--as-at", bad)
