"""Caseload page and participants API at scale (issue 2).

    .venv/bin/python bench/caseload.py [--participants 100000] [--seed 1] [--rebuild]
                                       [--database-url postgres://...] [--runs 20] [--no-docs]

Builds (or reuses) a database of demo data, then for two users measures each list request:
the number of SQL queries and the median and 95th percentile time of `--runs` requests after
`--warmups` untimed ones. Requests go through Django's test client in this process (the whole
middleware, view, template and audit write, but no HTTP server or network).

The SQLite file is kept under var/bench/, named by participant count and seed, and reused
unless `--rebuild`. With `--database-url` the demo data in that database is reused when its
last `demo-data` audit event has the same seed and the participant count matches; an empty
database is filled, and one holding other participants is refused unless `--rebuild`, which
runs `demo-data --replace` (deleting every participant there).

The target (from the issue): constant number of queries whatever the page size, and a median
under 150 ms for one user. Results are written to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT / "var" / "bench"
DOCS = PROJECT / "docs" / "benchmarks.md"
SECTION = "## Caseload page and participants API (issue 2)"
TARGET_MS = 150.0
PAGE_SIZES = (25, 50, 100)
USERS = ("programme.manager", "officer.london")

INTRO = """# Benchmarks

Each benchmark lives in `bench/` and writes its own section below. Run them on an otherwise idle
machine; figures from different machines are not comparable.

| Command | Script | Section |
|---|---|---|
| `make bench` | `bench/caseload.py` | Caseload page and participants API (issue 2) |

"""


@dataclass
class Result:
    user: str
    label: str
    url: str
    page_size: int
    queries: int
    median_ms: float
    p95_ms: float
    visible: int


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per row")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests first")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--database-url", help="e.g. postgres://user@host/db (default: SQLite)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> None:
    """Environment for Django, set before it is imported."""
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        sqlite_file = BENCH_DIR / f"caseload-{args.participants}-seed{args.seed}.sqlite3"
        if args.rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_file}"
    # The test client signs in with force_login, which has no TOTP step; MFA enforcement would
    # redirect every page to TOTP set-up, so the bench turns it off (development setting only).
    os.environ["DESIST_MFA_REQUIRED"] = "false"
    os.environ.setdefault("DESIST_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desist.settings")


def ensure_data(args: argparse.Namespace) -> str:
    from django.core.management import call_command

    from desist.audit.models import AuditEvent
    from desist.people.models import Participant

    call_command("migrate", verbosity=0)
    last = AuditEvent.objects.filter(entity="demo-data").order_by("-seq").first()
    have = Participant.objects.count()
    if (
        last is not None
        and last.changes.get("seed") == args.seed
        and have == args.participants
        and not args.rebuild
    ):
        return f"reused, built {last.occurred_at:%Y-%m-%d %H:%M} UTC"
    if have and args.database_url and not args.rebuild:
        raise SystemExit(
            f"That database holds {have} participants from another build. Pass --rebuild to "
            "replace them with demo data (this deletes every participant in it)."
        )
    print(f"Building demo data: {args.participants} participants, seed {args.seed} ...")
    started = time.perf_counter()
    call_command(
        "demo_data",
        participants=args.participants,
        seed=args.seed,
        replace=bool(have) or last is not None,
        stdout=open(os.devnull, "w"),  # noqa: SIM115 - the logins table is not wanted here
    )
    return f"built in {time.perf_counter() - started:.0f} s"


def scenarios() -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    for size in PAGE_SIZES:
        rows.append(("Caseload page", f"/participants/?per_page={size}", size))
    for size in PAGE_SIZES:
        rows.append(("API list", f"/api/v1/participants/?page_size={size}", size))
    rows += [
        ("Caseload page, strand=tpim", "/participants/?strand=tpim&per_page=50", 50),
        ("API list, strand=tpim", "/api/v1/participants/?strand=tpim&page_size=50", 50),
        ("Caseload page, page 50", "/participants/?per_page=50&page=50", 50),
        ("API list, page 50", "/api/v1/participants/?page_size=50&page=50", 50),
    ]
    return rows


def measure(args: argparse.Namespace) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from desist.accounts.access import participants_for
    from desist.accounts.models import User

    results: list[Result] = []
    for username in USERS:
        user = User.objects.get(username=username)
        visible = participants_for(user).count()
        client = Client()
        client.force_login(user)
        for label, url, size in scenarios():
            for _ in range(args.warmups):
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{username} {url}: HTTP {response.status_code}")
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            # Count now: the next request clears the connection's query log.
            queries = len(captured.captured_queries)
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            results.append(
                Result(
                    user=username,
                    label=label,
                    url=url,
                    page_size=size,
                    queries=queries,
                    median_ms=statistics.median(timings),
                    p95_ms=percentile(timings, 95),
                    visible=visible,
                )
            )
            print(f"  {username:18} {url:52} {results[-1].median_ms:8.1f} ms")
    return results


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def constant_queries(results: list[Result]) -> dict[tuple[str, str], bool]:
    """Per user and kind of request, whether the query count is the same for every page size."""
    counts: dict[tuple[str, str], set[int]] = {}
    for r in results:
        if r.label in ("Caseload page", "API list"):
            counts.setdefault((r.user, r.label), set()).add(r.queries)
    return {key: len(values) == 1 for key, values in counts.items()}


def machine_facts(
    args: argparse.Namespace, data: str, load: tuple[float, float]
) -> list[tuple[str, str]]:
    import django
    from django.db import connection

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        ram = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else ram
    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    else:
        version = connection.cursor().connection.info.server_version  # type: ignore[attr-defined]
        database = f"PostgreSQL {version // 10000}.{version % 10000}"
    return [
        ("CPU", cpu),
        ("Cores", str(os.cpu_count())),
        ("RAM", ram),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("Database", database),
        ("Data", f"{args.participants:,} participants, demo-data seed {args.seed}; {data}"),
        (
            "Runs",
            f"{args.warmups} warm-up + {args.runs} timed requests per row, one user at a time",
        ),
        ("MFA", "DESIST_MFA_REQUIRED=false (test client signs in without TOTP)"),
        # Other work on the machine skews the figures; the load average shows how much.
        ("Load average", f"{load[0]:.2f} before, {load[1]:.2f} after (1 minute)"),
        ("Date", time.strftime("%Y-%m-%d")),
    ]


def database_title() -> str:
    from django.db import connection

    return "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"


def markdown(results: list[Result], facts: list[tuple[str, str]]) -> str:
    """This database's subsection of the section."""
    constant = constant_queries(results)
    slow = [r for r in results if r.median_ms >= TARGET_MS]
    varying = [key for key, ok in constant.items() if not ok]
    verdict = "PASS" if not slow and not varying else "FAIL"
    lines = [
        f"### {database_title()}",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in facts),
        "",
        "| User (sees) | Request | Page size | Queries | Median ms | p95 ms | Under target |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for r in results:
        ok = "yes" if r.median_ms < TARGET_MS else "**no**"
        lines.append(
            f"| {r.user} ({r.visible:,}) | {r.label} `{r.url}` | {r.page_size} | {r.queries} "
            f"| {r.median_ms:.1f} | {r.p95_ms:.1f} | {ok} |"
        )
    lines += ["", "Queries the same for page sizes 25, 50 and 100:", ""]
    for (user, label), ok in constant.items():
        lines.append(f"- {user}, {label}: {'yes' if ok else '**no**'}")
    summary = f"**Result: {verdict}**"
    if slow:
        summary += f" ({len(slow)} of {len(results)} rows at or over {TARGET_MS:.0f} ms)"
    lines += ["", summary]
    return "\n".join(lines) + "\n"


SECTION_INTRO = f"""{SECTION}

Target: with 100,000 participants, the caseload page and the participants API list use a
constant number of queries whatever the page size, and their median response time for one user
is under {TARGET_MS:.0f} ms on this machine. The issue names no baseline, so there is nothing to
compare with: these are the first figures.

Run with `make bench` (SQLite) or `.venv/bin/python bench/caseload.py --database-url
postgres://...`; each database's run replaces its own subsection. A timed request is everything
Django does for it in-process: session read and write, the access gate, the count and page
queries, rendering, and the audit event that records which participants were listed.
`programme.manager` sees every participant; `officer.london` sees the cases of Probation Service
London and those where it is an involved agency.
"""


def write_docs(subsection: str, title: str) -> None:
    """Replace this database's subsection of the section, keeping everything else."""
    text = DOCS.read_text() if DOCS.exists() else INTRO
    section_re = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    match = section_re.search(text)
    body = match.group(0) if match else SECTION_INTRO
    sub_re = re.compile(rf"^### {re.escape(title)}\n.*?(?=^### |^## |\Z)", re.MULTILINE | re.DOTALL)
    subsections = re.findall(r"^### .*?(?=^### |\Z)", body, re.MULTILINE | re.DOTALL)
    if sub_re.search(body):
        subsections = [subsection if sub_re.match(s) else s for s in subsections]
    else:
        subsections.append(subsection)
    body = (
        SECTION_INTRO.rstrip("\n") + "\n\n" + "\n".join(s.rstrip("\n") + "\n" for s in subsections)
    )
    if match:
        text = text[: match.start()] + body + "\n" + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + body
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(PROJECT))
    configure(args)
    import django

    django.setup()
    data = ensure_data(args)
    print("MFA enforcement is off for this bench (DESIST_MFA_REQUIRED=false).")
    load_before = os.getloadavg()[0]
    results = measure(args)
    facts = machine_facts(args, data, (load_before, os.getloadavg()[0]))
    subsection = markdown(results, facts)
    print()
    print(subsection)
    if not args.no_docs:
        write_docs(subsection, database_title())
        print(f"Written to {DOCS.relative_to(PROJECT)}")
    return 0 if "**Result: PASS**" in subsection else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
