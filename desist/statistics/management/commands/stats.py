"""`desist stats active-participants --as-at YYYY-MM-DD`: programme statistics on the command line.

The spreadsheet formats (xlsx, ods) are binary, so they need --output FILE; the text formats
go to standard output unless --output is given. See docs/statistics.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.statistics import exports
from desist.statistics.constants import Breakdown, ExportFormat
from desist.statistics.selectors import active_participants_table

BINARY_FORMATS = frozenset({ExportFormat.XLSX, ExportFormat.ODS})


def parse_as_at(text: str) -> dt.date:
    """The --as-at date, or a CommandError saying what is wrong with it."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f'--as-at "{text}" is not a date in the format YYYY-MM-DD (for example 2024-03-31).'
        ) from None


class Command(BaseCommand):
    help = "Programme statistics, with disclosure control applied. See docs/statistics.md."

    def add_arguments(self, parser: CommandParser) -> None:
        statistics = parser.add_subparsers(dest="statistic", required=True, metavar="STATISTIC")
        active = statistics.add_parser(
            "active-participants",
            help="Distinct people who received at least one session, per financial year.",
        )
        active.add_argument(
            "--as-at",
            required=True,
            metavar="YYYY-MM-DD",
            help="Figures correct as at this date: later sessions are left out.",
        )
        active.add_argument(
            "--by", choices=Breakdown.values, default="", help="Add a column per value of this."
        )
        active.add_argument(
            "--format", choices=ExportFormat.values, default=ExportFormat.TABLE.value
        )
        active.add_argument(
            "--output",
            type=Path,
            metavar="FILE",
            help="Write to this file (required for xlsx and ods) instead of standard output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_at = parse_as_at(options["as_at"])
        format: str = options["format"]
        output: Path | None = options["output"]
        if format in BINARY_FORMATS and output is None:
            raise CommandError(f"--format {format} writes a spreadsheet: give --output FILE.")
        table = active_participants_table(as_at=as_at, by=options["by"])
        data = exports.render(table, format)
        if output is None:
            self.stdout.write(data.decode(), ending="")
            return
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote {output}.")
