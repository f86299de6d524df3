"""The life of a run computed by a background task (`BackgroundRun`), shared by proven
reoffending runs and Data Lab evaluations: claimed by one worker, progress recorded as it goes,
then done (with its figures) or failed (with its reason), its uploaded files emptied either
way, and each end audited on behalf of the person who asked for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from desist.audit.constants import Action
from desist.audit.services import audit_change
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import BackgroundRun

Run = TypeVar("Run", bound=BackgroundRun)
DONE = 100


def run_progress(model: type[Run], run_id: int, done: int) -> None:
    """Record the per cent done, in its own short transaction so the run's page shows it."""
    model._default_manager.filter(pk=run_id, status=RunStatus.RUNNING).update(progress=done)


def run_claim(model: type[Run], run_id: int) -> Run | None:
    """Claim a waiting run (only one worker can); None when it is not waiting."""
    with transaction.atomic():
        claimed = model._default_manager.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, progress=0
        )
    if not claimed:
        return None
    run: Run = model._default_manager.select_related("created_by").get(pk=run_id)
    return run


@transaction.atomic
def run_done(
    model: type[Run],
    run_id: int,
    *,
    files: Sequence[str],
    values: Mapping[str, Any],
    audited: Mapping[str, Any],
) -> Run | None:
    """Mark a running run done with `values` (its result and the like), empty its `files`,
    and audit it with `audited` (counts, never a person). None when it is not running."""
    run: Run = (
        model._default_manager.select_for_update()
        .defer(*files)
        .select_related("created_by")
        .get(pk=run_id)
    )
    if run.status != RunStatus.RUNNING:
        return None
    run.status = RunStatus.DONE
    run.progress = DONE
    run.finished_at = timezone.now()
    for name, value in values.items():
        setattr(run, name, value)
    for name in files:
        setattr(run, name, b"")
    run.save(update_fields=["status", "progress", "finished_at", *values, *files])
    audit_change(
        actor=run.created_by,
        obj=run,
        action=Action.UPDATE,
        changes={"status": [RunStatus.RUNNING.value, RunStatus.DONE.value], **audited},
    )
    return run


@transaction.atomic
def run_failed(model: type[Run], run_id: int, reason: str, *, files: Sequence[str]) -> Run | None:
    """Mark a running run failed with `reason`, empty its `files`, and audit the kind of
    failure only (the reason can quote a value from the files). None when it is not running."""
    updated = model._default_manager.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        error=reason,
        finished_at=timezone.now(),
        **dict.fromkeys(files, b""),
    )
    if not updated:
        return None
    run: Run = model._default_manager.defer(*files).select_related("created_by").get(pk=run_id)
    audit_change(
        actor=run.created_by,
        obj=run,
        action=Action.UPDATE,
        changes={"status": [RunStatus.RUNNING.value, RunStatus.FAILED.value]},
    )
    return run
