"""Proven reoffending pages: who reaches them, the form and its errors, the progress page
while a run waits, and the tables (after disclosure control), chart and definitions after."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PERSONAS, World
from desist.evaluation.constants import RunStatus
from desist.evaluation.models import ReoffendingRun
from desist.evaluation.services import reoffending_run_create, reoffending_run_execute
from desist_analytics import ReoffendingOptions

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
READERS = {"analyst", "programme_manager"}
LIST = reverse("evaluation:runs")
NEW = reverse("evaluation:run_new")
INDEX_EVENTS = (
    "person_id,event_type,event_date,date_of_birth,sex\n"
    "1,caution,2020-01-15,1990-06-01,F\n"
    "2,custody_release,2020-02-01,2001-03-01,M\n"
)
OFFENCES = (
    "person_id,offence_date,disposal_date,disposal_type,is_breach\n"
    "1,2020-03-01,2020-05-01,conviction,false\n"
    "2,2020-01-01,2020-01-20,conviction,0\n"
)
FORM = {
    "index_source": "file",
    "cohort_start": "2020-01-01",
    "cohort_end": "2020-12-31",
    "extract_date": "2022-06-30",
    "jurisdiction": "ew",
    "follow_up_months": "12",
    "waiting_months": "6",
    "by": ["sex"],
}


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def files(index_events: str = INDEX_EVENTS, offences: str = OFFENCES) -> dict[str, Any]:
    return {
        "index_events_file": SimpleUploadedFile("index.csv", index_events.encode()),
        "offences_file": SimpleUploadedFile("offences.csv", offences.encode()),
    }


def queued(world: World, **kwargs: Any) -> ReoffendingRun:
    """A run asked for but not yet started (its task is not run here)."""
    uploads = files(**kwargs)
    return reoffending_run_create(
        actor=world.personas["analyst"],
        index_events_file=uploads["index_events_file"],
        offences_file=uploads["offences_file"],
        options=ReoffendingOptions(
            cohort_start=dt.date(2020, 1, 1),
            cohort_end=dt.date(2020, 12, 31),
            extract_date=dt.date(2022, 6, 30),
            by=("sex",),
        ),
    )


def done(world: World, **kwargs: Any) -> ReoffendingRun:
    run = queued(world, **kwargs)
    reoffending_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def detail(run: ReoffendingRun) -> str:
    return reverse("evaluation:run_detail", kwargs={"run_uuid": run.uuid})


def text(response: Any) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


def cells(response: Any, table_id: str) -> list[list[str]]:
    """The rows of one table on the page, as lists of cell texts."""
    page = response.content.decode()
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return [
        [
            html.unescape(" ".join(re.sub(r"<[^>]+>", " ", cell).split()))
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def big_cohort() -> dict[str, str]:
    # 25 people cautioned on 2020-01-15: 20 women, of whom the first 10 reoffend (an offence
    # on 2020-03-01, 46 days later, convicted 2020-05-01), and 5 men, who do not.
    events = ["person_id,event_type,event_date,date_of_birth,sex"]
    events += [f"{i},caution,2020-01-15,1990-06-01,{'F' if i <= 20 else 'M'}" for i in range(1, 26)]
    offences = ["person_id,offence_date,disposal_date,disposal_type,is_breach"]
    offences += [f"{i},2020-03-01,2020-05-01,conviction,false" for i in range(1, 11)]
    return {"index_events": "\n".join(events) + "\n", "offences": "\n".join(offences) + "\n"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_reach_the_pages(world: World, persona: str) -> None:
    run = done(world)
    client = world.client_for(persona)

    for response in (client.get(LIST), client.get(NEW), client.get(detail(run))):
        if persona in READERS:
            assert response.status_code == 200
        elif persona == "anonymous":
            assert response.status_code == 302
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - READERS - {"anonymous"}))
def test_nobody_else_can_start_a_run(world: World, persona: str) -> None:
    response = world.client_for(persona).post(NEW, {**FORM, **files()})

    assert response.status_code == 404
    assert not ReoffendingRun.objects.exists()


def test_every_analyst_and_programme_manager_sees_every_run(world: World) -> None:
    run = done(world)  # started by the analyst

    response = world.client_for("programme_manager").get(LIST)

    assert detail(run) in response.content.decode()
    assert world.client_for("programme_manager").get(detail(run)).status_code == 200


def test_the_form_starts_a_run_that_is_computed_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for("analyst")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(NEW, {**FORM, **files()})

    run = ReoffendingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(run)
    assert len(callbacks) == 1
    assert run.status == RunStatus.DONE
    assert run.options["by"] == ["sex"] and run.options["exclude_breaches"] is True
    assert run.result["cohort_size"] == 2 and run.result["mean_days_to_first"] == 46.0


def test_the_form_shows_each_problem_in_the_error_summary(world: World) -> None:
    response = world.client_for("analyst").post(NEW, {"jurisdiction": "ew"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    for message, field in [
        ("Choose the index events file", "id_index_events_file"),
        ("Choose the offences file", "id_offences_file"),
        ("Enter the date the cohort starts", "id_cohort_start"),
        ("Enter the date the cohort ends", "id_cohort_end"),
        ("Enter the date of the data extract", "id_extract_date"),
    ]:
        assert f'<a href="#{field}">{message}</a>' in body
    assert not ReoffendingRun.objects.exists()


def test_a_file_of_the_wrong_kind_is_shown_against_its_field(world: World) -> None:
    uploads = files()
    uploads["offences_file"] = SimpleUploadedFile("offences.xlsx", b"not a csv")

    response = world.client_for("analyst").post(NEW, {**FORM, **uploads})

    assert '<a href="#id_offences_file">The file must be a CSV (.csv) or Parquet' in (
        response.content.decode()
    )
    assert not ReoffendingRun.objects.exists()


def test_an_early_extract_date_is_shown_against_the_extract_date(world: World) -> None:
    form = {**FORM, "extract_date": "2022-06-29"}

    response = world.client_for("analyst").post(NEW, {**form, **files()})

    body = response.content.decode()
    assert '<a href="#id_extract_date">The extract date 2022-06-29 is too early' in body
    assert 'id="id_extract_date-error"' in body
    assert not ReoffendingRun.objects.exists()


def test_a_waiting_run_shows_a_progress_bar_and_refreshes_itself(world: World) -> None:
    run = queued(world)

    response = world.client_for("analyst").get(detail(run))

    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert '<progress class="app-progress" value="0" max="100"' in body
    assert "The run is waiting to start." in body


def test_a_running_run_shows_how_far_it_has_got(world: World) -> None:
    run = queued(world)
    ReoffendingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=40)

    body = world.client_for("analyst").get(detail(run)).content.decode()

    assert '<progress class="app-progress" value="40" max="100"' in body
    assert "40% done" in body


def test_a_small_cohort_is_shown_after_disclosure_control(world: World) -> None:
    run = done(world)

    response = world.client_for("analyst").get(detail(run))

    assert "http-equiv" not in response.content.decode()  # finished: no more refreshing
    measures = dict(cells(response, "reoffending-measures")[1:])
    # A cohort of 2 with 1 reoffender and 1 reoffence: every count is below 10, so hidden,
    # and every rate and average is based on a hidden count.
    assert measures["Cohort size"] == "<10"
    assert measures["Reoffenders"] == "<10"
    assert measures["Proven reoffences"] == "<10"
    assert measures["Proven reoffending rate (%)"] == "[c]"
    assert measures["Mean days to first reoffence"] == "[c]"
    assert measures["Median days to first reoffence"] == "[c]"
    by_sex = cells(response, "reoffending-by-sex")
    assert by_sex[1] == ["F", "<10", "<10", "[c]", "<10", "[c]"]
    assert by_sex[2] == ["M", "<10", "0", "[c]", "0", "[c]"]
    assert by_sex[3] == ["Total", "<10", "<10", "[c]", "<10", "[c]"]
    shown = [cell for row in by_sex for cell in row] + list(measures.values())
    assert "46" not in " ".join(shown)


def test_a_larger_cohort_shows_its_figures_with_secondary_suppression(world: World) -> None:
    run = done(world, **big_cohort())

    response = world.client_for("analyst").get(detail(run))

    measures = dict(cells(response, "reoffending-measures")[1:])
    assert measures["Cohort size"] == "25"
    assert measures["Reoffenders"] == "10"
    assert measures["Proven reoffending rate (%)"] == "40.0"  # 10 / 25
    assert measures["Reoffences per 100 people"] == "40.00"
    assert measures["Reoffences per reoffender"] == "1.00"
    assert measures["Mean days to first reoffence"] == "46.00"
    assert measures["First reoffence within 3 months (%)"] == "100.0"
    by_sex = cells(response, "reoffending-by-sex")
    # 5 men is below 10; against the total of 25 it could be worked out from the 20 women,
    # so that is hidden too, and so are the rates based on them.
    assert by_sex[1] == ["F", "[c]", "10", "[c]", "10", "[c]"]
    assert by_sex[2] == ["M", "<10", "0", "[c]", "0", "[c]"]
    assert by_sex[3] == ["Total", "25", "10", "40.0", "10", "40.00"]


def test_the_result_page_has_a_chart_definitions_and_the_options(world: World) -> None:
    run = done(world, **big_cohort())

    response = world.client_for("analyst").get(detail(run))

    body = response.content.decode()
    assert '<svg role="img" aria-labelledby="chart-reoffending-rate-sex-title"' in body
    assert "Proven reoffending rate (%), by sex. Figures hidden by disclosure control" in body
    page = text(response)
    assert "A proven reoffence is an offence committed after the index date" in page
    assert "Cohort 1 January 2020 to 31 December 2020" in page
    assert "Breaches of orders or licence Left out" in page
    assert "Counts from 1 to 9 are shown as <10" in page


def test_a_failed_run_shows_its_error(world: World) -> None:
    run = done(world, offences=OFFENCES.replace("2020-05-01", "soon"))

    response = world.client_for("analyst").get(detail(run))

    assert run.status == RunStatus.FAILED
    page = text(response)
    assert "The run could not be completed" in page
    assert "offences.csv, row 2, column disposal_date" in page
    assert "http-equiv" not in response.content.decode()


def test_the_list_takes_the_same_queries_however_many_runs_without_loading_files(
    world: World, django_assert_num_queries: Any
) -> None:
    client = world.client_for("analyst")
    queued(world)
    client.get(LIST)  # the first request of a session does some one-off work
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(4):
        queued(world)

    with django_assert_num_queries(len(one)) as five:
        response = client.get(LIST)

    assert text(response).count("1 January 2020 to 31 December 2020") == 5
    listing = [q["sql"] for q in five.captured_queries if "evaluation_reoffendingrun" in q["sql"]]
    assert len(listing) == 1 and "offences_data" not in listing[0]


def test_breakdown_values_are_shown_in_words(world: World) -> None:
    uploads = files()
    run = reoffending_run_create(
        actor=world.personas["analyst"],
        index_events_file=uploads["index_events_file"],
        offences_file=uploads["offences_file"],
        options=ReoffendingOptions(
            cohort_start=dt.date(2020, 1, 1),
            cohort_end=dt.date(2020, 12, 31),
            extract_date=dt.date(2022, 6, 30),
            by=("index-disposal", "adult-youth"),
        ),
    )
    reoffending_run_execute(run_id=run.pk)

    body = world.client_for("analyst").get(detail(run)).content.decode()
    assert "Released from custody" in body and "Caution" in body and "Adult" in body
    assert ">custody_release<" not in body
