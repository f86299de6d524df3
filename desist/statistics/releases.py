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
from collections.abc import Sequence
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


def active_participant_tables(as_at: dt.date) -> list[PublishedTable]:
    """Totals first, then one table per breakdown, in the order Breakdown lists them."""
    return [
        published_from_active(active_participants_table(as_at=as_at, by=by))
        for by in ("", *Breakdown.values)
    ]


def other_figures(as_at: dt.date) -> list[PublishedTable]:
    """Flows, attendance and concerns, from desist/statistics/figures.py."""
    from desist.statistics.figures import all_figures

    return all_figures(as_at=as_at)


def build_tables(as_at: dt.date) -> list[PublishedTable]:
    """Every table of a release as at a date, in order. Keys are unique within a release."""
    tables = [*active_participant_tables(as_at), *other_figures(as_at)]
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
