"""Questionnaires and progress measures as data.

An instrument is one version of a needs and strengths questionnaire or of a progress measure,
written as a YAML (or JSON) file, checked against `instruments/schema.json` (JSON Schema
Draft 2020-12) and then against the rules a schema cannot say (keys unique, pathway codes
that exist, ranges in order, anchors within range). A bad file is refused with every problem
named by file and entry, e.g.::

    needs-v2.yaml: pathways[3].questions[0].type: 'slider' is not one of
    ['choice', 'text', 'yes_no']

Loading stores an `Instrument` row with a SHA-256 checksum of the canonical JSON. Loading the
same key and version again with the same content changes nothing; with different content it is
refused (a change is a new version, so records keep the definition they were made with).
Loading a new version takes older versions of the same key out of use for new records.

This module also holds the pure rules for records made with an instrument: which answers and
scores a definition accepts (`answer_problems`, `score_problems`).

`desist instruments load PATH...` (desist/support/management/commands/instruments.py) and the
data migration that loads the shipped files both come here; see docs/instruments.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.utils import timezone
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError as SchemaError  # type: ignore[import-untyped]

from desist.support.constants import InstrumentKind, Pathway

if TYPE_CHECKING:
    import datetime as dt

    from desist.accounts.models import User
    from desist.support.models import Instrument

SHIPPED_DIR = Path(__file__).resolve().parent / "instruments"
SCHEMA_PATH = SHIPPED_DIR / "schema.json"
# The files the data migration loads. A new shipped version needs its own data migration
# (calling `load_shipped` with its file name), so every deployment gets it the same way.
SHIPPED_FILES = ("needs-assessment-v1.yaml", "ons4-v1.yaml")
FILE_SUFFIXES = (".yaml", ".yml", ".json")

QUESTION_TYPES = ("choice", "text", "yes_no")
YES_NO = ("yes", "no")
TEXT_MAX_LENGTH = 2000

# Properties the schema allows only in one kind of file or question, and why.
_ONLY_FOR = {
    "items": "'items' belongs in a measure; a needs_assessment has 'pathways'",
    "pathways": "'pathways' belongs in a needs_assessment; a measure has 'items'",
    "options": "'options' is only for questions of type 'choice'",
    "max_length": "'max_length' is only for questions of type 'text'",
}
_MESSAGE_LIMIT = 300

PathPart = str | int


class InstrumentFileError(Exception):
    """A file (or files) that cannot be loaded. `problems` names each bad entry."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# Reading and checking ------------------------------------------------------------------------


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema() -> dict[str, Any]:
    """The JSON Schema every instrument file is checked against."""
    loaded: dict[str, Any] = _validator().schema
    return loaded


def read_file(path: Path) -> Any:
    """The parsed content of a YAML or JSON file; InstrumentFileError naming the file (and the
    line, for a syntax error) if it cannot be read."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentFileError([f"{name}: no such file ({path})"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InstrumentFileError([f"{name}: cannot be read as UTF-8 text ({error})"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InstrumentFileError([f"{name}: {where}not valid YAML ({problem})"]) from None


def entry_path(parts: Iterable[PathPart]) -> str:
    """["pathways", 3, "questions", 0, "type"] as "pathways[3].questions[0].type"."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _schema_message(error: SchemaError) -> tuple[list[PathPart], str]:
    path: list[PathPart] = list(error.absolute_path)
    if error.validator == "not" and isinstance(error.validator_value, dict):
        names = error.validator_value.get("required") or []
        if names:
            name = names[0]
            return [*path, name], _ONLY_FOR.get(name, f"'{name}' is not allowed here")
    if error.validator == "pattern" and path and path[-1] in ("key", "value"):
        return path, (
            f"{error.instance!r} is not a valid key: use lower-case letters and digits, joined "
            "by '-' for an instrument key or '_' for an item, question or option key"
        )
    message = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 3] + "..."
    return path, message


def _sort_key(path: Sequence[PathPart]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _duplicates(
    values: Iterable[Any], where: Sequence[PathPart], what: str
) -> list[tuple[list[PathPart], str]]:
    """A problem for each value that repeats an earlier one."""
    first: dict[Any, int] = {}
    found: list[tuple[list[PathPart], str]] = []
    for index, value in enumerate(values):
        if value in first:
            earlier = entry_path([*where, first[value]])
            found.append(
                ([*where, index], f"{what} {value!r} is used more than once (also at {earlier})")
            )
        else:
            first[value] = index
    return found


def _needs_problems(definition: Mapping[str, Any]) -> list[tuple[list[PathPart], str]]:
    found: list[tuple[list[PathPart], str]] = []
    pathways = definition["pathways"]
    for index, entry in enumerate(pathways):
        code = entry["pathway"]
        if code not in Pathway.values:
            found.append(
                (
                    ["pathways", index, "pathway"],
                    f"{code!r} is not a pathway code; use one of {sorted(Pathway.values)}",
                )
            )
        questions = entry.get("questions", [])
        where: list[PathPart] = ["pathways", index, "questions"]
        found += _duplicates((q["key"] for q in questions), where, "question key")
        for number, question in enumerate(questions):
            found += _duplicates(
                (option["value"] for option in question.get("options", [])),
                [*where, number, "options"],
                "option value",
            )
    found += _duplicates((entry["pathway"] for entry in pathways), ["pathways"], "pathway")
    return found


def _measure_problems(definition: Mapping[str, Any]) -> list[tuple[list[PathPart], str]]:
    found: list[tuple[list[PathPart], str]] = []
    items = definition["items"]
    found += _duplicates((item["key"] for item in items), ["items"], "item key")
    for index, item in enumerate(items):
        low, high = item["min"], item["max"]
        if low >= high:
            found.append((["items", index, "max"], f"max ({high}) must be more than min ({low})"))
            continue
        anchors = item.get("anchors", [])
        for number, anchor in enumerate(anchors):
            if not low <= anchor["value"] <= high:
                found.append(
                    (
                        ["items", index, "anchors", number, "value"],
                        f"{anchor['value']} is outside the item's range, {low} to {high}",
                    )
                )
        found += _duplicates(
            (anchor["value"] for anchor in anchors), ["items", index, "anchors"], "anchor value"
        )
    return found


def problems_in(definition: Any, *, source: str) -> list[str]:
    """Every problem with a definition, each as "source: entry: what is wrong". Empty when the
    definition can be loaded. The schema is checked first; the rules it cannot express only
    once the shape is right."""
    schema_errors = list(_validator().iter_errors(definition))
    located = [_schema_message(error) for error in schema_errors]
    if not located:
        kind = definition["kind"]
        if kind == InstrumentKind.NEEDS_ASSESSMENT:
            located = _needs_problems(definition)
        else:
            located = _measure_problems(definition)
    located.sort(key=lambda pair: (_sort_key(pair[0]), pair[1]))
    problems = []
    for path, message in located:
        where = entry_path(path)
        problems.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
    return problems


def check_definition(definition: Any, *, source: str) -> None:
    problems = problems_in(definition, source=source)
    if problems:
        raise InstrumentFileError(problems)


def canonical_json(definition: Any) -> str:
    """The definition as JSON with sorted keys and no spaces: the same content always gives the
    same text, whatever the layout or key order of the file."""
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def definition_sha256(definition: Any) -> str:
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


# Storing -------------------------------------------------------------------------------------


@dataclass
class Stored:
    instrument: Any  # an Instrument, or the migration's historical model of it
    created: bool
    deactivated: list[Any] = field(default_factory=list)


def _store(
    model: Any, definition: Mapping[str, Any], *, source: str, now: dt.datetime, retire: bool
) -> Stored:
    """Write one checked definition with `model` (the real Instrument, or the historical model a
    migration gives). No audit here: the callers decide."""
    key, version, kind = definition["key"], definition["version"], definition["kind"]
    digest = definition_sha256(definition)
    versions = model.objects.select_for_update().filter(key=key)
    existing = versions.filter(version=version).first()
    if existing is not None:
        if existing.sha256 == digest:
            return Stored(instrument=existing, created=False)
        raise InstrumentFileError(
            [
                f"{source}: {key} version {version} is already loaded with different content. "
                "Loaded versions never change, so records keep the questions they were made "
                f"with: give the changed file a new version number (version: "
                f"{_next_version(versions)})."
            ]
        )
    other_kind = versions.exclude(kind=kind).first()
    if other_kind is not None:
        raise InstrumentFileError(
            [
                f"{source}: kind: {key} is a {other_kind.kind} (version {other_kind.version}); "
                f"a new version cannot be a {kind}. Use a new key."
            ]
        )
    newer_exists = versions.filter(version__gt=version).exists()
    instrument = model.objects.create(
        kind=kind,
        key=key,
        version=version,
        title=definition["title"],
        definition=json.loads(canonical_json(definition)),
        sha256=digest,
        credit=definition.get("credit", "").strip(),
        loaded_at=now,
        active=not (retire and newer_exists),
    )
    deactivated: list[Any] = []
    if retire:
        deactivated = list(versions.filter(version__lt=version, active=True))
        for older in deactivated:
            older.active = False
            older.save(update_fields=["active"])
    return Stored(instrument=instrument, created=True, deactivated=deactivated)


def _next_version(versions: Any) -> int:
    latest = versions.order_by("-version").values_list("version", flat=True).first()
    return int(latest or 0) + 1


@dataclass(frozen=True)
class LoadResult:
    source: str
    instrument: Instrument
    created: bool
    deactivated: tuple[Instrument, ...] = ()


@transaction.atomic
def instrument_load(
    *,
    definition: Any,
    actor: User | None,
    source: str = "",
    retire_older: bool = True,
) -> LoadResult:
    """Check and store one definition, auditing what changed. With `retire_older`, versions
    of the same key older than this one are no longer offered for new records (the records
    made with them keep them)."""
    from desist.audit.constants import Action
    from desist.audit.services import audit_change
    from desist.support.models import Instrument

    source = source or "definition"
    check_definition(definition, source=source)
    stored = _store(Instrument, definition, source=source, now=timezone.now(), retire=retire_older)
    instrument: Instrument = stored.instrument
    if stored.created:
        audit_change(
            actor=actor,
            obj=instrument,
            action=Action.CREATE,
            changes={
                "kind": [None, instrument.kind],
                "key": [None, instrument.key],
                "version": [None, instrument.version],
                "title": [None, instrument.title],
                "sha256": [None, instrument.sha256],
                "active": [None, instrument.active],
                "source": [None, source],
            },
        )
    for older in stored.deactivated:
        audit_change(
            actor=actor,
            obj=older,
            action=Action.UPDATE,
            changes={"active": [True, False], "replaced_by_version": [None, instrument.version]},
        )
    return LoadResult(
        source=source,
        instrument=instrument,
        created=stored.created,
        deactivated=tuple(stored.deactivated),
    )


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a directory stands for the instrument files in it (not schema.json)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.suffix in FILE_SUFFIXES and p.name != SCHEMA_PATH.name
            )
        else:
            found.append(path)
    return found


@transaction.atomic
def instruments_load_files(
    *, paths: Iterable[Path], actor: User | None, retire_older: bool = True
) -> list[LoadResult]:
    """Load several files, all or nothing: every file is read and checked first and the
    problems of all of them are reported together; a refusal while storing undoes the files
    stored before it."""
    files = expand_paths(paths)
    if not files:
        raise InstrumentFileError(["No instrument files given."])
    problems: list[str] = []
    definitions: list[tuple[str, Any]] = []
    for path in files:
        try:
            definition = read_file(path)
        except InstrumentFileError as error:
            problems += error.problems
            continue
        problems += problems_in(definition, source=path.name)
        definitions.append((path.name, definition))
    if problems:
        raise InstrumentFileError(problems)
    return [
        instrument_load(definition=definition, actor=actor, source=name, retire_older=retire_older)
        for name, definition in definitions
    ]


@transaction.atomic
def load_shipped(instrument_model: Any, names: Iterable[str] = SHIPPED_FILES) -> list[Any]:
    """Load shipped files with the given model (a data migration passes its historical model).
    Idempotent: files already loaded with the same content change nothing. Not audited: the
    migration and the files in the repository are the record of what was shipped. Atomic (it
    locks the rows it compares), so it also works when called outside a migration."""
    loaded = []
    for name in names:
        path = SHIPPED_DIR / name
        definition = read_file(path)
        check_definition(definition, source=name)
        stored = _store(instrument_model, definition, source=name, now=timezone.now(), retire=True)
        loaded.append(stored.instrument)
    return loaded


# Records made with an instrument (pure rules) ------------------------------------------------


def pathway_definitions(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A needs assessment's pathways by code, in the order of the definition."""
    return {entry["pathway"]: entry for entry in definition.get("pathways", [])}


def item_definitions(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A measure's items by key, in the order of the definition."""
    return {item["key"]: item for item in definition.get("items", [])}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _answer_problem(question: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
    """The answer as stored, or a problem with it."""
    kind = question["type"]
    if kind == "yes_no":
        if isinstance(value, bool):
            return ("yes" if value else "no"), None
        if isinstance(value, str) and value.strip().lower() in YES_NO:
            return value.strip().lower(), None
        return None, "answer yes or no"
    if kind == "choice":
        values = [option["value"] for option in question["options"]]
        if isinstance(value, str) and value in values:
            return value, None
        labels = ", ".join(option["label"] for option in question["options"])
        return None, f"choose one of the options ({labels})"
    if not isinstance(value, str):
        return None, "the answer must be text"
    text = value.strip()
    limit = int(question.get("max_length", TEXT_MAX_LENGTH))
    if len(text) > limit:
        return None, f"the answer must be {limit} characters or fewer"
    return text, None


def answer_problems(
    pathway: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers to one pathway's questions checked against its definition: (the answers as
    stored, blanks left out; problems by question key). A key the pathway does not ask is a
    problem, and so is a required question left blank."""
    questions = {question["key"]: question for question in pathway.get("questions", [])}
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            problems[key] = "this pathway has no such question"
            continue
        if _blank(value):
            continue
        stored, problem = _answer_problem(question, value)
        if problem is not None:
            problems[key] = problem
        else:
            cleaned[key] = stored
    for key, question in questions.items():
        if question.get("required") and key not in cleaned and key not in problems:
            problems[key] = "answer this question"
    return cleaned, problems


def score_problems(
    items: Mapping[str, Mapping[str, Any]], scores: Mapping[str, Any]
) -> tuple[dict[str, int], dict[str, str]]:
    """Scores checked against a measure's items: (the scores as stored; problems by item key).
    Each score is a whole number within its item's range; items are required unless the
    definition says `required: false`."""
    cleaned: dict[str, int] = {}
    problems: dict[str, str] = {}
    for key, value in scores.items():
        item = items.get(key)
        if item is None:
            problems[key] = "this measure has no such item"
            continue
        if value is None:
            continue
        low, high = item["min"], item["max"]
        if isinstance(value, bool) or not isinstance(value, int):
            problems[key] = f"give a whole number from {low} to {high}"
        elif not low <= value <= high:
            problems[key] = f"{value} is outside the range {low} to {high}"
        else:
            cleaned[key] = value
    for key, item in items.items():
        if item.get("required", True) and key not in cleaned and key not in problems:
            problems[key] = f"give a score from {item['min']} to {item['max']}"
    return cleaned, problems
