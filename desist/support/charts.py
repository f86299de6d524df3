"""Charts of progress as SVG text, to inline in pages beside a table that says the same in
words and numbers (the table is the text alternative; the SVG is labelled as an image).

matplotlib with the Agg backend and its object-oriented API (no pyplot state, so it is safe in
any number of threads). Output is deterministic: a fixed `svg.hashsalt`, no date or creator
metadata, text kept as text (`svg.fonttype: none`, so labels can be read and searched). Each
chart's element ids carry a prefix so several charts can share one page.

Colours are from the GOV.UK palette, and series also differ by marker and line or hatching, so
they can be told apart without colour.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates as mdates
from matplotlib.figure import Figure

# GOV.UK colours: blue, orange, green, purple, red, turquoise.
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#28a197")
MARKERS = ("o", "s", "^", "D", "v", "P")
LINESTYLES = ("-", "--", "-.", ":", "-", "--")
HATCHES = ("", "//", "..", "xx")
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#b1b4b6"
NEED_TICKS = (0, 1, 2, 3)
NEED_TICK_LABELS = ("None", "Low", "Medium", "High")

# Typed loosely: matplotlib's stubs want a literal key type for rc_context.
_RC: Any = {
    "svg.hashsalt": "desist",
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _svg(figure: Figure, *, title: str, prefix: str) -> str:
    """The figure as an <svg> element (no XML prolog), labelled for assistive technology, with
    its ids prefixed so that two charts on one page do not clash."""
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
    label = escape(title, {'"': "&quot;"})
    text = text.replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{prefix}-title" class="app-chart" '
        'style="max-width: 100%; height: auto" ',
        1,
    )
    opening_end = text.index(">") + 1
    title_element = f'\n <title id="{prefix}-title">{label}</title>'
    return text[:opening_end] + title_element + text[opening_end:]


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), dpi=72)
    axes = figure.subplots()
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    return figure, axes


def line_chart(
    *,
    title: str,
    dates: Sequence[dt.date],
    series: Sequence[tuple[str, Sequence[float | None]]],
    y_min: float,
    y_max: float,
    y_label: str = "Score",
    prefix: str = "",
) -> str:
    """Scores over time, one line per series (e.g. the four ONS personal well-being items).
    A None value leaves a gap."""
    with matplotlib.rc_context(_RC):
        figure, axes = _figure(7.5, 3.8)
        for index, (label, values) in enumerate(series):
            points = [(d, v) for d, v in zip(dates, values, strict=True) if v is not None]
            axes.plot(
                [d for d, _ in points],
                [v for _, v in points],
                label=label,
                color=COLOURS[index % len(COLOURS)],
                marker=MARKERS[index % len(MARKERS)],
                linestyle=LINESTYLES[index % len(LINESTYLES)],
                linewidth=2,
                markersize=6,
            )
        axes.set_ylim(y_min - 0.5, y_max + 0.5)
        axes.set_ylabel(y_label)
        axes.yaxis.grid(True, color=GRID_COLOUR, linewidth=0.5)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))  # type: ignore[no-untyped-call]
        if len(set(dates)) <= 8:
            axes.set_xticks(sorted(set(dates)))
        if len(set(dates)) == 1:
            only = dates[0]
            axes.set_xlim(only - dt.timedelta(days=15), only + dt.timedelta(days=15))
        figure.autofmt_xdate(rotation=30)
        axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _svg(figure, title=title, prefix=prefix or _slug(title))


def grouped_bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    x_max: float,
    x_label: str,
    ticks: Sequence[float] | None = None,
    tick_labels: Sequence[str] | None = None,
    prefix: str = "",
) -> str:
    """Horizontal bars, one group per category (e.g. per pathway), one bar per series (e.g.
    first and latest assessment)."""
    count = max(len(series), 1)
    height = 0.8 / count
    with matplotlib.rc_context(_RC):
        figure, axes = _figure(7.5, max(2.2, 0.28 * count * len(categories) + 1.2))
        positions = range(len(categories))
        for index, (label, values) in enumerate(series):
            offset = (index - (count - 1) / 2) * height
            axes.barh(
                [p + offset for p in positions],
                list(values),
                height=height,
                label=label,
                color=COLOURS[index % len(COLOURS)],
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor="white",
            )
        axes.set_yticks(list(positions), list(categories))
        axes.invert_yaxis()  # first category at the top, as in the table
        axes.set_xlim(0, x_max)
        if ticks is not None:
            axes.set_xticks(list(ticks), list(tick_labels) if tick_labels else None)
        axes.set_xlabel(x_label)
        axes.xaxis.grid(True, color=GRID_COLOUR, linewidth=0.5)
        axes.set_axisbelow(True)
        axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _svg(figure, title=title, prefix=prefix or _slug(title))


def need_chart(
    *,
    title: str,
    pathways: Sequence[str],
    first: Sequence[float],
    latest: Sequence[float],
    first_label: str = "First assessment",
    latest_label: str = "Latest assessment",
    prefix: str = "",
) -> str:
    """Need per pathway, first against latest (levels 0-3: none, low, medium, high; means for
    a caseload)."""
    return grouped_bar_chart(
        title=title,
        categories=pathways,
        series=[(first_label, first), (latest_label, latest)],
        x_max=3.2,
        x_label="Level of need (lower is better)",
        ticks=NEED_TICKS,
        tick_labels=NEED_TICK_LABELS,
        prefix=prefix,
    )
