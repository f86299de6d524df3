"""Data Lab evaluations on the web: who reaches them, the form, runs on uploaded files and on
chosen participants (linked by pseudonym), the background task, the results page, the
downloads (audited), reproducibility, failures, and what is kept."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import PERSONAS, World, make_participant
from desist.audit.models import AuditEvent
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import EvaluationRun
from desist.evaluation.services_datalab import (
    TREATMENT_COLUMN,
    datalab_run_create,
    datalab_run_execute,
    evaluation_options,
)
from desist.people.constants import Status, Strand
from desist.people.models import Participant
from desist_analytics import EvaluationOptions, evaluate

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
READERS = {"analyst", "programme_manager"}
LIST = reverse("evaluation:datalab_runs")
NEW = reverse("evaluation:datalab_new")
COVARIATES = ("age", "sex")
OUTCOMES = ("reoffended_1y",)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def people(n: int, *, seed: int, offset: float = 0.0, ids: list[str] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "person_id": ids or [f"C{seed}-{i}" for i in range(n)],
            "age": (rng.normal(30, 8, n) + offset).round(1),
            "sex": rng.choice(["F", "M"], n),
            "reoffended_1y": rng.integers(0, 2, n),
        }
    )


def csv_upload(name: str, frame: pd.DataFrame) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, frame.to_csv(index=False).encode(), content_type="text/csv")


TREATMENT = people(70, seed=1, offset=-3)
COMPARISON = people(400, seed=2)


def options(**extra: Any) -> EvaluationOptions:
    return evaluation_options({"covariates": COVARIATES, "outcomes": OUTCOMES, **extra})


def queued(world: World, **kwargs: Any) -> EvaluationRun:
    values: dict[str, Any] = {
        "actor": world.personas["analyst"],
        "title": "Mentoring 2024",
        "treatment_source": "file",
        "participants": None,
        "treatment_file": csv_upload("treated.csv", TREATMENT),
        "comparison_file": csv_upload("pool.csv", COMPARISON),
        "options": options(),
        **kwargs,
    }
    return datalab_run_create(**values)


def done(world: World, **kwargs: Any) -> EvaluationRun:
    run = queued(world, **kwargs)
    datalab_run_execute(run_id=run.pk)
    return EvaluationRun.objects.get(pk=run.pk)


def detail(run: EvaluationRun) -> str:
    return reverse("evaluation:datalab_detail", kwargs={"run_uuid": run.uuid})


def download(run: EvaluationRun, kind: str) -> str:
    return reverse("evaluation:datalab_download", kwargs={"run_uuid": run.uuid, "kind": kind})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_reach_the_pages(world: World, persona: str) -> None:
    client = world.client_for(persona)
    for page in (LIST, NEW):
        response = client.get(page)
        if persona in READERS:
            assert response.status_code == 200
        elif persona == "anonymous":
            assert response.status_code == 302
        else:
            assert response.status_code == 404


def test_a_run_on_uploaded_files_gives_the_engines_result(world: World) -> None:
    run = done(world)

    frame = pd.concat(
        [
            TREATMENT.assign(**{TREATMENT_COLUMN: 1}),
            COMPARISON.assign(**{TREATMENT_COLUMN: 0}),
        ],
        ignore_index=True,
    )
    expected = evaluate(frame, EvaluationOptions(TREATMENT_COLUMN, COVARIATES, OUTCOMES)).to_dict()
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == 100
    assert run.result["outcomes"] == expected["outcomes"]
    assert run.result["matched_treated"] == 70
    assert bytes(run.treatment_data) == b"" and bytes(run.comparison_data) == b""
    assert len(run.treatment_sha256) == 64


def test_the_same_inputs_and_options_give_identical_output(world: World) -> None:
    first, second = done(world), done(world)

    assert json.dumps(first.result) == json.dumps(second.result)
    assert first.treatment_sha256 == second.treatment_sha256
    client = world.client_for("analyst")
    assert client.get(download(first, "pdf")).content == client.get(download(second, "pdf")).content


def participants(world: World, count: int, **extra: Any) -> list[Participant]:
    return [
        make_participant(
            reference=f"DL-{i}",
            family_name=f"Evaluated-{i}",
            organisation=world.probation_london,
            region=world.london,
            **extra,
        )
        for i in range(count)
    ]


def test_a_run_on_chosen_participants_takes_their_rows_by_pseudonym(world: World) -> None:
    chosen = participants(world, 12, strand=Strand.TPIM)
    Participant.objects.filter(pk__in=[p.pk for p in chosen]).update(status=Status.ACTIVE)
    chosen = list(Participant.objects.filter(pk__in=[p.pk for p in chosen]))
    # world.case is a participant but on another strand: not chosen, so left out of the
    # treatment group, and out of the comparison pool too.
    pseudonyms = [p.pseudonym for p in chosen[:10]]  # two chosen have no linked data
    treatment = people(12, seed=5, ids=[*pseudonyms, world.case.pseudonym, "STRANGER"])
    pool = pd.concat([COMPARISON, people(1, seed=6, ids=[world.other_case.pseudonym.lower()])])

    run = done(
        world,
        treatment_source="participants",
        participants={"strands": [Strand.TPIM], "statuses": [Status.ACTIVE]},
        treatment_file=csv_upload("linked.csv", treatment),
        comparison_file=csv_upload("pool.csv", pool),
        options=options(min_treated=5),
    )

    assert run.status == RunStatus.DONE, run.error
    assert run.result["treated_total"] == 10
    assert run.linkage == {
        "treatment_rows": 12,
        "comparison_rows": 401,
        "participants_chosen": 12,
        "participants_found": 10,
        "treatment_rows_left_out": 2,
        "comparison_participants_left_out": 1,
    }
    assert run.result["comparison_total"] == 400
    body = world.client_for("analyst").get(detail(run)).content.decode()
    assert "10 of the 12 participants chosen were in the treatment data file" in body
    assert "1 row of the programme's participants was left out" in body
    assert "2 rows of other people were left out" in body


def test_a_treatment_file_of_participants_needs_person_id(world: World) -> None:
    with pytest.raises(Exception) as raised:
        queued(
            world,
            treatment_source="participants",
            participants={},
            treatment_file=csv_upload("linked.csv", TREATMENT.drop(columns="person_id")),
        )
    assert "no column person_id" in str(raised.value)


def test_a_column_missing_from_a_file_is_shown_against_it_on_the_form(world: World) -> None:
    form = {
        "title": "Mentoring",
        "treatment_source": "file",
        "covariates": "age,region",
        "outcomes": "reoffended_1y",
        "ratio": "1",
        "order": "largest",
        "se": "cluster",
        "min_treated": "60",
        "treatment_file": csv_upload("treated.csv", TREATMENT),
        "comparison_file": csv_upload("pool.csv", COMPARISON),
    }
    response = world.client_for("analyst").post(NEW, form)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_treatment_file">The file has no column region' in body
    assert not EvaluationRun.objects.exists()


def test_the_form_starts_an_evaluation_that_runs_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    form = {
        "title": "Mentoring 2024",
        "treatment_source": "file",
        "covariates": "age, sex",
        "outcomes": "reoffended_1y",
        "ratio": "1",
        "caliper": "0.5",
        "order": "largest",
        "se": "two-sample",
        "min_treated": "60",
        "treatment_file": csv_upload("treated.csv", TREATMENT),
        "comparison_file": csv_upload("pool.csv", COMPARISON),
    }
    client = world.client_for("analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, form)

    run = EvaluationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(run)
    assert run.status == RunStatus.DONE, run.error
    assert run.options["covariates"] == ["age", "sex"] and run.options["caliper"] == 0.5
    assert run.options["se"] == "two-sample"
    body = client.get(detail(run)).content.decode()
    for text in ("Summary", "For any 100 typical people", "Love plot", "The report (PDF)"):
        assert text in body


def test_a_waiting_evaluation_shows_a_progress_bar_and_refreshes(world: World) -> None:
    run = queued(world)
    EvaluationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=42)

    body = world.client_for("programme_manager").get(detail(run)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert '<progress class="app-progress" value="42" max="100"' in body


def test_downloads_are_real_files_and_audited(world: World) -> None:
    run = done(world)
    client = world.client_for("analyst")

    pdf = client.get(download(run, "pdf"))
    html = client.get(download(run, "html"))
    figures = client.get(download(run, "json"))

    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert "Caveats" in html.content.decode()
    document = json.loads(figures.content)
    assert document["result"] == run.result
    assert document["inputs"]["comparison_sha256"] == run.comparison_sha256
    exports = AuditEvent.objects.filter(
        entity="evaluation.evaluationrun", entity_id=str(run.pk), action="export"
    )
    assert sorted(e.changes["download"] for e in exports) == ["html", "json", "pdf"]
    assert client.get(download(run, "docx")).status_code == 404


def test_an_unfinished_evaluation_has_no_downloads(world: World) -> None:
    run = queued(world)
    assert world.client_for("analyst").get(download(run, "pdf")).status_code == 404


def test_a_data_problem_fails_the_run_with_its_message(world: World) -> None:
    run = done(world, options=options(min_treated=100))

    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Only 70 people are in the treatment group")
    assert bytes(run.treatment_data) == b""
    body = world.client_for("analyst").get(detail(run)).content.decode()
    assert "The evaluation could not be completed" in body


def test_nothing_kept_or_audited_names_a_person(world: World) -> None:
    run = done(world)
    stored = json.dumps(run.result) + json.dumps(run.linkage)
    audited = json.dumps(
        [e.changes for e in AuditEvent.objects.filter(entity="evaluation.evaluationrun")]
    )
    for person in TREATMENT.person_id.tolist()[:5] + COMPARISON.person_id.tolist()[:5]:
        assert person not in stored and person not in audited


def test_the_parquet_column_check_reads_the_schema(world: World) -> None:
    buffer = io.BytesIO()
    TREATMENT.drop(columns="sex").to_parquet(buffer)
    with pytest.raises(Exception) as raised:
        queued(world, treatment_file=SimpleUploadedFile("treated.parquet", buffer.getvalue()))
    assert "no column sex" in str(raised.value)


EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def test_the_example_files_give_the_same_result_on_the_web_and_the_command_line(
    world: World,
) -> None:
    # docs/evaluation.md: the one-file example for `desist evaluate`, split in two for the page.
    example_options = evaluation_options(
        {
            "covariates": ("age", "sex", "previous_offences", "employed"),
            "outcomes": ("reoffended_1y", "reoffences_1y"),
        }
    )
    run = done(
        world,
        treatment_file=SimpleUploadedFile(
            "datalab-treatment.csv", (EXAMPLES / "datalab-treatment.csv").read_bytes()
        ),
        comparison_file=SimpleUploadedFile(
            "datalab-comparison.csv", (EXAMPLES / "datalab-comparison.csv").read_bytes()
        ),
        options=example_options,
    )
    people_file = pd.read_csv(EXAMPLES / "datalab-people.csv")
    expected = evaluate(
        people_file,
        EvaluationOptions("treated", example_options.covariates, example_options.outcomes),
    ).to_dict()
    assert run.status == RunStatus.DONE, run.error
    assert run.result["outcomes"] == expected["outcomes"]
    assert run.result["matched_treated"] == 90
