"""Release pages and API: analysts and programme managers read, programme managers create and
publish, everyone else gets the same 404 as a missing page."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from conftest import PERSONAS, World
from desist.statistics.models import HistoricalSession, ReleaseStatus, StatisticsRelease
from desist.statistics.services_releases import release_build, release_create

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
READERS = {"analyst", "programme_manager"}
LIST = reverse("statistics:releases")
NEW = reverse("statistics:release_new")
API = "/api/v1/statistics/releases/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def release(world: World) -> StatisticsRelease:
    HistoricalSession.objects.create(
        participant=world.case,
        session_date=dt.date(2019, 6, 1),
        attendance="attended",
        source="test.csv",
        imported_at=NOW,
    )
    return built(world, title="Statistics 2019/20", as_at=NOW.date())


def built(world: World, *, title: str, as_at: dt.date) -> StatisticsRelease:
    """A release asked for and built (the background task's work, run here directly)."""
    asked = release_create(actor=world.personas["programme_manager"], title=title, as_at=as_at)
    release = release_build(release_id=asked.pk)
    assert release is not None
    return release


def detail(release: StatisticsRelease) -> str:
    return reverse("statistics:release_detail", kwargs={"release_uuid": release.uuid})


def refused(response: Any, persona: str) -> bool:
    if persona == "anonymous":
        return response.status_code in (302, 401, 403)
    return response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_analysts_and_programme_managers_read_releases(
    release: StatisticsRelease, world: World, persona: str
) -> None:
    client = world.client_for(persona)
    responses = [
        client.get(LIST),
        client.get(detail(release)),
        client.get(API),
        client.get(f"{API}{release.uuid}/"),
    ]

    for response in responses:
        assert (response.status_code == 200) == (persona in READERS), response
        if persona not in READERS:
            assert refused(response, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_programme_managers_create_releases(world: World, persona: str) -> None:
    response = world.client_for(persona).post(NEW, {"title": "Statistics", "as_at": "2025-03-31"})

    if persona == "programme_manager":
        created = StatisticsRelease.objects.get()
        assert response.status_code == 302 and response["Location"] == detail(created)
    else:
        assert refused(response, persona)
        assert not StatisticsRelease.objects.exists()


@pytest.mark.parametrize("persona", ["analyst", "supervising_officer", "no_roles"])
def test_only_programme_managers_publish(
    release: StatisticsRelease, world: World, persona: str
) -> None:
    url = reverse("statistics:release_publish", kwargs={"release_uuid": release.uuid})

    response = world.client_for(persona).post(url)

    assert response.status_code == 404
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT


def test_a_programme_manager_publishes_from_the_page(
    release: StatisticsRelease, world: World
) -> None:
    client = world.client_for("programme_manager")
    assert "Publish</button>" in client.get(detail(release)).content.decode()

    url = reverse("statistics:release_publish", kwargs={"release_uuid": release.uuid})
    response = client.post(url)

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.PUBLISHED
    assert "Publish</button>" not in client.get(detail(release)).content.decode()
    again = client.post(url)
    assert again.status_code == 400
    assert "already published" in again.content.decode()


def test_a_new_release_page_shows_progress_until_the_background_build_is_done(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for("programme_manager")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(NEW, {"title": "Statistics", "as_at": "2025-03-31"})
    release = StatisticsRelease.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(release)

    assert release.status == ReleaseStatus.BUILDING, release.status
    building = client.get(detail(release)).content.decode()
    assert '<meta http-equiv="refresh"' in building
    assert f'<progress class="app-progress" value="0" max="{release.tables_total}"' in building
    assert "Publish</button>" not in building and "Download as" not in building
    download = reverse(
        "statistics:release_download", kwargs={"release_uuid": release.uuid, "file_format": "csv"}
    )
    assert client.get(download).status_code == 404

    for callback in callbacks:
        callback()  # the commit runs the task (the immediate backend in tests)

    done = client.get(detail(release)).content.decode()
    assert '<meta http-equiv="refresh"' not in done and "<progress" not in done
    assert "Publish</button>" in done and "Download as CSV" in done
    assert client.get(download).status_code == 200


def test_the_new_release_form_names_its_fields_in_the_error_summary(world: World) -> None:
    response = world.client_for("programme_manager").post(NEW, {"title": "", "as_at": "2030-01-01"})

    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_title"' in body and 'href="#id_as_at"' in body
    assert "Enter a title for the release" in body
    assert "The date must be today or in the past" in body


def test_the_detail_page_shows_tables_notes_checksum_and_downloads_without_names(
    release: StatisticsRelease, world: World
) -> None:
    body = world.client_for("analyst").get(detail(release)).content.decode()

    assert release.checksum in body
    assert "Active participants by financial year" in body
    assert "2019/20" in body and "&lt;10" in body
    assert "Figures correct as at 15 June 2025." in body
    assert "download/xlsx/" in body and "download/ods/" in body and "download/csv/" in body
    assert "Publish</button>" not in body
    assert "Zebedee-Marker" not in body and world.case.reference not in body


def test_the_detail_page_checks_the_release_against_the_data(
    release: StatisticsRelease, world: World
) -> None:
    body = world.client_for("analyst").get(detail(release), {"verify": "1"}).content.decode()

    assert "the checksum matches" in body


@pytest.mark.parametrize("file_format", ["xlsx", "ods", "csv"])
def test_downloads_are_the_same_bytes_each_time(
    release: StatisticsRelease, world: World, file_format: str, time_machine: Any
) -> None:
    url = reverse(
        "statistics:release_download",
        kwargs={"release_uuid": release.uuid, "file_format": file_format},
    )
    client = world.client_for("analyst")

    first = client.get(url)
    time_machine.move_to(NOW + dt.timedelta(minutes=5), tick=False)
    second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert f"statistics-release-{NOW.date().isoformat()}" in first["Content-Disposition"]


def test_the_xlsx_download_holds_one_sheet_per_table(
    release: StatisticsRelease, world: World
) -> None:
    url = reverse(
        "statistics:release_download", kwargs={"release_uuid": release.uuid, "file_format": "xlsx"}
    )

    book = load_workbook(io.BytesIO(world.client_for("analyst").get(url).content))

    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert len(book.sheetnames) == 3 + len(release.tables)


def test_two_releases_on_the_same_data_download_the_same_csv(
    release: StatisticsRelease, world: World
) -> None:
    twin = built(world, title=release.title, as_at=release.as_at)
    client = world.client_for("analyst")

    files = [
        client.get(
            reverse(
                "statistics:release_download",
                kwargs={"release_uuid": r.uuid, "file_format": "csv"},
            )
        ).content
        for r in (release, twin)
    ]

    assert files[0] == files[1]
    assert "notes.csv" in zipfile.ZipFile(io.BytesIO(files[0])).namelist()


def test_an_unknown_download_format_is_not_found(release: StatisticsRelease, world: World) -> None:
    url = reverse(
        "statistics:release_download", kwargs={"release_uuid": release.uuid, "file_format": "pdf"}
    )

    assert world.client_for("analyst").get(url).status_code == 404


def test_the_api_gives_the_frozen_tables(release: StatisticsRelease, world: World) -> None:
    response = world.client_for("analyst").get(f"{API}{release.uuid}/")

    data = response.json()
    assert data["checksum"] == release.checksum
    assert data["tables"][0]["key"] == "active-participants"
    assert data["tables"][0]["rows"] == release.tables[0]["rows"]
    listed = world.client_for("programme_manager").get(API).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["uuid"] for row in rows] == [str(release.uuid)]
