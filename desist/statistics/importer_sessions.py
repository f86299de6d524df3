"""Import past intervention sessions from a CSV file: check every row, then write all or nothing.

The columns are documented in docs/import-sessions.md. Made for whole programme histories
(millions of rows): references are mapped to participants with one query, existing records are
read once per chunk of participants, and new rows are written with bulk_create in batches, so
the number of queries does not grow with the number of rows. One audit event records the run
(file name, hash and counts, no personal data).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.people.importer import CsvFile, ImportFailed, ImportResult, RowError, read_csv
from desist.people.models import Participant
from desist.statistics.constants import Attendance
from desist.statistics.models import HistoricalSession

REQUIRED_COLUMNS = ("participant_id", "session_date", "attendance")
OPTIONAL_COLUMNS: tuple[str, ...] = ()
BATCH_SIZE = 5000
# SQLite allows 999 parameters in a statement; stay under it on every backend.
_IN_CHUNK = 900
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Listing every bad row of a two-million-row file helps nobody; the count is still given.
_ERROR_LIMIT = 200

Key = tuple[int, dt.date, str]


def _chunks(items: Sequence[int], size: int = _IN_CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _DateCleaner:
    """ISO dates, each distinct text parsed once (a history repeats the same days a lot)."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.seen: dict[str, dt.date | str] = {}

    def __call__(self, text: str) -> dt.date | str:
        """The date, or the message saying why the text is not an acceptable one."""
        found = self.seen.get(text)
        if found is None:
            found = self._clean(text)
            self.seen[text] = found
        return found

    def _clean(self, text: str) -> dt.date | str:
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            return f'"{text[:40]}" is not a date in the format YYYY-MM-DD'
        if day > self.today:
            return f'"{text}" is in the future'
        return day


def _keys(csv_file: CsvFile, references: dict[str, int], today: dt.date) -> list[tuple[int, Key]]:
    """(row number, key) for every row, or ImportFailed naming each bad cell."""
    clean_date = _DateCleaner(today)
    attendances = {value: value for value in Attendance.values}
    errors: list[RowError] = []
    error_count = 0
    keys: list[tuple[int, Key]] = []
    for row in csv_file.rows:
        cells = row.cells
        row_errors: list[RowError] = []
        reference = cells["participant_id"]
        participant_id = references.get(reference)
        if not reference:
            row_errors.append(RowError(row.number, "participant_id", "is blank but is required"))
        elif participant_id is None:
            row_errors.append(
                RowError(
                    row.number,
                    "participant_id",
                    f'"{reference[:40]}" is not the reference of any participant',
                )
            )
        date_text = cells["session_date"]
        day = clean_date(date_text) if date_text else "is blank but is required"
        if isinstance(day, str):
            row_errors.append(RowError(row.number, "session_date", day))
        attendance_text = cells["attendance"]
        attendance = attendances.get(attendance_text.lower())
        if attendance is None:
            message = (
                f'"{attendance_text[:40]}" is not one of: {", ".join(Attendance.values)}'
                if attendance_text
                else "is blank but is required"
            )
            row_errors.append(RowError(row.number, "attendance", message))
        if row_errors or participant_id is None or attendance is None or isinstance(day, str):
            error_count += len(row_errors)
            errors.extend(row_errors[: max(0, _ERROR_LIMIT - len(errors))])
            continue
        keys.append((row.number, (participant_id, day, attendance)))
    if errors:
        if error_count > len(errors):
            errors.append(
                RowError(None, None, f"... and {error_count - len(errors)} more problem(s)")
            )
        raise ImportFailed(errors)
    return keys


def _reference_map() -> dict[str, int]:
    """Every participant's reference and primary key, in one query."""
    return dict(Participant.objects.values_list("reference", "pk").iterator(chunk_size=10_000))


def _existing(participant_ids: Iterable[int]) -> set[Key]:
    wanted = sorted(set(participant_ids))
    found: set[Key] = set()
    for chunk in _chunks(wanted):
        found.update(
            HistoricalSession.objects.filter(participant_id__in=chunk).values_list(
                "participant_id", "session_date", "attendance"
            )
        )
    return found


def sessions_import(*, path: Path, actor: User | None, dry_run: bool = False) -> ImportResult:
    """Add a historical session for each row of a CSV file, or change nothing.

    Rows already held (the same participant, day and attendance, from any earlier file, or
    earlier in this one) count as unchanged, so importing a file twice adds nothing.
    Raises ImportFailed listing every problem found. A dry run checks and counts only.
    """
    csv_file = read_csv(path, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    today = timezone.localdate()
    keys = _keys(csv_file, _reference_map(), today)
    existing = _existing(key[0] for _, key in keys)
    new: dict[Key, int] = {}
    for number, key in keys:
        if key not in existing:
            new.setdefault(key, number)
    counts = {"created": len(new), "updated": 0, "unchanged": len(keys) - len(new)}
    if dry_run:
        return ImportResult(rows=len(keys), dry_run=True, **counts)

    now = timezone.now()
    source = csv_file.name[: HistoricalSession._meta.get_field("source").max_length or 255]
    with transaction.atomic():
        # In batches built one at a time: two million model instances at once would not fit.
        pending = list(new)
        for start in range(0, len(pending), BATCH_SIZE):
            HistoricalSession.objects.bulk_create(
                [
                    HistoricalSession(
                        participant_id=participant_id,
                        session_date=day,
                        attendance=attendance,
                        source=source,
                        imported_at=now,
                        imported_by=actor,
                    )
                    for participant_id, day, attendance in pending[start : start + BATCH_SIZE]
                ]
            )
        audit_record(
            actor=actor,
            action=Action.IMPORT,
            entity=HistoricalSession._meta.label_lower,
            entity_id="",
            changes={
                "file": csv_file.name,
                "sha256": csv_file.sha256,
                "rows": len(keys),
                **counts,
            },
        )
    return ImportResult(rows=len(keys), dry_run=False, **counts)
