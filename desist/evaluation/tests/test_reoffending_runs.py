"""Proven reoffending runs on uploaded files: created with their files and queued on commit,
executed by the background task (progress, result, files emptied), failures, audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World
from desist.audit.models import AuditEvent
from desist.evaluation import services
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import ReoffendingRun
from desist.evaluation.services import reoffending_run_create, reoffending_run_execute
from desist_analytics import ReoffendingOptions

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
INDEX_EVENTS = (
    b"person_id,event_type,event_date,date_of_birth,sex\n"
    b"1,caution,2020-01-15,1990-06-01,F\n"
    b"2,custody_release,2020-02-01,2001-03-01,M\n"
)
OFFENCES = (
    b"person_id,offence_date,disposal_date,disposal_type,is_breach\n"
    b"1,2020-03-01,2020-05-01,conviction,false\n"
    b"2,2020-01-01,2020-01-20,conviction,0\n"
)
OPTIONS = ReoffendingOptions(
    cohort_start=dt.date(2020, 1, 1),
    cohort_end=dt.date(2020, 12, 31),
    extract_date=dt.date(2022, 6, 30),
    by=("sex",),
)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def create(
    world: World,
    *,
    persona: str = "analyst",
    index_events: bytes = INDEX_EVENTS,
    offences: bytes = OFFENCES,
    offences_name: str = "offences.csv",
    options: ReoffendingOptions = OPTIONS,
) -> ReoffendingRun:
    return reoffending_run_create(
        actor=world.personas[persona],
        index_events_file=upload("index events.csv", index_events),
        offences_file=upload(offences_name, offences),
        options=options,
    )


def executed(run: ReoffendingRun) -> ReoffendingRun:
    reoffending_run_execute(run_id=run.pk)
    return ReoffendingRun.objects.get(pk=run.pk)


def test_a_run_on_uploaded_files_stores_the_hand_computed_measures(world: World) -> None:
    run = create(world)
    assert run.status == RunStatus.QUEUED and run.progress == 0
    assert bytes(run.offences_data) == OFFENCES
    assert run.index_events_name == "index_events.csv"  # made safe to show and store

    run = executed(run)

    # Person 1: caution 2020-01-15, offence 2020-03-01 (46 days later: 16 left of January,
    # 29 of February, 1 of March), proven by conviction 2020-05-01, within the follow-up to
    # 2021-01-15 and the waiting period to 2021-07-15: a reoffender.
    # Person 2: released 2020-02-01; the offence of 2020-01-01 came before the index date.
    result = run.result
    assert run.status == RunStatus.DONE and run.progress == 100
    assert result["cohort_size"] == 2
    assert result["reoffenders"] == 1
    assert result["binary_rate"] == 0.5
    assert result["reoffences"] == 1
    assert result["frequency"] == 0.5 and result["frequency_per_100"] == 50.0
    assert result["mean_days_to_first"] == 46.0 and result["median_days_to_first"] == 46.0
    assert result["share_first_within_3_months"] == 1.0
    assert result["options"] == OPTIONS.to_dict()
    by_sex = {
        row["value"]: (row["cohort_size"], row["reoffenders"]) for row in result["breakdowns"]
    }
    assert by_sex == {"F": (1, 1), "M": (1, 0)}


def test_the_stored_result_holds_no_person_ids(world: World) -> None:
    run = executed(create(world))

    text = json.dumps(run.result)
    assert "person_id" not in text and "per_person" not in text


def test_the_uploaded_files_are_emptied_when_the_run_is_done(world: World) -> None:
    run = executed(create(world))

    assert bytes(run.index_events_data) == b"" and bytes(run.offences_data) == b""
    assert run.finished_at == NOW


def test_a_bad_file_fails_the_run_naming_the_file_row_and_column(world: World) -> None:
    bad = OFFENCES.replace(b"2020-03-01,2020-05-01", b"2020-03-01,soon")
    run = executed(create(world, offences=bad, offences_name="My offences.csv"))

    assert run.status == RunStatus.FAILED
    # The offence of person 1 is the first record, row 2 of the spreadsheet.
    assert run.error.startswith("My_offences.csv, row 2, column disposal_date")
    assert "desist-reoffending-" not in run.error  # the temporary folder is not shown
    assert bytes(run.index_events_data) == b"" and bytes(run.offences_data) == b""
    assert run.result is None


def test_a_missing_column_fails_the_run_naming_the_column(world: World) -> None:
    run = executed(create(world, index_events=b"person_id,event_date\n1,2020-01-15\n"))

    assert run.status == RunStatus.FAILED
    assert run.error.startswith("index_events.csv")
    assert "event_type" in run.error


def test_an_unexpected_error_fails_the_run_with_only_its_kind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = create(world)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("person 1 divided")

    monkeypatch.setattr(services, "proven_reoffending", broken)
    with pytest.raises(ZeroDivisionError):
        reoffending_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "The run could not be completed (ZeroDivisionError). Start a new run."
    assert bytes(run.offences_data) == b""


def test_progress_is_recorded_after_each_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = create(world)
    seen: list[tuple[str, int]] = []
    real = services._progress

    def spy(run_id: int, done: int) -> None:
        real(run_id, done)
        stored = ReoffendingRun.objects.get(pk=run_id)
        seen.append((stored.status, stored.progress))

    monkeypatch.setattr(services, "_progress", spy)
    executed(run)

    assert seen == [("running", 10), ("running", 40), ("running", 70)]


def test_a_run_is_executed_only_once(world: World) -> None:
    run = executed(create(world))

    assert reoffending_run_execute(run_id=run.pk) is None
    assert ReoffendingRun.objects.get(pk=run.pk).status == RunStatus.DONE


def test_the_task_runs_after_commit(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = create(world)
    # Nothing is computed inside the request's transaction.
    assert ReoffendingRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    assert len(callbacks) == 1

    callbacks[0]()  # the commit: the (immediate) task backend runs it now

    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.result["reoffenders"] == 1


def test_the_run_is_audited_with_options_and_counts_but_no_person_ids(world: World) -> None:
    run = executed(create(world))

    events = AuditEvent.objects.filter(entity="evaluation.reoffendingrun", entity_id=str(run.pk))
    created, finished = events.order_by("seq")
    assert created.actor_id == world.personas["analyst"].pk
    assert created.changes["options"] == OPTIONS.to_dict()
    assert created.changes["offences_file"] == "offences.csv"
    assert created.changes["offences_bytes"] == len(OFFENCES)
    assert finished.actor_id == world.personas["analyst"].pk
    assert finished.changes == {
        "status": ["running", "done"],
        "cohort_size": 2,
        "reoffenders": 1,
        "reoffences": 1,
    }
    text = json.dumps([created.changes, finished.changes])
    assert "person_id" not in text and "2020-03-01" not in text


def test_a_failed_run_is_audited_without_its_message(world: World) -> None:
    run = executed(create(world, offences=b"person_id\n1\n"))

    last = AuditEvent.objects.filter(entity="evaluation.reoffendingrun").order_by("seq").last()
    assert last is not None and last.entity_id == str(run.pk)
    assert last.changes == {"status": ["running", "failed"]}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("offences.xlsx", OFFENCES, "The file must be a CSV (.csv) or Parquet (.parquet) file"),
        ("offences.csv", b"", "The file is empty"),
    ],
)
def test_a_file_of_the_wrong_kind_or_empty_is_refused(
    world: World, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        create(world, offences=content, offences_name=name)

    assert error.value.message_dict == {"offences_file": [message]}
    assert not ReoffendingRun.objects.exists()


def test_a_file_over_the_size_limit_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1024 * 1024)

    with pytest.raises(ValidationError) as error:
        create(world, offences=OFFENCES + b"3,2020-03-01,2020-05-01,conviction,0\n" * 30_000)

    assert error.value.message_dict == {"offences_file": ["The file must be smaller than 1 MB"]}


def test_only_analysts_and_programme_managers_create_runs(world: World) -> None:
    create(world, persona="programme_manager")
    with pytest.raises(PermissionDenied):
        create(world, persona="supervising_officer")
    assert ReoffendingRun.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"extract_date": dt.date(2022, 6, 29)}, "extract_date"),
        ({"cohort_end": dt.date(2019, 12, 31)}, "cohort_end"),
        ({"follow_up_months": 0}, "follow_up_months"),
        ({"jurisdiction": "scotland"}, "jurisdiction"),
    ],
)
def test_options_problems_are_raised_on_the_field_they_are_about(
    values: dict[str, Any], field: str
) -> None:
    base = {
        "cohort_start": dt.date(2020, 1, 1),
        "cohort_end": dt.date(2020, 12, 31),
        "extract_date": dt.date(2022, 6, 30),
    }
    with pytest.raises(ValidationError) as error:
        services.reoffending_options({**base, **values})

    assert list(error.value.message_dict) == [field]
    message = error.value.message_dict[field][0]
    assert message[0].isupper() and message.endswith(".")
