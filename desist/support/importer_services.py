"""Import the service directory from a CSV file: check every row first, then write all or
nothing (`desist import services FILE.csv`).

The columns are documented in docs/import-services.md. It reuses the participant import's
reading of the file and its result and error types (desist.people.importer), so both imports
report problems the same way ("Row 4, pathways: ..."). Writes go through
desist.support.services_directory one service at a time, so each is validated and audited
exactly as a change made on the directory pages; one more audit event summarises the run (file
name, hash and counts). Rows are matched to existing services on `code`, so importing the same
file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from desist.accounts.constants import Role
from desist.accounts.models import Region, User
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.people.importer import CsvFile, CsvRow, ImportFailed, ImportResult, RowError, read_csv
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service
from desist.support.services_directory import (
    OLDEST_AGE,
    check_service_details,
    service_create,
    service_update,
)

REQUIRED_COLUMNS = ("code", "name", "pathways")
OPTIONAL_COLUMNS = (
    "description",
    "regions",
    "national",
    "eligible_sex",
    "min_age",
    "max_age",
    "phone",
    "email",
    "website",
    "address",
    "opening_hours",
)
# What a blank cell (or a column left out of a new service's row) means.
BLANK: dict[str, Any] = {
    "description": "",
    "regions": [],
    "national": False,
    "eligible_sex": EligibleSex.ANY,
    "min_age": None,
    "max_age": None,
    "phone": "",
    "email": "",
    "website": "",
    "address": "",
    "opening_hours": "",
}
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_QUOTE_LIMIT = 40


class _CellError(Exception):
    pass


def _quote(value: str) -> str:
    shown = value if len(value) <= _QUOTE_LIMIT else value[: _QUOTE_LIMIT - 1] + "…"
    return f"'{shown}'"


def _codes(text: str) -> list[str]:
    """A semicolon-separated list, each code once, lower-cased."""
    return list(dict.fromkeys(part.strip().lower() for part in text.split(";") if part.strip()))


class _RowCleaner:
    """Turns the text of each cell into the value to store, or a message saying why not."""

    def __init__(self, regions: Mapping[str, Region]) -> None:
        self.regions = regions
        self.cleaners: dict[str, Callable[[str], Any]] = {
            "code": str.lower,
            "name": str,
            "description": str,
            "pathways": self._pathways,
            "regions": self._regions,
            "national": self._boolean,
            "eligible_sex": self._eligible_sex,
            "min_age": self._age,
            "max_age": self._age,
            "phone": str,
            "email": str,
            "website": str,
            "address": self._address,
            "opening_hours": str,
        }

    def clean(self, row: CsvRow) -> tuple[dict[str, Any], list[RowError]]:
        """Values by column (blank cells as BLANK), and the errors found in the row's cells."""
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        for column, text in row.cells.items():
            if not text:
                if column in REQUIRED_COLUMNS:
                    errors.append(RowError(row.number, column, "is blank but is required"))
                else:
                    values[column] = BLANK[column]
                continue
            try:
                values[column] = self.cleaners[column](text)
            except _CellError as exc:
                errors.append(RowError(row.number, column, str(exc)))
        return values, errors

    @staticmethod
    def _pathways(text: str) -> list[str]:
        codes = _codes(text)
        for code in codes:
            if code not in Pathway.values:
                raise _CellError(
                    f"{_quote(code)} is not a pathway; use one of: {', '.join(Pathway.values)}"
                )
        # In the order pathways are always listed, as the directory stores them.
        return [code for code in Pathway.values if code in codes]

    def _regions(self, text: str) -> list[Region]:
        found = []
        for code in _codes(text):
            region = self.regions.get(code)
            if region is None:
                raise _CellError(
                    f"{_quote(code)} is not a region; use one of: {', '.join(self.regions)}, "
                    "or leave it blank and set national to true"
                )
            found.append(region)
        return found

    @staticmethod
    def _boolean(text: str) -> bool:
        value = text.lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise _CellError(f"{_quote(text)} is not true or false")

    @staticmethod
    def _eligible_sex(text: str) -> str:
        value = text.lower()
        if value not in EligibleSex.values:
            raise _CellError(f"{_quote(text)} is not one of: {', '.join(EligibleSex.values)}")
        return value

    @staticmethod
    def _age(text: str) -> int:
        if not text.isdigit() or int(text) > OLDEST_AGE:
            raise _CellError(f"{_quote(text)} is not a whole number from 0 to {OLDEST_AGE}")
        return int(text)

    @staticmethod
    def _address(text: str) -> str:
        # A spreadsheet cell holds one line; "|" or a line break separates the lines.
        return "\n".join(line.strip() for line in text.replace("|", "\n").splitlines())


@dataclass
class _Plan:
    row: int
    service: Service | None  # None: create
    values: dict[str, Any]  # every field, as it will be after the import

    def differs(self) -> bool:
        service = self.service
        if service is None:
            return True
        for name, value in self.values.items():
            if name == "regions":
                if sorted(r.pk for r in value) != sorted(r.pk for r in service.regions.all()):
                    return True
            elif getattr(service, name) != value:
                return True
        return False

    @property
    def outcome(self) -> str:
        if self.service is None:
            return "created"
        return "updated" if self.differs() else "unchanged"


def _current(service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "description": service.description,
        "pathways": list(service.pathways),
        "regions": list(service.regions.all()),
        "national": service.national,
        "eligible_sex": service.eligible_sex,
        "min_age": service.min_age,
        "max_age": service.max_age,
        "phone": service.phone,
        "email": service.email,
        "website": service.website,
        "address": service.address,
        "opening_hours": service.opening_hours,
    }


def _rule_errors(row: int, values: dict[str, Any]) -> list[RowError]:
    """The directory's own rules (the same the pages apply), as errors naming the column."""
    try:
        check_service_details(
            code=values["code"],
            name=values["name"],
            pathways=values["pathways"],
            national=values["national"],
            region_count=len(values["regions"]),
            eligible_sex=values["eligible_sex"],
            min_age=values["min_age"],
            max_age=values["max_age"],
            phone=values["phone"],
            email=values["email"],
            website=values["website"],
            address=values["address"],
            opening_hours=values["opening_hours"],
        )
    except ValidationError as exc:
        return _errors_from(row, exc)
    return []


def _errors_from(row: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(row, None, message) for message in exc.messages]
    return [
        RowError(row, None if name == "__all__" else name, message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def _plans(csv_file: CsvFile) -> list[_Plan]:
    """What to do for each row, or ImportFailed with every problem in the file."""
    cleaner = _RowCleaner({region.code: region for region in Region.objects.order_by("code")})
    codes = [row.cells["code"].lower() for row in csv_file.rows if row.cells["code"]]
    existing = {
        service.code: service
        for service in Service.objects.filter(code__in=codes).prefetch_related("regions")
    }
    first_row_of: dict[str, int] = {}
    plans: list[_Plan] = []
    errors: list[RowError] = []
    for row in csv_file.rows:
        cells, row_errors = cleaner.clean(row)
        code = cells.get("code")
        if code:
            if code in first_row_of:
                row_errors.append(
                    RowError(
                        row.number, "code", f"{_quote(code)} is also on row {first_row_of[code]}"
                    )
                )
            else:
                first_row_of[code] = row.number
        if row_errors:
            errors.extend(row_errors)
            continue
        service = existing.get(code or "")
        # A column left out of the file keeps an existing service's value; a new one gets the
        # blank value.
        values = {**(BLANK if service is None else _current(service)), **cells}
        rule_errors = _rule_errors(row.number, values)
        if rule_errors:
            errors.extend(rule_errors)
            continue
        plans.append(_Plan(row.number, service, values))
    if errors:
        raise ImportFailed(errors)
    return plans


def _apply(plan: _Plan, *, actor: User | None) -> str:
    if plan.service is None:
        service_create(actor=actor, **plan.values)
        return "created"
    changes = service_update(
        actor=actor, service=plan.service, active=plan.service.active, **plan.values
    )
    return "updated" if changes else "unchanged"


def services_import(*, path: Path, actor: User | None, dry_run: bool = False) -> ImportResult:
    """Create or update a directory service for each row of a CSV file, or change nothing.

    Raises ImportFailed listing every problem found. A dry run checks and counts only.
    """
    if actor is not None and not actor.has_role(Role.PROGRAMME_MANAGER):
        raise ImportFailed(
            [
                RowError(
                    None,
                    None,
                    f"--actor {actor.username} is not a programme manager; only programme "
                    "managers change the service directory",
                )
            ]
        )
    csv_file = read_csv(path, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    plans = _plans(csv_file)
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
                    counts[_apply(plan, actor=actor)] += 1
            except ValidationError as exc:
                errors.extend(_errors_from(plan.row, exc))
            except (DatabaseError, PermissionDenied) as exc:
                errors.append(RowError(plan.row, None, f"could not be saved: {exc}"))
        if errors:
            raise ImportFailed(errors)
        audit_record(
            actor=actor,
            action=Action.IMPORT,
            entity=Service._meta.label_lower,
            entity_id="",
            changes={
                "file": csv_file.name,
                "sha256": csv_file.sha256,
                "rows": len(plans),
                **counts,
            },
        )
    return ImportResult(rows=len(plans), dry_run=False, **counts)
