"""Writes for proven reoffending runs: create (stored at once with the uploaded files;
computed by a background task queued on commit) and execute (that task's work). A run's index
events come from an uploaded file or from the programme's participants (their legal bases,
read when the run starts), whose offences file is linked to them (`desist.evaluation.linkage`).

Runs are aggregate statistics: the stored result holds counts and measures of the cohort and
its breakdowns, never a row per person, and the uploaded files are emptied when the run ends.
Audit records carry the options, file names and sizes, and counts, never a person id.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change
from desist.evaluation.constants import BREAKDOWN_LABELS, IndexSource, LinkedBy, RunStatus
from desist.evaluation.linkage import (
    NEEDS_A_FILE,
    LinkedOffences,
    link_offences,
    may_link_by,
    participant_index_events,
)
from desist.evaluation.models import FILE_FIELDS, ReoffendingRun
from desist.evaluation.runs import run_claim, run_done, run_failed, run_progress
from desist_analytics import (
    IndexEvents,
    Offences,
    ReoffendingInputError,
    ReoffendingOptions,
    ReoffendingOptionsError,
    proven_reoffending,
    read_index_events,
    read_offences,
)

SUFFIXES = (".csv", ".parquet")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
NAME_MAX = 255
ERROR_MAX = 2000
# Progress, per cent, after each step of a run.
READ_INDEX_EVENTS = 10
READ_OFFENCES = 40
COMPUTED = 70

# Which form field an options problem is about, from the start of its message.
_OPTION_FIELDS = (
    ("the extract date", "extract_date"),
    ("the cohort ends", "cohort_end"),
    ("cohort_start", "cohort_start"),
    ("cohort_end", "cohort_end"),
    ("extract_date", "extract_date"),
    ("follow_up_months", "follow_up_months"),
    ("waiting_months", "waiting_months"),
    ("unknown jurisdiction", "jurisdiction"),
    ("unknown breakdown", "by"),
    ("a breakdown", "by"),
)


def may_run_reoffending(user: User) -> bool:
    return bool(user.has_role(Role.ANALYST, Role.PROGRAMME_MANAGER))


def sentence(text: str) -> str:
    """A library message as a sentence: capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def options_field(error: ReoffendingOptionsError) -> str | None:
    """The form field an options problem is about, or None for the form as a whole."""
    message = str(error)
    for start, name in _OPTION_FIELDS:
        if message.startswith(start):
            return name
    return None


def reoffending_options(values: Mapping[str, Any]) -> ReoffendingOptions:
    """`ReoffendingOptions(**values)`, its problems raised as a ValidationError on the field
    they are about (so a form shows them where the user can put them right)."""
    try:
        return ReoffendingOptions(**values)
    except ReoffendingOptionsError as error:
        raise ValidationError({options_field(error) or "__all__": [sentence(str(error))]}) from None


def upload_errors(upload: UploadedFile | None) -> list[str]:
    """What is wrong with an uploaded file (nothing: an empty list)."""
    if upload is None:
        return ["Choose a file"]
    name = upload.name or ""
    if Path(name).suffix.lower() not in SUFFIXES:
        return ["The file must be a CSV (.csv) or Parquet (.parquet) file"]
    if not upload.size:
        return ["The file is empty"]
    if upload.size > MAX_UPLOAD_BYTES:
        return [f"The file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"]
    return []


def _safe_name(name: str) -> str:
    """The file's own name, without folders and with only plain characters, so it can be
    shown and used inside a temporary directory."""
    base = Path(name.replace("\\", "/")).name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(base).stem).strip("._") or "file"
    suffix = Path(base).suffix.lower()
    return (stem[: NAME_MAX - len(suffix)] + suffix)[:NAME_MAX]


def _read(upload: UploadedFile) -> bytes:
    return b"".join(upload.chunks())


@transaction.atomic
def reoffending_run_create(
    *,
    actor: User,
    index_events_file: UploadedFile | None,
    offences_file: UploadedFile | None,
    options: ReoffendingOptions,
    index_source: str = IndexSource.FILE,
    linked_by: str = "",
) -> ReoffendingRun:
    """Store a run with its files as "waiting to start", audited, and queue the background
    task (`desist.evaluation.tasks.run_reoffending`) for when this commits.

    With `index_source` "participants" the index events come from the programme's
    participants when the run starts, so there is no index events file, and `linked_by`
    (pseudonym, or PNC number for programme managers) says which identifier the offences
    file's `person_id` column holds.

    Raises:
        PermissionDenied: the actor is neither an analyst nor a programme manager.
        ValidationError: a file that is missing, of the wrong kind, empty or too large (on
            `index_events_file` or `offences_file`); an index events file given for a run on
            the participants; a missing or forbidden `linked_by`; a breakdown the
            participants' records cannot give (on `by`). The options themselves are checked
            when they are made (`reoffending_options`).
    """
    if not may_run_reoffending(actor):
        raise PermissionDenied("Only analysts and programme managers can run proven reoffending.")
    errors: dict[str, list[str]] = {}
    on_participants = index_source == IndexSource.PARTICIPANTS
    if index_source not in IndexSource.values:
        errors["index_source"] = ["Choose where the index events come from"]
    elif on_participants:
        errors.update(_participant_run_errors(actor, index_events_file, linked_by, options))
    elif problems := upload_errors(index_events_file):
        errors["index_events_file"] = problems
    if problems := upload_errors(offences_file):
        errors["offences_file"] = problems
    if errors or offences_file is None:
        raise ValidationError(errors)
    index_name, index_data, index_bytes = "", b"", 0
    if index_events_file is not None and not on_participants:
        index_name = _safe_name(index_events_file.name or "")
        index_data, index_bytes = _read(index_events_file), index_events_file.size or 0
    run = ReoffendingRun.objects.create(
        created_by=actor,
        created_at=timezone.now(),
        status=RunStatus.QUEUED,
        options=options.to_dict(),
        index_source=index_source,
        linked_by=linked_by if on_participants else "",
        index_events_name=index_name,
        index_events_data=index_data,
        offences_name=_safe_name(offences_file.name or ""),
        offences_data=_read(offences_file),
    )
    changes: dict[str, Any] = {
        "status": RunStatus.QUEUED.value,
        "options": run.options,
        "index_source": run.index_source,
    }
    if on_participants:
        changes["linked_by"] = run.linked_by
    else:
        changes["index_events_file"] = run.index_events_name
        changes["index_events_bytes"] = index_bytes
    changes["offences_file"] = run.offences_name
    changes["offences_bytes"] = offences_file.size
    audit_change(actor=actor, obj=run, action=Action.CREATE, changes=changes)
    from desist.evaluation.tasks import run_reoffending  # the task module imports this one

    run_id = run.pk
    transaction.on_commit(lambda: run_reoffending.enqueue(run_id))
    return run


def _participant_run_errors(
    actor: User,
    index_events_file: UploadedFile | None,
    linked_by: str,
    options: ReoffendingOptions,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if index_events_file is not None:
        errors["index_events_file"] = [
            "Remove the index events file: a run on the participants takes their index "
            "events from their legal bases"
        ]
    if linked_by not in LinkedBy.values:
        errors["linked_by"] = ["Choose which identifier the offences file uses"]
    elif not may_link_by(actor, linked_by):
        errors["linked_by"] = [
            "Only programme managers can link offences by PNC number: use the pseudonym"
        ]
    if wanted := [b for b in options.by if b in NEEDS_A_FILE]:
        names = " and ".join(BREAKDOWN_LABELS[b].lower() for b in wanted)
        errors["by"] = [
            f"Participants' records hold no {names}: choose other breakdowns, or upload an "
            "index events file with those columns"
        ]
    return errors


def _progress(run_id: int, done: int) -> None:
    run_progress(ReoffendingRun, run_id, done)


def _error_text(error: Exception, names: Mapping[str, str]) -> str:
    """What the user is told: a data or options problem in full (it names the file, row and
    column, and the temporary folder is replaced by the name of the uploaded file); any other
    error only by its kind, since its message could quote data."""
    if isinstance(error, ReoffendingOptionsError):
        return sentence(str(error))[:ERROR_MAX]
    if isinstance(error, ReoffendingInputError):
        text = str(error)
        for temporary, original in names.items():
            text = text.replace(temporary, original)
        return text[:ERROR_MAX]
    return f"The run could not be completed ({type(error).__name__}). Start a new run."


def reoffending_run_execute(*, run_id: int) -> ReoffendingRun | None:
    """Compute a waiting run: write its files to a temporary directory (under their own
    names), read them (or the participants' index events and the offences linked to them),
    compute proven reoffending, store the result (aggregates only, with how the offences
    file was linked), and empty the files, recording progress after each step (10 index
    events read, 40 offences read, 70 computed, 100 stored). Audited on behalf of the person
    who asked for it.

    Safe to run twice: a run that is not waiting is left alone (None). Problems with the data
    or the options mark the run failed with their message; any other error marks it failed
    with only the kind of error, and is raised again. Either way the files are emptied."""
    run = run_claim(ReoffendingRun, run_id)
    if run is None:
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="desist-reoffending-") as folder:
            offences_path = Path(folder, "offences", run.offences_name)
            offences_path.parent.mkdir()
            offences_path.write_bytes(bytes(run.offences_data))
            names = {str(offences_path): run.offences_name}
            if run.index_source == IndexSource.FILE:
                index_path = Path(folder, "index-events", run.index_events_name)
                index_path.parent.mkdir()
                index_path.write_bytes(bytes(run.index_events_data))
                names[str(index_path)] = run.index_events_name
            try:
                options = _options_from(run.options)
                linkage: dict[str, int] = {}
                index_events: IndexEvents
                if run.index_source == IndexSource.FILE:
                    index_events = read_index_events(index_path)
                else:
                    from_participants = participant_index_events(run.created_by)
                    index_events = from_participants.events
                    linkage["participants"] = from_participants.participants
                _progress(run_id, READ_INDEX_EVENTS)
                offences: Offences = read_offences(offences_path)
                if run.index_source == IndexSource.PARTICIPANTS:
                    linked: LinkedOffences = link_offences(run.created_by, offences, run.linked_by)
                    offences = linked.offences
                    linkage.update(linked.to_dict())
                _progress(run_id, READ_OFFENCES)
                result = proven_reoffending(index_events, offences, options).to_dict()
                if linkage:
                    result["linkage"] = linkage
                _progress(run_id, COMPUTED)
            except (ReoffendingInputError, ReoffendingOptionsError) as error:
                return _run_failed(run_id, _error_text(error, names))
    except Exception as error:
        _run_failed(run_id, _error_text(error, {}))
        raise
    return _run_done(run_id, result)


def _options_from(stored: Mapping[str, Any]) -> ReoffendingOptions:
    values = dict(stored)
    for name in ("cohort_start", "cohort_end", "extract_date"):
        values[name] = dt.date.fromisoformat(values[name])
    values["by"] = tuple(values.get("by", ()))
    return ReoffendingOptions(**values)


def _run_done(run_id: int, result: dict[str, Any]) -> ReoffendingRun | None:
    return run_done(
        ReoffendingRun,
        run_id,
        files=FILE_FIELDS,
        values={"result": result},
        audited={
            "cohort_size": result["cohort_size"],
            "reoffenders": result["reoffenders"],
            "reoffences": result["reoffences"],
            # A run on the participants reads their records: how many, never who.
            **(
                {"participants_read": result["linkage"]["participants"]}
                if "linkage" in result
                else {}
            ),
        },
    )


def _run_failed(run_id: int, reason: str) -> ReoffendingRun | None:
    return run_failed(ReoffendingRun, run_id, reason, files=FILE_FIELDS)
