"""Proven reoffending (METHODS.md section 3): the engine, at every boundary."""

import calendar
import datetime as dt
import doctest
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from desist_analytics import (
    IndexEvents,
    Offences,
    ReoffendingInputError,
    ReoffendingOptions,
    ReoffendingOptionsError,
    ReoffendingResult,
    proven_reoffending,
)
from desist_analytics import _reoffending as engine
from desist_analytics._reoffending import (
    _proven_reoffending_reference,
    add_months,
    add_months_to_days,
)

COHORT_START = dt.date(2020, 1, 1)
COHORT_END = dt.date(2020, 12, 31)
# 2020-12-31 + 12 months = 2021-12-31, + 6 months = 2022-06-30.
EXTRACT = dt.date(2022, 6, 30)
MEASURE_KEYS = [
    "cohort_size",
    "reoffenders",
    "binary_rate",
    "reoffences",
    "frequency",
    "frequency_per_100",
    "per_reoffender",
    "mean_days_to_first",
    "median_days_to_first",
    "share_first_within_3_months",
]


def events(*rows: tuple[Any, ...], **columns: list[Any]) -> IndexEvents:
    """Index events from (person, event type, event date, date of birth[, sex]) rows."""
    frame = pd.DataFrame(
        [(*row, "M")[:5] for row in rows],
        columns=["person_id", "event_type", "event_date", "date_of_birth", "sex"],
        dtype=object,
    )
    for name, values in columns.items():
        frame[name] = values
    return IndexEvents.from_frame(frame, source="index.csv")


def offences(*rows: tuple[Any, ...]) -> Offences:
    """Offences from (person, offence date, disposal date[, disposal type[, breach]]) rows."""
    frame = pd.DataFrame(
        [
            (*row, "conviction", "false")[:5] if len(row) == 3 else (*row, "false")[:5]
            for row in rows
        ],
        columns=["person_id", "offence_date", "disposal_date", "disposal_type", "is_breach"],
        dtype=object,
    )
    return Offences.from_frame(frame, source="offences.csv")


def options(**changes: Any) -> ReoffendingOptions:
    values: dict[str, Any] = {
        "cohort_start": COHORT_START,
        "cohort_end": COHORT_END,
        "extract_date": EXTRACT,
    }
    values.update(changes)
    return ReoffendingOptions(**values)


def run(
    index: IndexEvents, found: Offences, opts: ReoffendingOptions | None = None
) -> ReoffendingResult:
    """The fast result, checked against the plain-Python reference on the way."""
    opts = opts or options()
    result = proven_reoffending(index, found, opts)
    reference = _proven_reoffending_reference(index, found, opts)
    assert result == reference
    pd.testing.assert_frame_equal(result.per_person, reference.per_person)
    return result


def per_person(result: ReoffendingResult) -> dict[Any, tuple[bool, int, int | None]]:
    table = result.per_person
    days = [None if pd.isna(d) else int(d) for d in table["days_to_first"]]
    return {
        p: (bool(r), int(n), d)
        for p, r, n, d in zip(
            table["person_id"], table["reoffended"], table["reoffences"], days, strict=True
        )
    }


# --- the follow-up and waiting period -------------------------------------------------------


def test_an_offence_on_the_index_date_is_not_a_reoffence_but_the_next_day_is() -> None:
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01"), ("B", "caution", "2020-01-15", "1990-01-01")
    )
    found = offences(
        ("A", "2020-01-15", "2020-02-01"),  # on the index date: not counted
        ("B", "2020-01-16", "2020-02-01"),  # the day after: counted, 1 day to first
    )
    result = run(index, found)
    assert per_person(result) == {"A": (False, 0, None), "B": (True, 1, 1)}


def test_the_last_day_of_the_follow_up_is_the_index_date_a_year_on() -> None:
    # Index 2020-01-15: the follow-up runs 2020-01-16 to 2021-01-15 (366 days, 2020 is leap).
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01"), ("B", "caution", "2020-01-15", "1990-01-01")
    )
    found = offences(("A", "2021-01-15", "2021-02-01"), ("B", "2021-01-16", "2021-02-01"))
    result = run(index, found)
    assert per_person(result) == {"A": (True, 1, 366), "B": (False, 0, None)}


def test_proven_on_the_last_day_of_the_waiting_period_counts_the_day_after_does_not() -> None:
    # Follow-up ends 2021-01-15; the waiting period 6 months later, on 2021-07-15.
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01"), ("B", "caution", "2020-01-15", "1990-01-01")
    )
    found = offences(("A", "2020-06-01", "2021-07-15"), ("B", "2020-06-01", "2021-07-16"))
    result = run(index, found)
    assert per_person(result) == {"A": (True, 1, 138), "B": (False, 0, None)}


def test_periods_ending_on_a_missing_day_end_on_the_last_day_of_the_month() -> None:
    # Index 2020-02-29: follow-up ends 2021-02-28 (no 29th), waiting ends 2021-08-28.
    index = events(*[(p, "caution", "2020-02-29", "1990-01-01") for p in "ABCD"])
    found = offences(
        ("A", "2021-02-28", "2021-03-01"),  # last day of follow-up: counted
        ("B", "2021-03-01", "2021-03-02"),  # the day after: not
        ("C", "2020-05-01", "2021-08-28"),  # proven on the last day of waiting: counted
        ("D", "2020-05-01", "2021-08-29"),  # the day after: not
    )
    result = run(index, found)
    assert [v[0] for v in per_person(result).values()] == [True, False, True, False]


def test_the_waiting_period_is_counted_on_from_the_end_of_the_follow_up() -> None:
    # Index 2020-08-31, 6 + 6 months: follow-up ends 2021-02-28, waiting ends 2021-08-28
    # (not 2021-08-31, which 12 months from the index date would give).
    opts = options(follow_up_months=6, waiting_months=6, extract_date=dt.date(2022, 1, 1))
    index = events(
        ("A", "caution", "2020-08-31", "1990-01-01"), ("B", "caution", "2020-08-31", "1990-01-01")
    )
    found = offences(("A", "2020-09-01", "2021-08-28"), ("B", "2020-09-01", "2021-08-29"))
    result = run(index, found, opts)
    assert per_person(result) == {"A": (True, 1, 1), "B": (False, 0, None)}
    assert opts.follow_up_end(dt.date(2020, 8, 31)) == dt.date(2021, 2, 28)
    assert opts.waiting_end(dt.date(2020, 8, 31)) == dt.date(2021, 8, 28)


def test_without_a_waiting_period_the_offence_is_proven_within_the_follow_up() -> None:
    opts = options(waiting_months=0, extract_date=dt.date(2021, 12, 31))
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01"), ("B", "caution", "2020-01-15", "1990-01-01")
    )
    found = offences(("A", "2020-06-01", "2021-01-15"), ("B", "2020-06-01", "2021-01-16"))
    assert [v[0] for v in per_person(run(index, found, opts)).values()] == [True, False]


# --- what proves an offence -----------------------------------------------------------------


def test_breaches_are_excluded_unless_asked_for() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    found = offences(
        ("A", "2020-03-01", "2020-04-01", "conviction", "true"),  # breach of licence
        ("A", "2020-05-01", "2020-06-01", "conviction", "false"),
    )
    assert run(index, found).reoffences == 1
    with_breaches = run(index, found, options(exclude_breaches=False))
    assert (with_breaches.reoffences, with_breaches.days_to_first_total) == (2, 46)


def test_cautions_count_and_penalty_notices_only_when_asked_for() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    found = offences(
        ("A", "2020-02-01", "2020-03-01", "caution"),
        ("A", "2020-02-02", "2020-03-01", "penalty_notice"),
        ("A", "2020-02-03", "2020-03-01", "other"),  # never counted
        ("A", "2020-02-04", "2020-03-01", "diversion"),  # counted in NI only
    )
    assert run(index, found).reoffences == 1
    assert run(index, found, options(exclude_penalty_notices=False)).reoffences == 2
    assert run(index, found, options(jurisdiction="ni")).reoffences == 2
    both = options(jurisdiction="ni", exclude_penalty_notices=False)
    assert run(index, found, both).reoffences == 3
    assert both.proven_disposals == ("conviction", "caution", "penalty_notice", "diversion")


def test_each_offence_counts_not_each_court_appearance() -> None:
    # Three offences disposed of at one hearing are three reoffences.
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    found = offences(
        *[("A", day, "2020-09-01") for day in ("2020-03-01", "2020-04-01", "2020-05-01")]
    )
    result = run(index, found)
    assert (result.reoffenders, result.reoffences, result.per_reoffender) == (1, 3, 3.0)


def test_offences_of_people_outside_the_cohort_are_ignored() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    found = offences(("Z", "2020-03-01", "2020-04-01"))
    result = run(index, found)
    assert (result.cohort_size, result.reoffences) == (1, 0)


# --- the cohort ------------------------------------------------------------------------------


def test_the_first_index_event_in_the_cohort_period_wins() -> None:
    index = events(
        ("A", "caution", "2019-12-31", "1990-01-01"),  # before the cohort: not an index event
        ("A", "court_noncustodial", "2020-06-01", "1990-01-01"),  # A's index event
        ("A", "custody_release", "2020-09-01", "1990-01-01"),  # a later one: ignored
    )
    # The follow-up runs from 2020-06-01: an offence on 2020-05-01 is before it.
    found = offences(("A", "2020-05-01", "2020-05-20"), ("A", "2021-06-01", "2021-07-01"))
    result = run(index, found, options(by=("index-disposal",)))
    assert per_person(result) == {"A": (True, 1, 365)}
    assert result.per_person["index_date"].tolist() == [pd.Timestamp("2020-06-01")]
    disposals = {row.value: row.cohort_size for row in result.breakdowns}
    assert disposals == {"custody_release": 0, "court_noncustodial": 1, "caution": 0}


def test_the_cohort_period_includes_both_its_first_and_last_day() -> None:
    index = events(
        ("A", "caution", "2019-12-31", "1990-01-01"),
        ("B", "caution", "2020-01-01", "1990-01-01"),
        ("C", "caution", "2020-12-31", "1990-01-01"),
        ("D", "caution", "2021-01-01", "1990-01-01"),
    )
    result = run(index, offences())
    assert result.per_person["person_id"].tolist() == ["B", "C"]


def test_same_day_index_events_rank_custody_release_then_court_then_caution() -> None:
    index = events(
        ("A", "caution", "2020-03-01", "1990-01-01", "F"),
        ("A", "custody_release", "2020-03-01", "1990-01-01", "M"),
        ("B", "court_noncustodial", "2020-03-01", "1990-01-01", "F"),
        ("B", "court_noncustodial", "2020-03-01", "1990-01-01", "M"),  # same type: first row
    )
    result = run(index, offences(), options(by=("index-disposal", "sex")))
    rows = {(row.by, row.value): row.cohort_size for row in result.breakdowns}
    # A: custody release (the M row); B: the first court row (F).
    assert rows[("index-disposal", "custody_release")] == 1
    assert rows[("index-disposal", "court_noncustodial")] == 1
    assert rows[("index-disposal", "caution")] == 0
    assert (rows[("sex", "F")], rows[("sex", "M")]) == (1, 1)


def test_diversion_is_an_index_event_in_northern_ireland_only() -> None:
    index = events(("A", "diversion", "2020-03-01", "1990-01-01"))
    assert run(index, offences()).cohort_size == 0
    ni = run(index, offences(), options(jurisdiction="ni", by=("index-disposal",)))
    assert ni.cohort_size == 1
    assert [row.value for row in ni.breakdowns] == [
        "custody_release",
        "court_noncustodial",
        "caution",
        "diversion",
    ]


# --- ages ------------------------------------------------------------------------------------


def test_adult_from_the_eighteenth_birthday_itself() -> None:
    index = events(
        ("A", "caution", "2020-03-09", "2002-03-10"),  # the day before: 17, juvenile
        ("B", "caution", "2020-03-10", "2002-03-10"),  # the birthday: 18, adult
        ("C", "caution", "2022-02-28", "2004-02-29"),  # 29 February: 17 until 1 March
        ("D", "caution", "2022-03-01", "2004-02-29"),  # 18
    )
    opts = options(cohort_end=dt.date(2022, 12, 31), extract_date=dt.date(2024, 6, 30))
    result = run(index, offences(), ReoffendingOptions(**{**vars(opts), "by": ("adult-youth",)}))
    assert [(row.value, row.cohort_size) for row in result.breakdowns] == [
        ("adult", 2),
        ("juvenile", 2),
    ]
    ni = ReoffendingOptions(**{**vars(opts), "by": ("adult-youth",), "jurisdiction": "ni"})
    assert [row.value for row in run(index, offences(), ni).breakdowns] == ["adult", "youth"]


def test_age_bands_follow_the_jurisdiction() -> None:
    index = events(
        ("A", "caution", "2020-06-01", "2005-06-02"),  # 14
        ("B", "caution", "2020-06-01", "2005-06-01"),  # 15
        ("C", "caution", "2020-06-01", "1990-06-01"),  # 30
        ("D", "caution", "2020-06-01", "1970-06-01"),  # 50
    )
    ew = run(index, offences(), options(by=("age-band",)))
    assert {row.value: row.cohort_size for row in ew.breakdowns if row.cohort_size} == {
        "10-14": 1,
        "15-17": 1,
        "30-34": 1,
        "50+": 1,
    }
    assert [row.value for row in ew.breakdowns][:3] == ["10-14", "15-17", "18-20"]
    ni = run(index, offences(), options(by=("age-band",), jurisdiction="ni"))
    assert {row.value: row.cohort_size for row in ni.breakdowns if row.cohort_size} == {
        "14-15": 2,
        "30-39": 1,
        "50+": 1,
    }


# --- the measures ----------------------------------------------------------------------------


def test_the_measures_worked_out_by_hand() -> None:
    # Index 2020-01-15 for all; 3 months on is 2020-04-15.
    index = events(*[(p, "caution", "2020-01-15", "1990-01-01") for p in "ABCDE"])
    found = offences(
        ("A", "2020-04-15", "2020-05-01"),  # A: first on day 91 (= 2020-04-15, within 3 months)
        ("A", "2020-06-01", "2020-07-01"),  # ... and a second reoffence
        ("B", "2020-04-16", "2020-05-01"),  # B: day 92, the day after 3 months
        ("C", "2020-01-25", "2020-02-01"),  # C: day 10
        ("C", "2020-02-25", "2020-03-01"),  # ... C: 3 reoffences
        ("C", "2020-03-25", "2020-04-01"),
        ("D", "2020-12-01", "2020-12-10"),  # D: day 321
    )
    result = run(index, found)
    # 5 people, 4 reoffenders (E none), 2 + 1 + 3 + 1 = 7 reoffences.
    assert (result.cohort_size, result.reoffenders, result.reoffences) == (5, 4, 7)
    assert result.binary_rate == 4 / 5
    assert result.frequency == 7 / 5
    assert result.frequency_per_100 == 140.0
    assert result.per_reoffender == 7 / 4
    # Days to first: 91, 92, 10, 321 -> mean 514 / 4 = 128.5, median (91 + 92) / 2 = 91.5.
    assert result.mean_days_to_first == 128.5
    assert result.median_days_to_first == 91.5
    # Within 3 months: A (on the day) and C; not B (the day after) nor D.
    assert result.share_first_within_3_months == 2 / 4


def test_people_without_a_reoffence_count_in_the_cohort_only() -> None:
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01"), ("B", "caution", "2020-01-15", "1990-01-01")
    )
    result = run(index, offences())
    assert result.measures() == {
        "cohort_size": 2,
        "reoffenders": 0,
        "binary_rate": 0.0,
        "reoffences": 0,
        "frequency": 0.0,
        "frequency_per_100": 0.0,
        "per_reoffender": None,
        "mean_days_to_first": None,
        "median_days_to_first": None,
        "share_first_within_3_months": None,
    }
    assert per_person(result) == {"A": (False, 0, None), "B": (False, 0, None)}


def test_an_empty_cohort_gives_no_rates_and_zero_rows() -> None:
    result = run(events(), offences(), options(by=("sex", "age-band")))
    assert (result.cohort_size, result.binary_rate, result.mean_days_to_first) == (0, None, None)
    assert {row.by for row in result.breakdowns} == {"age-band"}  # no sex values present
    assert all(row.cohort_size == 0 for row in result.breakdowns)
    assert result.per_person.empty


def test_breakdowns_show_values_in_table_order_with_unknown_last() -> None:
    index = events(
        ("A", "caution", "2020-01-15", "1990-01-01", "M"),
        ("B", "caution", "2020-01-15", "1990-01-01", ""),  # blank sex: unknown
        ("C", "caution", "2020-01-15", "1990-01-01", "F"),
        offence_group=["theft", "drugs", ""],
        previous_offences=[0, 7, None],
    )
    found = offences(("A", "2020-02-01", "2020-03-01"), ("C", "2020-02-01", "2020-03-01"))
    result = run(index, found, options(by=("sex", "offence-group", "previous-offences")))
    table = [(row.by, row.value, row.cohort_size, row.reoffenders) for row in result.breakdowns]
    assert table == [
        ("sex", "F", 1, 1),
        ("sex", "M", 1, 1),
        ("sex", "unknown", 1, 0),
        ("offence-group", "drugs", 1, 0),
        ("offence-group", "theft", 1, 1),
        ("offence-group", "unknown", 1, 1),
        ("previous-offences", "0", 1, 1),
        ("previous-offences", "1-2", 0, 0),
        ("previous-offences", "3-6", 0, 0),
        ("previous-offences", "7-10", 1, 0),
        ("previous-offences", "11+", 0, 0),
        ("previous-offences", "unknown", 1, 1),
    ]


def test_a_breakdown_needs_its_column_in_the_index_events() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    with pytest.raises(ReoffendingInputError) as raised:
        proven_reoffending(index, offences(), options(by=("offence-group",)))
    assert (raised.value.file, raised.value.row, raised.value.column) == (
        "index.csv",
        None,
        "offence_group",
    )
    assert "needed for the breakdown by offence-group" in str(raised.value)


def test_the_json_document_has_the_published_keys_and_the_options() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01", "F"))
    found = offences(("A", "2020-02-01", "2020-03-01"))
    plain = run(index, found).to_dict()
    assert list(plain) == [*MEASURE_KEYS, "options"]
    assert plain["options"] == {
        "cohort_start": "2020-01-01",
        "cohort_end": "2020-12-31",
        "extract_date": "2022-06-30",
        "jurisdiction": "ew",
        "follow_up_months": 12,
        "waiting_months": 6,
        "by": [],
        "exclude_breaches": True,
        "exclude_penalty_notices": True,
    }
    document = json.loads(json.dumps(run(index, found, options(by=["sex"])).to_dict()))
    assert document["breakdowns"] == [
        {
            "by": "sex",
            "value": "F",
            "cohort_size": 1,
            "reoffenders": 1,
            "binary_rate": 1.0,
            "reoffences": 1,
            "frequency": 1.0,
            "frequency_per_100": 100.0,
            "per_reoffender": 1.0,
            "mean_days_to_first": 17.0,
            "median_days_to_first": 17.0,
            "share_first_within_3_months": 1.0,
        }
    ]
    assert document["options"]["by"] == ["sex"]


def test_rows_give_the_whole_cohort_then_each_breakdown_value() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01", "F"))
    rows = run(index, offences(), options(by="sex")).rows()
    assert [(r["by"], r["value"], r["cohort_size"]) for r in rows] == [
        ("all", "all", 1),
        ("sex", "F", 1),
    ]


def test_the_per_person_file_has_one_row_per_person(tmp_path: Path) -> None:
    index = events(
        ("B", "caution", "2020-01-15", "1990-01-01"), ("A", "caution", "2020-02-01", "1990-01-01")
    )
    found = offences(("A", "2020-02-11", "2020-03-01"), ("A", "2020-03-01", "2020-04-01"))
    result = run(index, found)
    result.write_per_person(tmp_path / "people.csv")
    assert (tmp_path / "people.csv").read_text() == (
        "person_id,index_date,reoffended,reoffences,days_to_first\n"
        "A,2020-02-01,true,2,10\n"
        "B,2020-01-15,false,0,\n"
    )
    result.write_per_person(tmp_path / "people.parquet")
    back = pd.read_parquet(tmp_path / "people.parquet")
    assert back["days_to_first"].tolist()[0] == 10
    assert pd.isna(back["days_to_first"].tolist()[1])


def test_an_offence_before_the_date_of_birth_names_the_file_row_and_column() -> None:
    index = events(("A", "caution", "2020-01-15", "1990-01-01"))
    found = offences(("A", "2020-02-01", "2020-03-01"), ("A", "1989-12-31", "2020-03-01"))
    with pytest.raises(ReoffendingInputError) as raised:
        proven_reoffending(index, found, options())
    error = raised.value
    assert (error.file, error.row, error.column) == ("offences.csv", 3, "offence_date")
    assert str(error) == (
        "offences.csv, row 3, column offence_date: offence date 1989-12-31 is before the date "
        "of birth 1990-01-01 of person A"
    )


def test_integer_and_text_ids_are_the_same_person_when_the_text_is_the_same() -> None:
    index = events(
        ("7", "caution", "2020-01-15", "1990-01-01"), ("8", "caution", "2020-01-15", "1990-01-01")
    )
    assert index.person_id.dtype == np.int64  # plain whole numbers are held as integers
    found = offences(("007", "2020-02-01", "2020-03-01"), ("8", "2020-02-01", "2020-03-01"))
    assert found.person_id.dtype == object  # "007" keeps the ids as text
    result = run(index, found)
    # "8" is person 8; "007" is not person 7.
    assert per_person(result) == {7: (False, 0, None), 8: (True, 1, 17)}


# --- options ---------------------------------------------------------------------------------


def test_the_extract_date_must_cover_the_follow_up_and_waiting_period() -> None:
    assert options(extract_date=EXTRACT).extract_date == EXTRACT  # the last day itself is enough
    with pytest.raises(ReoffendingOptionsError) as raised:
        options(extract_date=EXTRACT - dt.timedelta(days=1))
    assert str(raised.value) == (
        "the extract date 2022-06-29 is too early: for a cohort ending 2020-12-31 the "
        "follow-up (12 months) runs to 2021-12-31 and the waiting period (6 months) to "
        "2022-06-30, so the extract must be dated 2022-06-30 or later"
    )
    # Shorter periods need a less recent extract: 3 + 3 months from 2020-12-31.
    assert options(follow_up_months=3, waiting_months=3, extract_date=dt.date(2021, 6, 30))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cohort_end": dt.date(2019, 12, 31)}, r"ends \(2019-12-31\) before it starts"),
        ({"by": ("age",)}, "unknown breakdown 'age'"),
        ({"by": ("sex", "sex")}, "asked for twice"),
        ({"jurisdiction": "scotland"}, "unknown jurisdiction 'scotland'"),
        ({"follow_up_months": 0}, "follow_up_months"),
        ({"waiting_months": -1}, "waiting_months"),
        ({"waiting_months": 1.5}, "waiting_months"),
        ({"cohort_start": "2020-01-01"}, "cohort_start must be a date"),
    ],
)
def test_unusable_options_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ReoffendingOptionsError, match=message):
        options(**changes)
    assert issubclass(ReoffendingOptionsError, ValueError)


def test_the_options_name_what_counts_in_each_jurisdiction() -> None:
    assert options().index_event_types == ("custody_release", "court_noncustodial", "caution")
    assert options(jurisdiction="ni").index_event_types[-1] == "diversion"
    assert options().proven_disposals == ("conviction", "caution")


# --- calendar months --------------------------------------------------------------------------


def test_calendar_months_over_days_agree_with_dates() -> None:
    days = np.arange(
        np.datetime64("2019-01-01"), np.datetime64("2025-01-01"), dtype="datetime64[D]"
    )
    for months in (1, 3, 6, 12, 18, 25):
        shifted = add_months_to_days(days.view(np.int64), months).astype("datetime64[D]")
        expected = [add_months(d, months) for d in days.tolist()]
        assert shifted.tolist() == expected
    # A few by hand: 31 January + 1 month, and a leap day + 12 months.
    assert add_months(dt.date(2021, 1, 31), 1) == dt.date(2021, 2, 28)
    assert add_months(dt.date(2020, 2, 29), 12) == dt.date(2021, 2, 28)
    assert calendar.isleap(2020)


# --- the fast version against the reference ---------------------------------------------------


def random_case(
    rng: np.random.Generator,
) -> tuple[IndexEvents, Offences, ReoffendingOptions]:
    n_events = int(rng.integers(0, 40))
    n_offences = int(rng.integers(0, 120))
    people = int(rng.integers(1, 25))
    sparse = rng.random() < 0.3
    as_text = rng.random() < 0.3
    person = rng.integers(0, people, n_events)
    day = np.datetime64("2019-11-01") + rng.integers(0, 500, n_events).astype("timedelta64[D]")
    born = np.datetime64("1960-01-01") + rng.integers(0, 15000, people).astype("timedelta64[D]")
    # Old enough on every event date: 10 years before the earliest possible one.
    born = np.minimum(born, np.datetime64("2009-10-01"))

    def ids(keys: np.ndarray) -> np.ndarray:
        keys = keys * 10**12 if sparse else keys
        return keys.astype(str).astype(object) if as_text else keys.astype(np.int64)

    index = IndexEvents(
        person_id=ids(person),
        event_type=rng.integers(0, 4, n_events).astype(np.int8),
        event_date=day,
        date_of_birth=born[person],
        sex=rng.choice(np.array(["F", "M", "unknown"], dtype=object), n_events),
        offence_group=rng.choice(np.array(["theft", "drugs", "unknown"], dtype=object), n_events),
        previous_offences=rng.integers(-1, 15, n_events).astype(np.int64),
    )
    committed = np.datetime64("2019-11-01") + rng.integers(0, 1100, n_offences).astype(
        "timedelta64[D]"
    )
    found = Offences(
        person_id=ids(rng.integers(0, people + 2, n_offences)),
        offence_date=committed,
        disposal_date=committed + rng.integers(0, 400, n_offences).astype("timedelta64[D]"),
        disposal_type=rng.integers(0, 5, n_offences).astype(np.int8),
        is_breach=rng.random(n_offences) < 0.2,
    )
    breakdowns = list(ReoffendingOptions.BREAKDOWNS)
    opts = ReoffendingOptions(
        cohort_start=dt.date(2020, 1, 1),
        cohort_end=dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 400))),
        extract_date=dt.date(2023, 1, 1),
        jurisdiction=str(rng.choice(["ew", "ni"])),
        follow_up_months=int(rng.integers(1, 13)),
        waiting_months=int(rng.integers(0, 7)),
        by=tuple(rng.permutation(breakdowns)[: int(rng.integers(0, 7))].tolist()),
        exclude_breaches=bool(rng.random() < 0.7),
        exclude_penalty_notices=bool(rng.random() < 0.7),
    )
    return index, found, opts


@pytest.mark.parametrize("seed", range(300))
def test_fast_and_reference_versions_agree_on_random_data(seed: int) -> None:
    index, found, opts = random_case(np.random.default_rng(seed))
    result = proven_reoffending(index, found, opts)
    expected = _proven_reoffending_reference(index, found, opts)
    assert result == expected
    pd.testing.assert_frame_equal(result.per_person, expected.per_person)


def test_the_random_cases_exercise_reoffending() -> None:
    # Guards the test above against data where nobody ever reoffends.
    totals = np.zeros(3, dtype=int)
    for seed in range(300):
        result = proven_reoffending(*random_case(np.random.default_rng(seed)))
        totals += (result.cohort_size, result.reoffenders, result.reoffences)
    assert totals[0] > 1000
    assert totals[1] > 150
    assert totals[2] > totals[1]


def test_the_reference_gives_the_hand_computed_figures() -> None:
    index = events(*[(p, "caution", "2020-01-15", "1990-01-01") for p in "AB"])
    found = offences(("A", "2020-01-25", "2020-02-01"), ("A", "2020-02-25", "2020-03-01"))
    reference = _proven_reoffending_reference(index, found, options())
    # A: 2 reoffences, first on day 10; B: none.
    assert (reference.reoffenders, reference.reoffences, reference.median_days_to_first) == (
        1,
        2,
        10.0,
    )


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(engine).failed == 0


def test_the_reoffending_names_are_exported() -> None:
    import desist_analytics

    assert {
        "IndexEvents",
        "Offences",
        "ReoffendingBreakdown",
        "ReoffendingInputError",
        "ReoffendingOptions",
        "ReoffendingOptionsError",
        "ReoffendingResult",
        "proven_reoffending",
        "proven_reoffending_duckdb",
        "read_index_events",
        "read_offences",
    } <= set(desist_analytics.__all__)
