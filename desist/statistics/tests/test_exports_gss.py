"""Release exports in the good-practice layout: XLSX (gptables), ODS (odfpy), CSV zip."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from odf.draw import Image  # type: ignore[import-untyped]
from odf.opendocument import load  # type: ignore[import-untyped]
from odf.table import Table, TableCell, TableRow  # type: ignore[import-untyped]
from openpyxl import load_workbook  # type: ignore[import-untyped]

from desist.statistics import exports_gss
from desist.statistics.charts import chart_png, chart_title
from desist.statistics.exports_gss import ReleaseDocument
from desist.statistics.tables import PublishedTable

AS_AT = dt.date(2020, 3, 31)


def document(rows: tuple[tuple[str, ...], ...] = (("2018/19", "<10"), ("2019/20", "12"))) -> Any:
    totals = PublishedTable(
        key="active-participants",
        title="Active participants by financial year",
        definition="Active: received a session.",
        as_at=AS_AT,
        columns=("Financial year", "Total"),
        rows=rows,
        notes=("Records of the same person were counted once.",),
    )
    by_sex = PublishedTable(
        key="active-participants-by-sex",
        title="Active participants by financial year and sex",
        definition="Active: received a session.",
        as_at=AS_AT,
        columns=("Financial year", "Total", "Female", "Male"),
        rows=(("2019/20", "12", "[c]", "<10"),),
        notes=("Sex is taken from the main record.",),
    )
    return ReleaseDocument(
        title="Programme statistics 2019/20",
        as_at=AS_AT,
        checksum="a" * 64,
        tables=(totals, by_sex),
        published=True,
    )


def test_the_same_release_exports_to_the_same_bytes_at_different_times(time_machine: Any) -> None:
    time_machine.move_to(dt.datetime(2025, 6, 15, 11, tzinfo=dt.UTC), tick=False)
    first = {name: write(document()) for name, (_, _, write) in exports_gss.DOWNLOADS.items()}
    time_machine.move_to(dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), tick=False)
    second = {name: write(document()) for name, (_, _, write) in exports_gss.DOWNLOADS.items()}

    assert first == second


def test_the_xlsx_has_a_cover_contents_notes_and_one_sheet_per_table() -> None:
    book = load_workbook(io.BytesIO(exports_gss.to_xlsx(document())))

    assert book.sheetnames == ["Cover", "Contents", "Notes", "Table_1", "Table_2"]
    cover = [row[0] for row in book["Cover"].iter_rows(values_only=True) if row[0]]
    assert cover[0] == "Programme statistics 2019/20"
    assert "Figures correct as at 31 March 2020." in cover
    assert any("a" * 64 in line for line in cover)
    assert any(line.startswith("Programme statistics team:") for line in cover)
    assert any("<10: a count from 1 to 9" in line for line in cover)


def test_the_xlsx_tables_hold_numbers_and_suppressed_cells_as_text() -> None:
    book = load_workbook(io.BytesIO(exports_gss.to_xlsx(document())))

    rows = [r for r in book["Table_1"].iter_rows(values_only=True) if any(r)]
    assert rows[0][0] == "Active participants by financial year [note 1][note 2][note 3]"
    assert rows[-3:] == [("Financial year", "Total"), ("2018/19", "<10"), ("2019/20", 12)]
    second = [r for r in book["Table_2"].iter_rows(values_only=True) if any(r)]
    assert second[-1] == ("2019/20", 12, "[c]", "<10")
    assert second[0][0].endswith("[note 1][note 2][note 4]")


def test_the_xlsx_notes_sheet_explains_the_symbols_and_every_note() -> None:
    book = load_workbook(io.BytesIO(exports_gss.to_xlsx(document())))

    notes = [r for r in book["Notes"].iter_rows(values_only=True) if any(r)]
    texts = [row[1] for row in notes if isinstance(row[1], str)]
    assert texts[0] == "Note text"
    assert texts[1].startswith("<10: a count from 1 to 9")
    assert "[c]: a count not shown" in texts[1]
    assert texts[2:] == [
        "Active: received a session.",
        "Records of the same person were counted once.",
        "Sex is taken from the main record.",
    ]


def _ods_sheets(data: bytes) -> dict[str, list[list[str]]]:
    sheets: dict[str, list[list[str]]] = {}
    for table in load(io.BytesIO(data)).spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            rows.append([str(cell) for cell in row.getElementsByType(TableCell)])
        sheets[str(table.getAttribute("name"))] = rows
    return sheets


def test_the_ods_has_the_same_sheets_and_cells() -> None:
    sheets = _ods_sheets(exports_gss.to_ods(document()))

    assert list(sheets) == ["Cover", "Contents", "Notes", "Table_1", "Table_2"]
    assert sheets["Cover"][0] == ["Programme statistics 2019/20"]
    assert ["Figures correct as at 31 March 2020."] in sheets["Cover"]
    assert sheets["Table_1"][-2:] == [["2018/19", "<10"], ["2019/20", "12"]]
    assert sheets["Table_2"][-1] == ["2019/20", "12", "[c]", "<10"]
    assert sheets["Notes"][3][0] == "note 1"
    assert sheets["Table_1"][0] == [
        "Active participants by financial year [note 1][note 2][note 3]"
    ]


def test_the_ods_stores_counts_as_numbers() -> None:
    data = exports_gss.to_ods(document())
    table = load(io.BytesIO(data)).spreadsheet.getElementsByType(Table)[3]
    last = table.getElementsByType(TableRow)[-1].getElementsByType(TableCell)

    assert last[1].getAttribute("valuetype") == "float"
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "mimetype"


def test_the_csv_zip_holds_cover_notes_and_one_csv_per_table() -> None:
    archive = zipfile.ZipFile(io.BytesIO(exports_gss.to_csv_zip(document())))

    assert archive.namelist() == [
        "cover.csv",
        "contents.csv",
        "notes.csv",
        "active-participants.csv",
        "active-participants-by-sex.csv",
    ]
    table = list(csv.reader(io.StringIO(archive.read("active-participants.csv").decode())))
    assert table == [["Financial year", "Total"], ["2018/19", "<10"], ["2019/20", "12"]]
    cover = dict(csv.reader(io.StringIO(archive.read("cover.csv").decode())))
    assert cover["checksum_sha256"] == "a" * 64 and cover["as_at"] == "2020-03-31"
    notes = list(csv.reader(io.StringIO(archive.read("notes.csv").decode())))
    assert notes[0] == ["note_number", "note_text"] and len(notes) == 5


@pytest.mark.parametrize("download", ["xlsx", "ods", "csv"])
def test_different_figures_give_different_files(download: str) -> None:
    _, _, write = exports_gss.DOWNLOADS[download]

    assert write(document()) != write(document(rows=(("2019/20", "13"),)))


def test_a_table_without_rows_says_so_in_every_spreadsheet() -> None:
    empty = document(rows=())

    book = load_workbook(io.BytesIO(exports_gss.to_xlsx(empty)))
    sheets = _ods_sheets(exports_gss.to_ods(empty))

    last = [r for r in book["Table_1"].iter_rows(values_only=True) if any(r)][-1]
    assert last == ("No figures on or before this date", "[x]")
    assert sheets["Table_1"][-1] == ["No figures on or before this date", "[x]"]


def charted() -> Any:
    """The test document with a bar chart on the first table only."""
    base = document()
    first, second = base.tables
    return ReleaseDocument(
        title=base.title,
        as_at=base.as_at,
        checksum=base.checksum,
        tables=(dataclasses.replace(first, chart="bar"), second),
        published=base.published,
    )


PNG = b"\x89PNG\r\n\x1a\n"


def test_the_xlsx_carries_each_chart_as_a_picture_on_its_tables_sheet() -> None:
    data = exports_gss.to_xlsx(charted())
    archive = zipfile.ZipFile(io.BytesIO(data))
    pictures = [name for name in archive.namelist() if name.startswith("xl/media/")]

    assert len(pictures) == 1  # one table has a chart, the other none
    assert archive.read(pictures[0]) == chart_png(charted().tables[0])
    book = load_workbook(io.BytesIO(data))
    assert len(book["Table_1"]._images) == 1 and not book["Table_2"]._images
    drawing = next(n for n in archive.namelist() if n.startswith("xl/drawings/drawing"))
    assert chart_title(charted().tables[0]).encode() in archive.read(drawing)  # alt text


def test_the_ods_carries_each_chart_as_a_picture_in_its_sheet() -> None:
    data = exports_gss.to_ods(charted())
    archive = zipfile.ZipFile(io.BytesIO(data))
    pictures = [name for name in archive.namelist() if name.startswith("Pictures/")]

    assert len(pictures) == 1 and archive.read(pictures[0]).startswith(PNG)
    tables = load(io.BytesIO(data)).spreadsheet.getElementsByType(Table)
    assert [len(t.getElementsByType(Image)) for t in tables[3:]] == [1, 0]
    assert chart_title(charted().tables[0]).encode() in archive.read("content.xml")


def test_the_csv_zip_carries_each_chart_as_a_png_file() -> None:
    archive = zipfile.ZipFile(io.BytesIO(exports_gss.to_csv_zip(charted())))

    assert [n for n in archive.namelist() if n.startswith("charts/")] == [
        "charts/active-participants.png"
    ]
    assert archive.read("charts/active-participants.png") == chart_png(charted().tables[0])


def test_exports_with_charts_are_the_same_bytes_each_time() -> None:
    for _, _, write in exports_gss.DOWNLOADS.values():
        assert write(charted()) == write(charted())
