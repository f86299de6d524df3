"""Building the tables of a statistics release, and the canonical JSON its checksum covers.

A release is a list of PublishedTable, in a fixed order, as at one date. The checksum is the
sha256 of the canonical JSON of the as-at date and the tables (keys sorted, no spaces, UTF-8),
so building the same release again on the same data gives the same checksum, and any change
in the data that reaches a published figure gives a different one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from desist.statistics.constants import Breakdown
from desist.statistics.exports_gss import ReleaseDocument
from desist.statistics.models import StatisticsRelease
from desist.statistics.selectors import ActiveParticipantsTable, active_participants_table
from desist.statistics.tables import PublishedTable

ACTIVE_TITLE = "Active participants by financial year"


def published_from_active(table: ActiveParticipantsTable) -> PublishedTable:
    """The active-participants table in the one shape every published table takes."""
    label = dict(Breakdown.choices).get(table.by, "")
    return PublishedTable(
        key=f"active-participants-by-{table.by}" if table.by else "active-participants",
        title=f"{ACTIVE_TITLE} and {str(label).lower()}" if table.by else ACTIVE_TITLE,
        definition=table.definition,
        as_at=table.as_at,
        columns=("Financial year", "Total", *table.column_labels),
        rows=tuple(
            (year, total, *cells)
            for year, total, cells in zip(table.years, table.totals, table.cells, strict=True)
        ),
        notes=(*table.notes, table.duplicates, table.disclosure),
        chart="bar",
        unpublished=table.unpublished,
    )


def table_builders(as_at: dt.date) -> list[Callable[[], PublishedTable]]:
    """One call per table of a release as at a date, in order: active participants (totals,
    then one table per breakdown, in the order Breakdown lists them), then the flows,
    attendance and concerns of desist/statistics/figures.py. A background build calls them one
    by one and records its progress between them."""
    from desist.statistics.figures import FIGURES

    def active(by: str) -> Callable[[], PublishedTable]:
        return lambda: published_from_active(active_participants_table(as_at=as_at, by=by))

    def figure(build: Callable[..., PublishedTable]) -> Callable[[], PublishedTable]:
        return lambda: build(as_at=as_at)

    return [
        *(active(by) for by in ("", *Breakdown.values)),
        *(figure(build) for build in FIGURES.values()),
    ]


def build_tables(
    as_at: dt.date, *, progress: Callable[[int], None] | None = None
) -> list[PublishedTable]:
    """Every table of a release as at a date, in order. Keys are unique within a release.
    `progress` is told how many tables are built after each one."""
    tables = []
    for done, build in enumerate(table_builders(as_at), start=1):
        tables.append(build())
        if progress is not None:
            progress(done)
    keys = [table.key for table in tables]
    if len(keys) != len(set(keys)):
        raise ValueError(f"table keys repeat in a release: {keys}")
    return tables


def canonical_json(as_at: dt.date, tables: Sequence[dict[str, Any]]) -> bytes:
    """The bytes the checksum covers: keys sorted, no whitespace, UTF-8."""
    document = {"as_at": as_at.isoformat(), "tables": list(tables)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def checksum(as_at: dt.date, tables: Sequence[dict[str, Any]]) -> str:
    return hashlib.sha256(canonical_json(as_at, tables)).hexdigest()


def tables_from_json(tables: Sequence[dict[str, Any]]) -> list[PublishedTable]:
    return [PublishedTable.from_dict(data) for data in tables]


def document_for(release: StatisticsRelease) -> ReleaseDocument:
    """What the exports need of a stored release."""
    return ReleaseDocument(
        title=release.title,
        as_at=release.as_at,
        checksum=release.checksum,
        tables=tuple(tables_from_json(release.tables)),
        published=release.is_published,
    )
