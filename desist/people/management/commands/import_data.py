"""`desist import KIND FILE.csv`: check a whole file, then import all of it or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.accounts.models import User
from desist.people.importer import ImportFailed, ImportResult, participants_import
from desist.statistics.importer_sessions import sessions_import
from desist.support.importer_services import services_import


class Importer(Protocol):
    def __call__(
        self, path: Path, *, actor: User | None, dry_run: bool, options: Mapping[str, Any]
    ) -> ImportResult: ...


def _participants(
    path: Path, *, actor: User | None, dry_run: bool, options: Mapping[str, Any]
) -> ImportResult:
    return participants_import(
        path=path,
        actor=actor,
        dry_run=dry_run,
        default_region=options["default_region"],
        default_organisation=options["default_organisation"],
    )


def _services(
    path: Path, *, actor: User | None, dry_run: bool, options: Mapping[str, Any]
) -> ImportResult:
    return services_import(path=path, actor=actor, dry_run=dry_run)


def _sessions(
    path: Path, *, actor: User | None, dry_run: bool, options: Mapping[str, Any]
) -> ImportResult:
    return sessions_import(path=path, actor=actor, dry_run=dry_run)


# Each kind of file, and the function that imports it.
IMPORTERS: dict[str, Importer] = {
    "participants": _participants,
    "services": _services,
    "sessions": _sessions,
}


class Command(BaseCommand):
    help = (
        "Import records from a CSV file (UTF-8). Every row is checked first; if any row is "
        "wrong nothing is written and each problem is listed by row and column."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file; the first row names columns.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and count; write nothing."
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="The user the audit trail records as making the changes (default: system).",
        )
        participants = parser.add_argument_group("participants")
        participants.add_argument(
            "--default-region",
            metavar="CODE",
            help="Region code for new participants whose region cell is blank or absent.",
        )
        participants.add_argument(
            "--default-organisation",
            metavar="NAME",
            help="Supervising organisation for new participants whose cell is blank or absent.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["actor"])
        path: Path = options["file"]
        try:
            result = IMPORTERS[options["kind"]](
                path, actor=actor, dry_run=options["dry_run"], options=options
            )
        except ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} problem(s) found in {path.name}; nothing was imported."
            ) from exc
        counts = (
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged} ({result.rows} rows)"
        )
        if result.dry_run:
            self.stdout.write(f"Dry run of {path.name}, nothing written. Would have {counts}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {path.name}: {counts}."))

    @staticmethod
    def _actor(username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f'No active user with username "{username}".')
        return actor
