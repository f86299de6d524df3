"""`desist instruments load PATH [PATH...]` and `desist instruments list`.

Load checks every file first and loads all of them or none; each problem is printed as
"file: entry: what is wrong". See docs/instruments.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.accounts.models import User
from desist.support.instruments import InstrumentFileError, instruments_load_files
from desist.support.models import Instrument


class Command(BaseCommand):
    help = (
        "Questionnaires and progress measures. `load` checks instrument files (YAML or JSON) "
        "against desist/support/instruments/schema.json and loads them, all or nothing; "
        "`list` shows what is loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser(
            "load", help="Check and load instrument files (a directory: every file in it)."
        )
        load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        load.add_argument(
            "--actor",
            metavar="USERNAME",
            help="The user the audit trail records as loading them (default: system).",
        )
        load.add_argument(
            "--keep-older-active",
            action="store_true",
            help="Keep offering older versions of the same key for new records.",
        )
        sub.add_parser("list", help="List every loaded version and whether it is in use.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "load":
            self._load(options)
        else:
            self._list()

    def _load(self, options: dict[str, Any]) -> None:
        actor = self._actor(options["actor"])
        try:
            results = instruments_load_files(
                paths=options["paths"],
                actor=actor,
                retire_older=not options["keep_older_active"],
            )
        except InstrumentFileError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(error.problems)} problem(s) found; nothing was loaded."
            ) from error
        for result in results:
            instrument = result.instrument
            name = f"{instrument.key} version {instrument.version} ({instrument.title})"
            if result.created:
                self.stdout.write(self.style.SUCCESS(f"{result.source}: loaded {name}."))
            else:
                self.stdout.write(f"{result.source}: {name} is already loaded, unchanged.")
            for older in result.deactivated:
                self.stdout.write(
                    f"{result.source}: {older.key} version {older.version} is no longer "
                    "offered for new records."
                )

    def _list(self) -> None:
        rows = Instrument.objects.order_by("kind", "key", "-version")
        if not rows.exists():
            self.stdout.write("No instruments loaded.")
            return
        for instrument in rows:
            state = "in use" if instrument.active else "retired"
            self.stdout.write(
                f"{instrument.kind:<17} {instrument.key:<24} v{instrument.version:<4} "
                f"{state:<8} {instrument.sha256[:12]}  {instrument.title}"
            )

    @staticmethod
    def _actor(username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f'No active user with username "{username}".')
        return actor
