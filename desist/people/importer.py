"""Import participants from a CSV file: check every row first, then write all or nothing.

The columns are documented in docs/import-participants.md. Writes go through the participant
services one by one, so each is validated and audited exactly as a change made in the web app;
one more audit event summarises the run (file name, hash and counts, no personal data).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from desist.accounts.constants import SUPERVISING_KINDS
from desist.accounts.models import Organisation, Region, User
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.people.constants import MappaCategory, MappaLevel, Sex, Status, Strand
from desist.people.identifiers import crn_error, normalise_pnc, pnc_error, prison_number_error
from desist.people.models import Alias, Participant
from desist.people.services import (
    alias_add,
    participant_create,
    participant_update,
)

REQUIRED_COLUMNS = ("participant_id", "given_name", "family_name", "date_of_birth", "strand")
OPTIONAL_COLUMNS = (
    "referral_date",
    "sex",
    "region",
    "supervising_organisation",
    "pnc_number",
    "prison_number",
    "probation_crn",
    "status",
    "custody_establishment",
    "expected_release_date",
    "mappa_category",
    "mappa_level",
    "aliases",
)
# Columns that are not a Participant field of the same name.
_FIELD_OF_COLUMN = {"participant_id": "reference"}
_COLUMN_OF_FIELD = {"reference": "participant_id"}
_NOT_FIELDS = frozenset({"status", "aliases"})
# The same organisations the participant form offers as supervising.
# SQLite allows 999 parameters in a statement; stay under it on every backend.
_IN_CHUNK = 900
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QUOTE_LIMIT = 40


@dataclass(frozen=True)
class RowError:
    """One problem, located as a spreadsheet user sees it: the header is row 1."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column is None:
            return f"Row {self.row}: {self.message}"
        return f"Row {self.row}, {self.column}: {self.message}"


class ImportFailed(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = list(errors)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool


@dataclass(frozen=True)
class CsvRow:
    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    name: str
    sha256: str
    columns: tuple[str, ...]
    rows: list[CsvRow]


def read_csv(path: Path, *, required: Sequence[str], optional: Sequence[str]) -> CsvFile:
    """Decode and split a CSV file, checking its header. Cells come back stripped; rows with
    every cell blank are skipped (spreadsheets export them) without renumbering the rest."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed([RowError(None, None, f"Cannot read {path}: {exc.strerror}")]) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(
            [
                RowError(
                    None,
                    None,
                    f"{path.name} is not UTF-8 text (the first character that is not is on "
                    f'line {line}). Save it from your spreadsheet as "CSV UTF-8" and try again.',
                )
            ]
        ) from exc

    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0  # the last record read: on a CSV error, the next one is at fault
    try:
        header = next(records, None)
        if header is None:
            raise ImportFailed([RowError(None, None, f"{path.name} is empty")])
        number = 1
        columns = [name.strip().lower() for name in header]
        _check_header(columns, required=required, optional=optional)
        raw_rows: list[tuple[int, list[str]]] = []
        for number, record in enumerate(records, start=2):
            cells = [cell.strip() for cell in record]
            if any(cells):
                raw_rows.append((number, cells))
    except csv.Error as exc:
        # The reader cannot resynchronise after malformed quoting, so this ends the check.
        raise ImportFailed([RowError(number + 1, None, f"cannot be read as CSV: {exc}")]) from exc

    errors: list[RowError] = []
    unnamed = [i for i, name in enumerate(columns) if not name]
    for index in unnamed:
        if any(index < len(cells) and cells[index] for _, cells in raw_rows):
            errors.append(RowError(1, None, f"column {index + 1} has no heading but holds values"))
    rows: list[CsvRow] = []
    for number, cells in raw_rows:
        extra = [cell for cell in cells[len(columns) :] if cell]
        if extra:
            errors.append(
                RowError(number, None, f"has {len(cells)} cells but the header has {len(columns)}")
            )
            continue
        padded = cells + [""] * (len(columns) - len(cells))
        rows.append(
            CsvRow(number, {name: cell for name, cell in zip(columns, padded, strict=True) if name})
        )
    if errors:
        raise ImportFailed(errors)
    return CsvFile(
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        columns=tuple(name for name in columns if name),
        rows=rows,
    )


def _check_header(columns: list[str], *, required: Sequence[str], optional: Sequence[str]) -> None:
    errors: list[RowError] = []
    named = [name for name in columns if name]
    allowed = [*required, *optional]
    seen: set[str] = set()
    for name in named:
        if name in seen:
            errors.append(RowError(1, None, f'column "{name}" appears more than once'))
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        errors.append(RowError(1, None, f"missing required column(s): {', '.join(missing)}"))
    for name in dict.fromkeys(named):
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            errors.append(RowError(1, None, f'unknown column "{name}"{hint}'))
    if errors:
        raise ImportFailed(errors)


class _CellError(Exception):
    pass


def _quote(value: str) -> str:
    shown = value if len(value) <= _QUOTE_LIMIT else value[: _QUOTE_LIMIT - 1] + "…"
    return f'"{shown}"'


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _max_length(model: type[Participant] | type[Alias], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length


def _alias_key(given_name: str, family_name: str) -> tuple[str, str]:
    return " ".join(given_name.split()).casefold(), " ".join(family_name.split()).casefold()


class _RowCleaner:
    """Turns the text of each cell into the value to store, or a message saying why not."""

    def __init__(
        self,
        *,
        regions: Mapping[str, Region],
        organisations: Mapping[str, Organisation],
        today: dt.date,
    ) -> None:
        self.regions = regions
        self.organisations = organisations
        self.today = today
        self.cleaners: dict[str, Callable[[str], Any]] = {
            "participant_id": self._text("reference"),
            "given_name": self._text("given_name"),
            "family_name": self._text("family_name"),
            "date_of_birth": self._date_of_birth,
            "strand": self._choice(Strand.values),
            "referral_date": self._date,
            "sex": self._choice(Sex.values),
            "region": self._region,
            "supervising_organisation": self._organisation,
            "pnc_number": self._identifier(pnc_error, normalise_pnc),
            "prison_number": self._identifier(prison_number_error),
            "probation_crn": self._identifier(crn_error),
            "status": self._choice(Status.values),
            "custody_establishment": self._text("custody_establishment"),
            "expected_release_date": self._date,
            "mappa_category": self._choice([v for v in MappaCategory.values if v]),
            "mappa_level": self._choice([v for v in MappaLevel.values if v]),
            "aliases": self._aliases,
        }

    def clean(self, row: CsvRow) -> tuple[dict[str, Any], list[RowError]]:
        """Values of the non-blank cells by column, and the errors found in the row."""
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        for column, text in row.cells.items():
            if not text:
                if column in REQUIRED_COLUMNS:
                    errors.append(RowError(row.number, column, "is blank but is required"))
                continue
            try:
                values[column] = self.cleaners[column](text)
            except _CellError as exc:
                errors.append(RowError(row.number, column, str(exc)))
        return values, errors

    @staticmethod
    def _text(field_name: str) -> Callable[[str], str]:
        limit = _max_length(Participant, field_name)

        def clean(text: str) -> str:
            if len(text) > limit:
                raise _CellError(f"is {len(text)} characters long; the most allowed is {limit}")
            return text

        return clean

    @staticmethod
    def _choice(allowed: Sequence[str]) -> Callable[[str], str]:
        def clean(text: str) -> str:
            value = text.lower()
            if value not in allowed:
                raise _CellError(f"{_quote(text)} is not one of: {', '.join(allowed)}")
            return value

        return clean

    @staticmethod
    def _identifier(
        error_of: Callable[[str], str | None], normalise: Callable[[str], str] = str.upper
    ) -> Callable[[str], str]:
        def clean(text: str) -> str:
            if message := error_of(text):
                raise _CellError(f"{_quote(text)} is not valid. {message}")
            return normalise(text)

        return clean

    @staticmethod
    def _date(text: str) -> dt.date:
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _CellError(f"{_quote(text)} is not a date in the format YYYY-MM-DD") from None

    def _date_of_birth(self, text: str) -> dt.date:
        value = self._date(text)
        if value >= self.today:
            raise _CellError(f"{_quote(text)} is not in the past")
        return value

    def _region(self, text: str) -> Region:
        region = self.regions.get(text.lower())
        if region is None:
            raise _CellError(
                f"{_quote(text)} is not a region code; use one of: {', '.join(self.regions)}"
            )
        return region

    def _organisation(self, text: str) -> Organisation:
        return organisation_for_supervision(text, self.organisations, error=_CellError)

    @staticmethod
    def _aliases(text: str) -> list[tuple[str, str]]:
        aliases: dict[tuple[str, str], tuple[str, str]] = {}
        given_limit = _max_length(Alias, "given_name")
        family_limit = _max_length(Alias, "family_name")
        for part in text.split(";"):
            words = part.split()
            if not words:
                continue
            given_name, family_name = " ".join(words[:-1]), words[-1]
            if len(given_name) > given_limit or len(family_name) > family_limit:
                raise _CellError(f"{_quote(part.strip())} is too long for a name")
            aliases.setdefault(_alias_key(given_name, family_name), (given_name, family_name))
        return list(aliases.values())


def organisation_for_supervision(
    name: str,
    organisations: Mapping[str, Organisation],
    *,
    error: Callable[[str], Exception],
) -> Organisation:
    """The organisation of exactly this name, if it may supervise a participant."""
    organisation = organisations.get(name)
    if organisation is None:
        close = [o for o in organisations if o.casefold() == name.casefold()]
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise error(f"{_quote(name)} is not the name of an organisation{hint}")
    if organisation.kind not in SUPERVISING_KINDS:
        raise error(
            f"{_quote(name)} is not a probation or prison organisation "
            f'(its kind is "{organisation.get_kind_display()}")'
        )
    return organisation


@dataclass
class _Plan:
    row: int
    participant: Participant | None  # None: create
    data: dict[str, Any]  # Participant fields to set: all on create, only the changed on update
    status: str | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.participant is None:
            return "created"
        return "updated" if self.data or self.aliases else "unchanged"


def _existing_participants(references: Iterable[str]) -> dict[str, Participant]:
    wanted = sorted(set(references))
    found: dict[str, Participant] = {}
    for chunk in _chunks(wanted):
        for participant in Participant.objects.filter(reference__in=chunk):
            found[participant.reference] = participant
    return found


def _existing_aliases(participant_ids: Iterable[int]) -> dict[int, set[tuple[str, str]]]:
    wanted = sorted(set(participant_ids))
    found: dict[int, set[tuple[str, str]]] = {pk: set() for pk in wanted}
    for chunk in _chunks(wanted):
        rows = Alias.objects.filter(participant_id__in=chunk).values_list(
            "participant_id", "given_name", "family_name"
        )
        for participant_id, given_name, family_name in rows:
            found[participant_id].add(_alias_key(given_name, family_name))
    return found


def _differs(participant: Participant, name: str, value: Any) -> bool:
    model_field = Participant._meta.get_field(name)
    if model_field.is_relation:
        return bool(getattr(participant, getattr(model_field, "attname", name)) != value.pk)
    return bool(getattr(participant, name) != value)


def _plans(
    csv_file: CsvFile,
    *,
    default_region: Region | None,
    default_organisation: Organisation | None,
    today: dt.date,
) -> list[_Plan]:
    """What to do for each row, or ImportFailed with every problem in the file."""
    cleaner = _RowCleaner(
        regions={r.code: r for r in Region.objects.all()},
        organisations={o.name: o for o in Organisation.objects.all()},
        today=today,
    )
    existing = _existing_participants(
        row.cells["participant_id"] for row in csv_file.rows if row.cells["participant_id"]
    )
    existing_aliases = (
        _existing_aliases(p.pk for p in existing.values()) if "aliases" in csv_file.columns else {}
    )
    defaults: dict[str, tuple[Region | Organisation | None, str]] = {
        "region": (default_region, "--default-region"),
        "supervising_organisation": (default_organisation, "--default-organisation"),
    }
    first_row_of: dict[str, int] = {}
    plans: list[_Plan] = []
    errors: list[RowError] = []
    for row in csv_file.rows:
        values, row_errors = cleaner.clean(row)
        reference = values.get("participant_id")
        if reference is not None:
            if reference in first_row_of:
                row_errors.append(
                    RowError(
                        row.number,
                        "participant_id",
                        f"{_quote(reference)} is also on row {first_row_of[reference]}",
                    )
                )
            else:
                first_row_of[reference] = row.number
        participant = existing.get(reference) if reference is not None else None
        if participant is None:
            # A new record needs these; an existing one keeps its own when the cell is blank.
            for column, (default, option) in defaults.items():
                if column in values or any(e.column == column for e in row_errors):
                    continue
                if default is None:
                    row_errors.append(
                        RowError(row.number, column, f"has no value and no {option} was given")
                    )
                else:
                    values[column] = default
        if row_errors:
            errors.extend(row_errors)
            continue
        data = {
            _FIELD_OF_COLUMN.get(column, column): value
            for column, value in values.items()
            if column not in _NOT_FIELDS
        }
        aliases: list[tuple[str, str]] = values.get("aliases", [])
        if participant is None:
            plans.append(_Plan(row.number, None, data, values.get("status"), aliases))
        else:
            known = existing_aliases.get(participant.pk, set())
            plans.append(
                _Plan(
                    row.number,
                    participant,
                    {k: v for k, v in data.items() if _differs(participant, k, v)},
                    aliases=[a for a in aliases if _alias_key(*a) not in known],
                )
            )
    if errors:
        raise ImportFailed(errors)
    return plans


def _apply(plan: _Plan, *, actor: User | None, today: dt.date) -> str:
    if plan.participant is None:
        participant = participant_create(
            actor=actor, data=plan.data, status=plan.status or Status.REFERRED
        )
        outcome = "created"
    else:
        participant = plan.participant
        changes = (
            participant_update(actor=actor, participant=participant, data=plan.data)
            if plan.data
            else {}
        )
        outcome = "updated" if changes or plan.aliases else "unchanged"
    for given_name, family_name in plan.aliases:
        alias_add(
            actor=actor, participant=participant, given_name=given_name, family_name=family_name
        )
    return outcome


def _errors_from(row: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(row, None, message) for message in exc.messages]
    return [
        RowError(row, None if name == "__all__" else _COLUMN_OF_FIELD.get(name, name), message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def participants_import(
    *,
    path: Path,
    actor: User | None,
    default_region: str | None = None,
    default_organisation: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Create or update a participant for each row of a CSV file, or change nothing at all.

    Raises ImportFailed listing every problem found. A dry run checks and counts only.
    """
    today = today or timezone.localdate()
    option_errors: list[RowError] = []
    region = organisation = None
    if default_region:
        region = Region.objects.filter(code=default_region.strip().lower()).first()
        if region is None:
            option_errors.append(
                RowError(None, None, f"--default-region {_quote(default_region)} is not a region")
            )
    if default_organisation:
        try:
            organisation = organisation_for_supervision(
                default_organisation.strip(),
                {o.name: o for o in Organisation.objects.all()},
                error=_CellError,
            )
        except _CellError as exc:
            option_errors.append(RowError(None, None, f"--default-organisation: {exc}"))
    if option_errors:
        raise ImportFailed(option_errors)

    csv_file = read_csv(path, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    plans = _plans(csv_file, default_region=region, default_organisation=organisation, today=today)
    counts = dict.fromkeys(("created", "updated", "unchanged"), 0)
    if dry_run:
        for plan in plans:
            counts[plan.outcome] += 1
        return ImportResult(rows=len(plans), dry_run=True, **counts)

    errors: list[RowError] = []
    with transaction.atomic():
        for plan in plans:
            try:
                # A savepoint per row keeps the transaction usable after a failed row, so the
                # rest are still checked; any error rolls everything back below.
                with transaction.atomic():
                    counts[_apply(plan, actor=actor, today=today)] += 1
            except ValidationError as exc:
                errors.extend(_errors_from(plan.row, exc))
            except DatabaseError as exc:
                errors.append(RowError(plan.row, None, f"could not be saved: {exc}"))
        if errors:
            raise ImportFailed(errors)
        audit_record(
            actor=actor,
            action=Action.IMPORT,
            entity=Participant._meta.label_lower,
            entity_id="",
            changes={
                "file": csv_file.name,
                "sha256": csv_file.sha256,
                "rows": len(plans),
                **counts,
            },
        )
    return ImportResult(rows=len(plans), dry_run=False, **counts)
