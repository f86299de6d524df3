"""Runs whose background worker was lost: `desist run-scheduled` marks them failed after six
hours (files emptied, audited as the system), leaves recent and finished runs alone, and
does nothing the second time."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from conftest import World
from desist.audit.models import AuditEvent
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import EvaluationRun, ReoffendingRun
from desist.evaluation.runs import STALE_REASON, runs_fail_stale
from desist.evaluation.services import reoffending_run_create
from desist.evaluation.tests.test_datalab import queued as queued_evaluation
from desist_analytics import ReoffendingOptions

INDEX = b"person_id,event_type,event_date,date_of_birth,sex\n1,caution,2020-01-15,1990-06-01,F\n"
OFFENCES = b"person_id,offence_date,disposal_date,disposal_type,is_breach\n"


def reoffending_run(world: World) -> ReoffendingRun:
    return reoffending_run_create(
        actor=world.personas["analyst"],
        index_events_file=SimpleUploadedFile("index.csv", INDEX),
        offences_file=SimpleUploadedFile("offences.csv", OFFENCES),
        options=ReoffendingOptions(
            cohort_start=dt.date(2020, 1, 1),
            cohort_end=dt.date(2020, 12, 31),
            extract_date=dt.date(2022, 6, 30),
        ),
    )


def test_runs_stuck_for_six_hours_are_failed_and_others_left_alone(
    world: World, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2025, 6, 15, 8, 0, tzinfo=dt.UTC), tick=False)
    waiting = reoffending_run(world)  # never picked up
    running = queued_evaluation(world)  # picked up, then its worker died
    EvaluationRun.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING, progress=40)
    time_machine.move_to(dt.datetime(2025, 6, 15, 13, 0, tzinfo=dt.UTC), tick=False)
    recent = reoffending_run(world)  # five hours younger: still has time
    time_machine.move_to(dt.datetime(2025, 6, 15, 14, 0, 1, tzinfo=dt.UTC), tick=False)

    out = StringIO()
    call_command("run_scheduled", stdout=out)

    assert "stale evaluation runs failed: 2" in out.getvalue()
    waiting = ReoffendingRun.objects.get(pk=waiting.pk)
    running = EvaluationRun.objects.get(pk=running.pk)
    for run in (waiting, running):
        assert run.status == RunStatus.FAILED and run.error == STALE_REASON
        assert run.finished_at == timezone.now()
    assert bytes(waiting.index_events_data) == b"" and bytes(running.treatment_data) == b""
    assert ReoffendingRun.objects.get(pk=recent.pk).status == RunStatus.QUEUED
    event = AuditEvent.objects.get(
        entity="evaluation.evaluationrun", entity_id=str(running.pk), action="update"
    )
    assert event.actor_id is None and event.changes["status"] == ["running", "failed"]
    assert runs_fail_stale(now=timezone.now()) == 0
