"""Charts of published tables: valid, deterministic SVG (and PNG) that leave hidden figures out
and say so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET

from desist.statistics.charts import (
    EMPTY_NOTE,
    HIDDEN_NOTE,
    chart_png,
    chart_series,
    chart_svg,
    y_label,
)
from desist.statistics.tables import PublishedTable

SVG = "{http://www.w3.org/2000/svg}"


def table(
    rows: tuple[tuple[str, ...], ...],
    *,
    key: str = "concerns-by-type",
    chart: str = "bar",
    columns: tuple[str, ...] = ("Financial year", "Safeguarding", "Other", "Total"),
) -> PublishedTable:
    return PublishedTable(
        key=key,
        title="Concerns raised, by type and financial year",
        definition="Concerns raised.",
        as_at=dt.date(2025, 6, 14),
        columns=columns,
        rows=rows,
        chart=chart,
    )


SHOWN = table((("2023/24", "12", "15", "27"), ("2024/25", "20", "11", "31")))
HIDDEN = table((("2023/24", "<10", "[c]", "27"), ("2024/25", "20", "11", "31")))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def test_a_bar_chart_is_an_svg_image_with_the_table_title() -> None:
    svg = chart_svg(SHOWN)

    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Concerns raised, by type and financial year."
    assert root.get("aria-labelledby") == title.get("id")
    assert "2023/24" in svg and "Safeguarding" in svg and HIDDEN_NOTE not in svg


def test_the_same_table_gives_the_same_chart_byte_for_byte() -> None:
    assert chart_svg(SHOWN) == chart_svg(SHOWN)
    assert chart_png(SHOWN) == chart_png(SHOWN)
    assert "<dc:date>" not in chart_svg(SHOWN) and "<metadata>" not in chart_svg(SHOWN)


def test_the_total_column_is_not_plotted_and_hidden_values_are_left_out() -> None:
    assert chart_series(HIDDEN)[0][0] == "Safeguarding"
    assert [name for name, _ in chart_series(HIDDEN)] == ["Safeguarding", "Other"]
    values = chart_series(HIDDEN)[0][1]
    assert values[1] == 20.0 and values[0] != values[0]  # NaN: not plotted


def test_a_chart_with_hidden_figures_says_so() -> None:
    svg = chart_svg(HIDDEN)

    title = parse(svg).find(f"{SVG}title")
    assert title is not None and title.text is not None and HIDDEN_NOTE in title.text
    assert HIDDEN_NOTE in svg.split("</title>", 1)[1]  # in the drawing as well
    # Two bars fewer than the chart with every figure shown.
    assert svg.count('<g id="chart-concerns-by-type-patch_') == (
        chart_svg(SHOWN).count('<g id="chart-concerns-by-type-patch_') - 2
    )


def test_a_line_chart_plots_only_the_named_columns() -> None:
    rates = table(
        (("2023/24", "40", "10", "50", "80"), ("2024/25", "30", "<10", "35", "[c]")),
        key="attendance",
        chart="line",
        columns=(
            "Financial year",
            "Attended (including late)",
            "Did not attend or cancelled by participant",
            "Sessions with an outcome",
            "Attendance rate (%)",
        ),
    )

    assert [name for name, _ in chart_series(rates)] == ["Attendance rate (%)"]
    svg = chart_svg(rates)
    parse(svg)
    assert "Per cent" in svg and HIDDEN_NOTE in svg


def test_an_empty_table_gives_a_chart_that_says_there_is_nothing_to_show() -> None:
    svg = chart_svg(table(()))

    parse(svg)
    assert EMPTY_NOTE in svg


def test_two_charts_on_one_page_do_not_share_ids() -> None:
    other = table(SHOWN.rows, key="referrals-by-strand")

    first = {e.get("id") for e in parse(chart_svg(SHOWN)).iter() if e.get("id")}
    second = {e.get("id") for e in parse(chart_svg(other)).iter() if e.get("id")}
    assert first and second and not first & second


def test_png_export_is_a_png_image() -> None:
    assert chart_png(SHOWN).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_y_axis_says_per_cent_for_rates_and_count_otherwise() -> None:
    def table(key: str) -> PublishedTable:
        return dataclasses.replace(SHOWN, key=key)

    assert y_label(table("attendance")) == "Per cent"
    assert y_label(table("reoffending-rate-sex")) == "Per cent"
    assert y_label(table("time-to-first-session")) == "Days"
    assert y_label(table("referrals-by-strand")) == "Count"
