"""The life of a run computed by a background task (`BackgroundRun`), shared by proven
reoffending runs and Data Lab evaluations: claimed by one worker, progress recorded as it goes,
then done (with its figures) or failed (with its reason), its uploaded files emptied either
way, and each end audited on behalf of the person who asked for it."""

from __future__ import annotations

import datetime as dt
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


# A run that has waited or run this long has lost its worker (a large evaluation takes
# minutes); `desist run-scheduled` marks it failed so its page stops waiting.
STALE_AFTER = dt.timedelta(hours=6)
STALE_REASON = (
    "The run stopped before it finished: the background worker was interrupted. "
    "The uploaded files have been deleted. Start a new run."
)


def runs_fail_stale(*, now: dt.datetime, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Mark failed every run of either kind still waiting or running `older_than` after it
    was asked for, emptying its files and auditing it (as the system). Returns how many."""
    from desist.evaluation.models import (
        EVALUATION_FILE_FIELDS,
        FILE_FIELDS,
        EvaluationRun,
        ReoffendingRun,
    )

    failed = 0
    kinds: tuple[tuple[type[BackgroundRun], tuple[str, ...]], ...] = (
        (ReoffendingRun, FILE_FIELDS),
        (EvaluationRun, EVALUATION_FILE_FIELDS),
    )
    for model, files in kinds:
        stale = model._default_manager.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__lt=now - older_than
        ).values_list("pk", "status")
        for run_id, status in list(stale):
            with transaction.atomic():
                updated = model._default_manager.filter(pk=run_id, status=status).update(
                    status=RunStatus.FAILED,
                    error=STALE_REASON,
                    finished_at=now,
                    **dict.fromkeys(files, b""),
                )
                if not updated:
                    continue  # it moved on meanwhile
                run = model._default_manager.defer(*files).get(pk=run_id)
                audit_change(
                    actor=None,
                    obj=run,
                    action=Action.UPDATE,
                    changes={"status": [status, RunStatus.FAILED.value], "reason": "stale"},
                )
                failed += 1
    return failed
