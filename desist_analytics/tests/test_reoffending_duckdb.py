"""Proven reoffending by DuckDB over Parquet: the same answers and errors as in memory."""

import datetime as dt
import doctest
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desist_analytics import (
    ReoffendingInputError,
    ReoffendingOptions,
    ReoffendingResult,
    proven_reoffending,
    proven_reoffending_duckdb,
    read_index_events,
    read_offences,
)
from desist_analytics import _reoffending_duckdb as duck
from desist_analytics._reoffending import add_months_to_days
from desist_analytics._reoffending_io import DISPOSAL_TYPES, EVENT_TYPES

OPTIONS = ReoffendingOptions(
    cohort_start=dt.date(2020, 1, 1),
    cohort_end=dt.date(2020, 12, 31),
    extract_date=dt.date(2022, 6, 30),
    by=ReoffendingOptions.BREAKDOWNS,
)

# person, event type, event date, date of birth, sex, offence group, previous offences
INDEX = [
    ("A", "caution", "2020-01-15", "1990-06-01", "F", "theft", "0"),
    ("A", "custody_release", "2020-05-01", "1990-06-01", "F", "theft", "1"),  # later: ignored
    ("B", "court_noncustodial", "2020-02-29", "2003-03-01", "M", "drugs", "4"),  # 16: juvenile
    ("C", "custody_release", "2020-06-30", "1985-01-01", "", "", ""),  # unknowns
    ("D", "diversion", "2020-03-01", "1999-01-01", "M", "theft", "12"),  # E&W: not an index
]
# person, offence date, disposal date, disposal type, breach
OFFENCES = [
    ("A", "2020-01-15", "2020-02-01", "conviction", "false"),  # on the index date: no
    ("A", "2020-04-15", "2020-06-01", "conviction", "false"),  # day 91, within 3 months
    ("A", "2021-01-15", "2021-07-15", "caution", "false"),  # last days of both periods
    ("B", "2021-02-28", "2021-03-01", "conviction", "false"),  # B's last day (leap index)
    ("B", "2020-03-10", "2020-04-01", "conviction", "true"),  # a breach: no
    ("C", "2020-07-01", "2020-08-01", "penalty_notice", "false"),  # no
    ("D", "2020-04-01", "2020-05-01", "conviction", "false"),  # D is not in the cohort
]


def write_index(path: Path, rows: list[tuple[str, ...]], **types: Any) -> Path:
    columns = [
        "person_id",
        "event_type",
        "event_date",
        "date_of_birth",
        "sex",
        "offence_group",
        "previous_offences",
    ]
    data = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    table = pa.table({c: pa.array(v, type=types.get(c, pa.string())) for c, v in data.items()})
    pq.write_table(table, path)
    return path


def write_offences(path: Path, rows: list[tuple[str, ...]]) -> Path:
    columns = ["person_id", "offence_date", "disposal_date", "disposal_type", "is_breach"]
    pq.write_table(pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)}), path)
    return path


def in_memory(index: Path, found: Path, options: ReoffendingOptions) -> ReoffendingResult:
    return proven_reoffending(read_index_events(index), read_offences(found), options)


def test_the_hand_built_case_gives_the_same_result_as_in_memory(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index.parquet", INDEX)
    found = write_offences(tmp_path / "offences.parquet", OFFENCES)
    result = proven_reoffending_duckdb(index, found, OPTIONS, per_person_out=tmp_path / "p.csv")
    # Cohort A, B, C. A: 2 reoffences, first on day 91; B: 1, on day 365 (2020-02-29 to
    # 2021-02-28); C: none (a penalty notice).
    assert (result.cohort_size, result.reoffenders, result.reoffences) == (3, 2, 3)
    assert result.mean_days_to_first == (91 + 365) / 2
    assert result.median_days_to_first == 228.0
    assert result.share_first_within_3_months == 0.5
    assert result.per_person is None
    expected = in_memory(index, found, OPTIONS)
    assert result.to_dict() == expected.to_dict()
    assert result == expected
    assert (tmp_path / "p.csv").read_text() == (
        "person_id,index_date,reoffended,reoffences,days_to_first\n"
        "A,2020-01-15,true,2,91\n"
        "B,2020-02-29,true,1,365\n"
        "C,2020-06-30,false,0,\n"
    )


def test_northern_ireland_counts_diversions_in_both_files(tmp_path: Path) -> None:
    rows = [*OFFENCES, ("D", "2020-04-01", "2020-05-01", "diversion", "0")]
    index = write_index(tmp_path / "index.parquet", INDEX)
    found = write_offences(tmp_path / "offences.parquet", rows)
    options = ReoffendingOptions(**{**vars(OPTIONS), "jurisdiction": "ni"})
    result = proven_reoffending_duckdb(index, found, options)
    assert (result.cohort_size, result.reoffenders) == (4, 3)  # D in the cohort, reoffending
    assert result == in_memory(index, found, options)


def test_several_files_are_one_table(tmp_path: Path) -> None:
    write_index(tmp_path / "index-1.parquet", INDEX[:2])
    write_index(tmp_path / "index-2.parquet", INDEX[2:])
    write_offences(tmp_path / "offences-1.parquet", OFFENCES[:3])
    write_offences(tmp_path / "offences-2.parquet", OFFENCES[3:])
    whole = in_memory(
        write_index(tmp_path / "index.parquet", INDEX),
        write_offences(tmp_path / "offences.parquet", OFFENCES),
        OPTIONS,
    )
    assert (
        proven_reoffending_duckdb(
            tmp_path / "index-*.parquet",
            [tmp_path / "offences-1.parquet", tmp_path / "offences-2.parquet"],
            OPTIONS,
        )
        == whole
    )


def test_the_per_person_table_can_be_written_as_parquet(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index.parquet", INDEX)
    found = write_offences(tmp_path / "offences.parquet", OFFENCES)
    proven_reoffending_duckdb(index, found, OPTIONS, per_person_out=tmp_path / "p.parquet")
    table = pd.read_parquet(tmp_path / "p.parquet")
    assert table["person_id"].tolist() == ["A", "B", "C"]
    assert table["reoffences"].tolist() == [2, 1, 0]


def test_calendar_months_in_sql_match_the_in_memory_rule() -> None:
    days = np.arange(
        np.datetime64("2019-01-01"), np.datetime64("2022-01-01"), dtype="datetime64[D]"
    )
    con = duckdb.connect()
    con.register("days", pd.DataFrame({"day": days.astype("datetime64[s]")}))
    for months in (1, 3, 6, 12, 18):
        shifted = con.execute(
            "SELECT CAST(CAST(day AS DATE) + to_months(?) AS DATE) FROM days ORDER BY day",
            [months],
        ).fetchall()
        expected = add_months_to_days(days.view(np.int64), months).astype("datetime64[D]")
        assert [row[0] for row in shifted] == expected.tolist()


# --- errors: the same as in memory -------------------------------------------------------------


def both_errors(index: Path, found: Path, options: ReoffendingOptions = OPTIONS) -> tuple[str, str]:
    with pytest.raises(ReoffendingInputError) as memory:
        in_memory(index, found, options)
    with pytest.raises(ReoffendingInputError) as ducked:
        proven_reoffending_duckdb(index, found, options)
    return str(memory.value), str(ducked.value)


def replace(rows: list[tuple[str, ...]], at: int, column: int, value: str) -> list[tuple[str, ...]]:
    changed = list(rows)
    row = list(changed[at])
    row[column] = value
    changed[at] = tuple(row)
    return changed


@pytest.mark.parametrize(
    ("at", "column", "value", "expected"),
    [
        (1, 1, "custdy_release", "row 3, column event_type: unknown event type"),
        (0, 2, "2020-02-30", "row 2, column event_date: '2020-02-30' is not a date"),
        (2, 2, "", "row 4, column event_date: event_date is blank"),
        (3, 3, "2020-07-01", "row 5, column date_of_birth: date of birth 2020-07-01 is after"),
        (3, 3, "2012-01-01", "row 5, column date_of_birth: the person was 8 on"),
        (4, 6, "many", "row 6, column previous_offences: 'many' is not a number"),
        (0, 0, " ", "row 2, column person_id: person_id is blank"),
    ],
)
def test_bad_index_events_give_the_same_error(
    tmp_path: Path, at: int, column: int, value: str, expected: str
) -> None:
    index = write_index(tmp_path / "index.parquet", replace(INDEX, at, column, value))
    found = write_offences(tmp_path / "offences.parquet", OFFENCES)
    memory, ducked = both_errors(index, found)
    assert memory == ducked
    assert f"{index}, {expected}" in ducked


@pytest.mark.parametrize(
    ("at", "column", "value", "expected"),
    [
        (2, 2, "2020-01-01", "row 4, column disposal_date: disposal date 2020-01-01 is before"),
        (0, 3, "fine", "row 2, column disposal_type: unknown disposal type 'fine'"),
        (5, 4, "maybe", "row 7, column is_breach: 'maybe' is not true/false or 1/0"),
        (6, 1, "2020/04/01", "row 8, column offence_date: '2020/04/01' is not a date"),
        (1, 1, "1980-01-01", "row 3, column offence_date: offence date 1980-01-01 is before"),
    ],
)
def test_bad_offences_give_the_same_error(
    tmp_path: Path, at: int, column: int, value: str, expected: str
) -> None:
    index = write_index(tmp_path / "index.parquet", INDEX)
    found = write_offences(tmp_path / "offences.parquet", replace(OFFENCES, at, column, value))
    memory, ducked = both_errors(index, found)
    assert memory == ducked
    assert f"{found}, {expected}" in ducked


def test_many_problems_are_counted_and_the_first_few_listed_the_same_way(tmp_path: Path) -> None:
    rows = [(*row[:1], "nonsense", *row[2:]) for row in INDEX] * 3
    index = write_index(tmp_path / "index.parquet", rows)
    found = write_offences(tmp_path / "offences.parquet", OFFENCES)
    memory, ducked = both_errors(index, found)
    assert memory == ducked
    assert ducked.endswith("(15 problems in all; the first 5 shown)")


def test_a_missing_column_is_named_in_the_file_that_lacks_it(tmp_path: Path) -> None:
    index = write_index(tmp_path / "index.parquet", INDEX)
    pq.write_table(
        pa.table({"person_id": ["A"], "offence_date": ["2020-01-01"]}), tmp_path / "o.parquet"
    )
    memory, ducked = both_errors(index, tmp_path / "o.parquet")
    assert memory == ducked
    assert "column disposal_date: missing columns disposal_date, disposal_type, is_breach" in ducked


def test_a_breakdown_without_its_column_gives_the_same_error(tmp_path: Path) -> None:
    table = pq.read_table(write_index(tmp_path / "full.parquet", INDEX))
    pq.write_table(table.drop_columns(["offence_group"]), tmp_path / "index.parquet")
    found = write_offences(tmp_path / "offences.parquet", OFFENCES)
    memory, ducked = both_errors(tmp_path / "index.parquet", found)
    assert memory == ducked
    assert "needed for the breakdown by offence-group" in ducked


def test_only_parquet_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "index.csv").write_text("person_id\n")
    with pytest.raises(ReoffendingInputError, match="Parquet files"):
        proven_reoffending_duckdb(tmp_path / "index.csv", tmp_path / "index.csv", OPTIONS)
    with pytest.raises(ReoffendingInputError, match="no file matches"):
        proven_reoffending_duckdb(tmp_path / "none-*.parquet", tmp_path / "x.parquet", OPTIONS)


# --- random data ---------------------------------------------------------------------------------


def random_files(rng: np.random.Generator, folder: Path) -> ReoffendingOptions:
    """Random small files, with the columns stored as text or as typed values at random."""
    n_events, n_offences, people = int(rng.integers(0, 40)), int(rng.integers(0, 120)), 20
    person = rng.integers(0, people, n_events)
    born = np.datetime64("1960-01-01") + rng.integers(0, 15000, people).astype("timedelta64[D]")
    born = np.minimum(born, np.datetime64("2009-10-01"))
    day = np.datetime64("2019-11-01") + rng.integers(0, 500, n_events).astype("timedelta64[D]")
    previous = rng.integers(-1, 15, n_events)

    def ids(keys: np.ndarray) -> pa.Array:
        return pa.array(keys.astype(str)) if rng.random() < 0.4 else pa.array(keys)

    def dates(values: np.ndarray) -> pa.Array:
        return pa.array(values.astype(str)) if rng.random() < 0.5 else pa.array(values)

    pq.write_table(
        pa.table(
            {
                "person_id": ids(person),
                "event_type": np.array(EVENT_TYPES)[rng.integers(0, 4, n_events)],
                "event_date": dates(day),
                "date_of_birth": dates(born[person]),
                "sex": rng.choice(["F", "M", ""], n_events),
                "offence_group": rng.choice(["theft", "drugs", " "], n_events),
                "previous_offences": pa.array(previous, mask=previous < 0),
            }
        ),
        folder / "index.parquet",
    )
    committed = np.datetime64("2019-11-01") + rng.integers(0, 1100, n_offences).astype(
        "timedelta64[D]"
    )
    breach = rng.random(n_offences) < 0.2
    pq.write_table(
        pa.table(
            {
                "person_id": ids(rng.integers(0, people + 2, n_offences)),
                "offence_date": dates(committed),
                "disposal_date": dates(
                    committed + rng.integers(0, 400, n_offences).astype("timedelta64[D]")
                ),
                "disposal_type": np.array(DISPOSAL_TYPES)[rng.integers(0, 5, n_offences)],
                "is_breach": breach if rng.random() < 0.5 else breach.astype(int).astype(str),
            }
        ),
        folder / "offences.parquet",
    )
    return ReoffendingOptions(
        cohort_start=dt.date(2020, 1, 1),
        cohort_end=dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 400))),
        extract_date=dt.date(2023, 1, 1),
        jurisdiction=str(rng.choice(["ew", "ni"])),
        follow_up_months=int(rng.integers(1, 13)),
        waiting_months=int(rng.integers(0, 7)),
        by=tuple(rng.permutation(list(ReoffendingOptions.BREAKDOWNS))[: int(rng.integers(0, 7))]),
        exclude_breaches=bool(rng.random() < 0.7),
        exclude_penalty_notices=bool(rng.random() < 0.7),
    )


@pytest.mark.parametrize("seed", range(25))
def test_duckdb_and_in_memory_agree_on_random_data(tmp_path: Path, seed: int) -> None:
    options = random_files(np.random.default_rng(seed), tmp_path)
    index, found = tmp_path / "index.parquet", tmp_path / "offences.parquet"
    expected = in_memory(index, found, options)
    result = proven_reoffending_duckdb(
        index, found, options, per_person_out=tmp_path / "duck.csv", threads=1
    )
    assert result == expected
    expected.write_per_person(tmp_path / "memory.csv")
    assert (tmp_path / "duck.csv").read_text() == (tmp_path / "memory.csv").read_text()


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(duck).failed == 0
