"""The analyst page for proven reoffending (METHODS.md section 3): a list of runs, a form to
start one on uploaded files, and one run: its progress while the background task works, then
its tables after disclosure control (METHODS.md section 2), a chart per breakdown, and the
definitions and options beside them.

Analysts and programme managers only; everyone else gets the same 404 as a missing page. Runs
are aggregate statistics (counts and measures, never a person), so every analyst and
programme manager may see every run, not only their own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.evaluation import services
from desist.evaluation.constants import BREAKDOWN_LABELS, JURISDICTION_LABELS, VALUE_LABELS
from desist.evaluation.forms import ReoffendingRunForm
from desist.evaluation.models import ReoffendingRun
from desist.evaluation.reports import MEASURES, shown
from desist.pages import call_service, posted
from desist.statistics import charts
from desist.statistics.figures import NOT_PUBLISHED, disclosure_note, disclosure_options
from desist.statistics.tables import PublishedTable
from desist_analytics import ProtectedTable, disclosure_control

READERS = (Role.ANALYST, Role.PROGRAMME_MANAGER)
LABELS = {key: label for key, label, _ in MEASURES}
KINDS = {key: kind for key, _, kind in MEASURES}
COUNTS = ("cohort_size", "reoffenders", "reoffences")
# The counts a measure is worked out from: it is not published when one of them is hidden
# (a rate of a hidden count, or an average over fewer people than the threshold, would give
# the count away).
BASES: Mapping[str, tuple[str, ...]] = {
    "binary_rate": ("cohort_size", "reoffenders"),
    "frequency": ("cohort_size", "reoffences"),
    "frequency_per_100": ("cohort_size", "reoffences"),
    "per_reoffender": ("reoffenders", "reoffences"),
    "mean_days_to_first": ("reoffenders",),
    "median_days_to_first": ("reoffenders",),
    "share_first_within_3_months": ("reoffenders",),
}
BREAKDOWN_MEASURES = (
    "cohort_size",
    "reoffenders",
    "binary_rate",
    "reoffences",
    "frequency_per_100",
)
TOTAL = "Total"
RATE = LABELS["binary_rate"]

DEFINITION = (
    "The cohort is the people with an index event in the cohort period: released from "
    "custody, given a non-custodial court disposal, or cautioned (in Northern Ireland also a "
    "diversionary disposal); each person counts once, from their first index event. A proven "
    "reoffence is an offence committed after the index date and within the follow-up period "
    "that is proven by a conviction or caution (in Northern Ireland also a diversionary "
    "disposal) within the follow-up or the waiting period after it. Offences are counted, not "
    "court appearances. The proven reoffending rate is the reoffenders as a percentage of the "
    "cohort; days to the first reoffence are among reoffenders."
)
FIRST_WITHIN_NOTE = (
    "The share of reoffenders whose first reoffence was within 3 months is also not published "
    "when the number of those reoffenders is below the threshold."
)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _run(run_uuid: uuid.UUID) -> ReoffendingRun:
    return get_object_or_404(
        ReoffendingRun.objects.without_files().select_related("created_by"), uuid=run_uuid
    )


# Tables after disclosure control -------------------------------------------------------------


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def measure_cells(values: Mapping[str, Any], hidden: Mapping[str, bool]) -> dict[str, str]:
    """Every measure of one group as published: the counts as disclosure control left them
    (`hidden` says which are hidden; the text of those is filled in by the caller), each
    other measure as "[c]" when a count it is based on is hidden, else formatted as the
    command line does ("-" when there is nobody to measure)."""
    threshold = disclosure_options().threshold
    cells: dict[str, str] = {}
    for key, kind in KINDS.items():
        if key in COUNTS:
            continue
        value = values.get(key)
        if any(hidden[base] for base in BASES[key]):
            cells[key] = NOT_PUBLISHED
        elif key == "share_first_within_3_months" and value is not None:
            within = round(float(value) * int(values["reoffenders"]))
            cells[key] = NOT_PUBLISHED if _small(within, threshold) else shown(value, kind)
        else:
            cells[key] = shown(value, kind)
    return cells


def _count_cells(
    values: Mapping[str, Any], protected: ProtectedTable, i: int
) -> tuple[dict[str, str], dict[str, bool]]:
    texts: dict[str, str] = {}
    hidden: dict[str, bool] = {}
    for j, key in enumerate(COUNTS):
        hidden[key] = protected.suppressed[i][j]
        texts[key] = protected.displayed[i][j] if hidden[key] else shown(values[key], "count")
    return texts, hidden


def _as_at(options: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(options["extract_date"])


def measures_table(result: Mapping[str, Any]) -> PublishedTable:
    """The ten measures of the whole cohort, its three counts protected on their own."""
    protected = disclosure_control(
        [[int(result[key]) for key in COUNTS]], options=disclosure_options()
    )
    counts, hidden = _count_cells(result, protected, 0)
    cells = {**counts, **measure_cells(result, hidden)}
    return PublishedTable(
        key="reoffending-measures",
        title="Proven reoffending of the cohort",
        definition=DEFINITION,
        as_at=_as_at(result["options"]),
        columns=("Measure", "Value"),
        rows=tuple((label, cells[key]) for key, label, _ in MEASURES),
        notes=(disclosure_note(derived="A rate or average"), FIRST_WITHIN_NOTE),
    )


@dataclass(frozen=True)
class Breakdown:
    table: PublishedTable
    chart: PublishedTable
    svg: SafeString


def breakdown_tables(result: Mapping[str, Any]) -> list[Breakdown]:
    """One table per breakdown (a row per value, then the total) and a chart of the rate.

    The counts of a breakdown add up to the cohort's, so each column is a line with a total:
    secondary suppression hides a further value wherever a hidden one could be worked out by
    subtracting the others from the total."""
    rows_by: dict[str, list[Mapping[str, Any]]] = {}
    for row in result.get("breakdowns", []):
        rows_by.setdefault(row["by"], []).append(row)
    as_at = _as_at(result["options"])
    out: list[Breakdown] = []
    for by in result["options"]["by"]:
        rows = rows_by.get(by, [])
        label = BREAKDOWN_LABELS.get(by, by)
        protected = disclosure_control(
            [[int(row[key]) for key in COUNTS] for row in rows] or [[0, 0, 0]],
            column_totals=True,
            options=disclosure_options(),
        )
        lines: list[tuple[str, ...]] = []
        for i, values in enumerate([*rows, result]):
            counts, hidden = _count_cells(values, protected, i if rows else 1)
            cells = {**counts, **measure_cells(values, hidden)}
            name = TOTAL if i == len(rows) else value_label(by, str(values["value"]))
            lines.append((name, *(cells[key] for key in BREAKDOWN_MEASURES)))
        table = PublishedTable(
            key=f"reoffending-by-{by}",
            title=f"Proven reoffending, by {label.lower()}",
            definition=DEFINITION,
            as_at=as_at,
            columns=(label, *(LABELS[key] for key in BREAKDOWN_MEASURES)),
            rows=tuple(lines),
            notes=(disclosure_note(with_totals=True, derived="A rate"),),
        )
        rate_column = 1 + BREAKDOWN_MEASURES.index("binary_rate")
        chart = PublishedTable(
            key=f"reoffending-rate-{by}",
            title=f"{RATE}, by {label.lower()}",
            definition=DEFINITION,
            as_at=as_at,
            columns=(label, RATE),
            rows=tuple((line[0], line[rate_column]) for line in lines[:-1]),
            chart="bar",
        )
        # The SVG is made here by matplotlib from published figures (text escaped).
        out.append(Breakdown(table, chart, mark_safe(charts.chart_svg(chart))))  # noqa: S308
    return out


def value_label(by: str, value: str) -> str:
    """A breakdown value in words ("Released from custody", not "custody_release"); values
    without a label (sex, offence groups, age bands as given) are shown as they are."""
    return VALUE_LABELS.get(by, {}).get(value, value)


def options_summary(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The options of a run, as (what, value) for a summary list."""

    def day(name: str) -> str:
        return f"{dt.date.fromisoformat(options[name]):%-d %B %Y}"

    by: Sequence[str] = options.get("by", ())
    return [
        ("Cohort", f"{day('cohort_start')} to {day('cohort_end')}"),
        ("Data extract", day("extract_date")),
        ("Jurisdiction", JURISDICTION_LABELS.get(options["jurisdiction"], options["jurisdiction"])),
        ("Follow-up", f"{options['follow_up_months']} months"),
        ("Waiting period", f"{options['waiting_months']} months"),
        ("Breaches of orders or licence", "Left out" if options["exclude_breaches"] else "Counted"),
        ("Penalty notices", "Left out" if options["exclude_penalty_notices"] else "Counted"),
        ("Breakdowns", ", ".join(BREAKDOWN_LABELS.get(b, b) for b in by) or "None"),
    ]


# Pages ---------------------------------------------------------------------------------------


@roles_required(*READERS)
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    runs = ReoffendingRun.objects.without_files().select_related("created_by")
    return render(
        request,
        "evaluation/run_list.html",
        {"runs": [(run, options_summary(run.options)[0][1]) for run in runs]},
    )


@roles_required(*READERS)
@require_http_methods(["GET", "POST"])
def run_new(request: HttpRequest) -> HttpResponse:
    data = posted(request)
    form = ReoffendingRunForm(
        data, request.FILES if data is not None else None, user=_user(request)
    )
    if request.method == "POST" and form.is_valid():
        run = call_service(
            form,
            services.reoffending_run_create,
            actor=_user(request),
            index_events_file=form.cleaned_data["index_events_file"],
            offences_file=form.cleaned_data["offences_file"],
            options=form.cleaned_data["options"],
            index_source=form.cleaned_data["index_source"],
            linked_by=form.cleaned_data["linked_by"],
        )
        if run is not None:
            return redirect("evaluation:run_detail", run_uuid=run.uuid)
    return render(request, "evaluation/run_form.html", {"form": form})


@roles_required(*READERS)
@require_GET
def run_detail(request: HttpRequest, run_uuid: uuid.UUID) -> HttpResponse:
    run = _run(run_uuid)
    result = run.result if run.is_done else None
    return render(
        request,
        "evaluation/run_detail.html",
        {
            "run": run,
            "options": options_summary(run.options),
            "measures": measures_table(result) if result is not None else None,
            "breakdowns": breakdown_tables(result) if result is not None else [],
            "definition": DEFINITION,
            "linkage": (result or {}).get("linkage"),
        },
    )
