"""Proven reoffending results as text for people: the measures and breakdowns as a table, and
as CSV rows. The numbers come from desist_analytics; this module only lays them out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from desist_analytics import ReoffendingResult

# (key of ReoffendingResult.to_dict(), label, how to show it)
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("cohort_size", "Cohort size", "count"),
    ("reoffenders", "Reoffenders", "count"),
    ("binary_rate", "Proven reoffending rate (%)", "percent"),
    ("reoffences", "Proven reoffences", "count"),
    ("frequency", "Reoffences per person", "decimal"),
    ("frequency_per_100", "Reoffences per 100 people", "decimal"),
    ("per_reoffender", "Reoffences per reoffender", "decimal"),
    ("mean_days_to_first", "Mean days to first reoffence", "decimal"),
    ("median_days_to_first", "Median days to first reoffence", "decimal"),
    ("share_first_within_3_months", "First reoffence within 3 months (%)", "percent"),
)
CSV_COLUMNS = ("by", "value", *(key for key, _, _ in MEASURES))


def shown(value: Any, kind: str) -> str:
    """A measure for people: counts as they are, rates as percentages to one decimal place,
    other figures to two; a measure with nobody to measure (no reoffenders) as "-"."""
    if value is None:
        return "-"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{100 * float(value):.1f}"
    return f"{float(value):.2f}"


def grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def options_text(result: ReoffendingResult) -> str:
    o = result.options
    rules = [
        f"cohort {o.cohort_start:%-d %B %Y} to {o.cohort_end:%-d %B %Y}",
        f"follow-up {o.follow_up_months} months",
        f"waiting period {o.waiting_months} months",
        f"jurisdiction {'Northern Ireland' if o.jurisdiction == 'ni' else 'England and Wales'}",
        f"data extract {o.extract_date:%-d %B %Y}",
        "breaches " + ("excluded" if o.exclude_breaches else "included"),
        "penalty notices " + ("excluded" if o.exclude_penalty_notices else "included"),
    ]
    return "Options: " + "; ".join(rules) + "."


def as_table(result: ReoffendingResult) -> str:
    """The whole cohort's measures, then one table per breakdown (a row per value)."""
    document = result.to_dict()
    lines = ["Proven reoffending", ""]
    lines += grid(
        ("Measure", "Value"),
        [(label, shown(document[key], kind)) for key, label, kind in MEASURES],
    )
    for by in result.options.by:
        rows = [row for row in result.breakdowns if row.by == by]
        lines += ["", f"By {by}", ""]
        header = (by, "Cohort", "Reoffenders", "Rate (%)", "Reoffences", "Per 100")
        lines += grid(
            header,
            [
                (
                    row.value,
                    shown(row.cohort_size, "count"),
                    shown(row.reoffenders, "count"),
                    shown(row.binary_rate, "percent"),
                    shown(row.reoffences, "count"),
                    shown(row.frequency_per_100, "decimal"),
                )
                for row in rows
            ],
        )
    lines += ["", options_text(result)]
    return "\n".join(lines) + "\n"


def as_csv(result: ReoffendingResult) -> str:
    """One row for the whole cohort (`by` and `value` "all"), then a row per breakdown value."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result.rows():
        writer.writerow({key: "" if row[key] is None else row[key] for key in CSV_COLUMNS})
    return out.getvalue()
