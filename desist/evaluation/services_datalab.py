"""Writes for Data Lab evaluations (METHODS.md section 4): create (stored at once with the two
uploaded files, computed by a background task queued on commit) and execute (that task's
work).

The treatment group is everyone in the uploaded treatment data file, or the programme's
participants the analyst chooses (by strand, status and referral date), whose rows are taken
from the treatment data file by pseudonym (`person_id`): data on the participants that came
back from a linkage request. The comparison pool is the other file; anyone in it who is a
participant of the programme is left out (they are not a fair comparison), when it has a
`person_id` column. The two are joined with a treatment column of 1s and 0s and evaluated by
`desist_analytics.evaluate`.

Runs are aggregate statistics: the stored result holds counts and measures, never a row per
person; the files are emptied when the run ends and only their SHA-256 stays. Audit records
carry the options, the choice of participants, file names, sizes and digests, and counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from desist.accounts.access import pseudonymised_participants_for
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change
from desist.evaluation.constants import RunStatus, TreatmentSource
from desist.evaluation.models import EVALUATION_FILE_FIELDS, EvaluationRun
from desist.evaluation.runs import run_claim, run_done, run_failed, run_progress
from desist.evaluation.services import (
    ERROR_MAX,
    _safe_name,
    may_run_reoffending,
    sentence,
    upload_errors,
)
from desist.people.constants import Status, Strand
from desist.statistics.figures import disclosure_options
from desist_analytics import (
    EvaluationInputError,
    EvaluationOptions,
    EvaluationOptionsError,
    evaluate,
    read_evaluation_data,
)

TREATMENT_COLUMN = "in_treatment_group"
PERSON = "person_id"
TITLE_MAX = 120
# Progress, per cent: files read, then evaluate()'s own steps scaled into 10-95, then stored.
READ = 10


def may_evaluate(user: User) -> bool:
    return may_run_reoffending(user)  # the same people: analysts and programme managers


def evaluation_options(values: Mapping[str, Any]) -> EvaluationOptions:
    """`EvaluationOptions` with the web's treatment column, problems raised as a
    ValidationError on the form field they are about."""
    try:
        return EvaluationOptions(treatment=TREATMENT_COLUMN, **values)
    except EvaluationOptionsError as error:
        message = str(error)
        field = next(
            (
                name
                for name in ("covariate", "outcome", "exact", "ratio", "caliper", "min_treated")
                if name in message
            ),
            "__all__",
        )
        field = {"covariate": "covariates", "outcome": "outcomes"}.get(field, field)
        raise ValidationError({field: [sentence(message)]}) from None


def _header(upload: UploadedFile) -> list[str]:
    """The column names of an uploaded CSV or Parquet file (empty when unreadable: the task
    reports the problem in full)."""
    name = (upload.name or "").lower()
    upload.seek(0)
    try:
        if name.endswith(".parquet"):
            names: list[str] = pq.read_schema(io.BytesIO(upload.read())).names
            return names
        csv_names: list[str] = pacsv.open_csv(io.BytesIO(upload.read())).schema.names
        return csv_names
    except (OSError, ValueError, pa.ArrowException):
        return []
    finally:
        upload.seek(0)


def _column_errors(
    upload: UploadedFile, options: EvaluationOptions, *, needs_person: bool
) -> list[str]:
    header = _header(upload)
    if not header:
        return []
    wanted = [c for c in options.columns if c != TREATMENT_COLUMN]
    if needs_person:
        wanted.append(PERSON)
    missing = [c for c in wanted if c not in header]
    if missing:
        return [
            f"The file has no column {', '.join(missing)} (its columns are {', '.join(header)})"
        ]
    if TREATMENT_COLUMN in header:
        return [f"Rename the file's column {TREATMENT_COLUMN}: desist adds it"]
    return []


def _participant_choice(choice: Mapping[str, Any]) -> dict[str, Any]:
    """The choice of participants, checked, in a form that can be stored as JSON."""
    strands = [s for s in choice.get("strands", []) if s in Strand.values]
    statuses = [s for s in choice.get("statuses", []) if s in Status.values]
    start, end = choice.get("referred_from"), choice.get("referred_to")
    if start and end and start > end:
        raise ValidationError(
            {"referred_to": ["The end of the referral dates must be after the start"]}
        )
    return {
        "strands": strands,
        "statuses": statuses,
        "referred_from": start.isoformat() if isinstance(start, dt.date) else None,
        "referred_to": end.isoformat() if isinstance(end, dt.date) else None,
    }


def chosen_participants(actor: User, choice: Mapping[str, Any]) -> Any:
    """The participants a stored choice picks, through the gate for statistical work."""
    people = pseudonymised_participants_for(actor)
    if choice.get("strands"):
        people = people.filter(strand__in=choice["strands"])
    if choice.get("statuses"):
        people = people.filter(status__in=choice["statuses"])
    if choice.get("referred_from"):
        people = people.filter(referral_date__gte=choice["referred_from"])
    if choice.get("referred_to"):
        people = people.filter(referral_date__lte=choice["referred_to"])
    return people


def _digest(upload: UploadedFile) -> tuple[bytes, str]:
    data = b"".join(upload.chunks())
    return data, hashlib.sha256(data).hexdigest()


@transaction.atomic
def datalab_run_create(
    *,
    actor: User,
    title: str,
    treatment_source: str,
    participants: Mapping[str, Any] | None,
    treatment_file: UploadedFile | None,
    comparison_file: UploadedFile | None,
    options: EvaluationOptions,
) -> EvaluationRun:
    """Store an evaluation with its two files as "waiting to start", audited, and queue the
    background task (`desist.evaluation.tasks.run_evaluation`) for when this commits.

    Raises:
        PermissionDenied: the actor is neither an analyst nor a programme manager.
        ValidationError: a missing title; a file that is missing, of the wrong kind, empty,
            too large, or without a column the options name (or `person_id`, for a treatment
            group of participants); referral dates the wrong way round.
    """
    if not may_evaluate(actor):
        raise PermissionDenied("Only analysts and programme managers can run evaluations.")
    errors: dict[str, list[str]] = {}
    title = " ".join(title.split())[:TITLE_MAX]
    if not title:
        errors["title"] = ["Enter what is being evaluated"]
    if treatment_source not in TreatmentSource.values:
        errors["treatment_source"] = ["Choose where the treatment group comes from"]
    on_participants = treatment_source == TreatmentSource.PARTICIPANTS
    choice = _participant_choice(participants or {}) if on_participants else {}
    for field, upload in (("treatment_file", treatment_file), ("comparison_file", comparison_file)):
        problems = upload_errors(upload)
        if not problems and upload is not None:
            needs_person = on_participants and field == "treatment_file"
            problems = _column_errors(upload, options, needs_person=needs_person)
        if problems:
            errors[field] = problems
    if errors or treatment_file is None or comparison_file is None:
        raise ValidationError(errors)
    treatment_data, treatment_sha = _digest(treatment_file)
    comparison_data, comparison_sha = _digest(comparison_file)
    run = EvaluationRun.objects.create(
        title=title,
        created_by=actor,
        created_at=timezone.now(),
        status=RunStatus.QUEUED,
        treatment_source=treatment_source,
        participants=choice,
        options=options.to_dict(),
        treatment_name=_safe_name(treatment_file.name or ""),
        treatment_sha256=treatment_sha,
        treatment_data=treatment_data,
        comparison_name=_safe_name(comparison_file.name or ""),
        comparison_sha256=comparison_sha,
        comparison_data=comparison_data,
    )
    audit_change(
        actor=actor,
        obj=run,
        action=Action.CREATE,
        changes={
            "status": RunStatus.QUEUED.value,
            "title": run.title,
            "treatment_source": run.treatment_source,
            "participants": choice,
            "options": run.options,
            "treatment_file": run.treatment_name,
            "treatment_sha256": treatment_sha,
            "comparison_file": run.comparison_name,
            "comparison_sha256": comparison_sha,
        },
    )
    from desist.evaluation.tasks import run_evaluation  # the task module imports this one

    run_id = run.pk
    transaction.on_commit(lambda: run_evaluation.enqueue(run_id))
    return run


def _progress(run_id: int, done: int) -> None:
    run_progress(EvaluationRun, run_id, done)


def _normalised(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.upper()


def _pseudonyms(people: Any) -> set[str]:
    return {p.strip().upper() for p in people.values_list("pseudonym", flat=True)}


def _paths(run: EvaluationRun, folder: Path) -> tuple[Path, Path]:
    """Where the task writes the two uploaded files (under their own names)."""
    return (
        Path(folder, "treatment", run.treatment_name),
        Path(folder, "comparison", run.comparison_name),
    )


def _frames(
    run: EvaluationRun, folder: Path, options: EvaluationOptions
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The treatment group and comparison pool as one frame with the treatment column, and
    how it was put together (counts)."""
    on_participants = run.treatment_source == TreatmentSource.PARTICIPANTS
    wanted = [c for c in options.columns if c != TREATMENT_COLUMN]
    treatment_path, comparison_path = _paths(run, folder)
    for path, data in (
        (treatment_path, run.treatment_data),
        (comparison_path, run.comparison_data),
    ):
        path.parent.mkdir()
        path.write_bytes(bytes(data))
    treatment = read_evaluation_data(
        treatment_path, [*wanted, PERSON] if on_participants else wanted
    )
    comparison = read_evaluation_data(comparison_path, wanted, optional=[PERSON])
    linkage: dict[str, int] = {"treatment_rows": len(treatment), "comparison_rows": len(comparison)}
    everyone = _pseudonyms(pseudonymised_participants_for(run.created_by))
    if on_participants:
        chosen = _pseudonyms(chosen_participants(run.created_by, run.participants))
        keys = _normalised(treatment[PERSON])
        keep = keys.isin(chosen).to_numpy()
        linkage["participants_chosen"] = len(chosen)
        linkage["participants_found"] = int(keys[keep].nunique())
        linkage["treatment_rows_left_out"] = int((~keep).sum())
        treatment = treatment.loc[keep]
    if PERSON in comparison.columns:
        programme = _normalised(comparison[PERSON]).isin(everyone).to_numpy()
        linkage["comparison_participants_left_out"] = int(programme.sum())
        comparison = comparison.loc[~programme]
    frame = pd.concat(
        [
            treatment[wanted].assign(**{TREATMENT_COLUMN: 1}),
            comparison[wanted].assign(**{TREATMENT_COLUMN: 0}),
        ],
        ignore_index=True,
    )
    frame[TREATMENT_COLUMN] = frame[TREATMENT_COLUMN].astype(np.int8)
    return frame, linkage


def _error_text(error: Exception, names: Mapping[str, str]) -> str:
    if isinstance(error, EvaluationInputError | EvaluationOptionsError):
        text = str(error)
        for temporary, original in names.items():
            text = text.replace(temporary, original)
        return sentence(text)[:ERROR_MAX]
    return f"The evaluation could not be completed ({type(error).__name__}). Start a new one."


def datalab_run_execute(*, run_id: int) -> EvaluationRun | None:
    """Compute a waiting evaluation: read the two files, put the treatment group and the
    comparison pool together, evaluate, store the result (aggregates only), and empty the
    files, recording progress as it goes. Audited on behalf of the person who asked for it.

    Safe to run twice: a run that is not waiting is left alone (None). A problem with the
    data marks the run failed with its message; any other error marks it failed with only
    the kind of error, and is raised again."""
    run = run_claim(EvaluationRun, run_id)
    if run is None:
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="desist-evaluation-") as folder:
            treatment_path, comparison_path = _paths(run, Path(folder))
            names = {
                str(treatment_path): run.treatment_name,
                str(comparison_path): run.comparison_name,
            }
            try:
                options = EvaluationOptions.from_dict(run.options)
                frame, linkage = _frames(run, Path(folder), options)
                _progress(run_id, READ)
                result = evaluate(
                    frame,
                    options,
                    disclosure=disclosure_options(),
                    progress=lambda done: _progress(run_id, READ + done * 85 // 100),
                ).to_dict()
            except (EvaluationInputError, EvaluationOptionsError) as error:
                return _run_failed(run_id, _error_text(error, names))
    except Exception as error:
        _run_failed(run_id, _error_text(error, {}))
        raise
    return _run_done(run_id, result, linkage)


def _run_done(run_id: int, result: dict[str, Any], linkage: dict[str, int]) -> EvaluationRun | None:
    return run_done(
        EvaluationRun,
        run_id,
        files=EVALUATION_FILE_FIELDS,
        values={"result": result, "linkage": linkage},
        audited={
            "matched_treated": result["matched_treated"],
            "matched_controls": result["matched_controls"],
            "linkage": linkage,
        },
    )


def _run_failed(run_id: int, reason: str) -> EvaluationRun | None:
    return run_failed(EvaluationRun, run_id, reason, files=EVALUATION_FILE_FIELDS)
