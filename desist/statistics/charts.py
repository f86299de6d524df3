"""Charts of published statistics tables, as SVG text for pages and PNG bytes for exports.

A chart is drawn from a `PublishedTable` alone (so a frozen release can be charted again): the
first column gives the categories along the bottom (financial years), and the plotted series
are the table's value columns, except a "Total" column and, for the tables named in
`SERIES`, only the columns listed there (a rate, or the median and quartiles). Values are the
published strings: a hidden figure ("<10", "[c]") is not plotted, and the chart then says so.

Deterministic, like desist/support/charts.py: matplotlib's Agg backend and object-oriented API
(no pyplot state), a fixed `svg.hashsalt`, no date or software metadata, text kept as text.
GOV.UK colours; series also differ by hatching or marker and line style.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from desist.statistics.tables import PublishedTable

COLOURS = ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#28a197", "#505a5f")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", "-", "--", "-.")
HATCHES = ("", "//", "..", "xx", "\\\\", "--", "++")
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#b1b4b6"
HIDDEN_NOTE = "Figures hidden by disclosure control are not plotted."
EMPTY_NOTE = "No figures to show."

# The columns to plot, for tables where not every value column is comparable.
SERIES: dict[str, tuple[str, ...]] = {
    "time-to-first-session": (
        "Median (days)",
        "Lower quartile (days)",
        "Upper quartile (days)",
    ),
    "attendance": ("Attendance rate (%)",),
}
Y_LABELS: dict[str, str] = {
    "time-to-first-session": "Days",
    "attendance": "Per cent",
}
# Families of tables named by a key prefix: the reoffending rate by each breakdown.
Y_LABEL_PREFIXES: dict[str, str] = {"reoffending-rate-": "Per cent"}


def y_label(table: PublishedTable) -> str:
    """What the y axis of the table's chart measures ("Count" unless the key says otherwise)."""
    if table.key in Y_LABELS:
        return Y_LABELS[table.key]
    prefixes = (label for prefix, label in Y_LABEL_PREFIXES.items() if table.key.startswith(prefix))
    return next(prefixes, "Count")


_RC: Any = {
    "svg.hashsalt": "desist-statistics",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": GRID_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
    "text.color": TEXT_COLOUR,
}
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')


def _number(text: str) -> float:
    """A published value as a number, or NaN when it is hidden or not a number."""
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def chart_series(table: PublishedTable) -> list[tuple[str, list[float]]]:
    """The series a chart of `table` plots: (column heading, one value per row; NaN = hidden)."""
    wanted = SERIES.get(table.key)
    series: list[tuple[str, list[float]]] = []
    for j, heading in enumerate(table.columns[1:], start=1):
        if (wanted is not None and heading not in wanted) or (
            wanted is None and heading == "Total"
        ):
            continue
        series.append((heading, [_number(row[j]) for row in table.rows]))
    return series


def has_hidden_points(table: PublishedTable) -> bool:
    """True when a value the chart would plot is hidden (so the chart carries `HIDDEN_NOTE`)."""
    return any(math.isnan(v) for _, values in chart_series(table) for v in values)


def chart_title(table: PublishedTable) -> str:
    """The chart's accessible title: the table's title, and what is left out."""
    extra = EMPTY_NOTE if not table.rows else HIDDEN_NOTE if has_hidden_points(table) else ""
    return f"{table.title}. {extra}".strip() if extra else f"{table.title}."


def _draw(table: PublishedTable) -> Figure:
    series = chart_series(table)
    categories = [row[0] for row in table.rows]
    figure = Figure(figsize=(7.5, 3.8), dpi=72)
    axes = figure.subplots()
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    positions = list(range(len(categories)))
    if not categories or not series:
        axes.set_axis_off()
        axes.text(0.5, 0.5, EMPTY_NOTE, ha="center", va="center", transform=axes.transAxes)
        return figure
    if table.chart == "line":
        for index, (label, values) in enumerate(series):
            # NaN leaves a gap in the line: a hidden figure is not drawn or joined across.
            axes.plot(
                positions,
                values,
                label=label,
                color=COLOURS[index % len(COLOURS)],
                marker=MARKERS[index % len(MARKERS)],
                linestyle=LINESTYLES[index % len(LINESTYLES)],
                linewidth=2,
                markersize=6,
            )
    else:
        width = 0.8 / len(series)
        for index, (label, values) in enumerate(series):
            offset = (index - (len(series) - 1) / 2) * width
            shown = [
                (p + offset, v) for p, v in zip(positions, values, strict=True) if not math.isnan(v)
            ]
            axes.bar(
                [p for p, _ in shown],
                [v for _, v in shown],
                width=width,
                label=label,
                color=COLOURS[index % len(COLOURS)],
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor="white",
                linewidth=0.5,
            )
    axes.set_xticks(positions, categories)
    axes.set_xlabel(table.columns[0])
    axes.set_ylabel(y_label(table))
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.5)
    axes.set_axisbelow(True)
    axes.legend(
        loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9, handlelength=2.5
    )
    if has_hidden_points(table):
        figure.text(0.01, 0.0, HIDDEN_NOTE, fontsize=9, ha="left", va="top")
    return figure


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def chart_svg(table: PublishedTable) -> str:
    """The chart of `table` as an <svg> element to inline in a page: role="img" with a <title>,
    element ids prefixed by the table key so several charts share one page. Same table, same
    text, byte for byte."""
    with matplotlib.rc_context(_RC):
        figure = _draw(table)
    return figure_svg(figure, f"chart-{_slug(table.key)}", chart_title(table))


def figure_svg(figure: Figure, prefix: str, title: str) -> str:
    """A matplotlib figure as an <svg> element to inline in a page or a PDF: role="img" with
    `title` as its <title>, element ids starting with `prefix` (so several share a page), no
    date or software metadata, and the same bytes for the same figure."""
    with matplotlib.rc_context(_RC):
        buffer = io.StringIO()
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
            bbox_inches="tight",
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = _REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    text = text.replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{prefix}-title" class="app-chart" '
        'style="max-width: 100%; height: auto" ',
        1,
    )
    opening_end = text.index(">") + 1
    label = escape(title, {'"': "&quot;"})
    return f'{text[:opening_end]}\n <title id="{prefix}-title">{label}</title>{text[opening_end:]}'


def chart_style() -> Any:
    """The rc settings every chart is drawn with (for `matplotlib.rc_context`)."""
    return _RC


def chart_png(table: PublishedTable) -> bytes:
    """The chart of `table` as PNG bytes (for spreadsheets and other exports), without
    software or date metadata so the same table gives the same bytes."""
    with matplotlib.rc_context(_RC):
        figure = _draw(table)
        buffer = io.BytesIO()
        figure.savefig(
            buffer, format="png", dpi=100, metadata={"Software": None}, bbox_inches="tight"
        )
    return buffer.getvalue()
