"""`desist stats active-participants --as-at YYYY-MM-DD`: programme statistics on the command line.

The spreadsheet formats (xlsx, ods) are binary, so they need --output FILE; the text formats
go to standard output unless --output is given. See docs/statistics.md.

`--unpublished --actor USERNAME` gives the figures before disclosure control, marked "Not for
publication", to a programme manager only; the request (granted or refused) is audited. CSV
cannot carry the mark, so it is refused with --unpublished.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.accounts.models import User
from desist.statistics import exports
from desist.statistics.constants import Breakdown, ExportFormat
from desist.statistics.selectors import active_participants_table, may_see_unpublished
from desist.statistics.services import audit_unpublished_request

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
            "--unpublished",
            action="store_true",
            help="Figures before disclosure control, marked 'Not for publication' (programme "
            "managers only, with --actor; audited; not with --format csv).",
        )
        active.add_argument(
            "--actor",
            metavar="USERNAME",
            help="The user asking, recorded in the audit trail (required with --unpublished).",
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
        unpublished: bool = options["unpublished"]
        if unpublished:
            self._check_unpublished(as_at, options["by"], format, options["actor"])
        table = active_participants_table(as_at=as_at, by=options["by"], unpublished=unpublished)
        if unpublished:
            audit_unpublished_request(
                actor=self._actor(options["actor"]),
                channel="command",
                as_at=as_at,
                by=options["by"],
                format=format,
                table=table,
            )
        data = exports.render(table, format)
        if output is None:
            self.stdout.write(data.decode(), ending="")
            return
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote {output}.")

    @staticmethod
    def _actor(username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f'No active user with username "{username}".')
        return actor

    def _check_unpublished(
        self, as_at: dt.date, by: str, format: str, username: str | None
    ) -> None:
        """Refuse --unpublished (and audit the refusal) unless a programme manager asks for a
        format that can carry the 'Not for publication' mark."""
        if format not in exports.UNPUBLISHED_FORMATS:
            raise CommandError(str(exports.UnmarkableFormat(format)))
        if not username:
            raise CommandError("--unpublished needs --actor USERNAME: a programme manager.")
        actor = self._actor(username)
        if not may_see_unpublished(actor):
            audit_unpublished_request(
                actor=actor, channel="command", as_at=as_at, by=by, format=format, table=None
            )
            raise CommandError(
                f'"{username}" is not a programme manager: only programme managers can have '
                "figures before disclosure control."
            )
