"""Reading and checking the input files of proven reoffending."""

import datetime as dt
import doctest
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desist_analytics import (
    IndexEvents,
    Offences,
    ReoffendingInputError,
    read_index_events,
    read_offences,
)
from desist_analytics import _reoffending_io as io

INDEX_HEADER = "person_id,event_type,event_date,date_of_birth,sex"
OFFENCE_HEADER = "person_id,offence_date,disposal_date,disposal_type,is_breach"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def index_error(tmp_path: Path, *lines: str) -> ReoffendingInputError:
    path = write(tmp_path / "index.csv", *lines)
    with pytest.raises(ReoffendingInputError) as raised:
        read_index_events(path)
    return raised.value


def offence_error(tmp_path: Path, *lines: str) -> ReoffendingInputError:
    path = write(tmp_path / "offences.csv", *lines)
    with pytest.raises(ReoffendingInputError) as raised:
        read_offences(path)
    return raised.value


# --- good files ------------------------------------------------------------------------------


def test_an_index_events_csv_is_read_into_typed_arrays(tmp_path: Path) -> None:
    path = write(
        tmp_path / "index.csv",
        INDEX_HEADER + ",offence_group,previous_offences,notes",
        "A1,custody_release,2020-01-15,1990-06-01,M,theft,3,ignored",
        " A2 ,diversion, 2020-02-01 ,2001-03-01,,,,",  # spaces trimmed; blanks
    )
    events = read_index_events(path)
    assert events.source == str(path)
    assert events.person_id.tolist() == ["A1", "A2"]
    assert events.event_type.tolist() == [0, 3]  # codes into EVENT_TYPES
    assert events.event_date.tolist() == [dt.date(2020, 1, 15), dt.date(2020, 2, 1)]
    assert events.date_of_birth.dtype == np.dtype("datetime64[D]")
    assert events.sex.tolist() == ["M", "unknown"]
    assert events.offence_group is not None
    assert events.offence_group.tolist() == ["theft", "unknown"]
    assert events.previous_offences is not None
    assert events.previous_offences.tolist() == [3, -1]  # -1: not known


def test_the_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    path = write(tmp_path / "index.csv", INDEX_HEADER, "1,caution,2020-01-15,1990-06-01,F")
    events = read_index_events(path)
    assert events.offence_group is None
    assert events.previous_offences is None


def test_an_offences_csv_is_read_with_breaches_as_true_false_or_one_zero(tmp_path: Path) -> None:
    path = write(
        tmp_path / "offences.csv",
        OFFENCE_HEADER,
        "1,2020-03-01,2020-05-01,conviction,true",
        "1,2020-03-02,2020-05-01,caution,FALSE",
        "2,2020-03-03,2020-03-03,penalty_notice,1",
        "2,2020-03-04,2020-05-01,other,0",
    )
    found = read_offences(path)
    assert found.person_id.dtype == np.int64
    assert found.person_id.tolist() == [1, 1, 2, 2]
    assert found.disposal_type.tolist() == [0, 1, 2, 4]
    assert found.is_breach.tolist() == [True, False, True, False]
    assert found.disposal_date.tolist()[2] == dt.date(2020, 3, 3)  # disposed the same day


def test_ids_are_integers_only_when_every_one_is_a_plain_whole_number(tmp_path: Path) -> None:
    def ids(*values: str) -> np.ndarray:
        lines = [f"{v},caution,2020-01-15,1990-06-01,M" for v in values]
        return read_index_events(write(tmp_path / "index.csv", INDEX_HEADER, *lines)).person_id

    assert ids("7", "12").dtype == np.int64
    assert ids("7", "012").tolist() == ["7", "012"]  # a leading zero: text
    assert ids("7", "-3").dtype == object
    assert ids("7", "X9").dtype == object


def test_csv_and_parquet_files_give_the_same_arrays(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "index.csv",
        INDEX_HEADER + ",previous_offences",
        "1,caution,2020-01-15,1990-06-01,M,0",
        "2,court_noncustodial,2020-02-15,1991-06-01,F,",
    )
    pq.write_table(
        pa.table(
            {
                "person_id": pa.array([1, 2], pa.int32()),
                "event_type": ["caution", "court_noncustodial"],
                "event_date": pa.array([dt.date(2020, 1, 15), dt.date(2020, 2, 15)]),
                "date_of_birth": ["1990-06-01", "1991-06-01"],
                "sex": pa.array(["M", "F"]).dictionary_encode(),
                "previous_offences": pa.array([0, None], pa.int64()),
            }
        ),
        tmp_path / "index.parquet",
    )
    a, b = read_index_events(csv), read_index_events(tmp_path / "index.parquet")
    for name in (
        "person_id",
        "event_type",
        "event_date",
        "date_of_birth",
        "sex",
        "previous_offences",
    ):
        assert getattr(a, name).tolist() == getattr(b, name).tolist(), name


def test_parquet_booleans_timestamps_and_whole_floats_are_accepted(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "person_id": ["a", "b"],
                "offence_date": pa.array(
                    np.array(["2020-03-01T14:30", "2020-03-02T00:00"], dtype="datetime64[s]")
                ),
                "disposal_date": pa.array([dt.date(2020, 4, 1), dt.date(2020, 4, 2)]),
                "disposal_type": ["conviction", "caution"],
                "is_breach": [True, False],
            }
        ),
        tmp_path / "offences.parquet",
    )
    found = read_offences(tmp_path / "offences.parquet")
    assert found.offence_date.tolist() == [dt.date(2020, 3, 1), dt.date(2020, 3, 2)]
    assert found.is_breach.tolist() == [True, False]
    frame = pd.DataFrame(
        {
            "person_id": [1, 2],
            "event_type": ["caution", "caution"],
            "event_date": [dt.date(2020, 1, 15)] * 2,
            "date_of_birth": [dt.date(1990, 1, 1)] * 2,
            "sex": ["M", "F"],
            "previous_offences": [2.0, np.nan],  # as pandas stores an integer column with gaps
        }
    )
    events = IndexEvents.from_frame(frame)
    assert events.previous_offences is not None
    assert events.previous_offences.tolist() == [2, -1]


def test_a_compressed_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "offences.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write(OFFENCE_HEADER + "\n1,2020-03-01,2020-05-01,conviction,false\n")
    assert len(read_offences(path)) == 1


def test_a_data_frame_is_checked_like_a_file() -> None:
    frame = pd.DataFrame(
        {
            "person_id": ["a"],
            "offence_date": ["2020-03-01"],
            "disposal_date": ["2020-02-01"],
            "disposal_type": ["conviction"],
            "is_breach": [False],
        }
    )
    with pytest.raises(ReoffendingInputError) as raised:
        Offences.from_frame(frame, source="from the database")
    assert str(raised.value) == (
        "from the database, row 2, column disposal_date: disposal date 2020-02-01 is before "
        "the offence date 2020-03-01"
    )


# --- errors ------------------------------------------------------------------------------------


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    error = index_error(tmp_path, "person_id,event_type,event_date,sex", "1,caution,2020-01-15,M")
    assert (error.row, error.column) == (None, "date_of_birth")
    assert str(error) == (
        f"{tmp_path / 'index.csv'}, column date_of_birth: missing column date_of_birth (the "
        "file needs person_id, event_type, event_date, date_of_birth, sex)"
    )


def test_an_unknown_event_type_is_named_with_its_row_as_a_spreadsheet_shows_it(
    tmp_path: Path,
) -> None:
    error = index_error(
        tmp_path,
        INDEX_HEADER,
        "1,caution,2020-01-15,1990-06-01,M",  # row 2
        "2,caution,2020-01-15,1990-06-01,M",  # row 3
        "3,Caution,2020-01-15,1990-06-01,M",  # row 4: types are lower case
    )
    assert (error.file, error.row, error.column) == (str(tmp_path / "index.csv"), 4, "event_type")
    assert error.message == (
        "unknown event type 'Caution'; expected one of custody_release, court_noncustodial, "
        "caution, diversion"
    )
    assert str(error).startswith(f"{tmp_path / 'index.csv'}, row 4, column event_type: ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-02-30", "'2020-02-30' is not a date in the form YYYY-MM-DD"),
        ("2019-02-29", "'2019-02-29' is not a date in the form YYYY-MM-DD"),
        ("2020-1-15", "'2020-1-15' is not a date in the form YYYY-MM-DD"),
        ("15/01/2020", "'15/01/2020' is not a date in the form YYYY-MM-DD"),
        ("", "event_date is blank"),
        ("  ", "event_date is blank"),
    ],
)
def test_an_unparseable_date_is_named(tmp_path: Path, value: str, message: str) -> None:
    error = index_error(tmp_path, INDEX_HEADER, f"1,caution,{value},1990-06-01,M")
    assert (error.row, error.column, error.message) == (2, "event_date", message)


def test_a_date_of_birth_after_the_event_or_under_ten_is_refused(tmp_path: Path) -> None:
    error = index_error(
        tmp_path,
        INDEX_HEADER,
        "1,caution,2020-01-15,2020-01-16,M",
        "2,caution,2020-01-15,2010-01-16,M",  # 9 until the next day
        "3,caution,2020-01-15,2010-01-15,M",  # 10 on the day: fine
    )
    assert [(p.row, p.column, p.message) for p in error.problems] == [
        (2, "date_of_birth", "date of birth 2020-01-16 is after the event date 2020-01-15"),
        (
            3,
            "date_of_birth",
            "the person was 9 on the event date 2020-01-15, under the age of criminal "
            "responsibility (10)",
        ),
    ]


def test_the_first_few_problems_are_listed_in_row_then_column_order(tmp_path: Path) -> None:
    lines = [INDEX_HEADER + ",previous_offences"]
    lines.append(",caution,2020-01-15,1990-06-01,M,x")  # row 2: blank id, bad count
    lines.append("2,caution,2020-13-01,1990-06-01,M,1")  # row 3: month 13
    lines += [f"{i},custody,2020-01-15,1990-06-01,M,1" for i in range(4, 10)]  # rows 4-9
    error = index_error(tmp_path, *lines)
    assert error.total == 9
    assert [(p.row, p.column) for p in error.problems] == [
        (2, "person_id"),
        (2, "previous_offences"),
        (3, "event_date"),
        (4, "event_type"),
        (5, "event_type"),
    ]
    text = str(error).splitlines()
    assert text[0] == f"{tmp_path / 'index.csv'}, row 2, column person_id: person_id is blank"
    assert text[1] == (
        "  also row 2, column previous_offences: 'x' is not a number of previous offences "
        "(a whole number, 0 or more)"
    )
    assert text[-1] == "  (9 problems in all; the first 5 shown)"


NOT_A_DATE = "is not a date in the form YYYY-MM-DD"
DISPOSAL_TYPES = "conviction, caution, penalty_notice, diversion, other"


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (
            "1,2020-03-01,2020-02-28,conviction,false",
            "disposal_date",
            "disposal date 2020-02-28 is before the offence date 2020-03-01",
        ),
        (
            "1,2020-03-01,2020-05-01,fine,false",
            "disposal_type",
            f"unknown disposal type 'fine'; expected one of {DISPOSAL_TYPES}",
        ),
        ("1,2020-03-01,2020-05-01,conviction,yes", "is_breach", "'yes' is not true/false or 1/0"),
        ("1,2020-03-01,2020-05-01,conviction,", "is_breach", "is_breach is blank"),
        ("1,2020-03-01,,conviction,true", "disposal_date", "disposal_date is blank"),
        ("1,March 2020,2020-05-01,conviction,true", "offence_date", f"'March 2020' {NOT_A_DATE}"),
        (",2020-03-01,2020-05-01,conviction,true", "person_id", "person_id is blank"),
    ],
)
def test_bad_offence_values_are_named(tmp_path: Path, line: str, column: str, message: str) -> None:
    error = offence_error(tmp_path, OFFENCE_HEADER, "1,2020-03-01,2020-05-01,caution,0", line)
    assert (error.file, error.row, error.column, error.message) == (
        str(tmp_path / "offences.csv"),
        3,
        column,
        message,
    )


def test_an_unknown_file_type_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReoffendingInputError, match=r"must end in \.csv or \.parquet"):
        read_offences(tmp_path / "offences.xlsx")
    with pytest.raises(ReoffendingInputError, match="no such file"):
        read_offences(tmp_path / "offences.csv")


def test_a_broken_csv_is_refused_with_the_file_named(tmp_path: Path) -> None:
    error = offence_error(tmp_path, OFFENCE_HEADER, "1,2020-03-01")
    assert error.file == str(tmp_path / "offences.csv")
    assert "cannot be read as csv" in error.message


def test_ages_count_a_birthday_from_the_day_itself() -> None:
    born = np.array(["2002-03-10", "2002-03-10", "2004-02-29", "2004-02-29"], dtype="datetime64[D]")
    on = np.array(["2020-03-09", "2020-03-10", "2022-02-28", "2022-03-01"], dtype="datetime64[D]")
    assert io.years_between(born.view(np.int64), on.view(np.int64)).tolist() == [17, 18, 17, 18]


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(io).failed == 0
