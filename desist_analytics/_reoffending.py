"""Proven reoffending (METHODS.md section 3): cohort, follow-up, measures and breakdowns.

The rules, where the method leaves them open (docs/reoffending.md says the same at length):

- Cohort: index events of the types the jurisdiction counts (custody_release,
  court_noncustodial, caution; in NI also diversion) dated from `cohort_start` to
  `cohort_end`, both included. One index event per person: the earliest; on the same day
  custody release before court non-custodial before caution before diversion; then the
  earlier row of the file. Age, sex, offence group and previous offences come from it.
- Follow-up: N calendar months (default 12). Its last day is the index date moved on N
  months, the same day of the month, or the month's last day when that day does not exist:
  index 2020-01-15 -> last day 2021-01-15; 2020-02-29 -> 2021-02-28; 2020-08-31 + 6 months
  -> 2021-02-28. The follow-up therefore holds exactly one year of days after a 12-month
  index ("within one year"): 2020-01-16 to 2021-01-15.
- Waiting period: W calendar months (default 6) after the last day of the follow-up, worked
  out the same way from that day: 2021-01-15 -> 2021-07-15, its last day.
- A proven reoffence: an offence committed strictly after the index date (an offence on the
  index date is not one) and on or before the last day of the follow-up, with a disposal
  on or before the last day of the waiting period, by conviction or caution (in NI also a
  diversionary disposal); penalty notices only with `exclude_penalty_notices=False`,
  breaches of orders or licence only with `exclude_breaches=False`; "other" never. Each
  offence counts once (offences, not court appearances).
- Days to first reoffence: offence date of the earliest proven reoffence minus the index
  date (1 for the next day). "Within 3 months": the first reoffence is on or before the
  index date moved on 3 months, by the same rule as the follow-up.
- Age on the index date in whole years (a birthday counts from the day itself; 29 February
  birthdays fall on 1 March in other years). Adults are 18 and over; E&W juveniles and NI
  youths 17 and under (10 and over: younger people cannot be in the data).
- The extract must be dated on or after the last day of the waiting period of an index date
  on `cohort_end`; otherwise the figures would be incomplete and nothing is computed.

How the fast version works: the cohort's people are numbered 0..P-1 in person-id order;
the first index event of each is the minimum of one integer key (day, type rank, row) per
person (`np.minimum.at`); each offence is joined to its person's number by a lookup table
(dense integer ids) or a hash index; the reoffence conditions are numpy masks over the
offences; counts and first reoffences per person come from `np.bincount` and
`np.minimum.at`, and every breakdown from `np.bincount` over group codes, medians from a
per-group histogram of days. There is no loop over people or rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from desist_analytics._reoffending_io import (
    DISPOSAL_TYPES,
    EVENT_TYPES,
    FIRST_DATA_ROW,
    MIN_AGE,
    SHOWN_PROBLEMS,
    UNKNOWN,
    IndexEvents,
    InputProblem,
    Offences,
    ReoffendingInputError,
    before_birth_message,
    file_format,
    iso,
    years_between,
)

JURISDICTIONS = ("ew", "ni")
BREAKDOWNS = (
    "adult-youth",
    "sex",
    "age-band",
    "index-disposal",
    "offence-group",
    "previous-offences",
)
ADULT_AGE = 18
YOUTH_LABEL = {"ew": "juvenile", "ni": "youth"}
# (lowest age, label), in order. E&W: the bands of the MoJ proven reoffending tables;
# NI: youths in three bands and wider adult bands above 30, in the style of the DoJ tables.
AGE_BANDS: Mapping[str, tuple[tuple[int, str], ...]] = {
    "ew": (
        (10, "10-14"),
        (15, "15-17"),
        (18, "18-20"),
        (21, "21-24"),
        (25, "25-29"),
        (30, "30-34"),
        (35, "35-39"),
        (40, "40-44"),
        (45, "45-49"),
        (50, "50+"),
    ),
    "ni": (
        (10, "10-13"),
        (14, "14-15"),
        (16, "16-17"),
        (18, "18-20"),
        (21, "21-24"),
        (25, "25-29"),
        (30, "30-39"),
        (40, "40-49"),
        (50, "50+"),
    ),
}
PREVIOUS_OFFENCE_BANDS = ((0, "0"), (1, "1-2"), (3, "3-6"), (7, "7-10"), (11, "11+"))
FIRST_WITHIN_MONTHS = 3

_INT64_MAX = np.iinfo(np.int64).max
# Integer ids spanning at most this many values (or 4 per person) are looked up in a table.
_DENSE_LOOKUP_LIMIT = 1 << 24

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class ReoffendingOptionsError(ValueError):
    """Options that cannot be used: an early extract date, dates out of order, an unknown
    breakdown or jurisdiction."""


@dataclass(frozen=True)
class ReoffendingOptions:
    """What to measure: the cohort period, the follow-up and the counting rules.

    Attributes:
        cohort_start: first index date of the cohort (included).
        cohort_end: last index date of the cohort (included); 12 months is usual, 3 also.
        extract_date: the date of the data extract; it must be on or after the last day of
            the waiting period of an index date on `cohort_end`.
        jurisdiction: "ew" (England and Wales, default) or "ni" (Northern Ireland): which
            index events and disposals count, and the age bands.
        follow_up_months: length of the follow-up in calendar months (default 12).
        waiting_months: months after the follow-up for the offence to be proven (default 6).
        by: breakdowns, from `BREAKDOWNS`: adult-youth, sex, age-band, index-disposal,
            offence-group, previous-offences (default none).
        exclude_breaches: leave out breaches of orders or licence (default True).
        exclude_penalty_notices: leave out penalty notices (default True).

    Raises:
        ReoffendingOptionsError: on any of the problems above.

    Example:
        >>> options = ReoffendingOptions(
        ...     cohort_start=dt.date(2020, 1, 1), cohort_end=dt.date(2020, 12, 31),
        ...     extract_date=dt.date(2022, 6, 30))
        >>> options.follow_up_end(dt.date(2020, 12, 31)), options.waiting_end(dt.date(2020, 12, 31))
        (datetime.date(2021, 12, 31), datetime.date(2022, 6, 30))
    """

    JURISDICTIONS: ClassVar[tuple[str, ...]] = JURISDICTIONS
    BREAKDOWNS: ClassVar[tuple[str, ...]] = BREAKDOWNS

    cohort_start: dt.date
    cohort_end: dt.date
    extract_date: dt.date
    jurisdiction: str = "ew"
    follow_up_months: int = 12
    waiting_months: int = 6
    by: tuple[str, ...] = ()
    exclude_breaches: bool = True
    exclude_penalty_notices: bool = True

    def __post_init__(self) -> None:
        # A single name given as a string is one breakdown, not one per letter.
        by: Any = self.by
        object.__setattr__(self, "by", (by,) if isinstance(by, str) else tuple(by))
        for name in ("cohort_start", "cohort_end", "extract_date"):
            value = getattr(self, name)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise ReoffendingOptionsError(f"{name} must be a date")
        if self.jurisdiction not in JURISDICTIONS:
            raise ReoffendingOptionsError(
                f"unknown jurisdiction {self.jurisdiction!r}; expected ew or ni"
            )
        if not _is_int(self.follow_up_months) or self.follow_up_months < 1:
            raise ReoffendingOptionsError("follow_up_months must be a whole number, 1 or more")
        if not _is_int(self.waiting_months) or self.waiting_months < 0:
            raise ReoffendingOptionsError("waiting_months must be a whole number, 0 or more")
        if self.cohort_end < self.cohort_start:
            raise ReoffendingOptionsError(
                f"the cohort ends ({self.cohort_end}) before it starts ({self.cohort_start})"
            )
        unknown = [b for b in self.by if b not in BREAKDOWNS]
        if unknown:
            raise ReoffendingOptionsError(
                f"unknown breakdown {unknown[0]!r}; expected one of {', '.join(BREAKDOWNS)}"
            )
        if len(set(self.by)) != len(self.by):
            raise ReoffendingOptionsError("a breakdown is asked for twice")
        last_day = self.waiting_end(self.cohort_end)
        if self.extract_date < last_day:
            raise ReoffendingOptionsError(
                f"the extract date {self.extract_date} is too early: for a cohort ending "
                f"{self.cohort_end} the follow-up ({self.follow_up_months} months) runs to "
                f"{self.follow_up_end(self.cohort_end)} and the waiting period "
                f"({self.waiting_months} months) to {last_day}, so the extract must be "
                f"dated {last_day} or later"
            )

    @property
    def index_event_types(self) -> tuple[str, ...]:
        """The event types that make an index event in this jurisdiction."""
        if self.jurisdiction == "ni":
            return EVENT_TYPES
        return tuple(t for t in EVENT_TYPES if t != "diversion")

    @property
    def proven_disposals(self) -> tuple[str, ...]:
        """The disposal types that prove an offence, under these options."""
        proven = ["conviction", "caution"]
        if self.jurisdiction == "ni":
            proven.append("diversion")
        if not self.exclude_penalty_notices:
            proven.append("penalty_notice")
        return tuple(t for t in DISPOSAL_TYPES if t in proven)

    def follow_up_end(self, index_date: dt.date) -> dt.date:
        """The last day of the follow-up for an index date (included)."""
        return add_months(index_date, self.follow_up_months)

    def waiting_end(self, index_date: dt.date) -> dt.date:
        """The last day of the waiting period for an index date (included)."""
        return add_months(self.follow_up_end(index_date), self.waiting_months)

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values (dates as YYYY-MM-DD)."""
        return {
            "cohort_start": self.cohort_start.isoformat(),
            "cohort_end": self.cohort_end.isoformat(),
            "extract_date": self.extract_date.isoformat(),
            "jurisdiction": self.jurisdiction,
            "follow_up_months": self.follow_up_months,
            "waiting_months": self.waiting_months,
            "by": list(self.by),
            "exclude_breaches": self.exclude_breaches,
            "exclude_penalty_notices": self.exclude_penalty_notices,
        }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


MEASURES = (
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
)


@dataclass(frozen=True)
class ReoffendingMeasures:
    """The proven reoffending measures of a group of people.

    The rates are fractions (0.25, not 25%) and are None for an empty group (or, for the
    measures among reoffenders, a group without reoffenders).

    Attributes:
        cohort_size: people in the group.
        reoffenders: people with at least one proven reoffence.
        reoffences: proven reoffences (offences, not court appearances).
        days_to_first_total: sum of the days to first reoffence over the reoffenders.
        median_days_to_first: median days to first reoffence among reoffenders.
        first_within_3_months: reoffenders whose first reoffence was within 3 months.
    """

    cohort_size: int
    reoffenders: int
    reoffences: int
    days_to_first_total: int
    median_days_to_first: float | None
    first_within_3_months: int

    @property
    def binary_rate(self) -> float | None:
        """Reoffenders / cohort size."""
        return _ratio(self.reoffenders, self.cohort_size)

    @property
    def frequency(self) -> float | None:
        """Reoffences per person in the cohort."""
        return _ratio(self.reoffences, self.cohort_size)

    @property
    def frequency_per_100(self) -> float | None:
        """Reoffences per 100 people in the cohort."""
        return _ratio(100 * self.reoffences, self.cohort_size)

    @property
    def per_reoffender(self) -> float | None:
        """Reoffences per reoffender."""
        return _ratio(self.reoffences, self.reoffenders)

    @property
    def mean_days_to_first(self) -> float | None:
        """Mean days from the index date to the first reoffence, among reoffenders."""
        return _ratio(self.days_to_first_total, self.reoffenders)

    @property
    def share_first_within_3_months(self) -> float | None:
        """Share of reoffenders whose first reoffence was within 3 months."""
        return _ratio(self.first_within_3_months, self.reoffenders)

    def measures(self) -> dict[str, int | float | None]:
        """The ten published measures, by their JSON names, in the published order."""
        return {name: getattr(self, name) for name in MEASURES}


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class ReoffendingBreakdown(ReoffendingMeasures):
    """The measures of the people with one value of a breakdown.

    Attributes:
        by: the breakdown (e.g. "age-band").
        value: the value (e.g. "18-20", "unknown").
    """

    by: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        """`{"by", "value", <the ten measures>}`."""
        return {"by": self.by, "value": self.value, **self.measures()}


@dataclass(frozen=True)
class ReoffendingResult(ReoffendingMeasures):
    """The proven reoffending measures of a cohort, its breakdowns and its people.

    Attributes:
        options: the options used.
        breakdowns: for each breakdown asked for (in the order asked), one row per value:
            all values the breakdown defines (age bands, adult/youth, index disposals and
            previous-offence bands, with zeros where nobody falls), or the values present
            (sex, offence group), sorted with "unknown" last; "unknown" is added to the
            previous-offence bands when someone's number is not known.
        per_person: one row per person of the cohort in person-id order: `person_id`,
            `index_date`, `reoffended`, `reoffences`, `days_to_first` (missing for people
            who did not reoffend); None when not asked for (the DuckDB path).
    """

    options: ReoffendingOptions
    breakdowns: tuple[ReoffendingBreakdown, ...] = ()
    per_person: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: the ten measures, `options`, and `breakdowns` when asked for.

        Example:
            >>> import pandas as pd
            >>> events = IndexEvents.from_frame(pd.DataFrame({
            ...     "person_id": [1, 2], "event_type": ["caution", "custody_release"],
            ...     "event_date": ["2020-01-15", "2020-02-01"],
            ...     "date_of_birth": ["1990-06-01", "2001-03-01"], "sex": ["F", "M"]}))
            >>> offences = Offences.from_frame(pd.DataFrame({
            ...     "person_id": [1], "offence_date": ["2020-03-01"],
            ...     "disposal_date": ["2020-05-01"], "disposal_type": ["conviction"],
            ...     "is_breach": ["false"]}))
            >>> options = ReoffendingOptions(
            ...     cohort_start=dt.date(2020, 1, 1), cohort_end=dt.date(2020, 12, 31),
            ...     extract_date=dt.date(2022, 6, 30))
            >>> document = proven_reoffending(events, offences, options).to_dict()
            >>> document["binary_rate"], document["mean_days_to_first"]
            (0.5, 46.0)
        """
        document: dict[str, Any] = {**self.measures(), "options": self.options.to_dict()}
        if self.options.by:
            document["breakdowns"] = [row.to_dict() for row in self.breakdowns]
        return document

    def rows(self) -> list[dict[str, Any]]:
        """A flat table for CSV: the whole cohort (`by` and `value` "all"), then each
        breakdown row, each with `by`, `value` and the ten measures."""
        return [{"by": "all", "value": "all", **self.measures()}] + [
            row.to_dict() for row in self.breakdowns
        ]

    def write_per_person(self, path: str | Path) -> None:
        """Write `per_person` as CSV or Parquet (by extension): `person_id, index_date,
        reoffended, reoffences, days_to_first`, with true/false and a blank
        `days_to_first` for people who did not reoffend."""
        if self.per_person is None:
            raise ValueError("this result has no per-person table")
        write_per_person(self.per_person, path)


def write_per_person(frame: Any, path: str | Path) -> None:
    """Write a per-person frame to CSV or Parquet, in the same layout as the DuckDB path.

    CSV quotes a value only when it holds a comma, a quote or a line end, as DuckDB does.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        table.column_names.index("index_date"),
        "index_date",
        table.column("index_date").cast(pa.date32()),
    )
    if file_format(path) == "parquet":
        pq.write_table(table, path)
        return
    ids = table.column("person_id")
    if (
        pa.types.is_integer(ids.type)
        or not pc.any(pc.match_substring_regex(ids, '[,"\r\n]')).as_py()
    ):
        with open(path, "wb") as out:
            out.write((",".join(table.column_names) + "\n").encode())
            pacsv.write_csv(
                table,
                out,
                write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
            )
        return
    # Rare: some id needs quoting, which pyarrow cannot do for that value alone.
    text = frame.copy()
    text["index_date"] = text["index_date"].dt.strftime("%Y-%m-%d")
    text["reoffended"] = np.where(text["reoffended"], "true", "false")
    text.to_csv(path, index=False, lineterminator="\n")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later, or that month's last day.

    Example:
        >>> add_months(dt.date(2020, 1, 31), 1), add_months(dt.date(2020, 2, 29), 12)
        (datetime.date(2020, 2, 29), datetime.date(2021, 2, 28))
    """
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months_to_days(days: IntArray, months: int) -> IntArray:
    """`add_months` over days since 1970-01-01."""
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    day_of_month0 = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(months, "M")
    start = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - start).astype(np.int64)
    return np.asarray(start.astype(np.int64) + np.minimum(day_of_month0, length - 1))


def _day(day: dt.date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


def breakdown_categories(
    by: str, options: ReoffendingOptions, present: Sequence[str] = ()
) -> tuple[str, ...]:
    """The values of a breakdown, in table order, given the values present in the cohort."""
    if by == "adult-youth":
        return ("adult", YOUTH_LABEL[options.jurisdiction])
    if by == "age-band":
        return tuple(label for _, label in AGE_BANDS[options.jurisdiction])
    if by == "index-disposal":
        return options.index_event_types
    if by == "previous-offences":
        labels = tuple(label for _, label in PREVIOUS_OFFENCE_BANDS)
        return labels + ((UNKNOWN,) if UNKNOWN in present else ())
    return tuple(sorted(set(present), key=lambda v: (v == UNKNOWN, v)))


def proven_reoffending(
    index_events: IndexEvents, offences: Offences, options: ReoffendingOptions
) -> ReoffendingResult:
    """Proven reoffending of a cohort: the measures, breakdowns and a row per person.

    The rules are in the module docstring and docs/reoffending.md: a cohort of first index
    events in the cohort period, offences committed after the index date and within the
    follow-up, proven within the follow-up or waiting period by a counted disposal.

    Args:
        index_events: from `read_index_events` or `IndexEvents.from_frame`.
        offences: from `read_offences` or `Offences.from_frame`.
        options: the cohort period, extract date, jurisdiction, periods, breakdowns and
            counting rules (already checked when they were made).

    Returns:
        The measures of the cohort, a row per breakdown value and `per_person`.

    Raises:
        ReoffendingInputError: an offence of someone in the cohort dated before their date
            of birth (the offences file and row), or a breakdown by offence-group or
            previous-offences without that column in the index events.

    Example:
        >>> import pandas as pd
        >>> events = IndexEvents.from_frame(pd.DataFrame({
        ...     "person_id": ["A", "B"], "event_type": ["caution", "court_noncustodial"],
        ...     "event_date": ["2020-01-15", "2020-06-30"],
        ...     "date_of_birth": ["1990-06-01", "2003-07-01"], "sex": ["F", "M"]}))
        >>> offences = Offences.from_frame(pd.DataFrame({
        ...     "person_id": ["A", "A", "B"],
        ...     "offence_date": ["2020-01-15", "2021-01-15", "2020-07-01"],
        ...     "disposal_date": ["2020-02-01", "2021-07-15", "2020-08-01"],
        ...     "disposal_type": ["conviction", "caution", "penalty_notice"],
        ...     "is_breach": ["false", "false", "false"]}))
        >>> result = proven_reoffending(events, offences, ReoffendingOptions(
        ...     cohort_start=dt.date(2020, 1, 1), cohort_end=dt.date(2020, 12, 31),
        ...     extract_date=dt.date(2022, 6, 30), by=("adult-youth",)))
        >>> result.reoffenders, result.reoffences, result.median_days_to_first
        (1, 1, 366.0)
        >>> [(row.value, row.cohort_size, row.reoffenders) for row in result.breakdowns]
        [('adult', 1, 1), ('juvenile', 1, 0)]
    """
    cohort = _first_index_events(index_events, options)
    people = cohort.person_id.size
    reoffences, first_day = _proven_per_person(cohort, index_events, offences, options)
    reoffended = reoffences > 0
    days = np.zeros(people, dtype=np.int64)
    days[reoffended] = first_day[reoffended] - cohort.index_day[reoffended]
    within = reoffended & (first_day <= _shifted(cohort.index_day, FIRST_WITHIN_MONTHS, options))
    overall = _group_measures(
        np.zeros(people, dtype=np.intp), 1, reoffences, reoffended, days, within
    )[0]
    breakdowns: list[ReoffendingBreakdown] = []
    for by in options.by:
        labels, codes = _breakdown_codes(by, cohort, index_events, options)
        groups = _group_measures(codes, len(labels), reoffences, reoffended, days, within)
        breakdowns += [
            ReoffendingBreakdown(**_fields(measures), by=by, value=label)
            for label, measures in zip(labels, groups, strict=True)
        ]
    per_person = pd.DataFrame(
        {
            "person_id": cohort.person_id,
            "index_date": cohort.index_day.astype("datetime64[D]"),
            "reoffended": reoffended,
            "reoffences": reoffences,
            "days_to_first": pd.arrays.IntegerArray(days, ~reoffended),
        }
    )
    return ReoffendingResult(
        **_fields(overall), options=options, breakdowns=tuple(breakdowns), per_person=per_person
    )


def _fields(measures: ReoffendingMeasures) -> dict[str, Any]:
    return {
        "cohort_size": measures.cohort_size,
        "reoffenders": measures.reoffenders,
        "reoffences": measures.reoffences,
        "days_to_first_total": measures.days_to_first_total,
        "median_days_to_first": measures.median_days_to_first,
        "first_within_3_months": measures.first_within_3_months,
    }


@dataclass(frozen=True)
class _Cohort:
    """One entry per person of the cohort, in person-id order."""

    person_id: npt.NDArray[Any]
    row: npt.NDArray[np.intp]  # the chosen index event's position in the index events
    index_day: IntArray
    follow_up_end: IntArray
    waiting_end: IntArray


def _first_index_events(events: IndexEvents, options: ReoffendingOptions) -> _Cohort:
    day = events.event_date.view(np.int64)
    start, end = _day(options.cohort_start), _day(options.cohort_end)
    counted = np.zeros(len(EVENT_TYPES), dtype=bool)
    counted[[EVENT_TYPES.index(t) for t in options.index_event_types]] = True
    rows = np.flatnonzero(counted[events.event_type] & (day >= start) & (day <= end))
    codes, person_id = _factorize_sorted(events.person_id[rows])
    n_types, n = len(EVENT_TYPES), max(rows.size, 1)
    # The earliest (day, type rank, row) of each person, as one integer to minimise.
    key = ((day[rows] - start) * n_types + events.event_type[rows]) * n + np.arange(rows.size)
    best = np.full(person_id.size, _INT64_MAX, dtype=np.int64)
    np.minimum.at(best, codes, key)
    chosen = rows[best % n]
    index_day = day[chosen]
    follow_up_end = _shifted(index_day, options.follow_up_months, options)
    # A waiting period of 0 months ends with the follow-up.
    waiting_end = add_months_to_days(follow_up_end, options.waiting_months)
    return _Cohort(person_id, chosen, index_day, follow_up_end, waiting_end)


def _shifted(days: IntArray, months: int, options: ReoffendingOptions) -> IntArray:
    """`add_months` of index days, worked out once per day of the cohort period."""
    start = _day(options.cohort_start)
    span = _day(options.cohort_end) - start + 1
    table = add_months_to_days(np.arange(start, start + span, dtype=np.int64), months)
    return np.asarray(table[days - start])


def _factorize_sorted(ids: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
    """Codes 0..P-1 and the distinct ids in sorted order."""
    codes, uniques = pd.factorize(ids, sort=True)
    uniques = np.asarray(uniques)
    if uniques.dtype.kind not in "iu":
        uniques = uniques.astype(object)
    return np.asarray(codes, dtype=np.intp), uniques


def _lookup(sorted_ids: npt.NDArray[Any], ids: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Position of each id among the sorted distinct `sorted_ids`, or -1."""
    if not sorted_ids.size or not ids.size:
        return np.full(ids.size, -1, dtype=np.intp)
    if sorted_ids.dtype.kind in "iu" and ids.dtype.kind in "iu":
        low, high = int(sorted_ids[0]), int(sorted_ids[-1])
        span = high - low + 1
        if span <= max(_DENSE_LOOKUP_LIMIT, 4 * sorted_ids.size):
            table = np.full(span + 1, -1, dtype=np.intp)  # the last entry: outside the range
            table[sorted_ids - low] = np.arange(sorted_ids.size)
            offset = ids - low
            offset[(offset < 0) | (offset >= span)] = span
            return np.asarray(table[offset])
        found = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
        return np.where(sorted_ids[found] == ids, found, -1).astype(np.intp)
    # Text ids, or integer ids in one file and text in the other: compare as text.
    keys = sorted_ids if sorted_ids.dtype == object else sorted_ids.astype(str).astype(object)
    wanted = ids if ids.dtype == object else ids.astype(str).astype(object)
    return np.asarray(pd.Index(keys).get_indexer(wanted), dtype=np.intp)


def _proven_per_person(
    cohort: _Cohort, events: IndexEvents, offences: Offences, options: ReoffendingOptions
) -> tuple[IntArray, IntArray]:
    """Proven reoffences per person, and the day of each person's first (int64 max if none)."""
    people = cohort.person_id.size
    person = _lookup(cohort.person_id, offences.person_id)
    member = np.flatnonzero(person >= 0)
    person = person[member]
    committed = offences.offence_date.view(np.int64)[member]
    birth = events.date_of_birth.view(np.int64)[cohort.row]
    before_birth = committed < birth[person]
    if before_birth.any():
        _raise_before_birth(offences, member, before_birth, birth[person], cohort, person)
    counted = np.zeros(len(DISPOSAL_TYPES), dtype=bool)
    counted[[DISPOSAL_TYPES.index(t) for t in options.proven_disposals]] = True
    keep = counted[offences.disposal_type[member]]
    if options.exclude_breaches:
        keep &= ~offences.is_breach[member]
    person, committed = person[keep], committed[keep]
    disposed = offences.disposal_date.view(np.int64)[member[keep]]
    proven = (
        (committed > cohort.index_day[person])
        & (committed <= cohort.follow_up_end[person])
        & (disposed <= cohort.waiting_end[person])
    )
    person, committed = person[proven], committed[proven]
    reoffences = np.bincount(person, minlength=people).astype(np.int64)
    first_day = np.full(people, _INT64_MAX, dtype=np.int64)
    np.minimum.at(first_day, person, committed)
    return reoffences, first_day


def _raise_before_birth(
    offences: Offences,
    member: npt.NDArray[np.intp],
    before_birth: BoolArray,
    birth: IntArray,
    cohort: _Cohort,
    person: npt.NDArray[np.intp],
) -> None:
    bad = np.flatnonzero(before_birth)
    problems = [
        InputProblem(
            int(member[i]) + FIRST_DATA_ROW,
            "offence_date",
            before_birth_message(
                iso(offences.offence_date[member[i]]),
                iso(np.int64(birth[i]).astype("datetime64[D]")),
                cohort.person_id[person[i]],
            ),
        )
        for i in bad[:SHOWN_PROBLEMS]
    ]
    first = problems[0]
    raise ReoffendingInputError(
        offences.source, first.row, first.column, first.message, more=problems[1:], total=bad.size
    )


def _breakdown_codes(
    by: str, cohort: _Cohort, events: IndexEvents, options: ReoffendingOptions
) -> tuple[tuple[str, ...], npt.NDArray[np.intp]]:
    """The values of a breakdown and each person's position among them."""
    if by in ("adult-youth", "age-band"):
        birth = events.date_of_birth.view(np.int64)[cohort.row]
        age = years_between(birth, cohort.index_day)
        if age.size and int(age.min()) < MIN_AGE:
            raise ValueError(f"someone in the cohort is under {MIN_AGE} on their index date")
        labels = breakdown_categories(by, options)
        if by == "adult-youth":
            return labels, (age < ADULT_AGE).astype(np.intp)
        lowest = np.array([low for low, _ in AGE_BANDS[options.jurisdiction]])
        return labels, (np.searchsorted(lowest, age, side="right") - 1).astype(np.intp)
    if by == "index-disposal":
        labels = breakdown_categories(by, options)
        position = np.array([labels.index(t) if t in labels else -1 for t in EVENT_TYPES])
        return labels, position[events.event_type[cohort.row]].astype(np.intp)
    if by == "previous-offences":
        if events.previous_offences is None:
            raise missing_column_error(events.source, "previous_offences", by)
        previous = events.previous_offences[cohort.row]
        lowest = np.array([low for low, _ in PREVIOUS_OFFENCE_BANDS])
        band = np.searchsorted(lowest, previous, side="right") - 1  # -1 where not known
        labels = breakdown_categories(by, options, (UNKNOWN,) if (band < 0).any() else ())
        return labels, np.where(band < 0, len(PREVIOUS_OFFENCE_BANDS), band).astype(np.intp)
    values = events.sex if by == "sex" else events.offence_group
    if values is None:
        raise missing_column_error(events.source, "offence_group", by)
    codes, uniques = pd.factorize(values[cohort.row])
    labels = breakdown_categories(by, options, [str(u) for u in uniques])
    where = {label: i for i, label in enumerate(labels)}
    position = np.array([where[str(u)] for u in uniques] + [0], dtype=np.intp)
    return labels, position[np.asarray(codes)]


def missing_column_error(source: str, column: str, by: str) -> ReoffendingInputError:
    """The error for a breakdown whose optional column the index events do not have."""
    return ReoffendingInputError(
        source, None, column, f"missing column {column}, needed for the breakdown by {by}"
    )


def _group_measures(
    group: npt.NDArray[np.intp],
    n_groups: int,
    reoffences: IntArray,
    reoffended: BoolArray,
    days: IntArray,
    within: BoolArray,
) -> list[ReoffendingMeasures]:
    """The measures of each group 0..n_groups-1 of people, with no loop over people."""
    size = np.bincount(group, minlength=n_groups)
    offences = np.bincount(group, weights=reoffences, minlength=n_groups)
    g, d = group[reoffended], days[reoffended]
    reoffenders = np.bincount(g, minlength=n_groups)
    days_total = np.bincount(g, weights=d, minlength=n_groups)
    first_within = np.bincount(g[within[reoffended]], minlength=n_groups)
    medians = _group_medians(g, d, n_groups, reoffenders)
    return [
        ReoffendingMeasures(
            cohort_size=int(size[k]),
            reoffenders=int(reoffenders[k]),
            reoffences=round(offences[k]),
            days_to_first_total=round(days_total[k]),
            median_days_to_first=medians[k],
            first_within_3_months=int(first_within[k]),
        )
        for k in range(n_groups)
    ]


def _group_medians(
    group: npt.NDArray[np.intp], days: IntArray, n_groups: int, counts: IntArray
) -> list[float | None]:
    """Median days per group from a (group x day) histogram: days are few distinct values."""
    if not days.size:
        return [None] * n_groups
    width = int(days.max()) + 1
    histogram = np.bincount(group * width + days, minlength=n_groups * width)
    below = np.cumsum(histogram.reshape(n_groups, width), axis=1)
    lower = (counts - 1) // 2  # 0-based ranks of the two middle values
    upper = counts // 2
    low_value = (below <= lower[:, None]).sum(axis=1)
    high_value = (below <= upper[:, None]).sum(axis=1)
    return [
        (int(low_value[k]) + int(high_value[k])) / 2 if counts[k] else None for k in range(n_groups)
    ]


def _proven_reoffending_reference(
    index_events: IndexEvents, offences: Offences, options: ReoffendingOptions
) -> ReoffendingResult:
    """The same result, one person and one offence at a time in plain Python.

    The reference the fast version is tested against; it does not check dates of birth.
    """
    allowed = set(options.index_event_types)
    first: dict[Any, tuple[dt.date, int, int]] = {}
    for row, (person, code, day) in enumerate(
        zip(
            index_events.person_id.tolist(),
            index_events.event_type.tolist(),
            index_events.event_date.tolist(),
            strict=True,
        )
    ):
        if EVENT_TYPES[code] in allowed and options.cohort_start <= day <= options.cohort_end:
            key = (day, code, row)
            if person not in first or key < first[person]:
                first[person] = key
    as_text = (
        index_events.person_id.dtype.kind not in "iu" or offences.person_id.dtype.kind not in "iu"
    )
    people = sorted(first)
    by_key = {str(p) if as_text else p: p for p in people}
    proven_types = set(options.proven_disposals)
    found: dict[Any, list[dt.date]] = {p: [] for p in people}
    for person, committed, disposed, code, breach in zip(
        offences.person_id.tolist(),
        offences.offence_date.tolist(),
        offences.disposal_date.tolist(),
        offences.disposal_type.tolist(),
        offences.is_breach.tolist(),
        strict=True,
    ):
        who = by_key.get(str(person) if as_text else person)
        if who is None or DISPOSAL_TYPES[code] not in proven_types:
            continue
        if breach and options.exclude_breaches:
            continue
        index_date = first[who][0]
        if index_date < committed <= options.follow_up_end(index_date) and (
            disposed <= options.waiting_end(index_date)
        ):
            found[who].append(committed)

    def attributes(person: Any) -> dict[str, str]:
        _, code, row = first[person]
        index_date = first[person][0]
        born = index_events.date_of_birth[row].item()
        birthday_to_come = (index_date.month, index_date.day) < (born.month, born.day)
        age = index_date.year - born.year - birthday_to_come
        values = {
            "adult-youth": "adult" if age >= ADULT_AGE else YOUTH_LABEL[options.jurisdiction],
            "age-band": _band(age, AGE_BANDS[options.jurisdiction]),
            "index-disposal": EVENT_TYPES[code],
            "sex": str(index_events.sex[row]),
        }
        if index_events.offence_group is not None:
            values["offence-group"] = str(index_events.offence_group[row])
        if index_events.previous_offences is not None:
            count = int(index_events.previous_offences[row])
            values["previous-offences"] = (
                _band(count, PREVIOUS_OFFENCE_BANDS) if count >= 0 else UNKNOWN
            )
        return values

    def measures(group: list[Any]) -> dict[str, Any]:
        firsts = [(p, min(found[p])) for p in group if found[p]]
        days = [(day - first[p][0]).days for p, day in firsts]
        return {
            "cohort_size": len(group),
            "reoffenders": len(firsts),
            "reoffences": sum(len(found[p]) for p in group),
            "days_to_first_total": sum(days),
            "median_days_to_first": float(statistics.median(days)) if days else None,
            "first_within_3_months": sum(
                day <= add_months(first[p][0], FIRST_WITHIN_MONTHS) for p, day in firsts
            ),
        }

    if "offence-group" in options.by and index_events.offence_group is None:
        raise missing_column_error(index_events.source, "offence_group", "offence-group")
    if "previous-offences" in options.by and index_events.previous_offences is None:
        raise missing_column_error(index_events.source, "previous_offences", "previous-offences")
    described = {p: attributes(p) for p in people}
    breakdowns = []
    for by in options.by:
        present = [described[p][by] for p in people]
        for value in breakdown_categories(by, options, present):
            group = [p for p in people if described[p][by] == value]
            breakdowns.append(ReoffendingBreakdown(**measures(group), by=by, value=value))
    per_person = pd.DataFrame(
        {
            "person_id": np.array(people, dtype=index_events.person_id.dtype),
            "index_date": np.array([first[p][0] for p in people], dtype="datetime64[D]"),
            "reoffended": np.array([bool(found[p]) for p in people], dtype=bool),
            "reoffences": np.array([len(found[p]) for p in people], dtype=np.int64),
            "days_to_first": pd.array(
                [(min(found[p]) - first[p][0]).days if found[p] else None for p in people],
                dtype="Int64",
            ),
        }
    )
    return ReoffendingResult(
        **measures(people), options=options, breakdowns=tuple(breakdowns), per_person=per_person
    )


def _band(value: int, bands: Sequence[tuple[int, str]]) -> str:
    label = bands[0][1]
    for lowest, name in bands:
        if value >= lowest:
            label = name
    return label
