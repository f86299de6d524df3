"""`desist import services FILE.csv`: every row checked first, all or nothing, idempotent by
code, audited; and the example file shipped in docs/ imports cleanly."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import make_user
from desist import cli
from desist.accounts.constants import Role
from desist.accounts.models import Organisation
from desist.audit.models import AuditEvent
from desist.support.constants import EligibleSex
from desist.support.models import Service

pytestmark = pytest.mark.django_db

COLUMNS = [
    "code",
    "name",
    "description",
    "pathways",
    "regions",
    "national",
    "eligible_sex",
    "min_age",
    "max_age",
    "phone",
    "email",
    "website",
    "address",
    "opening_hours",
]
EXAMPLE = Path(settings.BASE_DIR).parent / "docs" / "examples" / "services.csv"


def service(code: str = "housing-line", **cells: str) -> dict[str, str]:
    return {
        "code": code,
        "name": "Housing line",
        "description": "Advice on finding a home.",
        "pathways": "accommodation",
        "regions": "london",
        "national": "false",
        "eligible_sex": "any",
        "min_age": "",
        "max_age": "",
        "phone": "020 7946 0000",
        "email": "",
        "website": "",
        "address": "",
        "opening_hours": "",
        **cells,
    }


def write_csv(
    tmp_path: Path, rows: list[dict[str, str]], *, columns: list[str] | None = None
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns or COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "services.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_data", "services", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_errors(path: Path, *args: str) -> list[str]:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "services", str(path), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_a_good_file_imports_every_service_with_its_values(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            service(
                "womens-centre",
                name="Women's centre",
                pathways="Families; mental_health;families",
                regions="london;north_west",
                eligible_sex="female",
                min_age="18",
                max_age="64",
                email="hello@example.org",
                website="https://example.org",
                address="1 Example Street|London SW1A 1ZZ",
                opening_hours="Monday to Friday",
            ),
            service("debt-line", pathways="finance", regions="", national="yes"),
        ],
    )

    output = run_import(path)

    assert "Imported services.csv: created 2, updated 0, unchanged 0 (2 rows)." in output
    centre = Service.objects.get(code="womens-centre")
    assert centre.pathways == ["mental_health", "families"]
    assert sorted(r.code for r in centre.regions.all()) == ["london", "north_west"]
    assert (centre.eligible_sex, centre.min_age, centre.max_age) == (EligibleSex.FEMALE, 18, 64)
    assert centre.address == "1 Example Street\nLondon SW1A 1ZZ"
    debt = Service.objects.get(code="debt-line")
    assert (debt.national, list(debt.regions.all())) == (True, [])


def test_the_import_is_audited_service_by_service_and_as_a_whole(tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [service("one"), service("two")]))

    assert AuditEvent.objects.filter(entity="support.service", action="create").count() == 2
    summary = AuditEvent.objects.get(entity="support.service", action="import")
    assert summary.actor_id is None
    assert (summary.changes["file"], summary.changes["created"], summary.changes["rows"]) == (
        "services.csv",
        2,
        2,
    )
    assert len(summary.changes["sha256"]) == 64


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row_and_column(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        [service("one"), service("two"), service("three", pathways="accommodation;housing")],
    )

    errors = import_errors(path)

    assert errors == [
        "Row 4, pathways: 'housing' is not a pathway; use one of: accommodation, drugs_alcohol, "
        "mental_health, physical_health, attitudes, education_employment, finance, families, "
        "identity"
    ]
    assert not Service.objects.exists()
    assert not AuditEvent.objects.filter(entity="support.service").exists()


def test_every_problem_in_the_file_is_listed_by_row_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            service("one", regions="londn"),
            service("two", national="maybe", min_age="ten"),
            service("three", regions="", national="false"),
            service("four", min_age="30", max_age="20", email="nobody"),
            service("one"),
            service("Bad Code", name=""),
        ],
    )

    errors = import_errors(path)

    assert errors[0].startswith("Row 2, regions: 'londn' is not a region; use one of: ")
    assert errors[1:] == [
        "Row 3, national: 'maybe' is not true or false",
        "Row 3, min_age: 'ten' is not a whole number from 0 to 120",
        "Row 4, regions: Choose the regions the service covers, or say that it is national",
        "Row 5, max_age: The maximum age must be the same as or more than the minimum age",
        "Row 5, email: Enter an email address like name@example.org",
        "Row 6, code: 'one' is also on row 2",
        "Row 7, name: is blank but is required",
    ]


def test_a_bad_code_is_named_once_the_cells_can_be_read(tmp_path: Path) -> None:
    errors = import_errors(write_csv(tmp_path, [service("bad code!")]))
    assert errors == [
        "Row 2, code: The code can only hold lower-case letters, numbers, hyphens and "
        "underscores, for example nacro-housing-london"
    ]


def test_an_unknown_column_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [{"code": "one", "name": "One", "pathway": "finance"}],
        columns=["code", "name", "pathway"],
    )
    errors = import_errors(path)
    assert "Row 1: missing required column(s): pathways" in errors
    assert 'Row 1: unknown column "pathway" (did you mean "pathways"?)' in errors


def test_importing_the_same_file_again_changes_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [service("one"), service("two", pathways="finance;accommodation")])
    run_import(path)
    events = AuditEvent.objects.count()

    output = run_import(path)

    assert "created 0, updated 0, unchanged 2 (2 rows)" in output
    assert Service.objects.count() == 2
    # Only the summary of the second run.
    assert AuditEvent.objects.count() == events + 1


def test_a_changed_row_updates_the_service_with_the_same_code(tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [service("one"), service("two")]))
    before = Service.objects.get(code="one")

    output = run_import(
        write_csv(
            tmp_path, [service("one", phone="0300 123 4567", regions="north_west"), service("two")]
        )
    )

    assert "created 0, updated 1, unchanged 1 (2 rows)" in output
    after = Service.objects.get(code="one")
    assert (after.pk, after.uuid, after.phone) == (before.pk, before.uuid, "0300 123 4567")
    assert [r.code for r in after.regions.all()] == ["north_west"]
    event = AuditEvent.objects.filter(entity="support.service", action="update").get()
    assert event.changes == {
        "phone": ["020 7946 0000", "0300 123 4567"],
        "regions": [["london"], ["north_west"]],
    }


def test_a_column_left_out_of_the_file_keeps_the_services_value(tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [service("one", email="team@example.org")]))
    slim = ["code", "name", "pathways", "regions", "phone"]
    row = {k: v for k, v in service("one", phone="0300 123 4567").items() if k in slim}

    run_import(write_csv(tmp_path, [row], columns=slim))

    one = Service.objects.get(code="one")
    assert (one.email, one.phone) == ("team@example.org", "0300 123 4567")


def test_a_dry_run_counts_and_writes_nothing(tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [service("one")]))
    path = write_csv(tmp_path, [service("one", phone="0300 123 4567"), service("two")])

    output = run_import(path, "--dry-run")

    assert "Dry run of services.csv, nothing written. Would have created 1, updated 1" in output
    assert Service.objects.count() == 1
    assert Service.objects.get().phone == "020 7946 0000"
    assert AuditEvent.objects.filter(action="import").count() == 1


def test_the_actor_must_be_a_programme_manager(tmp_path: Path) -> None:
    team = Organisation.objects.create(name="Programme Team", kind="programme_team")
    probation = Organisation.objects.create(name="Probation", kind="probation")
    make_user("pm", team, Role.PROGRAMME_MANAGER)
    make_user("so", probation, Role.SUPERVISING_OFFICER)
    path = write_csv(tmp_path, [service("one")])

    assert import_errors(path, "--actor", "so") == [
        "--actor so is not a programme manager; only programme managers change the service "
        "directory"
    ]
    run_import(path, "--actor", "pm")
    event = AuditEvent.objects.get(entity="support.service", action="create")
    assert event.actor_label == "pm"


def test_the_example_file_in_the_docs_imports_with_the_desist_command(
    capsys: pytest.CaptureFixture[str], keep_db_connection: Any
) -> None:
    status = cli.main(["desist", "import", "services", str(EXAMPLE)])

    assert status == 0
    assert "Imported services.csv: created 5, updated 0, unchanged 0 (5 rows)." in (
        capsys.readouterr().out
    )
    assert Service.objects.get(code="young-futures").max_age == 25


def test_the_participants_import_still_works_beside_it(tmp_path: Path) -> None:
    Organisation.objects.create(name="Probation London", kind="probation")
    path = tmp_path / "people.csv"
    path.write_text(
        "participant_id,given_name,family_name,date_of_birth,strand,region,"
        "supervising_organisation\n"
        "DDP-1,Amir,Example,1990-05-17,tpim,london,Probation London\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import_data", "participants", str(path), stdout=out, stderr=io.StringIO())
    assert "created 1" in out.getvalue()
