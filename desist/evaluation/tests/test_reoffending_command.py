"""`desist reoffending` on tiny hand-built files: the outputs and the errors.

The cohort (1 January to 31 December 2020, extract 30 June 2022, defaults otherwise):
- person 1, F, born 1 June 1990, cautioned 15 January 2020 (index date). Offence on 1 March
  2020, convicted 1 May 2020: a proven reoffence 46 days after the index date (16 days left
  of January + 29 of February + 1 = 46), within 3 months.
- person 2, M, born 1 March 2001, released from custody 1 February 2020. Their one offence
  (1 January 2020) is before the index date, so it does not count.
So: cohort 2, reoffenders 1, rate 0.5, reoffences 1, frequency 0.5 (50 per 100), 1 per
reoffender, mean and median 46 days, share within 3 months 1.0.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

INDEX = (
    "person_id,event_type,event_date,date_of_birth,sex\n"
    "1,caution,2020-01-15,1990-06-01,F\n"
    "2,custody_release,2020-02-01,2001-03-01,M\n"
)
OFFENCES = (
    "person_id,offence_date,disposal_date,disposal_type,is_breach\n"
    "1,2020-03-01,2020-05-01,conviction,false\n"
    "2,2020-01-01,2020-01-20,conviction,0\n"
)
COHORT = ["--cohort-start", "2020-01-01", "--cohort-end", "2020-12-31"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "index.csv").write_text(INDEX)
    (tmp_path / "offences.csv").write_text(OFFENCES)
    return {"index": tmp_path / "index.csv", "offences": tmp_path / "offences.csv"}


def run(files: dict[str, Path], *extra: str, extract: str = "2022-06-30") -> str:
    out = io.StringIO()
    call_command(
        "reoffending",
        "--index-events",
        str(files["index"]),
        "--offences",
        str(files["offences"]),
        *COHORT,
        "--extract-date",
        extract,
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_json_has_the_measures_worked_out_by_hand_and_the_options(files: dict[str, Path]) -> None:
    document = json.loads(run(files, "--format", "json"))

    assert {key: document[key] for key in ("cohort_size", "reoffenders", "reoffences")} == {
        "cohort_size": 2,
        "reoffenders": 1,
        "reoffences": 1,
    }
    assert document["binary_rate"] == 0.5 and document["frequency"] == 0.5
    assert document["frequency_per_100"] == 50 and document["per_reoffender"] == 1
    assert document["mean_days_to_first"] == 46 and document["median_days_to_first"] == 46
    assert document["share_first_within_3_months"] == 1
    assert document["options"]["follow_up_months"] == 12
    assert document["options"]["waiting_months"] == 6
    assert document["options"]["jurisdiction"] == "ew"
    assert "breakdowns" not in document


def test_breakdowns_come_as_rows_per_value_in_json_and_csv(files: dict[str, Path]) -> None:
    document = json.loads(run(files, "--by", "sex,adult-youth", "--format", "json"))
    rows = {(row["by"], row["value"]): row for row in document["breakdowns"]}

    assert rows["sex", "F"]["reoffenders"] == 1 and rows["sex", "M"]["reoffenders"] == 0
    assert rows["adult-youth", "adult"]["cohort_size"] == 2  # both 18 or over
    table = list(csv.DictReader(io.StringIO(run(files, "--by", "sex", "--format", "csv"))))
    assert [(row["by"], row["value"], row["cohort_size"]) for row in table] == [
        ("all", "all", "2"),
        ("sex", "F", "1"),
        ("sex", "M", "1"),
    ]


def test_the_table_is_readable_and_names_the_options(files: dict[str, Path]) -> None:
    text = run(files, "--by", "sex")

    assert "Proven reoffending rate (%)           50.0" in text
    assert "Mean days to first reoffence         46.00" in text
    assert "By sex" in text
    assert "follow-up 12 months; waiting period 6 months" in text


def test_per_person_writes_one_row_per_person(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "people.csv"
    run(files, "--format", "json", "--per-person", str(out))

    assert out.read_text().splitlines() == [
        "person_id,index_date,reoffended,reoffences,days_to_first",
        "1,2020-01-15,true,1,46",
        "2,2020-02-01,false,0,",
    ]


def test_a_shorter_follow_up_changes_the_answer(files: dict[str, Path]) -> None:
    # One month of follow-up from 15 January ends on 15 February: the 1 March offence is
    # outside it, so nobody reoffends.
    document = json.loads(run(files, "--follow-up-months", "1", "--format", "json"))

    assert document["reoffenders"] == 0 and document["mean_days_to_first"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--by", "shoe-size"], '--by "shoe-size" is not a breakdown'),
        (["--cohort-start", "2020-13-01"], '--cohort-start "2020-13-01" is not a date'),
    ],
)
def test_bad_options_are_clear_errors(
    files: dict[str, Path], extra: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(files, *extra)


def test_an_extract_too_early_for_the_waiting_period_is_refused(files: dict[str, Path]) -> None:
    with pytest.raises(CommandError, match="2022-06-30 or later"):
        run(files, extract="2022-06-29")


def test_a_missing_column_names_the_file_and_column(files: dict[str, Path]) -> None:
    files["index"].write_text(INDEX.replace(",sex", "").replace(",F", "").replace(",M", ""))

    with pytest.raises(CommandError) as error:
        run(files)
    assert str(files["index"]) in str(error.value) and "sex" in str(error.value)


def test_an_unknown_event_type_names_the_row(files: dict[str, Path]) -> None:
    files["index"].write_text(INDEX.replace("custody_release", "parole"))

    with pytest.raises(CommandError) as error:
        run(files)
    # The second person is on line 3 of the file, row 3 as a spreadsheet shows it.
    assert "row 3, column event_type" in str(error.value) and "'parole'" in str(error.value)


def test_a_file_that_is_not_there_or_not_csv_or_parquet(
    files: dict[str, Path], tmp_path: Path
) -> Any:
    files["offences"] = tmp_path / "missing.csv"
    with pytest.raises(CommandError, match="no such file"):
        run(files)
    files["offences"] = tmp_path / "offences.xlsx"
    files["offences"].write_text("x")
    with pytest.raises(CommandError, match=r"\.csv or \.parquet"):
        run(files)


def test_the_example_files_in_the_docs_run(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[3] / "docs" / "examples"
    files = {
        "index": examples / "reoffending-index-events.csv",
        "offences": examples / "reoffending-offences.csv",
    }
    people = tmp_path / "people.csv"
    out = io.StringIO()
    call_command(
        "reoffending",
        "--index-events",
        str(files["index"]),
        "--offences",
        str(files["offences"]),
        "--cohort-start",
        "2023-04-01",
        "--cohort-end",
        "2024-03-31",
        "--extract-date",
        "2025-09-30",
        "--format",
        "json",
        "--per-person",
        str(people),
        stdout=out,
    )
    document = json.loads(out.getvalue())
    rows = list(csv.DictReader(people.open()))

    # One index event per person, all inside the cohort year: everyone is in the cohort.
    assert document["cohort_size"] == len(files["index"].read_text().splitlines()) - 1 == len(rows)
    assert document["reoffenders"] == sum(row["reoffended"] == "true" for row in rows) > 0
    assert document["reoffences"] == sum(int(row["reoffences"]) for row in rows)
