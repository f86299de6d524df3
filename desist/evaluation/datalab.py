"""The Data Lab report: an evaluation's stored figures (`EvaluationResult.to_dict()`) laid out
as a published Justice Data Lab report reads, as one self-contained HTML page and as a PDF.

It says who was in the treatment group and how many were matched, gives the headline results
in words with their confidence intervals and a chart, the balance table with a Love plot, the
method and the caveats. Every count of people passes disclosure control (METHODS.md section
2): a count from 1 to the threshold less one is shown as "fewer than N". The report is made
from the stored dictionary alone, so the same evaluation gives the same report, byte for
byte (the charts are deterministic SVG, the PDF has no creation date).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from matplotlib.figure import Figure

from desist.statistics import charts
from desist.statistics.figures import disclosure_options
from desist_analytics import count_in_words

SE_TEXT = {
    "cluster": "pair-clustered standard errors (a weighted regression of the outcome on the "
    "treatment, with errors clustered on matched sets; with replacement, on each person)",
    "two-sample": "the two-sample standard error sqrt(v_t/n_t + v_c/n_c) used in published "
    "Data Lab reports (n_c the effective size of the comparison group)",
}
ORDER_TEXT = {
    "largest": "people with the highest propensity score first",
    "smallest": "people with the lowest propensity score first",
    "data": "the order of the data",
}
CAVEATS = (
    "Matching makes the two groups alike only in the characteristics that were measured and "
    "used. People who chose, or were chosen, to take part may differ in other ways that "
    "affect reoffending, such as motivation or support from family, and the comparison "
    "cannot allow for those.",
    "The results apply to people like those in the treatment group who were matched. They "
    "may not hold for people with different characteristics, or for the same programme "
    "delivered in another way or at another time.",
    "A result that is not statistically significant does not show that the programme has no "
    "effect: the group may be too small to detect one.",
    "Where balance is poor (a standardised mean difference of 0.1 or more after matching), "
    "the estimates may be biased by the remaining differences between the groups.",
)
FLAG_TEXT = {"red": "Poor balance", "amber": "Some imbalance", "": ""}


def people(count: int) -> str:
    """A count of people after disclosure control: "fewer than 10" or "1,234"."""
    return count_in_words(count, disclosure_options())


def _value(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "binary":
        return f"{100 * value:.1f}%"
    return f"{value:.2f}"


def _difference(value: float, kind: str) -> str:
    if kind == "binary":
        return f"{100 * value:+.1f} percentage points"
    return f"{value:+.2f}"


def _p_value(value: float) -> str:
    return "less than 0.001" if value < 0.001 else f"{value:.3f}"


@dataclass(frozen=True)
class OutcomeRow:
    name: str
    kind: str
    treated: str
    comparison: str
    difference: str
    interval: str
    p_value: str
    significant: bool


@dataclass(frozen=True)
class BalanceLine:
    covariate: str
    mean_treated: str
    mean_before: str
    mean_after: str
    smd_before: str
    smd_after: str
    variance_ratio: str
    ecdf_mean: str
    ecdf_max: str
    flag: str
    flag_text: str


HIDDEN = "[c]"


def _outcome_rows(outcomes: Sequence[Mapping[str, Any]], *, hidden: bool) -> list[OutcomeRow]:
    """The outcomes as shown; with a treatment group too small to show, only their names
    (a rate of fewer than 10 people gives the count away)."""
    rows = []
    for o in outcomes:
        if hidden:
            rows.append(
                OutcomeRow(
                    name=o["outcome"],
                    kind=o["kind"],
                    treated=HIDDEN,
                    comparison=HIDDEN,
                    difference=HIDDEN,
                    interval=HIDDEN,
                    p_value=HIDDEN,
                    significant=False,
                )
            )
            continue
        kind = o["kind"]
        scale = 100 if kind == "binary" else 1
        unit = " percentage points" if kind == "binary" else ""
        low, high = o["ci_low"] * scale, o["ci_high"] * scale
        places = 1 if kind == "binary" else 2
        rows.append(
            OutcomeRow(
                name=o["outcome"],
                kind=kind,
                treated=_value(o["treated"], kind),
                comparison=_value(o["comparison"], kind),
                difference=_difference(o["difference"], kind),
                interval=f"{low:+.{places}f} to {high:+.{places}f}{unit}",
                p_value=_p_value(o["p_value"]),
                significant=o["ci_low"] > 0 or o["ci_high"] < 0,
            )
        )
    return rows


def _balance_lines(balance: Sequence[Mapping[str, Any]]) -> list[BalanceLine]:
    def number(value: float | None, places: int = 3) -> str:
        return "-" if value is None else f"{value:.{places}f}"

    return [
        BalanceLine(
            covariate=b["covariate"],
            mean_treated=number(b["mean_treated"], 2),
            mean_before=number(b["mean_comparison_before"], 2),
            mean_after=number(b["mean_comparison_after"], 2),
            smd_before=number(b["smd_before"]),
            smd_after=number(b["smd_after"]),
            variance_ratio=number(b["variance_ratio_after"], 2),
            ecdf_mean=number(b["ecdf_mean_after"]),
            ecdf_max=number(b["ecdf_max_after"]),
            flag=b["flag"],
            flag_text=FLAG_TEXT[b["flag"]],
        )
        for b in balance
    ]


# Charts -------------------------------------------------------------------------------------

_STYLE = re.compile(r'\sstyle="([^"]*)"')


def _as_attributes(svg: str) -> str:
    """matplotlib's per-element style="fill: ...; stroke: ..." as SVG presentation attributes
    (fill="..." stroke="..."), which browsers and WeasyPrint's SVG renderer both read, so the
    PDF renderer does not warn about CSS properties it does not know. The <svg> element's own
    style (its size on the page) stays."""
    head, rest = svg.split(">", 1)

    def attributes(match: re.Match[str]) -> str:
        pairs = [part.split(":", 1) for part in match.group(1).split(";") if ":" in part]
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    return head + ">" + _STYLE.sub(attributes, rest)


def love_plot_svg(balance: Sequence[Mapping[str, Any]], prefix: str = "love-plot") -> SafeString:
    """Absolute standardised mean differences before (hollow) and after (filled) matching,
    a row per covariate, with lines at 0.05 and 0.1."""
    names = [b["covariate"] for b in balance][::-1]
    before = [abs(b["smd_before"]) for b in balance][::-1]
    after = [abs(b["smd_after"]) for b in balance][::-1]
    with matplotlib.rc_context(charts.chart_style()):
        figure = Figure(figsize=(6.4, 0.9 + 0.32 * len(names)))
        axes = figure.subplots()
        rows = range(len(names))
        axes.scatter(before, rows, facecolors="none", edgecolors="#505a5f", label="Before matching")
        axes.scatter(after, rows, color="#1d70b8", marker="s", label="After matching")
        for limit, style in ((0.05, ":"), (0.1, "--")):
            axes.axvline(limit, color="#d4351c", linestyle=style, linewidth=1)
        axes.set_yticks(list(rows), names)
        axes.set_xlabel("Absolute standardised mean difference")
        axes.set_xlim(left=0, right=max([0.15, *before, *after]) * 1.1)
        axes.grid(axis="x", color=charts.GRID_COLOUR, linewidth=0.5)
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 - 1.2 / (1 + len(names))),
            ncol=2,
            frameon=False,
        )
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    title = "Love plot: balance of each covariate before and after matching"
    # matplotlib's SVG of published figures only (text escaped).
    return mark_safe(_as_attributes(charts.figure_svg(figure, prefix, title)))  # noqa: S308


def outcomes_svg(outcomes: Sequence[Mapping[str, Any]], prefix: str = "outcomes") -> SafeString:
    """Each outcome's difference (treatment minus comparison) with its 95% interval; binary
    outcomes in percentage points."""
    names = []
    points = []
    lows = []
    highs = []
    for o in outcomes[::-1]:
        scale = 100 if o["kind"] == "binary" else 1
        names.append(o["outcome"] + (" (percentage points)" if o["kind"] == "binary" else ""))
        points.append(o["difference"] * scale)
        lows.append((o["difference"] - o["ci_low"]) * scale)
        highs.append((o["ci_high"] - o["difference"]) * scale)
    with matplotlib.rc_context(charts.chart_style()):
        figure = Figure(figsize=(6.4, 1.0 + 0.45 * len(names)))
        axes = figure.subplots()
        rows = list(range(len(names)))
        axes.errorbar(points, rows, xerr=[lows, highs], fmt="o", color="#1d70b8", capsize=4)
        axes.axvline(0, color=charts.TEXT_COLOUR, linewidth=1)
        axes.set_yticks(rows, names)
        axes.set_ylim(-0.6, len(names) - 0.4)
        axes.set_xlabel("Difference, treatment group minus comparison group (95% interval)")
        axes.grid(axis="x", color=charts.GRID_COLOUR, linewidth=0.5)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    title = "Estimated effect on each outcome, with 95% confidence intervals"
    return mark_safe(_as_attributes(charts.figure_svg(figure, prefix, title)))  # noqa: S308


# The report ---------------------------------------------------------------------------------


def method_text(options: Mapping[str, Any], caliper_width: float | None) -> list[str]:
    """The method in sentences, from the options used."""
    ratio = options["ratio"]
    covariates = ", ".join(options["covariates"])
    lines = [
        "Each person's propensity score, the probability of being in the treatment group given "
        f"their characteristics ({covariates}), was estimated by logistic regression "
        "(categorical characteristics one-hot encoded).",
        "Each person in the treatment group was matched to "
        + ("the person" if ratio == 1 else f"the {ratio} people")
        + " in the comparison pool with the nearest "
        + ("score" if ratio == 1 else "scores")
        + f", {'with' if options['replace'] else 'without'} replacement, taking "
        f"{ORDER_TEXT[options['order']]}.",
    ]
    if options.get("exact"):
        lines.append(
            f"People were matched only to others with the same {', '.join(options['exact'])}."
        )
    if options.get("caliper") is not None and caliper_width is not None:
        lines.append(
            f"Matches were allowed only within {options['caliper']:g} standard deviations of "
            f"the score ({caliper_width:.4f}); people with no one that close were not matched."
        )
    lines += [
        "Comparison people were weighted so that each treated person counts once "
        "(the weights of the effect on the treated), and balance was checked with "
        "standardised mean differences, variance ratios and empirical distribution functions.",
        f"Confidence intervals (95%) and p-values use {SE_TEXT[options['se']]}.",
    ]
    return lines


def report_context(
    result: Mapping[str, Any], *, title: str, source: str, made: dt.datetime | None
) -> dict[str, Any]:
    """What the report template shows, from a stored result."""
    options = result["options"]
    counts = {
        "treated_total": people(result["treated_total"]),
        "matched_treated": people(result["matched_treated"]),
        "unmatched_treated": people(result["unmatched_treated"]),
        "comparison_total": people(result["comparison_total"]),
        "matched_controls": people(result["matched_controls"]),
    }
    # The effective size equals the number matched when no one is weighted up, so it is shown
    # only when that number is.
    hidden = counts["matched_controls"].startswith("fewer")
    counts["ess"] = "not shown" if hidden else f"{result['ess_controls']:,.0f}"
    small = counts["matched_treated"].startswith("fewer") or hidden
    return {
        "title": title,
        "source": source,
        "made": made,
        "summary": result["summary"],
        "counts": counts,
        "unmatched": result["unmatched_treated"] > 0,
        "outcomes": _outcome_rows(result["outcomes"], hidden=small),
        "outcomes_chart": None if small else outcomes_svg(result["outcomes"]),
        "outcomes_hidden": small,
        "balance": _balance_lines(result["balance"]),
        "love_plot": love_plot_svg(result["balance"]),
        "method": method_text(options, result.get("caliper_width")),
        "caveats": CAVEATS,
        "threshold": disclosure_options().threshold,
        "options": options,
    }


def report_html(
    result: Mapping[str, Any], *, title: str, source: str, made: dt.datetime | None = None
) -> str:
    """The report as one self-contained HTML page (styles and charts inline)."""
    context = report_context(result, title=title, source=source, made=made)
    return render_to_string("evaluation/datalab_report.html", context)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The PDF is made from the page alone: nothing is fetched, whatever a value says."""
    raise ValueError("The Data Lab report does not load external resources.")


def report_pdf(
    result: Mapping[str, Any], *, title: str, source: str, made: dt.datetime | None = None
) -> bytes:
    """The report as an A4 PDF (WeasyPrint), the same bytes for the same result."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = report_html(result, title=title, source=source, made=made)
    pdf: bytes = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    return pdf
