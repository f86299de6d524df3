"""The active-participants table written out: text, CSV, JSON, XLSX and ODS.

CSV has exactly the columns `financial_year,total` (and one per breakdown value), so it carries
no notes; every other format carries the "figures correct as at" date, the definition, how
duplicates were treated and the disclosure control applied (JSON in its own keys, the
spreadsheets on a Notes sheet and in the document properties, text below the table).

Unpublished tables (exact counts before disclosure control, for programme managers only) say
"Not for publication" first: above the table in text and spreadsheets, in JSON's `marking`
key, and first among the notes. CSV cannot carry that mark, so it refuses them
(`UnmarkableFormat`).
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any

from odf.opendocument import OpenDocumentSpreadsheet  # type: ignore[import-untyped]
from odf.table import Table, TableCell, TableRow  # type: ignore[import-untyped]
from odf.text import P  # type: ignore[import-untyped]
from openpyxl import Workbook  # type: ignore[import-untyped]

from desist.statistics.selectors import ActiveParticipantsTable

TITLE = "Active participants by financial year"
# Formats that can carry the "Not for publication" mark (CSV has fixed columns only).
UNPUBLISHED_FORMATS = ("table", "json", "xlsx", "ods")


class UnmarkableFormat(ValueError):
    """Unpublished figures asked for in a format that cannot say so (CSV)."""

    def __init__(self, format: str) -> None:
        super().__init__(
            f"Figures before disclosure control cannot be written as {format.upper()}: it has "
            "no room for the 'Not for publication' mark. Use "
            + ", ".join(f.upper() for f in UNPUBLISHED_FORMATS)
            + " instead."
        )


def header(table: ActiveParticipantsTable) -> list[str]:
    return ["financial_year", "total", *table.columns]


def rows(table: ActiveParticipantsTable) -> list[list[str]]:
    return [
        [year, total, *cells]
        for year, total, cells in zip(table.years, table.totals, table.cells, strict=True)
    ]


def _number_or_text(value: str) -> int | str:
    """Spreadsheets get numbers as numbers and suppressed cells ("<10") as text."""
    return int(value) if value.isdigit() else value


def to_csv(table: ActiveParticipantsTable) -> str:
    if table.unpublished:
        raise UnmarkableFormat("csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(table))
    writer.writerows(rows(table))
    return out.getvalue()


def to_dict(table: ActiveParticipantsTable) -> dict[str, Any]:
    return {
        "title": TITLE,
        "unpublished": table.unpublished,
        "marking": table.marking,
        "as_at": table.as_at.isoformat(),
        "figures_correct_as_at": table.as_at_text,
        "by": table.by,
        "definition": table.definition,
        "duplicates": table.duplicates,
        "disclosure": table.disclosure,
        "notes": list(table.notes),
        "columns": header(table),
        "column_labels": ["Financial year", "Total", *table.column_labels],
        "rows": [dict(zip(header(table), row, strict=True)) for row in rows(table)],
    }


def to_json(table: ActiveParticipantsTable) -> str:
    return json.dumps(to_dict(table), indent=2) + "\n"


def to_text(table: ActiveParticipantsTable) -> str:
    titles = ["Financial year", "Total", *table.column_labels]
    body = rows(table)
    widths = [max(len(line[i]) for line in [titles, *body]) for i in range(len(titles))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [titles, *body]
    ]
    notes = [textwrap.fill(note, width=88) for note in table.all_notes()]
    marks = [table.marking.upper()] if table.unpublished else []
    return "\n".join([*marks, TITLE, "", *lines, "", *notes]) + "\n"


def to_xlsx(table: ActiveParticipantsTable) -> bytes:
    book = Workbook()
    sheet = book.create_sheet("Active participants", 0)
    book.remove(book.worksheets[1])  # the empty sheet every new workbook starts with
    sheet.title = "Active participants"
    if table.unpublished:
        sheet.append([table.marking])
    sheet.append([TITLE])
    sheet.append([table.as_at_text])
    sheet.append([])
    sheet.append(["Financial year", "Total", *table.column_labels])
    for row in rows(table):
        sheet.append([row[0], *(_number_or_text(value) for value in row[1:])])
    notes = book.create_sheet("Notes")
    notes.append(["Notes"])
    for note in table.all_notes():
        notes.append([note])
    book.properties.title = f"{TITLE} ({table.marking})" if table.unpublished else TITLE
    book.properties.description = "\n".join(table.all_notes())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ods_row(values: list[Any]) -> TableRow:
    row = TableRow()
    for value in values:
        if isinstance(value, int):
            cell = TableCell(valuetype="float", value=value)
        else:
            cell = TableCell(valuetype="string")
        cell.addElement(P(text=str(value)))
        row.addElement(cell)
    return row


def to_ods(table: ActiveParticipantsTable) -> bytes:
    from odf.dc import Description, Title  # type: ignore[import-untyped]

    document = OpenDocumentSpreadsheet()
    title = f"{TITLE} ({table.marking})" if table.unpublished else TITLE
    document.meta.addElement(Title(text=title))
    document.meta.addElement(Description(text="\n".join(table.all_notes())))
    sheet = Table(name="Active participants")
    if table.unpublished:
        sheet.addElement(_ods_row([table.marking]))
    sheet.addElement(_ods_row([TITLE]))
    sheet.addElement(_ods_row([table.as_at_text]))
    sheet.addElement(_ods_row([]))
    sheet.addElement(_ods_row(["Financial year", "Total", *table.column_labels]))
    for row in rows(table):
        sheet.addElement(_ods_row([row[0], *(_number_or_text(value) for value in row[1:])]))
    document.spreadsheet.addElement(sheet)
    notes = Table(name="Notes")
    notes.addElement(_ods_row(["Notes"]))
    for note in table.all_notes():
        notes.addElement(_ods_row([note]))
    document.spreadsheet.addElement(notes)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


# Format -> (content type, file extension, writer).
DOWNLOADS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


def render(table: ActiveParticipantsTable, format: str) -> bytes:
    """The table in one of the export formats, as bytes (text formats in UTF-8)."""
    if format == "xlsx":
        return to_xlsx(table)
    if format == "ods":
        return to_ods(table)
    writers = {"csv": to_csv, "json": to_json, "table": to_text}
    return writers[format](table).encode()


def filename(table: ActiveParticipantsTable, format: str) -> str:
    suffix = f"-by-{table.by}" if table.by else ""
    if table.unpublished:
        suffix += "-not-for-publication"
    return f"active-participants-{table.as_at.isoformat()}{suffix}.{DOWNLOADS[format][1]}"
