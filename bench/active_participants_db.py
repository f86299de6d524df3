"""Active participants from the database, end to end, at scale (issue 5).

    .venv/bin/python bench/active_participants_db.py [--participants 100000]
        [--sessions 2000000] [--seed 1] [--runs 5] [--naive-runs 3] [--database FILE]
        [--no-docs]

Builds a SQLite database in a temporary file (or reuses `--database FILE` when it already
holds the same data): migrate, the demo programme's participants (the bulk insert of
`desist demo-data`, without its referrals and sessions), and `--sessions` imported
`HistoricalSession` rows inserted with executemany. Then, in the same run, times:

- `active_participants_table(as_at=..., by="")` and `by="strand"`: everything the page, the
  API and the command do: reading the sessions, resolving duplicate records to one person,
  breakdown codes, counting, disclosure control and the duplicates note (median of `--runs`
  after one warm-up);
- a straightforward per-row Python implementation: every session row from the database in a
  loop, the person looked up in a dict (from `person_groups`), the financial year worked out
  with Python dates, a set of people per year (and strand);

and checks that both give the same totals. Results go to docs/benchmarks.md, replacing this
benchmark's own section only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from _common import machine as common_machine
from _common import replace_section, timed

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

DOCS = PROJECT / "docs" / "benchmarks.md"
SECTION = "## Active participants from the database, end to end (issue 5)"
TARGET_S = 2.0
AS_AT = dt.date(2026, 9, 30)
FIRST_DAY = np.datetime64("2016-04-01")
LAST_DAY = np.datetime64("2026-12-31")
ATTENDANCE = ("attended", "late", "did_not_attend", "cancelled")
ATTENDANCE_SHARE = (0.72, 0.08, 0.13, 0.07)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument(
        "--database", type=Path, help="SQLite file to build, or reuse when it holds the data"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args(argv)


def configure(database: Path) -> None:
    """Environment for Django, set before it is imported."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DESIST_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desist.settings")


def build(args: argparse.Namespace) -> str:
    """Participants and imported sessions, unless the database already holds them."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from faker import Faker

    from desist import demo
    from desist.accounts.models import Region
    from desist.people.models import Participant
    from desist.statistics.models import HistoricalSession

    call_command("migrate", verbosity=0)
    have = (Participant.objects.count(), HistoricalSession.objects.count())
    if have == (args.participants, args.sessions):
        return "reused"
    if any(have):
        raise SystemExit(f"{args.database} holds other data {have}; give another --database.")
    started = time.perf_counter()
    with transaction.atomic():
        # The participants of `desist demo-data` (demo.demo_data_create), without the
        # referrals, sessions and support plans it then makes through the services.
        dice = demo._Dice(args.seed)
        fake = Faker("en_GB")
        fake.seed_instance(args.seed)
        regions = {region.code: region for region in Region.objects.all()}
        organisations = demo._create_organisations(regions)
        plan = demo._plan_participants(
            n=args.participants,
            dice=dice,
            fake=fake,
            today=timezone.localdate(),
            regions=regions,
            orgs=organisations,
        )
        _, staff = demo._create_staff(
            plan=plan,
            fake=fake,
            organisations=organisations,
            password="!",  # noqa: S106 - unusable
        )
        demo._assign_officers(plan=plan, dice=dice, staff=staff)
        with demo._sqlite_cache(megabytes=256):
            demo._insert_plan(plan, organisations)
    participants_s = time.perf_counter() - started

    started = time.perf_counter()
    ids = np.array(sorted(Participant.objects.values_list("pk", flat=True)), dtype=np.int64)
    rng = np.random.default_rng(args.seed)
    extra = args.sessions // 50 + 1000  # room for the few repeats the unique constraint drops
    owner = ids[rng.integers(0, len(ids), size=args.sessions + extra)]
    days = int((LAST_DAY - FIRST_DAY).astype(int)) + 1
    day = rng.integers(0, days, size=owner.size)
    attendance = rng.choice(4, size=owner.size, p=ATTENDANCE_SHARE)
    key = (owner * days + day) * 4 + attendance
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)[: args.sessions]
    if keep.size < args.sessions:
        raise SystemExit("Too many repeated sessions drawn; use fewer sessions.")
    dates = [str(d) for d in (FIRST_DAY + np.arange(days).astype("timedelta64[D]"))]
    imported_at = timezone.now().isoformat(sep=" ")
    table = HistoricalSession._meta.db_table
    sql = (
        f"INSERT INTO {table} (participant_id, session_date, attendance, source, imported_at, "  # noqa: S608
        "imported_by_id) VALUES (%s, %s, %s, %s, %s, NULL)"
    )
    owners, day_list, kinds = owner[keep].tolist(), day[keep].tolist(), attendance[keep].tolist()
    with transaction.atomic(), demo._sqlite_cache(megabytes=256), connection.cursor() as cursor:
        for begin in range(0, args.sessions, 100_000):
            cursor.executemany(
                sql,
                [
                    (owners[i], dates[day_list[i]], ATTENDANCE[kinds[i]], "bench", imported_at)
                    for i in range(begin, min(begin + 100_000, args.sessions))
                ],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sessions_s = time.perf_counter() - started
    return f"built: participants {participants_s:.0f} s, sessions {sessions_s:.0f} s"


def naive(by_strand: bool) -> dict[str, Any]:
    """The straightforward version: one Python step per session row."""
    from django.db import connection

    from desist.people.duplicates import person_groups
    from desist.people.models import Participant
    from desist.statistics.models import HistoricalSession

    key_of = person_groups()  # every participant record -> its person's key
    strand_of = dict(Participant.objects.values_list("pk", "strand")) if by_strand else {}
    people: dict[int, set[int]] = defaultdict(set)
    by_value: dict[tuple[int, str], set[int]] = defaultdict(set)
    table = HistoricalSession._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT participant_id, session_date, attendance FROM {table}")  # noqa: S608
        for participant_id, session_date, attendance in cursor:
            # Django's SQLite connection parses DATE columns itself; other drivers may not.
            day = (
                session_date
                if isinstance(session_date, dt.date)
                else dt.date.fromisoformat(session_date)
            )
            if day > AS_AT or attendance not in ("attended", "late"):
                continue
            person = key_of.get(participant_id, participant_id)
            year = day.year if day.month >= 4 else day.year - 1
            people[year].add(person)
            if by_strand:
                by_value[year, strand_of[person]].add(person)
    # (Desist's own delivery sessions are none here: the bench database has only imported ones.)
    last = AS_AT.year if AS_AT.month >= 4 else AS_AT.year - 1
    years = range(min(people), last + 1) if people else range(0)
    return {
        "years": [f"{y}/{(y + 1) % 100:02d}" for y in years],
        "totals": [len(people.get(y, ())) for y in years],
        "cells": {key: len(value) for key, value in by_value.items()},
    }


def machine() -> dict[str, str]:
    import sqlite3

    import django

    return common_machine(
        {
            "Django": django.get_version(),
            "numpy": np.__version__,
            "Database": f"SQLite {sqlite3.sqlite_version} (temporary file)",
        }
    )


def same(table: Any, expected: dict[str, Any], strand: bool) -> bool:
    """The published table shows the per-row counts (none are small at this size)."""
    if list(table.years) != expected["years"]:
        return False
    if list(table.totals) != [str(n) for n in expected["totals"]]:
        return False
    if strand:
        for year, row in zip(table.years, table.cells, strict=True):
            start = int(year[:4])
            for column, cell in zip(table.columns, row, strict=True):
                if cell != str(expected["cells"].get((start, column), 0)):
                    return False
    return True


def section(
    args: argparse.Namespace,
    info: dict[str, str],
    results: list[tuple[str, list[float], list[float], bool]],
    data: str,
    load: tuple[float, float],
) -> str:
    rows = "\n".join(f"| {key} | {value} |" for key, value in info.items())
    lines = [
        SECTION,
        "",
        "Target: the active-participants table for 100,000 participants and 2,000,000 sessions",
        "in under 2 seconds, measured against a straightforward per-row Python implementation",
        "in the same run; here end to end, as the page, the API and `desist stats` make it.",
        "",
        "Run with `.venv/bin/python bench/active_participants_db.py`. It builds a SQLite",
        "database in a temporary file: the participants of `desist demo-data` (its bulk insert,",
        f"seed {args.seed}, without referrals or delivery sessions) and {args.sessions:,} imported",
        "sessions (`HistoricalSession`, random people, days from 1 April 2016 to 31 December 2026,",
        "72% attended, 8% late, 13% did not attend, 7% cancelled). It then times",
        f'`active_participants_table(as_at={AS_AT.isoformat()})` without and with `by="strand"`:',
        "reading sessions, duplicate records resolved to one person (`desist.people.duplicates`),",
        "breakdown codes, counting, disclosure control and the duplicates note. The baseline",
        "reads every session row from the database in a Python loop, looks up the person in",
        "the `person_groups()` dict, works out the financial year with Python dates and",
        "collects a set of people per year (and strand). Both must give the same totals.",
        "",
        "How: the database reduces the imported sessions to one row per participant, the",
        "financial years they received a session in packed as the bits of one integer",
        "(`SUM(DISTINCT 1 << year)` on SQLite, `BIT_OR` on PostgreSQL), in a single scan of the",
        "covering unique index; numpy unpacks the bits into (person, year) pairs. Where the time",
        "goes (cProfile, totals only): that query is about 0.7 s of it; counting, breakdown",
        "codes (one raw query for the one attribute needed) and disclosure control about 0.2 s.",
        "The duplicate links (pandas over one read of the identifier columns, about 0.35 s for",
        "100,000 records) come from a cache keyed on a fingerprint of the participant and",
        "decision tables; the third row clears the cache before every run, so it shows the",
        "first table after a record changes. Before this change the same calls took 2.2 s",
        "(totals) and 5.0 s (by strand): 2,000,000 rows fetched one integer each, every",
        "participant loaded through the ORM for the breakdown, and four GROUP BY queries for",
        "the duplicate links.",
        "Figures are from a shared 2-core machine with other test runs going (see the load",
        "average), so they vary from run to run by a factor of two or more.",
        "",
        "| Machine | |",
        "|---|---|",
        rows,
        f"| Data | {args.participants:,} participants, {args.sessions:,} sessions; {data} |",
        f"| Runs | median of {args.runs} (end to end) and {args.naive_runs} (per row), "
        "after one warm-up each |",
        f"| Load average | {load[0]:.2f} before, {load[1]:.2f} after (1 minute) |",
        f"| Date | {dt.datetime.now(dt.UTC).date().isoformat()} |",
        "",
        "| Table | End to end (s) | Per-row Python (s) | Ratio | Same totals | Under 2 s |",
        "|---|--:|--:|--:|---|---|",
    ]
    for label, fast, slow, identical in results:
        f, s = statistics.median(fast), statistics.median(slow)
        lines.append(
            f"| {label} | {f:.2f} | {s:.2f} | {s / f:.1f}x | {'yes' if identical else 'NO'} | "
            f"{'yes' if f < TARGET_S else 'no'} |"
        )
    ok = all(identical and statistics.median(fast) < TARGET_S for _, fast, _, identical in results)
    lines += ["", f"**Result: {'PASS' if ok else 'FAIL'}**"]
    return "\n".join(lines) + "\n"


def write_docs(text_section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, or append it."""
    replace_section(SECTION, text_section)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    scratch = None
    if args.database is None:
        scratch = tempfile.TemporaryDirectory(prefix="desist-bench-")
        args.database = Path(scratch.name) / "active-participants.sqlite3"
    configure(args.database)
    import django

    django.setup()
    from desist.statistics.selectors import active_participants_table

    info = machine()
    for key, value in info.items():
        print(f"{key}: {value}")
    print(f"Database {args.database}: {args.participants:,} participants ...")
    data = build(args)
    print(f"Data: {args.participants:,} participants, {args.sessions:,} sessions ({data})")
    load_before = os.getloadavg()[0]
    results = []
    from django.core.cache import cache

    def table_of(by: str, cold: bool) -> Any:
        if cold:
            cache.clear()  # the duplicate links are worked out again, as after any edit
        return active_participants_table(as_at=AS_AT, by=by)

    cases = (
        ("Totals only", "", False),
        ("By strand", "strand", False),
        ("Totals only, duplicate links not cached", "", True),
    )
    for label, by, cold in cases:
        fast_s, table = timed(args.runs, lambda by=by, cold=cold: table_of(by, cold))
        slow_s, expected = timed(args.naive_runs, lambda by=by: naive(bool(by)))
        identical = same(table, expected, bool(by))
        results.append((label, fast_s, slow_s, identical))
        f, s = statistics.median(fast_s), statistics.median(slow_s)
        print(
            f"{label}: end to end {f:.3f} s (runs {', '.join(f'{t:.3f}' for t in fast_s)}), "
            f"per row {s:.2f} s, ratio {s / f:.1f}x, same totals {identical}, "
            f"under {TARGET_S:.0f} s {f < TARGET_S}"
        )
    load_after = os.getloadavg()[0]
    text = section(args, info, results, data, (load_before, load_after))
    if not args.no_docs:
        write_docs(text)
        print(f"Written to {DOCS.relative_to(PROJECT)}")
    if scratch is not None:
        from django.db import connection

        connection.close()
        scratch.cleanup()
    ok = all(identical and statistics.median(f) < TARGET_S for _, f, _, identical in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
