"""A statistics release written out in the government's good-practice layout for statistical
spreadsheets (Analysis Function guidance, as the gptables library lays it out): a cover sheet
(title, "figures correct as at" date, contact, checksum, what the symbols mean), a contents
sheet, a notes sheet, then one table per sheet (`Table_1`, `Table_2`, ...), each with its
title carrying its note markers ("[note 1]").

- XLSX: written by gptables (xlsxwriter underneath).
- ODS: the same sheets, in the same order, with the same cells, written with odfpy (gptables
  writes xlsx only).
- CSV: one zip holding `cover.csv`, `contents.csv`, `notes.csv` and one CSV per table named by
  its key (`active-participants.csv`). A plain CSV cannot carry notes, so a zip keeps the
  table and its notes together.

Every export is deterministic: the same release gives the same bytes. Document and zip dates
are taken from the as-at date, never the clock. Counts are numbers; suppressed cells stay as
text ("<10", "[c]") and the cover and notes say what the symbols mean.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from django.conf import settings

from desist.statistics.charts import chart_png, chart_title
from desist.statistics.tables import NOT_FOR_PUBLICATION, PublishedTable
from desist_analytics import DisclosureOptions

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
}
ONE_TABLE = "This worksheet contains one table."
SOURCE = "Source: desist programme records (sessions recorded in desist and imported history)."


@dataclass(frozen=True)
class ReleaseDocument:
    """What an export needs of a release: no database, so exports are pure functions."""

    title: str
    as_at: dt.date
    checksum: str
    tables: tuple[PublishedTable, ...]
    published: bool


@dataclass(frozen=True)
class Sheet:
    """One worksheet as rows of cells (int for counts, str for everything else)."""

    name: str
    rows: tuple[tuple[int | str, ...], ...]


def _as_at_text(as_at: dt.date) -> str:
    return f"Figures correct as at {as_at.day} {as_at:%B %Y}."


def symbols_note() -> str:
    options = DisclosureOptions()
    return (
        f"{options.primary_symbol}: a count from 1 to {options.threshold - 1}, not shown so "
        f"that no one can be identified. {options.secondary_symbol}: a count not shown "
        "because, with the total, it would let a hidden count be worked out (secondary "
        f"suppression). {NOT_AVAILABLE}: no figures for this period."
    )


def contact() -> str:
    email = getattr(settings, "STATISTICS_CONTACT_EMAIL", "") or settings.DEFAULT_FROM_EMAIL
    return f"Programme statistics team: {email}"


def sheet_name(index: int) -> str:
    return f"Table_{index + 1}"


def note_numbers(document: ReleaseDocument) -> dict[str, int]:
    """Each distinct note, numbered in order of first appearance: the symbols first, then each
    table's definition and notes in table order."""
    numbers: dict[str, int] = {symbols_note(): 1}
    for table in document.tables:
        for note in _table_notes(table):
            numbers.setdefault(note, len(numbers) + 1)
    return numbers


def _table_notes(table: PublishedTable) -> list[str]:
    marks = [NOT_FOR_PUBLICATION] if table.unpublished else []
    return [*marks, table.definition, *table.notes]


def _cell(value: str) -> int | str:
    """Counts as numbers; suppressed and other cells as text."""
    return int(value) if value.isdigit() else value


EMPTY = "No figures on or before this date"
NOT_AVAILABLE = "[x]"


def _body(table: PublishedTable) -> list[tuple[int | str, ...]]:
    """The table's rows for a spreadsheet: counts as numbers; a table with no rows gets one
    row saying so (a worksheet table may not be empty), its cells marked [x]."""
    if not table.rows:
        return [(EMPTY, *([NOT_AVAILABLE] * (len(table.columns) - 1)))]
    return [(row[0], *(_cell(value) for value in row[1:])) for row in table.rows]


def _cover_lines(document: ReleaseDocument) -> dict[str, list[str]]:
    unpublished = any(table.unpublished for table in document.tables)
    status = "Published" if document.published else "Draft: not yet published"
    return {
        "intro": [
            _as_at_text(document.as_at),
            f"Status: {status}.",
            *([NOT_FOR_PUBLICATION] if unpublished else []),
        ],
        "about": [
            "Counts of people are after disclosure control. Symbols used in the tables: "
            + symbols_note(),
            "Each table has its own worksheet; its notes are listed on the Notes worksheet.",
            f"Checksum (SHA-256 of the release's canonical JSON): {document.checksum}",
        ],
        "contact": [contact()],
    }


def _title_with_notes(table: PublishedTable, numbers: dict[str, int], marker: str) -> str:
    refs = [numbers[symbols_note()], *(numbers[note] for note in _table_notes(table))]
    return f"{table.title} " + "".join(marker.format(n=n) for n in dict.fromkeys(refs))


def sheets(document: ReleaseDocument) -> list[Sheet]:
    """The workbook's sheets as plain rows: what the ODS and CSV exports write, and what the
    XLSX export holds once gptables has laid it out."""
    numbers = note_numbers(document)
    lines = _cover_lines(document)
    cover = Sheet(
        "Cover",
        (
            (document.title,),
            ("Introductory information",),
            *((line,) for line in lines["intro"]),
            ("About these data",),
            *((line,) for line in lines["about"]),
            ("Contact",),
            *((line,) for line in lines["contact"]),
        ),
    )
    contents = Sheet(
        "Contents",
        (
            ("Table of contents",),
            (f"This worksheet contains one table. There are {len(document.tables)} tables.",),
            ("Sheet name", "Table description"),
            ("Notes", "Notes for the tables"),
            *((sheet_name(i), table.title) for i, table in enumerate(document.tables)),
        ),
    )
    notes = Sheet(
        "Notes",
        (
            ("Notes",),
            (ONE_TABLE,),
            ("Note number", "Note text"),
            *((f"note {n}", text) for text, n in numbers.items()),
        ),
    )
    tables = [
        Sheet(
            sheet_name(i),
            (
                (_title_with_notes(table, numbers, "[note {n}]"),),
                (table.as_at_text,),
                (ONE_TABLE,),
                (SOURCE,),
                table.columns,
                *_body(table),
            ),
        )
        for i, table in enumerate(document.tables)
    ]
    return [cover, contents, notes, *tables]


# XLSX ------------------------------------------------------------------------------------


def to_xlsx(document: ReleaseDocument) -> bytes:
    import gptables as gpt  # type: ignore[import-untyped]

    numbers = note_numbers(document)
    gp_tables = {}
    for i, table in enumerate(document.tables):
        frame = pd.DataFrame(
            [list(row) for row in _body(table)],
            columns=list(table.columns),
            dtype=object,
        )
        gp_tables[sheet_name(i)] = gpt.GPTable(
            table=frame,
            table_name=f"table_{i + 1}",
            title=_title_with_notes(table, numbers, "$$note{n}$$"),
            subtitles=[table.as_at_text],
            instructions=ONE_TABLE,
            source=SOURCE,
            index_columns={2: 0},
        )
    notes_table = pd.DataFrame(
        {
            "Note number": [f"note{n}" for n in numbers.values()],
            "Note text": list(numbers),
        }
    )
    lines = _cover_lines(document)
    cover = gpt.Cover(
        title=document.title,
        intro=lines["intro"],
        about=lines["about"],
        contact=lines["contact"],
    )
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = gpt.produce_workbook(
            out,
            gp_tables,
            cover=cover,
            notes_table=notes_table,
            contentsheet_label="Contents",
        )
    for i, table in enumerate(document.tables):
        if table.chart:
            # Beside the table, with the chart's title as its alternative text.
            book.get_worksheet_by_name(sheet_name(i)).insert_image(
                0,
                len(table.columns) + 1,
                f"{table.key}.png",
                {"image_data": io.BytesIO(chart_png(table)), "description": chart_title(table)},
            )
    book.set_properties(
        {
            "title": document.title,
            "subject": _as_at_text(document.as_at),
            "comments": f"Checksum (SHA-256): {document.checksum}",
            "created": dt.datetime.combine(document.as_at, dt.time()),
        }
    )
    book.close()
    return out.getvalue()


# ODS -------------------------------------------------------------------------------------


_XMLNS = re.compile(rb'\s+xmlns:[\w.-]+="[^"]*"')


def _sorted_namespaces(xml: bytes) -> bytes:
    """odfpy declares, on each part's root element, every namespace any document in this
    process has used so far, in the order first used; sort them so the bytes do not depend
    on what was written before."""
    start = xml.find(b"<office:")
    end = xml.find(b">", start)
    if start < 0 or end < 0:
        return xml
    tag = xml[start:end]
    declared = sorted(set(_XMLNS.findall(tag)), key=bytes.strip)
    rest = _XMLNS.sub(b"", tag)
    name, _, attributes = rest.partition(b" ")
    rebuilt = name + b"".join(declared) + (b" " + attributes if attributes else b"")
    return xml[:start] + rebuilt + xml[end:]


def _fixed_zip(data: bytes, when: dt.date) -> bytes:
    """The same zip with every entry dated `when` (odfpy dates entries by the clock) and
    namespace declarations in a fixed order. The ODF `mimetype` entry stays first and
    uncompressed."""
    stamp = (when.year, when.month, when.day, 0, 0, 0)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename.endswith(".xml"):
                content = _sorted_namespaces(content)
            target.writestr(fixed, content)
    return out.getvalue()


def _ods_chart(spreadsheet: Any, table: PublishedTable, sheet: Sheet) -> Any:
    """The chart of `table` as a picture in the sheet's shapes, to the right of its cells,
    titled with the chart's title (its alternative text)."""
    from odf.draw import Frame, Image  # type: ignore[import-untyped]
    from odf.svg import Title as SvgTitle  # type: ignore[import-untyped]
    from odf.table import Shapes  # type: ignore[import-untyped]

    png = chart_png(table)
    width, height = _png_size(png)
    columns = max((len(row) for row in sheet.rows), default=1)
    href = spreadsheet.addPicture(f"Pictures/{table.key}.png", mediatype="image/png", content=png)
    frame = Frame(
        name=f"Chart {table.key}",
        x=f"{2.5 * (columns + 1):.2f}cm",
        y="0cm",
        width=f"{width / 100 * 2.54:.2f}cm",  # 100 dots per inch, as chart_png draws
        height=f"{height / 100 * 2.54:.2f}cm",
    )
    frame.addElement(Image(href=href))
    frame.addElement(SvgTitle(text=chart_title(table)))
    shapes = Shapes()
    shapes.addElement(frame)
    return shapes


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR comes first)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def to_ods(document: ReleaseDocument) -> bytes:
    from odf.dc import Date, Description, Title  # type: ignore[import-untyped]
    from odf.meta import CreationDate  # type: ignore[import-untyped]
    from odf.opendocument import OpenDocumentSpreadsheet  # type: ignore[import-untyped]
    from odf.table import Table, TableCell, TableRow
    from odf.text import P  # type: ignore[import-untyped]

    spreadsheet = OpenDocumentSpreadsheet()
    stamp = dt.datetime.combine(document.as_at, dt.time()).isoformat()
    spreadsheet.meta.addElement(Title(text=document.title))
    spreadsheet.meta.addElement(
        Description(text=f"{_as_at_text(document.as_at)} Checksum (SHA-256): {document.checksum}")
    )
    spreadsheet.meta.addElement(CreationDate(text=stamp))
    spreadsheet.meta.addElement(Date(text=stamp))
    charts = {sheet_name(i): t for i, t in enumerate(document.tables) if t.chart}
    for sheet in sheets(document):
        table = Table(name=sheet.name)
        if sheet.name in charts:
            table.addElement(_ods_chart(spreadsheet, charts[sheet.name], sheet))
        for values in sheet.rows:
            row = TableRow()
            for value in values:
                if isinstance(value, int):
                    cell = TableCell(valuetype="float", value=value)
                else:
                    cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                row.addElement(cell)
            table.addElement(row)
        spreadsheet.spreadsheet.addElement(table)
    from odf.namespaces import nsdict  # type: ignore[import-untyped]

    for namespace in nsdict:  # declare them all, whatever this process wrote before
        spreadsheet.topnode.get_nsprefix(namespace)
    out = io.BytesIO()
    spreadsheet.write(out)
    return _fixed_zip(out.getvalue(), document.as_at)


# CSV (zip) -------------------------------------------------------------------------------


def _csv(rows: Sequence[Sequence[int | str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def csv_files(document: ReleaseDocument) -> dict[str, bytes]:
    """File name -> CSV bytes: cover, contents, notes, then one per table (header row first,
    then one row per line of the table; no title rows, so each loads straight into a tool),
    and charts/<table key>.png for each table with a chart."""
    numbers = note_numbers(document)
    lines = _cover_lines(document)
    cover_rows: list[list[str]] = [["field", "value"], ["title", document.title]]
    cover_rows += [["as_at", document.as_at.isoformat()], ["checksum_sha256", document.checksum]]
    cover_rows += [["information", line] for line in lines["intro"] + lines["about"]]
    cover_rows += [["contact", line] for line in lines["contact"]]
    files = {
        "cover.csv": _csv(cover_rows),
        "contents.csv": _csv(
            [
                ["file", "table", "notes"],
                *(
                    [
                        f"{table.key}.csv",
                        table.title,
                        " ".join(
                            f"[note {n}]"
                            for n in dict.fromkeys(
                                [numbers[symbols_note()]]
                                + [numbers[note] for note in _table_notes(table)]
                            )
                        ),
                    ]
                    for table in document.tables
                ),
            ]
        ),
        "notes.csv": _csv(
            [["note_number", "note_text"], *([str(n), text] for text, n in numbers.items())]
        ),
    }
    for table in document.tables:
        files[f"{table.key}.csv"] = _csv([list(table.columns), *table.rows])
    for table in document.tables:
        if table.chart:
            files[f"charts/{table.key}.png"] = chart_png(table)
    return files


def to_csv_zip(document: ReleaseDocument) -> bytes:
    stamp = (document.as_at.year, document.as_at.month, document.as_at.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_files(document).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


# Downloads -------------------------------------------------------------------------------

# Download name (as in the URL) -> (file extension, content type, writer).
DOWNLOADS = {
    "xlsx": ("xlsx", CONTENT_TYPES["xlsx"], to_xlsx),
    "ods": ("ods", CONTENT_TYPES["ods"], to_ods),
    "csv": ("csv.zip", CONTENT_TYPES["zip"], to_csv_zip),
}


def filename(document: ReleaseDocument, download: str) -> str:
    return f"statistics-release-{document.as_at.isoformat()}.{DOWNLOADS[download][0]}"
