"""Active participants by financial year (METHODS.md section 1).

The fast version marks, for each (year, breakdown value, person), whether the person had a
counted session, in a boolean grid, and sums it: linear in the number of sessions with no sort.
When that grid would be too large (very sparse person keys, many years and values) it falls
back to sorting one combined integer key per session with `np.unique`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from desist_analytics._dates import financial_year, financial_year_start

# Entries of the (years x values x people) boolean grid above which the sort path is used
# (64 MiB of booleans).
_GRID_LIMIT = 1 << 26

# Widest range of session dates (in days, about 11,000 years) worked out through a lookup.
_DAY_LOOKUP_LIMIT = 1 << 22

Category = int | str


@dataclass(frozen=True)
class ActiveParticipants:
    """Distinct people with at least one attended session, per financial year.

    Attributes:
        as_at: figures are correct as at this date (sessions after it are ignored).
        years: financial year labels in order, e.g. ("2016/17", "2017/18").
        totals: distinct people active in each year.
        categories: breakdown values in column order (empty without a breakdown).
        by_category: for each year, the distinct people active in each breakdown value, in the
            order of `categories`. A person counts once in every value they had a counted
            session under in that year, so a row can add up to more than the year's total.
    """

    as_at: dt.date
    years: tuple[str, ...]
    totals: tuple[int, ...]
    categories: tuple[Category, ...] = ()
    by_category: tuple[tuple[int, ...], ...] = ()


def active_participants(
    person: npt.ArrayLike,
    session_date: npt.ArrayLike,
    attended: npt.ArrayLike,
    *,
    as_at: dt.date,
    breakdown: npt.ArrayLike | None = None,
    categories: tuple[Category, ...] | None = None,
    first_year: int | None = None,
) -> ActiveParticipants:
    """Count the distinct people active in each financial year, as at a date.

    One entry per session in each array. A session counts when it was attended (the caller
    passes True for "attended" and "late") and falls on or before `as_at`; a person is active
    in a financial year (1 April to 31 March) with at least one counted session in it. Years
    run from `first_year` (default: the earliest year with a counted session) to the year
    containing `as_at`, with zero rows for years without sessions; sessions before `first_year`
    are left out. With no counted session and no `first_year` there are no rows.

    Args:
        person: one integer key per session identifying the person; the caller has already
            resolved duplicate records to one key per real person.
        session_date: session dates (numpy datetime64; converted to days).
        attended: True where the session was attended or attended late.
        as_at: the "figures correct as at" date.
        breakdown: optional code per session (integers or strings; map missing values to an
            explicit code such as "unknown" first). Small integer codes are fastest. A person
            counts in each value under which they had a counted session in the year; for a
            person attribute (sex, region) pass the same code on all their sessions.
        categories: the breakdown values to report, in order (values with no one show 0);
            default: the values of the counted sessions, sorted.
        first_year: the first financial year to report, by its starting calendar year
            (2016 for 2016/17).

    Returns:
        The labels, the totals per year and, with a breakdown, the counts per value.

    Raises:
        ValueError: arrays of different lengths, missing dates, a counted session whose code
            is not in `categories`, or `first_year` after the year of `as_at`.

    Example:
        >>> import numpy as np
        >>> result = active_participants(
        ...     np.array([1, 1, 2]),
        ...     np.array(["2020-03-31", "2020-04-01", "2020-04-02"], dtype="datetime64[D]"),
        ...     np.array([True, True, False]),
        ...     as_at=dt.date(2021, 3, 31),
        ... )
        >>> result.years, result.totals
        (('2019/20', '2020/21'), (1, 1))
    """
    return _active_participants(
        person,
        session_date,
        attended,
        as_at=as_at,
        breakdown=breakdown,
        categories=categories,
        first_year=first_year,
        grid_limit=_GRID_LIMIT,
    )


def _active_participants(
    person: npt.ArrayLike,
    session_date: npt.ArrayLike,
    attended: npt.ArrayLike,
    *,
    as_at: dt.date,
    breakdown: npt.ArrayLike | None,
    categories: tuple[Category, ...] | None,
    first_year: int | None,
    grid_limit: int,
) -> ActiveParticipants:
    people, dates, flags, codes = _validated(person, session_date, attended, breakdown)
    last_year = financial_year_start(as_at)
    counted = flags & (dates <= np.datetime64(as_at, "D"))
    if first_year is not None:
        if first_year > last_year:
            raise ValueError("first_year is after the financial year of as_at")
        counted &= dates >= np.datetime64(dt.date(first_year, 4, 1), "D")
    people, dates = people[counted], dates[counted]
    year = _financial_year_starts(dates)
    if first_year is None:
        if not year.size:
            return _empty(as_at, breakdown is not None, categories)
        first_year = int(year.min())
    n_years = last_year - first_year + 1
    year_index = year - first_year

    if codes is None:
        labels: tuple[Category, ...] = ()
        code_index = np.zeros(people.size, dtype=np.intp)
        n_codes = 1
    else:
        labels, code_index = _category_index(codes[counted], categories)
        n_codes = max(len(labels), 1)

    if people.size:
        low, high = int(people.min()), int(people.max())
        span = high - low + 1
        person_index = people - low
    else:
        span = 1
        person_index = people
    if n_years * n_codes * span > grid_limit:
        # Sparse keys: number the people who appear, then still use the grid if it fits.
        _, inverse = np.unique(people, return_inverse=True)
        person_index = inverse.reshape(-1)
        span = max(int(person_index.max(initial=-1)) + 1, 1)
    if n_years * n_codes * span <= grid_limit:
        per_code, totals = _count_with_grid(
            year_index, code_index, person_index, n_years, n_codes, span
        )
    else:
        per_code, totals = _count_with_sort(
            year_index, code_index, person_index, n_years, n_codes, span
        )

    return ActiveParticipants(
        as_at=as_at,
        years=tuple(financial_year(dt.date(first_year + k, 4, 1)) for k in range(n_years)),
        totals=tuple(int(t) for t in totals),
        categories=labels,
        by_category=(
            tuple(tuple(int(c) for c in row[: len(labels)]) for row in per_code)
            if codes is not None
            else ()
        ),
    )


def _validated(
    person: npt.ArrayLike,
    session_date: npt.ArrayLike,
    attended: npt.ArrayLike,
    breakdown: npt.ArrayLike | None,
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.datetime64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.generic] | None,
]:
    people = np.asarray(person)
    if people.size and people.dtype.kind not in "iu":
        raise ValueError("person keys must be integers")
    people = people.astype(np.int64, copy=False).reshape(-1)
    dates = np.asarray(session_date)
    if dates.size and dates.dtype.kind != "M":
        raise ValueError("session dates must be numpy datetime64 values")
    dates = dates.astype("datetime64[D]").reshape(-1)
    if np.any(np.isnat(dates)):
        raise ValueError("every session needs a date")
    flags = np.asarray(attended, dtype=bool).reshape(-1)
    codes = None if breakdown is None else np.asarray(breakdown).reshape(-1)
    if codes is not None and codes.size and codes.dtype.kind not in "iuU":
        raise ValueError("breakdown codes must be integers or strings")
    sizes = {people.size, dates.size, flags.size} | ({codes.size} if codes is not None else set())
    if len(sizes) > 1:
        raise ValueError("person, session_date, attended and breakdown differ in length")
    return people, dates, flags, codes


def _financial_year_starts(dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    """Vectorised `financial_year_start`: the calendar year in which each year began."""
    if not dates.size:
        return np.zeros(0, dtype=np.int64)
    # Work out the few thousand distinct days in the range once, then look each session up:
    # a gather is several times faster than converting millions of dates to months.
    days = dates.astype(np.int64)  # days since 1970-01-01
    first, last = int(days.min()), int(days.max())
    if last - first > _DAY_LOOKUP_LIMIT:
        return _year_starts_of(dates)
    return _year_starts_of(np.arange(first, last + 1).astype("datetime64[D]"))[days - first]


def _year_starts_of(dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    months = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    year, month0 = np.divmod(months, 12)
    return np.asarray(year + 1970 - (month0 < 3), dtype=np.int64)


def _category_index(
    codes: npt.NDArray[np.generic], categories: tuple[Category, ...] | None
) -> tuple[tuple[Category, ...], npt.NDArray[np.intp]]:
    if categories is None and codes.dtype.kind in "iu" and codes.size:
        # Small integer codes: count each possible code instead of sorting millions of them.
        low = int(codes.min())
        offset = codes.astype(np.int64) - low
        if int(offset.max()) < max(codes.size, 1 << 16):
            present = np.flatnonzero(np.bincount(offset))
            position = np.zeros(int(offset.max()) + 1, dtype=np.intp)
            position[present] = np.arange(present.size)
            return tuple((present + low).tolist()), position[offset]
    if categories is None:
        values, inverse = np.unique(codes, return_inverse=True)
        return tuple(values.tolist()), inverse.reshape(-1).astype(np.intp)
    if not codes.size:
        return tuple(categories), np.zeros(0, dtype=np.intp)
    order = np.argsort(np.asarray(categories), kind="stable")
    ordered = np.asarray(categories)[order]
    position = np.clip(np.searchsorted(ordered, codes), 0, len(ordered) - 1)
    if not len(ordered) or np.any(ordered[position] != codes):
        raise ValueError("a counted session has a breakdown code not in categories")
    return tuple(categories), order[position].astype(np.intp)


def _count_with_grid(
    year: npt.NDArray[np.int64],
    code: npt.NDArray[np.intp],
    person: npt.NDArray[np.int64],
    n_years: int,
    n_codes: int,
    span: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    seen = np.zeros((n_years, n_codes, span), dtype=bool)
    seen[year, code, person] = True
    per_code = seen.sum(axis=2, dtype=np.int64)
    totals = seen.any(axis=1).sum(axis=1, dtype=np.int64) if n_codes > 1 else per_code[:, 0]
    return per_code, totals


def _count_with_sort(
    year: npt.NDArray[np.int64],
    code: npt.NDArray[np.intp],
    person: npt.NDArray[np.int64],
    n_years: int,
    n_codes: int,
    span: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    by_code = np.unique((year * n_codes + code) * span + person)
    per_code = np.bincount(by_code // span, minlength=n_years * n_codes).reshape(n_years, n_codes)
    by_year = np.unique(year * span + person)
    totals = np.bincount(by_year // span, minlength=n_years)
    return per_code.astype(np.int64), totals.astype(np.int64)


def _empty(
    as_at: dt.date, has_breakdown: bool, categories: tuple[Category, ...] | None
) -> ActiveParticipants:
    return ActiveParticipants(
        as_at=as_at,
        years=(),
        totals=(),
        categories=tuple(categories or ()) if has_breakdown else (),
    )


def _active_participants_naive(
    person: npt.ArrayLike,
    session_date: npt.ArrayLike,
    attended: npt.ArrayLike,
    *,
    as_at: dt.date,
    breakdown: npt.ArrayLike | None = None,
    categories: tuple[Category, ...] | None = None,
    first_year: int | None = None,
) -> ActiveParticipants:
    """The same figures, one session at a time in plain Python: the baseline to beat.

    Same arguments and result as `active_participants`.
    """
    people = np.asarray(person).tolist()
    dates = np.asarray(session_date).astype("datetime64[D]").tolist()
    flags = np.asarray(attended, dtype=bool).tolist()
    codes = np.asarray(breakdown).tolist() if breakdown is not None else [None] * len(people)
    if not len(people) == len(dates) == len(flags) == len(codes):
        raise ValueError("person, session_date, attended and breakdown differ in length")
    last_year = financial_year_start(as_at)
    if first_year is not None and first_year > last_year:
        raise ValueError("first_year is after the financial year of as_at")
    active: dict[int, set[int]] = {}
    active_in: dict[tuple[int, Category], set[int]] = {}
    for key, day, came, code in zip(people, dates, flags, codes, strict=True):
        if day is None:
            raise ValueError("every session needs a date")
        if not came or day > as_at:
            continue
        year = financial_year_start(day)
        if first_year is not None and year < first_year:
            continue
        active.setdefault(year, set()).add(key)
        if breakdown is not None:
            active_in.setdefault((year, code), set()).add(key)
    if not active and first_year is None:
        return _empty(as_at, breakdown is not None, categories)
    start = min(active) if first_year is None else first_year
    years = range(start, last_year + 1)
    if breakdown is None:
        labels: tuple[Category, ...] = ()
    elif categories is None:
        labels = tuple(sorted({code for _, code in active_in}))
    else:
        if any(code not in categories for _, code in active_in):
            raise ValueError("a counted session has a breakdown code not in categories")
        labels = tuple(categories)
    return ActiveParticipants(
        as_at=as_at,
        years=tuple(financial_year(dt.date(y, 4, 1)) for y in years),
        totals=tuple(len(active.get(y, ())) for y in years),
        categories=labels,
        by_category=(
            tuple(tuple(len(active_in.get((y, c), ())) for c in labels) for y in years)
            if breakdown is not None
            else ()
        ),
    )
