"""The one shape every published statistics table takes, whatever it counts, so pages, charts,
exports and frozen releases handle them all the same way.

Values are the displayed strings after disclosure control ("12", "<10", "[c]"), never raw
counts, unless `unpublished` is set (a user with the right to unsuppressed figures asked for
them), and then every output carries "Not for publication".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

NOT_FOR_PUBLICATION = "Not for publication: figures before disclosure control."


@dataclass(frozen=True)
class PublishedTable:
    key: str  # slug, unique within a release: "active-participants", "referrals-by-year"
    title: str
    definition: str  # plain English, shown beside the table and in every export
    as_at: dt.date
    columns: tuple[str, ...]  # column headings, the first names the rows (e.g. "Financial year")
    rows: tuple[tuple[str, ...], ...]  # one tuple per row, same length as columns
    notes: tuple[str, ...] = field(default_factory=tuple)  # duplicates, disclosure, caveats
    chart: str = ""  # "bar", "line" or "" (no chart)
    unpublished: bool = False

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.key}: a row has {len(row)} values for {self.columns}")

    @property
    def as_at_text(self) -> str:
        return f"Figures correct as at {self.as_at.day} {self.as_at:%B %Y}."

    def all_notes(self) -> list[str]:
        """Every note a published copy must carry, in the order they are shown."""
        marks = [NOT_FOR_PUBLICATION] if self.unpublished else []
        return [*marks, self.as_at_text, self.definition, *self.notes]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, in a fixed key order (frozen releases hash this)."""
        return {
            "key": self.key,
            "title": self.title,
            "definition": self.definition,
            "as_at": self.as_at.isoformat(),
            "columns": list(self.columns),
            "rows": [list(row) for row in self.rows],
            "notes": list(self.notes),
            "chart": self.chart,
            "unpublished": self.unpublished,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublishedTable:
        return cls(
            key=data["key"],
            title=data["title"],
            definition=data["definition"],
            as_at=dt.date.fromisoformat(data["as_at"]),
            columns=tuple(data["columns"]),
            rows=tuple(tuple(row) for row in data["rows"]),
            notes=tuple(data["notes"]),
            chart=data["chart"],
            unpublished=data["unpublished"],
        )
