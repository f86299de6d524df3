"""Reads for programme statistics: every session as plain arrays, handed to the analytics library.

No model instances are built: sessions come out of the database with values_list in chunks
straight into numpy arrays, so the table for two million sessions is a handful of queries and
a few vectorised passes. Nothing here returns personal data: the tables hold counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max
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
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
_CHUNK = 50_000

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
class SessionArrays:
    """One entry per session: whose (person key), when, whether received, breakdown code."""

    person: npt.NDArray[np.int64]
    day: npt.NDArray[np.datetime64]
    attended: npt.NDArray[np.bool_]
    code: npt.NDArray[np.int64]
    participant_ids: tuple[int, ...]  # the participant records the sessions belong to


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


@dataclass(frozen=True)
class _People:
    """Attributes of every participant record, indexed by position; `index` maps pk to it."""

    index: dict[int, int]
    strand: npt.NDArray[np.int64]
    region: npt.NDArray[np.int64]
    sex: npt.NDArray[np.int64]
    birth: npt.NDArray[np.datetime64]


def _people(regions: Sequence[str]) -> _People:
    strands = {value: i for i, value in enumerate(Strand.values)}
    sexes = {value: i for i, value in enumerate(Sex.values)}
    region_codes = {value: i for i, value in enumerate(regions)}
    pks: list[int] = []
    strand: list[int] = []
    region: list[int] = []
    sex: list[int] = []
    birth: list[dt.date] = []
    rows = Participant.objects.values_list(
        "pk", "strand", "region__code", "sex", "date_of_birth"
    ).iterator(chunk_size=_CHUNK)
    for pk, strand_value, region_code, sex_value, date_of_birth in rows:
        pks.append(pk)
        strand.append(strands.get(strand_value, -1))
        region.append(region_codes.get(region_code, -1))
        sex.append(sexes.get(sex_value, -1))
        birth.append(date_of_birth)
    return _People(
        index={pk: i for i, pk in enumerate(pks)},
        strand=np.array(strand, dtype=np.int64),
        region=np.array(region, dtype=np.int64),
        sex=np.array(sex, dtype=np.int64),
        birth=np.array(birth, dtype="datetime64[D]"),
    )


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


# Gathering sessions -----------------------------------------------------------------------


def _delivery_sessions(as_at: dt.date) -> tuple[list[int], list[dt.date], list[bool]]:
    # Local midnight after the as-at day: anything scheduled from then on is left out.
    end = dt.datetime.combine(as_at + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    rows = (
        Session.objects.filter(scheduled_start__lt=end)
        .annotate(day=TruncDate("scheduled_start", tzinfo=LONDON))
        .values_list("participant_id", "day", "outcome")
        .iterator(chunk_size=_CHUNK)
    )
    received = {SessionOutcome.ATTENDED.value, SessionOutcome.LATE.value}
    participants: list[int] = []
    days: list[dt.date] = []
    attended: list[bool] = []
    for participant_id, day, outcome in rows:
        participants.append(participant_id)
        days.append(day)
        attended.append(outcome in received)
    return participants, days, attended


def _yyyymmdd_days(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """Dates written as integers 20190601 -> datetime64[D], vectorised."""
    years, rest = np.divmod(numbers, 10_000)
    months, days = np.divmod(rest, 100)
    first = ((years - 1970) * 12 + months - 1).astype("datetime64[M]").astype("datetime64[D]")
    result: npt.NDArray[np.datetime64] = first + (days - 1).astype("timedelta64[D]")
    return result


def _historical_sessions(
    as_at: dt.date,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """Imported sessions up to `as_at`, straight from the cursor into arrays.

    Two million rows are the bulk of the work, so the query hands back one integer a row
    (participant, the date as YYYYMMDD, whether it was received) in SQL that SQLite and
    PostgreSQL both run, and reads every row without a WHERE clause: on SQLite that scans
    the covering unique index (participant, date, attendance) instead of looking each row up
    through the date index, several times faster. The as-at filter is then one numpy comparison."""
    table = connection.ops.quote_name(HistoricalSession._meta.db_table)
    received = ", ".join(f"'{value}'" for value in sorted(RECEIVED))  # fixed choice values
    # One integer a row: participant * 10**9 + YYYYMMDD * 10 + received (0 or 1).
    sql = (
        "SELECT CAST(participant_id AS BIGINT) * 1000000000 "  # noqa: S608 - no user input
        "+ CAST(REPLACE(CAST(session_date AS TEXT), '-', '') AS BIGINT) * 10 "
        f"+ CASE WHEN attendance IN ({received}) THEN 1 ELSE 0 END FROM {table}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    packed = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows))
    participant, rest = np.divmod(packed, 1_000_000_000)
    date, received_flag = np.divmod(rest, 10)
    keep = date <= as_at.year * 10_000 + as_at.month * 100 + as_at.day
    return participant[keep], _yyyymmdd_days(date[keep]), received_flag[keep].astype(np.bool_)


def session_arrays(
    *, as_at: dt.date, by: str = "", links: DuplicateLinks | None = None
) -> SessionArrays:
    """Every session up to `as_at` (desist's own and imported history) as arrays, with each
    participant record replaced by its person key and, with `by`, the breakdown code of the
    person's main record (-1 when unknown)."""
    delivered = _delivery_sessions(as_at)
    history = _historical_sessions(as_at)
    participant = np.concatenate([np.array(delivered[0], dtype=np.int64), history[0]])
    day = np.concatenate([np.array(delivered[1], dtype="datetime64[D]"), history[1]])
    attended = np.concatenate([np.array(delivered[2], dtype=np.bool_), history[2]])

    ids = np.unique(participant)
    keys = person_groups(ids.tolist(), links=links or duplicate_links())
    key_of_id = np.fromiter((keys[pk] for pk in ids.tolist()), dtype=np.int64, count=len(ids))
    person = key_of_id[np.searchsorted(ids, participant)] if len(ids) else participant

    code = np.full(len(participant), -1, dtype=np.int64)
    if by:
        code = _codes(by, person, day)
    return SessionArrays(
        person=person,
        day=day,
        attended=attended,
        code=code,
        participant_ids=tuple(ids.tolist()),
    )


def _codes(
    by: str,
    person: npt.NDArray[np.int64],
    day: npt.NDArray[np.datetime64],
) -> npt.NDArray[np.int64]:
    """The breakdown code of each session, from the main record of its person.

    The main record is the one whose pk is the person key (the smallest pk among the person's
    records). So a person has one strand, region, sex and date of birth in a table, and the
    breakdown columns add up to the total.
    """
    columns, _ = breakdown_columns(by)
    people = _people(columns if by == Breakdown.REGION else ())
    persons = np.unique(person)
    position = np.array([people.index.get(p, -1) for p in persons.tolist()], dtype=np.int64)
    known = position >= 0
    where = np.searchsorted(persons, person)
    session_known = known[where] if len(persons) else np.zeros(0, dtype=np.bool_)
    safe = np.where(session_known, position[where], 0) if len(persons) else position
    if by == Breakdown.AGE_BAND:
        if len(people.birth) == 0:
            return np.full(len(person), -1, dtype=np.int64)
        codes = age_band_codes(people.birth[safe], financial_year_starts(day))
    else:
        attribute = {
            Breakdown.STRAND: people.strand,
            Breakdown.REGION: people.region,
            Breakdown.SEX: people.sex,
        }[Breakdown(by)]
        if len(attribute) == 0:
            return np.full(len(person), -1, dtype=np.int64)
        codes = attribute[safe]
    result: npt.NDArray[np.int64] = np.where(session_known, codes, -1).astype(np.int64)
    return result


# Counting and disclosure control ----------------------------------------------------------


def count_active_participants(
    arrays: SessionArrays, *, as_at: dt.date, columns: int
) -> ActiveParticipants:
    """Distinct people per financial year (and breakdown code), by the analytics engine.

    Sessions whose person has no breakdown code (-1: cannot happen for records in desist, but
    counted rather than lost) count in the total and in no column."""
    if not columns:
        return active_participants(arrays.person, arrays.day, arrays.attended, as_at=as_at)
    return active_participants(
        arrays.person,
        arrays.day,
        arrays.attended,
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
    arrays = session_arrays(as_at=as_at, by=by, links=links)
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
