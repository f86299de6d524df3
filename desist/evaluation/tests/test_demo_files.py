"""`desist demo-data --offences-file` and `--datalab-folder`: made-up offences and linked data
of the demo participants that link to them all, and a proven reoffending run and a Data Lab
evaluation on the participants with them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import EvaluationRun, ReoffendingRun
from desist.evaluation.services import reoffending_run_create, reoffending_run_execute
from desist.evaluation.services_datalab import (
    datalab_run_create,
    datalab_run_execute,
    evaluation_options,
)
from desist.people.models import Participant
from desist_analytics import ReoffendingOptions, read_offences

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 14)


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC), tick=True):
        yield


def test_the_demo_offences_link_to_the_participants_and_give_a_run(tmp_path: Path) -> None:
    path = tmp_path / "offences.csv"
    out = StringIO()
    call_command(
        "demo_data", "--participants", "60", "--seed", "3", "--offences-file", str(path), stdout=out
    )

    offences = read_offences(path)  # a valid file
    pseudonyms = set(Participant.objects.values_list("pseudonym", flat=True))
    assert len(offences) > 0 and set(offences.person_id) <= pseudonyms
    assert max(offences.disposal_date) <= TODAY  # nothing proven after "today"
    # 14 March 2026: the latest complete April-to-March cohort ended on 31 March 2024.
    named = re.search(r"for the cohort (.+?) to (.+?)\.", out.getvalue())
    assert named is not None and named.groups() == ("1 April 2023", "31 March 2024")

    analyst = next(u for u in User.objects.all() if u.has_role(Role.ANALYST))
    run = reoffending_run_create(
        actor=analyst,
        index_events_file=None,
        offences_file=SimpleUploadedFile("offences.csv", path.read_bytes()),
        options=ReoffendingOptions(
            cohort_start=dt.date(2023, 4, 1),
            cohort_end=dt.date(2024, 3, 31),
            extract_date=TODAY,
        ),
        index_source="participants",
        linked_by="pseudonym",
    )
    reoffending_run_execute(run_id=run.pk)
    run = ReoffendingRun.objects.get(pk=run.pk)

    assert run.status == RunStatus.DONE, run.error
    assert run.result["linkage"]["linked"] == len(offences)
    assert run.result["linkage"]["unlinked"] == 0
    assert run.result["cohort_size"] > 0


def test_the_demo_datalab_files_give_an_evaluation_of_the_participants(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "demo_data",
        "--participants",
        "80",
        "--seed",
        "3",
        "--datalab-folder",
        str(tmp_path),
        stdout=out,
    )
    treatment = (tmp_path / "datalab-treatment.csv").read_bytes()
    comparison = (tmp_path / "datalab-comparison.csv").read_bytes()
    assert "datalab-treatment.csv" in out.getvalue()

    analyst = next(u for u in User.objects.all() if u.has_role(Role.ANALYST))
    run = datalab_run_create(
        actor=analyst,
        title="Demo programme",
        treatment_source="participants",
        participants={},
        treatment_file=SimpleUploadedFile("datalab-treatment.csv", treatment),
        comparison_file=SimpleUploadedFile("datalab-comparison.csv", comparison),
        options=evaluation_options(
            {
                "covariates": ("age", "sex", "previous_offences", "employed"),
                "outcomes": ("reoffended_1y", "reoffences_1y"),
            }
        ),
    )
    datalab_run_execute(run_id=run.pk)
    run = EvaluationRun.objects.get(pk=run.pk)

    assert run.status == RunStatus.DONE, run.error
    # Every demo participant has a row, so every one is linked and treated.
    assert run.linkage["participants_chosen"] == run.linkage["participants_found"] == 80
    assert run.result["treated_total"] == 80 and run.result["comparison_total"] == 3_000
