"""Demo history: past intervention sessions from 2016 on, so the statistics pages, figures
and releases of `make demo` show years of figures, not just the current one.

Made the way a programme brings its past years in: a CSV file of
`participant_id,session_date,attendance` written to a temporary file and loaded by
`desist import sessions`'s own service (`sessions_import`), validated all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

from desist.people.models import Participant
from desist.statistics.constants import Attendance
from desist.statistics.importer_sessions import sessions_import
from desist.statistics.models import HistoricalSession

FIRST_YEAR = 2016  # the programme began in 2016/17
# Enough people for every year's figures to be above the disclosure threshold, few enough
# that a 100,000-participant demo does not spend minutes on history.
MOST_PEOPLE = 2_000
ATTENDANCE_WEIGHTS = {
    Attendance.ATTENDED: 0.74,
    Attendance.LATE: 0.08,
    Attendance.DID_NOT_ATTEND: 0.12,
    Attendance.CANCELLED: 0.06,
}


def _rows(references: list[str], *, seed: int, today: dt.date) -> list[tuple[str, str, str]]:
    """Each person has one spell of fortnightly sessions of three to eighteen months, starting
    between April 2016 and about a year ago, ending no later than yesterday."""
    dice = random.Random(seed)  # noqa: S311 - made-up demo data, not security
    first = dt.date(FIRST_YEAR, 4, 1)
    latest_start = today - dt.timedelta(days=365)
    span = max((latest_start - first).days, 1)
    kinds, weights = list(ATTENDANCE_WEIGHTS), list(ATTENDANCE_WEIGHTS.values())
    rows: list[tuple[str, str, str]] = []
    for reference in references:
        start = first + dt.timedelta(days=dice.randrange(span))
        sessions = dice.randint(6, 39)
        for i in range(sessions):
            day = start + dt.timedelta(days=14 * i + dice.randint(0, 3))
            if day >= today:
                break
            rows.append((reference, day.isoformat(), dice.choices(kinds, weights)[0].value))
    return rows


def demo_history_create(*, seed: int, today: dt.date) -> dict[str, int]:
    """Past sessions for up to MOST_PEOPLE demo participants, through the import service."""
    references = list(
        Participant.objects.order_by("pk").values_list("reference", flat=True)[:MOST_PEOPLE]
    )
    rows = _rows(references, seed=seed, today=today)
    if not rows:
        return {"historical_sessions": 0}
    with tempfile.TemporaryDirectory(prefix="desist-demo-") as folder:
        path = Path(folder) / "demo-past-sessions.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["participant_id", "session_date", "attendance"])
            writer.writerows(rows)
        result = sessions_import(path=path, actor=None)
    return {"historical_sessions": result.created}


def demo_history_delete() -> dict[str, int]:
    return {"historical_sessions": HistoricalSession.objects.all().delete()[0]}
