"""`desist evaluate`: the Data Lab evaluation on the command line, its JSON and table output,
the report as HTML and as a real PDF, and clear errors."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from desist_analytics import EvaluationOptions, evaluate

pytestmark = pytest.mark.usefixtures("keep_db_connection")


def people(treated: int = 80, controls: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = treated + controls
    age = np.concatenate([rng.normal(27, 6, treated), rng.normal(33, 9, controls)]).round(1)
    return pd.DataFrame(
        {
            "person_id": [f"X{i:05d}" for i in range(n)],
            "treated": [1] * treated + [0] * controls,
            "age": age,
            "sex": rng.choice(["F", "M"], n, p=[0.3, 0.7]),
            "previous": rng.poisson(2, n),
            "reoffended_1y": rng.integers(0, 2, n),
            "reoffences": rng.poisson(1, n),
        }
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


ARGS = (
    "--treatment",
    "treated",
    "--covariates",
    "age,sex,previous",
    "--outcome",
    "reoffended_1y,reoffences",
)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    people().to_csv(path, index=False)
    return path


def test_json_output_is_the_engines_result(data_file: Path) -> None:
    document = json.loads(run("--data", str(data_file), *ARGS, "--format", "json"))

    expected = evaluate(
        people(),
        EvaluationOptions("treated", ("age", "sex", "previous"), ("reoffended_1y", "reoffences")),
    ).to_dict()
    assert document["matched_treated"] == expected["matched_treated"] == 80
    assert document["outcomes"] == expected["outcomes"]
    assert document["balance"] == expected["balance"]
    assert [o["outcome"] for o in document["outcomes"]] == ["reoffended_1y", "reoffences"]
    assert document["options"]["se"] == "cluster" and document["summary"]


def test_options_reach_the_engine(tmp_path: Path, data_file: Path) -> None:
    document = json.loads(
        run(
            "--data",
            str(data_file),
            *ARGS,
            "--ratio",
            "2",
            "--replace",
            "--caliper",
            "0.2",
            "--exact",
            "sex",
            "--order",
            "smallest",
            "--se",
            "two-sample",
            "--format",
            "json",
        )
    )
    assert document["options"] == {
        "treatment": "treated",
        "covariates": ["age", "sex", "previous"],
        "outcomes": ["reoffended_1y", "reoffences"],
        "ratio": 2,
        "replace": True,
        "caliper": 0.2,
        "exact": ["sex"],
        "order": "smallest",
        "se": "two-sample",
        "min_treated": 60,
    }
    assert document["caliper_width"] is not None


def test_parquet_is_read_like_csv(tmp_path: Path, data_file: Path) -> None:
    parquet = tmp_path / "people.parquet"
    people().to_parquet(parquet)
    from_csv = json.loads(run("--data", str(data_file), *ARGS, "--format", "json"))
    from_parquet = json.loads(run("--data", str(parquet), *ARGS, "--format", "json"))
    assert from_parquet["outcomes"] == from_csv["outcomes"]


def test_the_table_lists_counts_outcomes_balance_and_the_summary(data_file: Path) -> None:
    text = run("--data", str(data_file), *ARGS)
    assert "Treatment group" in text and "Comparison pool" in text
    assert "reoffended_1y" in text and "sex: M" in text
    assert "For any 100 typical people in the treatment group" in text


def test_the_report_is_written_as_html_and_as_a_real_pdf(tmp_path: Path, data_file: Path) -> None:
    html = tmp_path / "report.html"
    pdf = tmp_path / "report.pdf"
    run("--data", str(data_file), *ARGS, "--report", str(html))
    run("--data", str(data_file), *ARGS, "--report", str(pdf))

    page = html.read_text()
    for heading in (
        "Summary",
        "Who was in the treatment group",
        "Results",
        "How alike",
        "Method",
        "Caveats",
    ):
        assert heading in page
    assert "<svg" in page and "Love plot" in page
    assert pdf.read_bytes().startswith(b"%PDF-")
    # The same data give the same PDF, byte for byte.
    again = tmp_path / "again.pdf"
    run("--data", str(data_file), *ARGS, "--report", str(again))
    assert again.read_bytes() == pdf.read_bytes()


def test_small_counts_are_hidden_in_the_report(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    people(treated=8, controls=60).to_csv(path, index=False)
    html = tmp_path / "report.html"
    run("--data", str(path), *ARGS, "--min-treated", "5", "--report", str(html))
    page = html.read_text()
    assert "fewer than 10" in page
    # Neither the counts nor what gives them away: the effective size, the rates.
    assert "<dd>8</dd>" not in page and "<dd>not shown</dd>" in page
    assert "The outcomes are not shown ([c])" in page and "%</td>" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--min-treated", "100"), "only 80 people are in the treatment group"),
        (("--covariates", "age,region"), "no column region"),
        (("--ratio", "0"), "Ratio must be"),
        (("--report", "out.docx"), "--report must name a .html or .pdf file"),
    ],
)
def test_errors_are_clear(data_file: Path, change: tuple[str, str], message: str) -> None:
    args = dict(zip(ARGS[::2], ARGS[1::2], strict=True))
    args.update(dict([change]))
    flat = [item for pair in args.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        run("--data", str(data_file), *flat)


def test_missing_values_name_the_column_and_rows(tmp_path: Path) -> None:
    data = people()
    data.loc[[0, 4], "age"] = np.nan
    path = tmp_path / "gaps.csv"
    data.to_csv(path, index=False)
    with pytest.raises(
        CommandError, match=r"gaps.csv: column age has 2 rows with missing values \(rows 2, 6\)"
    ):
        run("--data", str(path), *ARGS)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(CommandError, match=r"--data: no such file: nowhere\.csv"):
        run("--data", "nowhere.csv", *ARGS)
