"""`desist reoffending`: proven reoffending of a cohort from index-event and offence files.

    desist reoffending --index-events FILE --offences FILE --cohort-start YYYY-MM-DD
        --cohort-end YYYY-MM-DD --extract-date YYYY-MM-DD [--jurisdiction ew|ni]
        [--follow-up-months 12] [--waiting-months 6] [--by BREAKDOWN ...]
        [--format table|csv|json] [--per-person OUT.csv]

Files are CSV or Parquet (by extension). The computation is `desist_analytics`'s; the method,
the options and the file layouts are in docs/reoffending.md. The figures are exact counts for
the analyst who runs it, on files they hold: tables published from them go through
disclosure control (the analyst page applies it).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.evaluation.reports import as_csv, as_table
from desist_analytics import (
    ReoffendingInputError,
    ReoffendingOptions,
    ReoffendingOptionsError,
    proven_reoffending,
    read_index_events,
    read_offences,
)

FORMATS = ("table", "csv", "json")


def parse_date(text: str, flag: str) -> dt.date:
    """A YYYY-MM-DD date, or a CommandError naming the option."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f'{flag} "{text}" is not a date in the format YYYY-MM-DD (for example 2024-03-31).'
        ) from None


def parse_breakdowns(values: list[str] | None) -> tuple[str, ...]:
    """--by may be given several times, or once with names separated by commas."""
    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in ReoffendingOptions.BREAKDOWNS]
    if unknown:
        raise CommandError(
            f'--by "{unknown[0]}" is not a breakdown; choose from '
            f"{', '.join(ReoffendingOptions.BREAKDOWNS)}."
        )
    return tuple(dict.fromkeys(names))


def existing_file(text: str, flag: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise CommandError(f"{flag}: no such file: {text}")
    return path  # the file type (by its name) is the reader's to check


class Command(BaseCommand):
    help = "Proven reoffending of a cohort, from CSV or Parquet files. See docs/reoffending.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--index-events", required=True, metavar="FILE")
        parser.add_argument("--offences", required=True, metavar="FILE")
        parser.add_argument("--cohort-start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--cohort-end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--extract-date",
            required=True,
            metavar="YYYY-MM-DD",
            help="The date of the data extract: it must cover the follow-up and waiting period.",
        )
        parser.add_argument(
            "--jurisdiction", choices=ReoffendingOptions.JURISDICTIONS, default="ew"
        )
        parser.add_argument("--follow-up-months", type=int, default=12, metavar="N")
        parser.add_argument("--waiting-months", type=int, default=6, metavar="N")
        parser.add_argument(
            "--by",
            action="append",
            metavar="BREAKDOWN",
            help=f"One of {', '.join(ReoffendingOptions.BREAKDOWNS)}; repeat or separate "
            "with commas for several.",
        )
        parser.add_argument(
            "--include-breaches",
            action="store_true",
            help="Count breaches of orders and licences (left out by default).",
        )
        parser.add_argument(
            "--include-penalty-notices",
            action="store_true",
            help="Count penalty notices as proving an offence (left out by default).",
        )
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument(
            "--per-person",
            metavar="OUT.csv",
            help="Also write person_id,index_date,reoffended,reoffences,days_to_first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        index_path = existing_file(options["index_events"], "--index-events")
        offences_path = existing_file(options["offences"], "--offences")
        try:
            settings = ReoffendingOptions(
                cohort_start=parse_date(options["cohort_start"], "--cohort-start"),
                cohort_end=parse_date(options["cohort_end"], "--cohort-end"),
                extract_date=parse_date(options["extract_date"], "--extract-date"),
                jurisdiction=options["jurisdiction"],
                follow_up_months=options["follow_up_months"],
                waiting_months=options["waiting_months"],
                by=parse_breakdowns(options["by"]),
                exclude_breaches=not options["include_breaches"],
                exclude_penalty_notices=not options["include_penalty_notices"],
            )
        except ReoffendingOptionsError as error:
            raise CommandError(f"{str(error)[:1].upper()}{str(error)[1:]}.") from None
        try:
            result = proven_reoffending(
                read_index_events(index_path), read_offences(offences_path), settings
            )
        except ReoffendingInputError as error:
            raise CommandError(str(error)) from None
        if options["per_person"]:
            result.write_per_person(options["per_person"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.to_dict(), indent=2))
        elif options["format"] == "csv":
            self.stdout.write(as_csv(result), ending="")
        else:
            self.stdout.write(as_table(result), ending="")
