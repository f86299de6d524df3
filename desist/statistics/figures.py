"""Selectors for the programme's "more figures": flow through the programme, time to the first
session, attendance, concerns, and referrals by strand and region, each by financial year and
each returned as a `PublishedTable` after disclosure control (METHODS.md section 2).

Counts are aggregated in the database (GROUP BY the local calendar day of the event, so at most
one row per day comes back) and folded into financial years here; the time to a first session
is read as one pair of dates per referral into numpy. Nothing here names or links a person.

The definitions and the choices they embody are written out in docs/statistics-figures.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from desist.accounts.models import Region
from desist.delivery.constants import ConcernCategory, Conclusion, SessionOutcome
from desist.delivery.models import Concern, EndReport, Session
from desist.people.constants import Strand
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.statistics.constants import RECEIVED, Attendance
from desist.statistics.models import HistoricalSession
from desist.statistics.tables import PublishedTable
from desist_analytics import DisclosureOptions, ProtectedTable, disclosure_control
from desist_analytics import financial_year_start as _fy_start

YEAR = "Financial year"
YEAR_OF_REFERRAL = "Financial year of referral"
TOTAL = "Total"
# Shown for a rate or a median that is not published (its base is small or hidden).
NOT_PUBLISHED = "[c]"
ATTENDED = (SessionOutcome.ATTENDED, SessionOutcome.LATE)
# Sessions with an outcome, for the attendance rate: the person was expected and either came or
# did not. Provider cancellations and rescheduled sessions are left out (see the docs).
WITH_OUTCOME = (*ATTENDED, SessionOutcome.DID_NOT_ATTEND, SessionOutcome.CANCELLED_BY_PARTICIPANT)

REFERRAL_NOTE = (
    "Counts are of referrals, not people: a person referred twice counts twice. "
    "Records of the same person are not merged for these figures."
)


def disclosure_options() -> DisclosureOptions:
    """The options every figure is published with (threshold from the settings)."""
    return DisclosureOptions(threshold=settings.DESIST_DISCLOSURE_THRESHOLD)


def disclosure_note(*, with_totals: bool = False, derived: str = "") -> str:
    """The plain-English note on disclosure control carried by every table."""
    opts = disclosure_options()
    text = (
        f"Counts from 1 to {opts.threshold - 1} are shown as {opts.primary_symbol} "
        "to protect the people counted."
    )
    if with_totals:
        text += (
            f" {opts.secondary_symbol} marks a further count hidden so that a hidden count "
            "cannot be worked out from the total."
        )
    if derived:
        text += (
            f" {derived} is shown as {NOT_PUBLISHED} when the count it is based on is below "
            f"{opts.threshold} or hidden."
        )
    return text


def _day_after(as_at: dt.date) -> dt.datetime:
    """The first moment after `as_at` in local time: events before it are counted."""
    return timezone.make_aware(dt.datetime.combine(as_at + dt.timedelta(days=1), dt.time.min))


def _year_labels(starts: Iterable[int]) -> list[str]:
    return [f"{start}/{(start + 1) % 100:02d}" for start in starts]


def _fold_by_year(
    days: Sequence[dt.date], counts: npt.NDArray[np.int64], *, as_at: dt.date
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Sum per-day counts (one row per day) into financial years, from the earliest year with a
    day to the year containing `as_at` (years in between show 0). No days: no rows."""
    if not days:
        return [], np.zeros((0, counts.shape[1] if counts.ndim == 2 else 0), dtype=np.int64)
    # One Python step per distinct day (the database has already grouped the events).
    starts = np.fromiter((_fy_start(day) for day in days), dtype=np.int64, count=len(days))
    first, last = int(starts.min()), _fy_start(as_at)
    grid = np.zeros((last - first + 1, counts.shape[1]), dtype=np.int64)
    np.add.at(grid, starts - first, counts)
    return _year_labels(range(first, last + 1)), grid


def _daily(
    rows: Iterable[dict[str, Any]], fields: Sequence[str]
) -> tuple[list[dt.date], npt.NDArray[np.int64]]:
    rows = list(rows)
    days = [row["day"] for row in rows]
    counts = np.array([[row[f] for f in fields] for row in rows], dtype=np.int64)
    return days, counts.reshape(len(rows), len(fields))


def _daily_by_category(
    rows: Iterable[dict[str, Any]], categories: Sequence[str]
) -> tuple[list[dt.date], npt.NDArray[np.int64]]:
    """Rows of (day, category, n) from a GROUP BY into one row per day, one column per category."""
    index = {code: j for j, code in enumerate(categories)}
    day_index: dict[dt.date, int] = {}
    cells: list[tuple[int, int, int]] = []
    for row in rows:
        i = day_index.setdefault(row["day"], len(day_index))
        cells.append((i, index[row["category"]], row["n"]))
    grid = np.zeros((len(day_index), len(categories)), dtype=np.int64)
    for i, j, n in cells:
        grid[i, j] += n
    return list(day_index), grid


def _protect(counts: npt.NDArray[np.int64], *, row_totals: bool = False) -> ProtectedTable:
    return disclosure_control(counts, row_totals=row_totals, options=disclosure_options())


def _with_years(
    years: Sequence[str], cells: Sequence[Sequence[str]]
) -> tuple[tuple[str, ...], ...]:
    return tuple((year, *row) for year, row in zip(years, cells, strict=True))


def _shown(protected: ProtectedTable, i: int, j: int) -> bool:
    return not protected.suppressed[i][j]


def _decimal(value: float) -> str:
    """A figure to one decimal place, without a trailing ".0"."""
    return f"{round(value, 1):.1f}".removesuffix(".0")


# Flow through the programme ------------------------------------------------------------------

FLOW_DEFINITION = (
    "Referrals received in each financial year (1 April to 31 March), and how many of those "
    "referrals had, by the date the figures are correct as at: been accepted (accepted or "
    "allocated to a practitioner), been declined, started (the person attended, or attended "
    "late, a first intervention session), completed (an end report concluded it completed) or "
    "ended early (an end report concluded it ended early). Each referral is counted in the year "
    "it was received, whenever the later steps happened."
)


def referral_flow_table(*, as_at: dt.date) -> PublishedTable:
    """Referrals received, accepted, declined, started, completed and ended early, by year of
    referral, as at `as_at`."""
    end = _day_after(as_at)
    history = ReferralStatusChange.objects.filter(referral=OuterRef("pk"), changed_at__lt=end)
    allocated = Allocation.objects.filter(referral=OuterRef("pk"), allocated_at__lt=end)
    started = Session.objects.filter(
        allocation__referral=OuterRef("pk"), outcome__in=ATTENDED, scheduled_start__lt=end
    )
    reports = EndReport.objects.filter(allocation__referral=OuterRef("pk"), submitted_at__lt=end)
    accepted_statuses = (ReferralStatus.ACCEPTED, ReferralStatus.ALLOCATED)
    rows = (
        Referral.objects.filter(referred_at__lt=end)
        .annotate(day=TruncDate("referred_at"))
        .values("day")
        .annotate(
            received=Count("pk"),
            accepted=Count(
                "pk",
                filter=Q(Exists(history.filter(to_status__in=accepted_statuses)))
                | Q(Exists(allocated)),
            ),
            declined=Count(
                "pk", filter=Q(Exists(history.filter(to_status=ReferralStatus.DECLINED)))
            ),
            started=Count("pk", filter=Q(Exists(started))),
            completed=Count(
                "pk", filter=Q(Exists(reports.filter(conclusion=Conclusion.COMPLETED)))
            ),
            ended_early=Count(
                "pk", filter=Q(Exists(reports.filter(conclusion=Conclusion.ENDED_EARLY)))
            ),
        )
        .order_by("day")
    )
    fields = ("received", "accepted", "declined", "started", "completed", "ended_early")
    days, counts = _daily(rows, fields)
    years, grid = _fold_by_year(days, counts, as_at=as_at)
    protected = _protect(grid)
    return PublishedTable(
        key="referral-flow",
        title="Flow through the programme, by financial year of referral",
        definition=FLOW_DEFINITION,
        as_at=as_at,
        columns=(
            YEAR_OF_REFERRAL,
            "Received",
            "Accepted",
            "Declined",
            "Started",
            "Completed",
            "Ended early",
        ),
        rows=_with_years(years, protected.displayed),
        notes=(REFERRAL_NOTE, disclosure_note()),
        chart="bar",
    )


# Time from referral to first session ---------------------------------------------------------

WAIT_DEFINITION = (
    "For referrals received in each financial year whose person had attended (or attended "
    "late) a first intervention session by the date the figures are correct as at: the number "
    "of days from the day of referral to the day of that first session, as the median and the "
    "lower and upper quartiles (the 25th and 75th percentiles, by linear interpolation between "
    "the nearest values). Referrals still waiting for a first session are not included."
)


def time_to_first_session_table(*, as_at: dt.date) -> PublishedTable:
    """Days from referral to the first attended session: median and quartiles, by year of
    referral, as at `as_at`."""
    end = _day_after(as_at)
    pairs = (
        Referral.objects.filter(referred_at__lt=end)
        .annotate(
            first=Min(
                "allocations__sessions__scheduled_start",
                filter=Q(
                    allocations__sessions__outcome__in=ATTENDED,
                    allocations__sessions__scheduled_start__lt=end,
                ),
            )
        )
        .filter(first__isnull=False)
        .annotate(referred_day=TruncDate("referred_at"), first_day=TruncDate("first"))
        .values_list("referred_day", "first_day")
    )
    dates = np.array(list(pairs), dtype="datetime64[D]").reshape(-1, 2)
    waits = (dates[:, 1] - dates[:, 0]).astype(np.int64)
    starts = np.array(
        [_fy_start(day) for day in dates[:, 0].astype(dt.date)] if len(dates) else [],
        dtype=np.int64,
    )
    # One row per financial year (the per-referral years above are a vector, not a loop over
    # rows that builds anything else); the quartiles below are per year.
    years: list[str] = []
    counts: list[int] = []
    quartiles: list[npt.NDArray[np.float64] | None] = []
    if len(starts):
        for start in range(int(starts.min()), _fy_start(as_at) + 1):
            in_year = waits[starts == start]
            years.append(_year_labels([start])[0])
            counts.append(int(in_year.size))
            quartiles.append(
                np.percentile(in_year, [25, 50, 75]).astype(np.float64) if in_year.size else None
            )
    protected = _protect(np.array(counts, dtype=np.int64).reshape(-1, 1))
    threshold = disclosure_options().threshold
    rows: list[tuple[str, ...]] = []
    for i, year in enumerate(years):
        shown: tuple[str, ...]
        found = quartiles[i]
        if found is None or counts[i] < threshold or not _shown(protected, i, 0):
            shown = (NOT_PUBLISHED,) * 3
        else:
            shown = tuple(_decimal(float(v)) for v in found)
        rows.append((year, protected.displayed[i][0], shown[1], shown[0], shown[2]))
    return PublishedTable(
        key="time-to-first-session",
        title="Days from referral to first session, by financial year of referral",
        definition=WAIT_DEFINITION,
        as_at=as_at,
        columns=(
            YEAR_OF_REFERRAL,
            "Referrals with a first session",
            "Median (days)",
            "Lower quartile (days)",
            "Upper quartile (days)",
        ),
        rows=tuple(rows),
        notes=(
            REFERRAL_NOTE,
            "A day of referral and a day of first session are calendar days in UK time.",
            disclosure_note(derived="A median or quartile"),
        ),
        chart="line",
    )


# Attendance ----------------------------------------------------------------------------------

ATTENDANCE_DEFINITION = (
    "Intervention sessions held in each financial year with an outcome recorded by the date "
    "the figures are correct as at: attended, attended late, did not attend, or cancelled by "
    "the participant. The attendance rate is the sessions attended or attended late as a "
    "percentage of those sessions. Sessions cancelled by the provider, sessions moved to "
    "another time (the new session counts instead) and sessions with no outcome yet are left "
    "out. Sessions imported from earlier records count by their session date: attended and "
    "late as attended, did not attend as not attended; imported cancelled sessions are left "
    "out, since the records do not say who cancelled."
)
# Imported attendance with an outcome: "cancelled" does not say who cancelled, so, like a
# provider's cancellation, it is left out.
HISTORY_WITH_OUTCOME = (Attendance.ATTENDED, Attendance.LATE, Attendance.DID_NOT_ATTEND)


def attendance_table(*, as_at: dt.date) -> PublishedTable:
    """Sessions attended (with late), not attended, and the attendance rate, by year of session,
    as at `as_at`."""
    end = _day_after(as_at)
    rows = (
        Session.objects.filter(scheduled_start__lt=end, outcome__in=WITH_OUTCOME)
        .annotate(day=TruncDate("scheduled_start"))
        .values("day")
        .annotate(
            attended=Count("pk", filter=Q(outcome__in=ATTENDED)),
            missed=Count("pk", filter=~Q(outcome__in=ATTENDED)),
        )
        .order_by("day")
    )
    days, counts = _daily(rows, ("attended", "missed"))
    history = (
        HistoricalSession.objects.filter(
            session_date__lte=as_at, attendance__in=HISTORY_WITH_OUTCOME
        )
        .values(day=F("session_date"))
        .annotate(
            attended=Count("pk", filter=Q(attendance__in=RECEIVED)),
            missed=Count("pk", filter=~Q(attendance__in=RECEIVED)),
        )
        .order_by("day")
    )
    history_days, history_counts = _daily(history, ("attended", "missed"))
    years, grid = _fold_by_year(
        [*days, *history_days], np.concatenate([counts, history_counts]), as_at=as_at
    )
    # The total is a line with its two parts: secondary suppression keeps a small part hidden.
    protected = _protect(grid, row_totals=True)
    threshold = disclosure_options().threshold
    out: list[tuple[str, ...]] = []
    for i, year in enumerate(years):
        attended, missed = int(grid[i, 0]), int(grid[i, 1])
        total = attended + missed
        all_shown = all(_shown(protected, i, j) for j in range(3))
        rate = _decimal(100 * attended / total) if total >= threshold and all_shown else None
        out.append((year, *protected.displayed[i], rate or NOT_PUBLISHED))
    return PublishedTable(
        key="attendance",
        title="Attendance at intervention sessions, by financial year",
        definition=ATTENDANCE_DEFINITION,
        as_at=as_at,
        columns=(
            YEAR,
            "Attended (including late)",
            "Did not attend or cancelled by participant",
            "Sessions with an outcome",
            "Attendance rate (%)",
        ),
        rows=tuple(out),
        notes=(
            "Counts are of sessions, not people.",
            disclosure_note(with_totals=True, derived="The attendance rate"),
        ),
        chart="line",
    )


# Concerns ------------------------------------------------------------------------------------

CONCERNS_DEFINITION = (
    "Concerns about a participant raised by practitioners in each financial year, by the type "
    "of concern recorded when it was raised (risk to others, risk to self, safeguarding, "
    "ideological, other), up to the date the figures are correct as at."
)


def _by_category_table(
    *,
    key: str,
    title: str,
    definition: str,
    as_at: dt.date,
    rows: Iterable[dict[str, Any]],
    categories: Sequence[tuple[str, str]],
    first_column: str,
    notes: Sequence[str],
) -> PublishedTable:
    days, counts = _daily_by_category(rows, [code for code, _ in categories])
    years, grid = _fold_by_year(days, counts, as_at=as_at)
    protected = _protect(grid, row_totals=True)
    return PublishedTable(
        key=key,
        title=title,
        definition=definition,
        as_at=as_at,
        columns=(first_column, *(label for _, label in categories), TOTAL),
        rows=_with_years(years, protected.displayed),
        notes=(*notes, disclosure_note(with_totals=True)),
        chart="bar",
    )


def concerns_by_type_table(*, as_at: dt.date) -> PublishedTable:
    """Concerns raised, by type and financial year, as at `as_at`."""
    rows = (
        Concern.objects.filter(raised_at__lt=_day_after(as_at))
        .annotate(day=TruncDate("raised_at"))
        .values("day", "category")
        .annotate(n=Count("pk"))
        .order_by("day", "category")
    )
    return _by_category_table(
        key="concerns-by-type",
        title="Concerns raised, by type and financial year",
        definition=CONCERNS_DEFINITION,
        as_at=as_at,
        rows=rows,
        categories=[(str(code), str(label)) for code, label in ConcernCategory.choices],
        first_column=YEAR,
        notes=("Counts are of concerns, not people: one person can have several.",),
    )


# Breakdowns by strand and region -------------------------------------------------------------


def referrals_by_strand_table(*, as_at: dt.date) -> PublishedTable:
    """Referrals received, by the person's strand and financial year, as at `as_at`."""
    rows = (
        Referral.objects.filter(referred_at__lt=_day_after(as_at))
        .annotate(day=TruncDate("referred_at"))
        .values("day", category=F("participant__strand"))
        .annotate(n=Count("pk"))
        .order_by("day", "category")
    )
    return _by_category_table(
        key="referrals-by-strand",
        title="Referrals received, by strand and financial year",
        definition=(
            "Referrals received in each financial year (1 April to 31 March), by the "
            "programme strand the referred person is on now (probation licence, TPIM, TEO, "
            "custody, other), up to the date the figures are correct as at."
        ),
        as_at=as_at,
        rows=rows,
        categories=[(str(code), str(label)) for code, label in Strand.choices],
        first_column=YEAR_OF_REFERRAL,
        notes=(
            REFERRAL_NOTE,
            "The strand is the person's current strand, not the one at the time of referral.",
        ),
    )


def referrals_by_region_table(*, as_at: dt.date) -> PublishedTable:
    """Referrals received, by the person's region and financial year, as at `as_at`."""
    rows = (
        Referral.objects.filter(referred_at__lt=_day_after(as_at))
        .annotate(day=TruncDate("referred_at"))
        .values("day", category=F("participant__region__code"))
        .annotate(n=Count("pk"))
        .order_by("day", "category")
    )
    regions = list(Region.objects.order_by("name").values_list("code", "name"))
    return _by_category_table(
        key="referrals-by-region",
        title="Referrals received, by region and financial year",
        definition=(
            "Referrals received in each financial year (1 April to 31 March), by the region "
            "the referred person is in now, up to the date the figures are correct as at."
        ),
        as_at=as_at,
        rows=rows,
        categories=regions,
        first_column=YEAR_OF_REFERRAL,
        notes=(
            REFERRAL_NOTE,
            "The region is the person's current region, not the one at the time of referral.",
        ),
    )


# Every figure --------------------------------------------------------------------------------

FIGURES: dict[str, Callable[..., PublishedTable]] = {
    "referral-flow": referral_flow_table,
    "time-to-first-session": time_to_first_session_table,
    "attendance": attendance_table,
    "concerns-by-type": concerns_by_type_table,
    "referrals-by-strand": referrals_by_strand_table,
    "referrals-by-region": referrals_by_region_table,
}


def figure_table(key: str, *, as_at: dt.date) -> PublishedTable:
    """One figure by its key (raises KeyError for an unknown key)."""
    return FIGURES[key](as_at=as_at)


def all_figures(*, as_at: dt.date) -> list[PublishedTable]:
    """Every figure, in the order they are published, as at `as_at`."""
    return [build(as_at=as_at) for build in FIGURES.values()]
