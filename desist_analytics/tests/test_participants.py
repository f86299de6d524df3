"""Active participants by financial year (METHODS.md section 1)."""

import datetime as dt
import doctest

import numpy as np
import pytest

from desist_analytics import (
    ActiveParticipants,
    _participants,
    active_participants,
    financial_year_start,
)
from desist_analytics._participants import _active_participants, _active_participants_naive

AS_AT = dt.date(2021, 4, 30)

# person, date, attended, strand
SESSIONS = [
    (1, "2020-03-31", True, "a"),  # last day of 2019/20
    (1, "2020-04-01", True, "b"),  # first day of 2020/21
    (2, "2020-04-02", True, "a"),  # 2020/21 ...
    (2, "2020-05-01", True, "b"),  # ... again: counted once in the year, once in a and in b
    (3, "2020-06-01", False, "a"),  # did not attend (or cancelled): not counted
    (4, "2021-03-31", True, "a"),  # last day of 2020/21
    (5, "2021-04-30", True, "b"),  # on the as-at date: counted, 2021/22
    (6, "2021-05-01", True, "c"),  # after the as-at date: ignored
]


def arrays(
    sessions: list[tuple[int, str, bool, str]] = SESSIONS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    person, day, came, strand = zip(*sessions, strict=True) if sessions else ((), (), (), ())
    return (
        np.array(person, dtype=np.int64),
        np.array(day, dtype="datetime64[D]"),
        np.array(came, dtype=bool),
        np.array(strand, dtype=str),
    )


def test_people_are_counted_once_in_each_financial_year_they_attended() -> None:
    person, day, came, _ = arrays()
    result = active_participants(person, day, came, as_at=AS_AT)
    # 2019/20: person 1.  2020/21: persons 1, 2 (twice), 4; 3 did not attend.
    # 2021/22: person 5 (on the as-at date); 6 is after it.
    assert result == ActiveParticipants(
        as_at=AS_AT, years=("2019/20", "2020/21", "2021/22"), totals=(1, 3, 1)
    )


def test_a_person_counts_in_every_breakdown_value_they_attended_under() -> None:
    person, day, came, strand = arrays()
    result = active_participants(person, day, came, as_at=AS_AT, breakdown=strand)
    # 2019/20: a {1}.  2020/21: a {2, 4}, b {1, 2} (person 2 in both, so 2 + 2 > 3 people).
    # 2021/22: b {5}.  "c" only occurs after the as-at date, so it is not a column.
    assert result.categories == ("a", "b")
    assert result.by_category == ((1, 0), (2, 2), (0, 1))
    assert result.totals == (1, 3, 1)


def test_listed_categories_fix_the_columns_and_their_order() -> None:
    person, day, came, strand = arrays()
    result = active_participants(
        person, day, came, as_at=AS_AT, breakdown=strand, categories=("b", "z", "a")
    )
    assert result.categories == ("b", "z", "a")
    assert result.by_category == ((0, 0, 1), (2, 0, 2), (1, 0, 0))


def test_a_counted_code_missing_from_the_categories_is_refused() -> None:
    person, day, came, strand = arrays()
    with pytest.raises(ValueError, match="not in categories"):
        active_participants(person, day, came, as_at=AS_AT, breakdown=strand, categories=("a",))


def test_integer_breakdown_codes_work() -> None:
    person, day, came, _ = arrays()
    sex = np.array([1, 1, 2, 2, 1, 2, 1, 1])  # person 1 and 5: 1; persons 2 and 4: 2
    result = active_participants(person, day, came, as_at=AS_AT, breakdown=sex)
    assert result.categories == (1, 2)
    assert result.by_category == ((1, 0), (1, 2), (1, 0))


def test_years_without_sessions_show_zero_and_first_year_sets_the_start() -> None:
    person, day, came, _ = arrays()
    result = active_participants(person, day, came, as_at=dt.date(2023, 1, 1), first_year=2018)
    # 2018/19: nobody. 2021/22: persons 5 and 6 (the as-at date is now later). 2022/23: nobody.
    assert result.years == ("2018/19", "2019/20", "2020/21", "2021/22", "2022/23")
    assert result.totals == (0, 1, 3, 2, 0)


def test_sessions_before_the_first_year_are_left_out() -> None:
    person, day, came, _ = arrays()
    result = active_participants(person, day, came, as_at=AS_AT, first_year=2020)
    assert result.years == ("2020/21", "2021/22")
    assert result.totals == (3, 1)


def test_no_sessions_give_no_rows_or_zero_rows_from_the_first_year() -> None:
    person, day, came, strand = arrays([])
    assert active_participants(person, day, came, as_at=AS_AT) == ActiveParticipants(
        as_at=AS_AT, years=(), totals=()
    )
    zeros = active_participants(
        person, day, came, as_at=AS_AT, first_year=2020, breakdown=strand, categories=("a",)
    )
    assert zeros.years == ("2020/21", "2021/22")
    assert zeros.totals == (0, 0)
    assert zeros.by_category == ((0,), (0,))


def test_only_non_attended_sessions_give_no_rows() -> None:
    person, day, came, _ = arrays([(3, "2020-06-01", False, "a")])
    assert active_participants(person, day, came, as_at=AS_AT).years == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"person": np.array([1, 2])}, "differ in length"),
        ({"person": np.array([1.0] * 8)}, "integers"),
        ({"session_date": np.array(["2020-01-01"] * 8)}, "datetime64"),
        ({"session_date": np.array(["NaT"] * 8, dtype="datetime64[D]")}, "needs a date"),
        ({"breakdown": np.array([1.5] * 8)}, "integers or strings"),
        ({"first_year": 2022}, "after the financial year"),
    ],
)
def test_bad_input_is_refused(change: dict[str, object], message: str) -> None:
    person, day, came, _ = arrays()
    kwargs: dict[str, object] = {
        "person": person,
        "session_date": day,
        "attended": came,
        "as_at": AS_AT,
    }
    kwargs.update(change)
    with pytest.raises(ValueError, match=message):
        active_participants(**kwargs)  # type: ignore[arg-type]


def test_the_naive_version_gives_the_hand_computed_figures() -> None:
    person, day, came, strand = arrays()
    result = _active_participants_naive(person, day, came, as_at=AS_AT, breakdown=strand)
    assert result.totals == (1, 3, 1)
    assert result.by_category == ((1, 0), (2, 2), (0, 1))


def random_sessions(rng: np.random.Generator) -> dict[str, object]:
    n = int(rng.integers(0, 400))
    people = int(rng.integers(1, 60))
    keys = rng.integers(-5, people, size=n)
    if rng.random() < 0.3:
        keys = keys * 10**12  # sparse keys, as from a hash
    start = np.datetime64("2015-01-01")
    day = start + rng.integers(0, 365 * 8, size=n).astype("timedelta64[D]")
    kwargs: dict[str, object] = {
        "person": keys,
        "session_date": day,
        "attended": rng.random(n) < 0.7,
        "as_at": dt.date(2016, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 8))),
    }
    if rng.random() < 0.6:
        codes = rng.integers(0, 5, size=n) - int(rng.integers(0, 3))
        kwargs["breakdown"] = (
            codes if rng.random() < 0.5 else np.array(["x", "y", "z", "w", "v", "u", "t"])[codes]
        )
        if rng.random() < 0.3:
            kwargs["categories"] = tuple(reversed(sorted(set(kwargs["breakdown"].tolist()))))
    if rng.random() < 0.3:
        as_at_year = financial_year_start(kwargs["as_at"])  # type: ignore[arg-type]
        kwargs["first_year"] = min(int(rng.integers(2013, 2017)), as_at_year)
    return kwargs


@pytest.mark.parametrize("seed", range(200))
def test_fast_and_naive_versions_agree_on_random_data(seed: int) -> None:
    kwargs = random_sessions(np.random.default_rng(seed))
    expected = _active_participants_naive(**kwargs)  # type: ignore[arg-type]
    assert active_participants(**kwargs) == expected  # type: ignore[arg-type]
    # The sort path, used when the grid of (year, value, person) would be too big.
    by_sorting = _active_participants(
        **{"breakdown": None, "categories": None, "first_year": None, **kwargs},  # type: ignore[arg-type]
        grid_limit=0,
    )
    assert by_sorting == expected


def test_dates_far_apart_are_placed_in_their_financial_years() -> None:
    # Wider than the day lookup covers, so each date is converted directly.
    person = np.array([1, 2, 3])
    day = np.array(["1900-03-31", "1900-04-01", "20000-01-01"], dtype="datetime64[D]")
    result = active_participants(person, day, np.ones(3, dtype=bool), as_at=dt.date(1901, 3, 31))
    assert result.years == ("1899/00", "1900/01")
    assert result.totals == (1, 1)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(_participants).failed == 0
