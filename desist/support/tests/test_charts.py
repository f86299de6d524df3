"""Charts are valid SVG, labelled for assistive technology, carry their series labels as text,
and are the same every time they are drawn."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from desist.support import charts

SVG = "{http://www.w3.org/2000/svg}"
DATES = [dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 3, 2)]
SERIES = [
    ("Life satisfaction", [4.0, 5.0, 6.0]),
    ("Anxiety (lower is better)", [8.0, None, 4.0]),
]


def _line() -> str:
    return charts.line_chart(
        title="ONS personal well-being: scores over time",
        dates=DATES,
        series=SERIES,
        y_min=0,
        y_max=10,
        prefix="ons4",
    )


def _bars() -> str:
    return charts.need_chart(
        title="Level of need",
        pathways=["Accommodation", "Finance, benefits and debt"],
        first=[3, 2],
        latest=[1, 2],
        prefix="needs",
    )


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def _texts(svg: str) -> list[str]:
    root = _parse(svg)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_the_line_chart_is_an_svg_image_with_a_title() -> None:
    root = _parse(_line())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "ons4-title"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "ONS personal well-being: scores over time"


def test_the_line_chart_names_each_series_and_date_in_text() -> None:
    texts = _texts(_line())
    assert "Life satisfaction" in texts
    assert "Anxiety (lower is better)" in texts
    assert {"05 Jan 2026", "02 Feb 2026", "02 Mar 2026"} <= set(texts)
    # One line per series, with a marker at each score given (a gap where none was).
    lines = [
        g
        for g in _parse(_line()).iter(f"{SVG}g")
        if re.fullmatch(r"ons4-line2d_\d+", g.get("id", ""))
    ]
    assert lines


def test_the_bar_chart_names_the_pathways_levels_and_series() -> None:
    texts = _texts(_bars())
    assert {"Accommodation", "Finance, benefits and debt"} <= set(texts)
    assert {"None", "Low", "Medium", "High"} <= set(texts)
    assert {"First assessment", "Latest assessment"} <= set(texts)


def test_charts_are_drawn_the_same_every_time() -> None:
    assert _line() == _line()
    assert _bars() == _bars()


def test_charts_carry_no_date_or_creator_metadata_or_xml_prolog() -> None:
    svg = _line()
    assert svg.startswith("<svg ")
    assert "<metadata" not in svg
    assert "Matplotlib" not in svg
    assert "dc:date" not in svg


def test_two_charts_on_one_page_share_no_ids() -> None:
    ids = re.findall(r'\bid="([^"]+)"', _line() + _bars())
    assert len(ids) == len(set(ids))
    for svg, prefix in ((_line(), "ons4-"), (_bars(), "needs-")):
        for reference in re.findall(r"url\(#([^)]+)\)", svg):
            assert reference.startswith(prefix)
            assert f'id="{reference}"' in svg


def test_a_chart_with_one_date_still_draws() -> None:
    svg = charts.line_chart(
        title="One response", dates=[DATES[0]], series=[("Happiness", [7.0])], y_min=0, y_max=10
    )
    assert "Happiness" in _texts(svg)
    assert 'aria-labelledby="one-response-title"' in svg
