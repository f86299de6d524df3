"""Reads for programme statistics: who was active in which year, as arrays for analytics.

No model instances are built: the database reduces the sessions to one row per participant
(the financial years they were active in), which go straight into numpy arrays, so the table
for two million sessions is a handful of queries and a few vectorised passes. Nothing here
returns personal data: the tables hold counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate

from desist.accounts.constants import Role
from desist.accounts.models import Region
from desist.delivery.constants import SessionOutcome
from desist.delivery.models import Session
from desist.people.constants import Sex, Strand
from desist.people.duplicates import (
    DuplicateLinks,
    duplicate_links,
    duplicate_treatment_text,
    person_groups,
)
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision
from desist.statistics.constants import AGE_BANDS, RECEIVED, Breakdown
from desist.statistics.models import HistoricalSession
from desist.statistics.tables import NOT_FOR_PUBLICATION
from desist_analytics import (
    ActiveParticipants,
    DisclosureOptions,
    active_participants,
    disclosure_control,
    financial_year_start,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")

DEFINITION = (
    "Active participants: the number of distinct people who received at least one "
    "intervention session in the financial year (1 April to 31 March). A session counts when "
    "the person attended it, including late; sessions they did not attend and cancelled "
    "sessions do not. Sessions after the 'figures correct as at' date are left out. Sessions "
    "recorded in desist are dated by their scheduled start in UK time; sessions imported from "
    "earlier records by their session date."
)
AGE_BAND_NOTE = "Age bands give each person's age on 1 April, the first day of the financial year."
BREAKDOWN_NOTES = {
    Breakdown.STRAND: "Strand, region and sex are taken from the person's main record.",
    Breakdown.REGION: "Strand, region and sex are taken from the person's main record.",
    Breakdown.SEX: "Strand, region and sex are taken from the person's main record.",
    Breakdown.AGE_BAND: AGE_BAND_NOTE
    + " The date of birth is taken from the person's main record.",
}


@dataclass(frozen=True)
class ActiveParticipantsTable:
    """A published table: counts only, after disclosure control, with its notes."""

    as_at: dt.date
    by: str
    columns: tuple[str, ...]  # breakdown values (codes), in order; empty without a breakdown
    column_labels: tuple[str, ...]
    years: tuple[str, ...]  # "2019/20", oldest first
    totals: tuple[str, ...]  # one per year, as published (e.g. "12" or "<10")
    cells: tuple[tuple[str, ...], ...]  # one row per year, one cell per column
    definition: str
    duplicates: str
    disclosure: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Raw counts, before disclosure control, for a user with the right to them: every output
    # then says NOT_FOR_PUBLICATION first.
    unpublished: bool = False

    @property
    def as_at_text(self) -> str:
        return f"Figures correct as at {self.as_at:%-d %B %Y}."

    @property
    def marking(self) -> str:
        """NOT_FOR_PUBLICATION for unsuppressed figures, otherwise blank."""
        return NOT_FOR_PUBLICATION if self.unpublished else ""

    def all_notes(self) -> list[str]:
        """Every note a published copy must carry, in the order they are shown."""
        return [
            *([NOT_FOR_PUBLICATION] if self.unpublished else []),
            self.as_at_text,
            self.definition,
            *self.notes,
            self.duplicates,
            self.disclosure,
        ]


# Duplicates -------------------------------------------------------------------------------

_LINKS_CACHE_SECONDS = 300


def _links_fingerprint() -> str:
    """Changes whenever a participant record or a duplicate decision is added, deleted or
    saved (updated_at is auto_now; decisions are only added or replaced). Two cheap
    aggregate queries instead of the four GROUP BYs of duplicate detection."""
    people = Participant.objects.order_by().aggregate(
        n=Count("id"), last=Max("id"), changed=Max("updated_at")
    )
    decided = DuplicateDecision.objects.order_by().aggregate(
        n=Count("id"), last=Max("id"), changed=Max("decided_at")
    )
    text = repr((sorted(people.items()), sorted(decided.items())))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_duplicate_links() -> DuplicateLinks:
    """`duplicate_links()` (about 1.5 seconds for 100,000 records), reused while no participant
    record or duplicate decision has changed, for at most five minutes. The cache holds
    primary keys only."""
    key = f"statistics:duplicate-links:{_links_fingerprint()}"
    links = cache.get(key)
    if isinstance(links, DuplicateLinks):
        return links
    links = duplicate_links()
    cache.set(key, links, _LINKS_CACHE_SECONDS)
    return links


# Breakdowns -------------------------------------------------------------------------------


def _attribute_codes(by: str, columns: Sequence[str]) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Every participant record's pk and its value for `by`: for strand, region and sex the
    index into `columns` (-1 when not among them), for age band the date of birth.

    One raw query for the one column needed, fetched in a single call: Django's per-row
    converters cost more than the query for 100,000 records."""
    table = connection.ops.quote_name(Participant._meta.db_table)
    if by == Breakdown.REGION:
        column = "region_id"
    elif by == Breakdown.AGE_BAND:
        column = "CAST(date_of_birth AS TEXT)"  # ISO text on SQLite and PostgreSQL alike
    else:
        column = {Breakdown.STRAND: "strand", Breakdown.SEX: "sex"}[Breakdown(by)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 - fixed names
        rows = cursor.fetchall()
    pks = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = [row[1] for row in rows]
    if by == Breakdown.AGE_BAND:
        return pks, values
    if by == Breakdown.REGION:
        code_of_id = dict(Region.objects.values_list("pk", "code"))
        values = [code_of_id.get(value) for value in values]
    index = {value: i for i, value in enumerate(columns)}
    return pks, [index.get(value, -1) for value in values]


def _year_month_day(
    days: npt.NDArray[np.datetime64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    first = days.astype("datetime64[M]").astype("datetime64[D]")
    day = (days - first).astype(np.int64) + 1
    return years, months, day


def financial_year_starts(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    """The year each financial year began (1 April), for an array of dates."""
    years, months, _ = _year_month_day(days)
    result: npt.NDArray[np.int64] = years - (months < 4)
    return result


def age_band_codes(
    births: npt.NDArray[np.datetime64], year_starts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Index into AGE_BANDS of each person's age on 1 April of the given year.

    Someone born on 1 April has their birthday that day, so is counted at the new age.
    """
    birth_years, birth_months, birth_days = _year_month_day(births)
    not_yet = (birth_months > 4) | ((birth_months == 4) & (birth_days > 1))
    ages = year_starts - birth_years - not_yet
    lowest = np.array([low for _, low, _ in AGE_BANDS[1:]], dtype=np.int64)
    codes: npt.NDArray[np.int64] = np.searchsorted(lowest, ages, side="right").astype(np.int64)
    return codes


def breakdown_columns(by: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns (codes and labels) a breakdown adds to the table, in order."""
    if by == Breakdown.STRAND:
        return tuple(Strand.values), tuple(str(label) for label in Strand.labels)
    if by == Breakdown.SEX:
        return tuple(Sex.values), tuple(str(label) for label in Sex.labels)
    if by == Breakdown.REGION:
        regions = list(Region.objects.order_by("code").values_list("code", "name"))
        return tuple(code for code, _ in regions), tuple(name for _, name in regions)
    if by == Breakdown.AGE_BAND:
        labels = tuple(label for label, _, _ in AGE_BANDS)
        return labels, tuple("Under 18" if label == "under-18" else label for label in labels)
    return (), ()


# Gathering activity -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityArrays:
    """One entry per person and financial year in which they received at least one session
    up to the as-at date: the person key, the year (by its starting calendar year: 2019 for
    2019/20) and, with a breakdown, the code of the person's main record (-1 when unknown)."""

    person: npt.NDArray[np.int64]
    year: npt.NDArray[np.int64]
    code: npt.NDArray[np.int64]
    participant_ids: tuple[int, ...]  # the participant records with a received session


def _delivery_years(as_at: dt.date) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Participant record and financial year of each session recorded in desist that the
    person received, dated by its scheduled start in UK time, up to the end of `as_at`."""
    # Local midnight after the as-at day: anything scheduled from then on is left out.
    end = dt.datetime.combine(as_at + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    rows = list(
        Session.objects.filter(
            scheduled_start__lt=end,
            outcome__in=[SessionOutcome.ATTENDED, SessionOutcome.LATE],
        )
        .annotate(day=TruncDate("scheduled_start", tzinfo=LONDON))
        .values_list("participant_id", "day")
        .order_by()
        .distinct()
    )
    participant = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    days = np.array([row[1] for row in rows], dtype="datetime64[D]")
    return participant, financial_year_starts(days)


# Financial years are packed as bits of one integer per participant, so that one query row
# per person carries every year they were active in: bit i is the year `base + i`. 62 bits
# keep the sum a positive 64-bit integer; longer histories take one more column per 62 years.
_YEARS_PER_COLUMN = 62


def _year_of_sql(column: str) -> str:
    """SQL for the starting calendar year of the financial year of a DATE column, in syntax
    SQLite and PostgreSQL share: the year, less one for January to March."""
    text = f"CAST({column} AS TEXT)"  # 'YYYY-MM-DD' on both
    return (
        f"(CAST(SUBSTR({text}, 1, 4) AS INTEGER) "
        f"- CASE WHEN SUBSTR({text}, 6, 2) < '04' THEN 1 ELSE 0 END)"
    )


def _historical_years(as_at: dt.date) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Participant record and financial year of each year in which an imported session was
    received, up to `as_at`.

    Two million imported rows are the bulk of the work, so the database reduces them to one
    row per participant: the set of years they were active in, as bits of an integer
    (SUM(DISTINCT) of powers of two on SQLite, which has no bitwise-or aggregate; BIT_OR on
    PostgreSQL). Without a WHERE clause (the conditions sit inside the CASE) SQLite groups by
    participant while scanning the covering unique index (participant, date, attendance) in
    its order, instead of looking each row up through the date index, several times faster.
    """
    table = connection.ops.quote_name(HistoricalSession._meta.db_table)
    earliest = HistoricalSession.objects.order_by().aggregate(first=Min("session_date"))["first"]
    if earliest is None or earliest > as_at:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first_year = financial_year_start(earliest)
    last_year = financial_year_start(as_at)
    bases = list(range(first_year, last_year + 1, _YEARS_PER_COLUMN))
    received = ", ".join(f"'{value}'" for value in sorted(RECEIVED))  # fixed choice values
    year = _year_of_sql("session_date")
    aggregate = "BIT_OR({})" if connection.vendor == "postgresql" else "SUM(DISTINCT {})"

    def in_column(base: int) -> str:
        # Every year falls in the one column of a history under 62 years: no test needed.
        if len(bases) == 1:
            return ""
        return f"AND {year} BETWEEN {base} AND {base + _YEARS_PER_COLUMN - 1} "

    columns = ", ".join(
        aggregate.format(
            f"CASE WHEN session_date <= %s AND attendance IN ({received}) {in_column(base)}"
            f"THEN CAST(1 AS BIGINT) << ({year} - {base}) ELSE 0 END"
        )
        for base in bases
    )
    sql = f"SELECT participant_id, {columns} FROM {table} GROUP BY participant_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_at] * len(bases))
        rows = cursor.fetchall()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    participants: list[npt.NDArray[np.int64]] = []
    years: list[npt.NDArray[np.int64]] = []
    bits = np.arange(_YEARS_PER_COLUMN, dtype=np.int64)
    for i, base in enumerate(bases, start=1):
        masks = np.fromiter((int(row[i]) for row in rows), dtype=np.int64, count=len(rows))
        where, bit = np.nonzero((masks[:, None] >> bits) & 1)
        participants.append(ids[where])
        years.append(base + bit.astype(np.int64))
    return np.concatenate(participants), np.concatenate(years)


def _distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values, sorted. Sorting and comparing neighbours is many times faster than
    numpy 2.4's hash-based np.unique on a million integers."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=np.bool_)
    keep[1:] = ordered[1:] != ordered[:-1]
    result: npt.NDArray[np.int64] = ordered[keep]
    return result


def activity_arrays(
    *, as_at: dt.date, by: str = "", links: DuplicateLinks | None = None
) -> ActivityArrays:
    """Who was active in which financial year, up to `as_at`, from desist's own sessions and
    imported history together: each participant record replaced by its person key, one entry
    per person and year, and with `by` the breakdown code of the person's main record."""
    delivered = _delivery_years(as_at)
    history = _historical_years(as_at)
    participant = np.concatenate([delivered[0], history[0]])
    year = np.concatenate([delivered[1], history[1]])

    ids = _distinct(participant)
    keys = person_groups(ids.tolist(), links=links or duplicate_links())
    key_of_id = np.fromiter((keys[pk] for pk in ids.tolist()), dtype=np.int64, count=len(ids))
    person = key_of_id[np.searchsorted(ids, participant)] if len(ids) else participant
    # One entry per person and year: years are calendar years, far below 2**12.
    pairs = _distinct(person * 4096 + year)
    person, year = np.divmod(pairs, 4096)

    code = _codes(by, person, year) if by else np.full(len(person), -1, dtype=np.int64)
    return ActivityArrays(person=person, year=year, code=code, participant_ids=tuple(ids.tolist()))


def _codes(
    by: str, person: npt.NDArray[np.int64], year: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The breakdown code of each (person, year) entry, from the main record of the person.

    The main record is the one whose pk is the person key (the smallest pk among the person's
    records). So a person has one strand, region, sex and date of birth in a table, and the
    breakdown columns add up to the total.
    """
    columns, _ = breakdown_columns(by)
    pks, values = _attribute_codes(by, columns)
    order = np.argsort(pks)
    pks = pks[order]
    where = np.minimum(np.searchsorted(pks, person), max(len(pks) - 1, 0))
    known = pks[where] == person if len(pks) else np.zeros(len(person), dtype=np.bool_)
    if by == Breakdown.AGE_BAND:
        births = np.array(values, dtype="datetime64[D]")[order]
        codes = age_band_codes(births[where], year) if len(pks) else where
        known &= ~np.isnat(births[where]) if len(pks) else known
    else:
        codes = np.array(values, dtype=np.int64)[order][where] if len(pks) else where
    result: npt.NDArray[np.int64] = np.where(known, codes, -1).astype(np.int64)
    return result


# Counting and disclosure control ----------------------------------------------------------


def count_active_participants(
    arrays: ActivityArrays, *, as_at: dt.date, columns: int
) -> ActiveParticipants:
    """Distinct people per financial year (and breakdown code), by the analytics engine.

    Entries whose person has no breakdown code (-1: cannot happen for records in desist, but
    counted rather than lost) count in the total and in no column."""
    # Each entry stands for the person's sessions in the year: date it 1 April.
    first_day = ((arrays.year - 1970) * 12 + 3).astype("datetime64[M]").astype("datetime64[D]")
    received = np.ones(len(arrays.person), dtype=np.bool_)
    if not columns:
        return active_participants(arrays.person, first_day, received, as_at=as_at)
    return active_participants(
        arrays.person,
        first_day,
        received,
        as_at=as_at,
        breakdown=arrays.code,
        categories=(*range(columns), -1),
    )


def disclosure_options() -> DisclosureOptions:
    """METHODS.md section 2 defaults, with the threshold from settings."""
    return DisclosureOptions(threshold=settings.DESIST_DISCLOSURE_THRESHOLD)


UNPUBLISHED_DISCLOSURE = (
    "No disclosure control was applied: these are exact counts, including small ones, for "
    "use inside the programme only."
)


def may_see_unpublished(user: object) -> bool:
    """Only programme managers may have figures before disclosure control."""
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role(Role.PROGRAMME_MANAGER))


def disclosure_text(options: DisclosureOptions) -> str:
    return (
        f"Disclosure control: counts from 1 to {options.threshold - 1} are shown as "
        f"{options.primary_symbol}. Where a year's total would let a hidden count be worked "
        f"out, another count in that year is hidden too, shown as {options.secondary_symbol}."
    )


def _disclose(
    counts: ActiveParticipants, columns: int, options: DisclosureOptions
) -> tuple[list[str], list[list[str]]]:
    """Every published table passes through here: the totals and cells as shown."""
    if not counts.years:
        return [], []
    if not columns:
        protected = disclosure_control([[total] for total in counts.totals], options=options)
        return [row[0] for row in protected.displayed], [[] for _ in counts.years]
    # The engine reports the -1 column last; it is not published, but the year's own total
    # (distinct people) stays the row total.
    grid = [list(row[:columns]) for row in counts.by_category]
    protected = disclosure_control(grid, row_totals=list(counts.totals), options=options)
    totals = protected.row_totals or ()
    return list(totals), [list(row) for row in protected.cells]


# The table --------------------------------------------------------------------------------


def _raw(counts: ActiveParticipants, columns: int) -> tuple[list[str], list[list[str]]]:
    """The counts as they are, for unpublished figures."""
    totals = [str(int(total)) for total in counts.totals]
    if not columns:
        return totals, [[] for _ in counts.years]
    return totals, [[str(int(n)) for n in row[:columns]] for row in counts.by_category]


def active_participants_table(
    *, as_at: dt.date, by: str = "", unpublished: bool = False
) -> ActiveParticipantsTable:
    """Active participants per financial year as at a date, optionally broken down, after
    disclosure control, with the notes every published copy carries.

    With `unpublished` the counts are exact, without disclosure control, and the table is
    marked "Not for publication". Callers decide who may ask (`may_see_unpublished`) and audit
    the request."""
    if by and by not in Breakdown.values:
        raise ValueError(f"unknown breakdown {by!r}")
    columns, labels = breakdown_columns(by)
    links = cached_duplicate_links()  # worked out once for the keys and the note
    arrays = activity_arrays(as_at=as_at, by=by, links=links)
    counts = count_active_participants(arrays, as_at=as_at, columns=len(columns))
    options = disclosure_options()
    if unpublished:
        totals, cells = _raw(counts, len(columns))
    else:
        totals, cells = _disclose(counts, len(columns), options)
    notes: Iterable[str] = (BREAKDOWN_NOTES[Breakdown(by)],) if by else ()
    return ActiveParticipantsTable(
        as_at=as_at,
        by=by,
        columns=columns,
        column_labels=labels,
        years=counts.years,
        totals=tuple(totals),
        cells=tuple(tuple(row) for row in cells),
        definition=DEFINITION,
        duplicates=duplicate_treatment_text(arrays.participant_ids, links=links),
        disclosure=UNPUBLISHED_DISCLOSURE if unpublished else disclosure_text(options),
        notes=tuple(notes),
        unpublished=unpublished,
    )
