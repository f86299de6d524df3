"""`desist demo-data --participants N --seed S [--replace] [--offences-file OUT.csv]
[--datalab-folder DIR]`: build the demo programme (and, if asked, made-up offences of its
participants, and made-up linked data and a comparison pool for a Data Lab evaluation)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.accounts.constants import Role
from desist.demo import DemoDataError, demo_data_create
from desist.demo_delivery import practitioner_logins


class Command(BaseCommand):
    help = (
        "Fill an empty database with a realistic, made-up programme: organisations, one "
        "sign-in per role and N participants. The same N and seed give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--participants", type=int, default=300, help="How many (default 300)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete all participants and the demo organisations and their users first. "
            "Audit events stay: the audit trail is append-only.",
        )
        parser.add_argument(
            "--datalab-folder",
            type=Path,
            metavar="DIR",
            help="Also write made-up linked data of the participants and a comparison pool "
            "(datalab-treatment.csv, datalab-comparison.csv) to try a Data Lab evaluation.",
        )
        parser.add_argument(
            "--offences-file",
            type=Path,
            metavar="OUT.csv",
            help="Also write made-up offences of the participants, keyed by pseudonym, to "
            "try proven reoffending on the programme's participants.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = demo_data_create(
                participants=options["participants"],
                seed=options["seed"],
                replace=options["replace"],
            )
        except DemoDataError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        if result.deleted:
            removed = ", ".join(
                f"{count} {name.replace('_', ' ')}" for name, count in result.deleted.items()
            )
            self.stdout.write(f"Deleted the previous demo data: {removed}.")
        made = ", ".join(
            f"{count} {name.replace('_', ' ')}" for name, count in result.counts.items()
        )
        self.stdout.write(self.style.SUCCESS(f"Created {made} in {elapsed:.1f} s."))
        self.stdout.write("")
        self._table(
            ("Username", "Password", "Role", "Organisation"),
            [
                (login.username, result.password, Role(login.role).label, login.organisation)
                for login in result.logins
            ],
        )
        self.stdout.write("")
        self.stdout.write(
            f"{result.extra_staff} more officers (officer.<area>.<n>, pom.prison.<n>) "
            "share the same password."
        )
        self.stdout.write("")
        self.stdout.write(f"Practitioner logins, all with the password {result.password}")
        self._table(
            ("Username", "Provider", "Standing"),
            [(login.username, login.provider, login.standing) for login in practitioner_logins()],
        )
        self.stdout.write("")
        if options["offences_file"] is not None:
            self._offences_file(options["offences_file"], options["seed"])
        if options["datalab_folder"] is not None:
            self._datalab_files(options["datalab_folder"], options["seed"])
        self.stdout.write("Open http://127.0.0.1:8000/ and sign in with one of the logins above.")

    def _datalab_files(self, folder: Path, seed: int) -> None:
        from django.utils import timezone

        from desist.evaluation.demo import demo_datalab_csv

        treatment, comparison = demo_datalab_csv(seed=seed, today=timezone.localdate())
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "datalab-treatment.csv").write_text(treatment, encoding="utf-8")
        (folder / "datalab-comparison.csv").write_text(comparison, encoding="utf-8")
        self.stdout.write(
            f"Made-up data for a Data Lab evaluation are in {folder}/datalab-treatment.csv "
            "(a row per participant, person_id the pseudonym) and datalab-comparison.csv. "
            "Sign in as the analyst, choose Data Lab, pick participants (for example the "
            "probation licence strand) and upload both, with covariates "
            "age,sex,previous_offences,employed and outcomes reoffended_1y,reoffences_1y."
        )
        self.stdout.write("")

    def _offences_file(self, path: Path, seed: int) -> None:
        from django.utils import timezone

        from desist.evaluation.demo import demo_offences_csv

        today = timezone.localdate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(demo_offences_csv(seed=seed, today=today), encoding="utf-8")
        # The latest April-to-March cohort whose follow-up (12 months) and waiting period (6)
        # have passed.
        end_year = today.year - 1 if today.month >= 10 else today.year - 2
        start, end = dt.date(end_year - 1, 4, 1), dt.date(end_year, 3, 31)
        self.stdout.write(
            f"Made-up offences of the participants are in {path} (person_id is the "
            "pseudonym). To try proven reoffending on the participants, sign in as the "
            f"analyst, choose Reoffending, and upload it for the cohort {start:%-d %B %Y} to "
            f"{end:%-d %B %Y}."
        )
        self.stdout.write("")

    def _table(self, heading: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        """Columns padded to their widest value, with a rule under the heading."""
        widths = [max(len(row[col]) for row in [heading, *rows]) for col in range(len(heading))]
        for number, row in enumerate([heading, *rows]):
            line = "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
