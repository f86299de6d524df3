from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from desist import cli
from desist.accounts.models import Organisation, Region, User
from desist.audit.models import AuditEvent
from desist.people import services
from desist.people.models import Alias, Participant, StatusChange

pytestmark = pytest.mark.django_db

MINIMAL = ["participant_id", "given_name", "family_name", "date_of_birth", "strand"]
FULL = [
    *MINIMAL,
    "referral_date",
    "sex",
    "region",
    "supervising_organisation",
    "pnc_number",
    "prison_number",
    "probation_crn",
    "status",
    "custody_establishment",
    "expected_release_date",
    "mappa_category",
    "mappa_level",
    "aliases",
]


@pytest.fixture
def probation() -> Organisation:
    return Organisation.objects.create(name="Probation London", kind="probation")


def write_csv(
    tmp_path: Path,
    rows: list[dict[str, str]],
    *,
    columns: list[str] | None = None,
    name: str = "people.csv",
    encoding: str = "utf-8",
) -> Path:
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def person(reference: str = "DDP-001", **cells: str) -> dict[str, str]:
    return {
        "participant_id": reference,
        "given_name": "Amir",
        "family_name": "Example",
        "date_of_birth": "1990-05-17",
        "strand": "probation_licence",
        "region": "london",
        "supervising_organisation": "Probation London",
        **cells,
    }


def run_import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_data", "participants", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_errors(path: Path, *args: str) -> list[str]:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_data", "participants", str(path), *args, stdout=io.StringIO(), stderr=err
        )
    return err.getvalue().splitlines()


def test_import_creates_participants_with_the_values_in_the_file(tmp_path, probation):
    path = write_csv(
        tmp_path,
        [
            person(
                "DDP-001",
                given_name="Amir",
                family_name="Example",
                referral_date="2024-01-15",
                sex="male",
                pnc_number="12/12345A",
                prison_number="a1234bc",
                probation_crn="X123456",
                status="active",
                custody_establishment="HMP Example",
                expected_release_date="2026-03-01",
                mappa_category="4",
                mappa_level="2",
                aliases="Ali Example; Sam  van Test",
            ),
            person("DDP-002", given_name="Bea", family_name="Sample", strand="tpim"),
        ],
        columns=FULL,
    )

    output = run_import(path)

    assert "created 2, updated 0, unchanged 0 (2 rows)" in output
    first = Participant.objects.get(reference="DDP-001")
    assert (first.given_name, first.family_name) == ("Amir", "Example")
    assert first.date_of_birth == dt.date(1990, 5, 17)
    assert first.strand == "probation_licence"
    assert first.referral_date == dt.date(2024, 1, 15)
    assert first.sex == "male"
    assert first.region.code == "london"
    assert first.supervising_organisation == probation
    assert first.pnc_number == "12/0012345A"  # serial zero-padded, as the form stores it
    assert first.prison_number == "A1234BC"
    assert first.probation_crn == "X123456"
    assert first.status == "active"
    assert first.custody_establishment == "HMP Example"
    assert first.expected_release_date == dt.date(2026, 3, 1)
    assert (first.mappa_category, first.mappa_level) == ("4", "2")
    assert sorted(first.aliases.values_list("given_name", "family_name")) == [
        ("Ali", "Example"),
        ("Sam van", "Test"),
    ]
    # Created straight into the status given in the file, with one history row for it.
    assert list(first.status_history.values_list("status", flat=True)) == ["active"]
    second = Participant.objects.get(reference="DDP-002")
    assert second.strand == "tpim"
    assert second.status == "referred"
    assert second.sex == "not_known"
    assert second.pnc_number == ""


def test_import_audits_each_record_and_summarises_the_run_without_personal_data(
    tmp_path, probation
):
    path = write_csv(tmp_path, [person("DDP-001"), person("DDP-002", aliases="Ali Example")])

    run_import(path)

    created = AuditEvent.objects.filter(action="create", entity="people.participant")
    assert created.count() == 2
    assert AuditEvent.objects.filter(action="create", entity="people.alias").count() == 1
    summary = AuditEvent.objects.get(action="import")
    assert summary.actor_label == "system"
    assert summary.entity == "people.participant"
    assert set(summary.changes) == {"file", "sha256", "rows", "created", "updated", "unchanged"}
    assert summary.changes["file"] == "people.csv"
    assert (summary.changes["rows"], summary.changes["created"]) == (2, 2)
    text = json.dumps(summary.changes)
    for personal in ("Amir", "Example", "DDP-001", "1990"):
        assert personal not in text
    assert summary.seq == AuditEvent.objects.latest("seq").seq


def test_reimporting_the_same_file_creates_no_duplicates_and_reports_unchanged(tmp_path, probation):
    path = write_csv(
        tmp_path,
        [person("DDP-001", aliases="Ali Example", pnc_number="12/12345A"), person("DDP-002")],
    )
    run_import(path)
    counts = (Participant.objects.count(), Alias.objects.count(), StatusChange.objects.count())
    events = AuditEvent.objects.count()

    output = run_import(path)

    assert "created 0, updated 0, unchanged 2 (2 rows)" in output
    assert (
        Participant.objects.count(),
        Alias.objects.count(),
        StatusChange.objects.count(),
    ) == counts
    # Only the summary of the second run.
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.latest("seq").action == "import"


def test_changed_value_on_reimport_updates_and_audits_old_and_new(tmp_path, probation):
    run_import(write_csv(tmp_path, [person("DDP-001"), person("DDP-002")]))
    participant = Participant.objects.get(reference="DDP-001")
    changed = write_csv(
        tmp_path,
        [person("DDP-001", family_name="Renamed", mappa_level="1"), person("DDP-002")],
        name="changed.csv",
    )

    output = run_import(changed)

    assert "created 0, updated 1, unchanged 1 (2 rows)" in output
    participant.refresh_from_db()
    assert participant.family_name == "Renamed"
    assert participant.mappa_level == "1"
    event = AuditEvent.objects.get(action="update")
    assert event.entity_id == str(participant.pk)
    assert event.changes == {"family_name": ["Example", "Renamed"], "mappa_level": ["", "1"]}
    assert AuditEvent.objects.filter(action="import").latest("seq").changes["updated"] == 1


def test_reimport_adds_only_aliases_not_already_present(tmp_path, probation):
    run_import(write_csv(tmp_path, [person(aliases="Ali Example")]))

    output = run_import(
        write_csv(tmp_path, [person(aliases="ali  EXAMPLE; Sam Test")], name="more.csv")
    )

    assert "updated 1" in output
    assert sorted(Alias.objects.values_list("given_name", "family_name")) == [
        ("Ali", "Example"),
        ("Sam", "Test"),
    ]


def test_blank_region_on_reimport_keeps_the_existing_region_not_the_default(tmp_path, probation):
    run_import(write_csv(tmp_path, [person(region="north_west")]))

    output = run_import(
        write_csv(tmp_path, [person(region="")], name="again.csv"), "--default-region", "london"
    )

    assert "unchanged 1" in output
    assert Participant.objects.get().region.code == "north_west"


def test_status_in_the_file_is_used_only_on_create(tmp_path, probation):
    run_import(write_csv(tmp_path, [person(status="active")]))

    output = run_import(write_csv(tmp_path, [person(status="ended")], name="again.csv"))

    assert "unchanged 1" in output
    assert Participant.objects.get().status == "active"


def test_defaults_fill_region_and_organisation_when_the_columns_are_absent(tmp_path, probation):
    path = write_csv(
        tmp_path,
        [{k: v for k, v in person().items() if k in MINIMAL}],
    )

    run_import(path, "--default-region", "wales", "--default-organisation", "Probation London")

    participant = Participant.objects.get()
    assert participant.region == Region.objects.get(code="wales")
    assert participant.supervising_organisation == probation


def test_actor_is_recorded_in_the_audit_trail(tmp_path, probation):
    User.objects.create_user(username="importer", password="x-Long-password-1")

    run_import(write_csv(tmp_path, [person()]), "--actor", "importer")

    assert set(AuditEvent.objects.values_list("actor_label", flat=True)) == {"importer"}


def test_unknown_actor_is_refused(tmp_path, probation):
    with pytest.raises(CommandError, match='No active user with username "nobody"'):
        run_import(write_csv(tmp_path, [person()]), "--actor", "nobody")
    assert not Participant.objects.exists()


FUTURE = (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"given_name": ""}, "Row 3, given_name: is blank but is required"),
        ({"participant_id": "  "}, "Row 3, participant_id: is blank but is required"),
        (
            {"date_of_birth": "31/02/1990"},
            'Row 3, date_of_birth: "31/02/1990" is not a date in the format YYYY-MM-DD',
        ),
        (
            {"date_of_birth": "1990-02-31"},
            'Row 3, date_of_birth: "1990-02-31" is not a date in the format YYYY-MM-DD',
        ),
        ({"date_of_birth": FUTURE}, f'Row 3, date_of_birth: "{FUTURE}" is not in the past'),
        (
            {"referral_date": "15 Jan 2024"},
            'Row 3, referral_date: "15 Jan 2024" is not a date in the format YYYY-MM-DD',
        ),
        (
            {"strand": "probation"},
            'Row 3, strand: "probation" is not one of: '
            "probation_licence, tpim, teo, custody, other",
        ),
        ({"sex": "m"}, 'Row 3, sex: "m" is not one of: female, male, not_known'),
        (
            {"status": "open"},
            'Row 3, status: "open" is not one of: referred, active, paused, ended',
        ),
        ({"mappa_category": "5"}, 'Row 3, mappa_category: "5" is not one of: 1, 2, 3, 4'),
        ({"mappa_level": "4"}, 'Row 3, mappa_level: "4" is not one of: 1, 2, 3'),
        ({"region": "atlantis"}, 'Row 3, region: "atlantis" is not a region code; use one of:'),
        (
            {"supervising_organisation": "probation london"},
            'Row 3, supervising_organisation: "probation london" is not the name of an '
            'organisation (did you mean "Probation London"?)',
        ),
        (
            {"supervising_organisation": "Mentors Ltd"},
            'Row 3, supervising_organisation: "Mentors Ltd" is not a probation or prison '
            'organisation (its kind is "Intervention provider")',
        ),
        (
            {"pnc_number": "12345"},
            'Row 3, pnc_number: "12345" is not valid. '
            "Enter a PNC number in the format 2012/0012345K",
        ),
        (
            {"pnc_number": "12/12345M"},
            'Row 3, pnc_number: "12/12345M" is not valid. '
            "Enter a PNC number with the right check letter",
        ),
        (
            {"prison_number": "1234ABC"},
            'Row 3, prison_number: "1234ABC" is not valid. '
            "Enter a prison number in the format A1234BC",
        ),
        (
            {"probation_crn": "X12"},
            'Row 3, probation_crn: "X12" is not valid. '
            "Enter a probation case reference in the format X123456",
        ),
        (
            {"family_name": "x" * 101},
            "Row 3, family_name: is 101 characters long; the most allowed is 100",
        ),
        ({"participant_id": "DDP-001"}, 'Row 3, participant_id: "DDP-001" is also on row 2'),
        ({"region": ""}, "Row 3, region: has no value and no --default-region was given"),
        (
            {"supervising_organisation": ""},
            "Row 3, supervising_organisation: has no value and no --default-organisation was given",
        ),
    ],
)
def test_bad_cell_is_reported_by_row_and_column(tmp_path, probation, cells, expected):
    Organisation.objects.create(name="Mentors Ltd", kind="provider")
    path = write_csv(tmp_path, [person("DDP-001"), person("DDP-002", **cells)], columns=FULL)

    errors = import_errors(path)

    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors
    assert not Participant.objects.exists()


def test_every_error_in_every_row_is_reported(tmp_path, probation):
    path = write_csv(
        tmp_path,
        [
            person("DDP-001", strand="nope", date_of_birth="1990/01/01"),
            person("DDP-002"),
            {k: "" for k in person()},  # a blank row: skipped, but still counts as row 4
            person("DDP-003", sex="x"),
        ],
    )

    errors = import_errors(path)

    assert errors == [
        'Row 2, date_of_birth: "1990/01/01" is not a date in the format YYYY-MM-DD',
        'Row 2, strand: "nope" is not one of: probation_licence, tpim, teo, custody, other',
        'Row 5, sex: "x" is not one of: female, male, not_known',
    ]


def test_missing_required_columns_are_named_in_one_error(tmp_path, probation):
    row = {k: v for k, v in person().items() if k not in ("date_of_birth", "strand")}

    errors = import_errors(write_csv(tmp_path, [row]))

    assert errors == ["Row 1: missing required column(s): date_of_birth, strand"]


def test_unknown_column_is_named(tmp_path, probation):
    errors = import_errors(write_csv(tmp_path, [person(dob="1990-01-01", nickname="A")]))

    assert errors == [
        'Row 1: unknown column "dob"',
        'Row 1: unknown column "nickname"',
    ]


def test_misspelt_column_gets_a_suggestion(tmp_path, probation):
    errors = import_errors(write_csv(tmp_path, [person(strnd="tpim")]))

    assert errors == ['Row 1: unknown column "strnd" (did you mean "strand"?)']


def test_file_that_is_not_utf8_is_refused_with_a_clear_error(tmp_path, probation):
    path = write_csv(tmp_path, [person(), person("DDP-002", given_name="Zoë")], encoding="latin-1")

    errors = import_errors(path)

    assert errors == [
        "people.csv is not UTF-8 text (the first character that is not is on line 3). "
        'Save it from your spreadsheet as "CSV UTF-8" and try again.'
    ]


def test_utf8_file_with_a_byte_order_mark_is_accepted(tmp_path, probation):
    path = write_csv(tmp_path, [person(given_name="Zoë")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    run_import(path)

    assert Participant.objects.get().given_name == "Zoë"


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path, probation):
    run_import(write_csv(tmp_path, [person("DDP-001")]))
    before = (Participant.objects.count(), AuditEvent.objects.count())
    path = write_csv(
        tmp_path,
        [person("DDP-001", family_name="Changed"), person("DDP-002")],
        name="next.csv",
    )

    output = run_import(path, "--dry-run")

    assert "Dry run" in output
    assert "created 1, updated 1, unchanged 0 (2 rows)" in output
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before
    assert Participant.objects.get(reference="DDP-001").family_name == "Example"


def test_dry_run_still_reports_errors(tmp_path, probation):
    errors = import_errors(write_csv(tmp_path, [person(sex="x")]), "--dry-run")

    assert errors == ['Row 2, sex: "x" is not one of: female, male, not_known']


def test_three_good_rows_and_one_bad_row_write_nothing(tmp_path, probation):
    before = (Participant.objects.count(), AuditEvent.objects.count())
    path = write_csv(
        tmp_path,
        [person("A"), person("B"), person("C", date_of_birth="1990-13-01"), person("D")],
    )

    errors = import_errors(path)

    assert errors == ['Row 4, date_of_birth: "1990-13-01" is not a date in the format YYYY-MM-DD']
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before


def test_a_row_refused_while_writing_rolls_back_the_rows_already_written(
    tmp_path, probation, monkeypatch
):
    # Checks before writing should catch everything; this proves the transaction holds if not.
    real_create = services.participant_create

    def create_but_refuse_c(**kwargs):
        if kwargs["data"]["reference"] == "C":
            raise ValidationError({"given_name": ["Refused for the test"]})
        return real_create(**kwargs)

    monkeypatch.setattr("desist.people.importer.participant_create", create_but_refuse_c)
    before = (Participant.objects.count(), AuditEvent.objects.count())
    path = write_csv(tmp_path, [person("A"), person("B"), person("C"), person("D")])

    errors = import_errors(path)

    assert errors == ["Row 4, given_name: Refused for the test"]
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before


def test_desist_command_line_imports_participants(tmp_path, probation, capsys, keep_db_connection):
    path = write_csv(tmp_path, [{k: v for k, v in person().items() if k != "region"}])

    status = cli.main(["desist", "import", "participants", str(path), "--default-region", "london"])

    assert status == 0
    assert "Imported people.csv: created 1, updated 0, unchanged 0 (1 rows)." in (
        capsys.readouterr().out
    )
    assert Participant.objects.get().region.code == "london"


def test_desist_command_line_exits_non_zero_on_errors(
    tmp_path, probation, capsys, keep_db_connection
):
    path = write_csv(tmp_path, [person(strand="")])

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["desist", "import", "participants", str(path)])

    assert exit_info.value.code != 0
    assert "Row 2, strand: is blank but is required" in capsys.readouterr().err


def test_unknown_defaults_are_refused_before_reading_rows(tmp_path, probation):
    errors = import_errors(
        write_csv(tmp_path, [person()]),
        "--default-region",
        "atlantis",
        "--default-organisation",
        "Nobody",
    )

    assert errors == [
        '--default-region "atlantis" is not a region',
        '--default-organisation: "Nobody" is not the name of an organisation',
    ]


def test_malformed_csv_is_reported_at_its_row(tmp_path, probation):
    path = tmp_path / "broken.csv"
    path.write_text(
        ",".join(MINIMAL) + "\r\n"
        "DDP-001,Amir,Example,1990-05-17,tpim\r\n"
        '"DDP-002"x,Bea,Sample,1990-05-17,tpim\r\n',
        encoding="utf-8",
    )

    errors = import_errors(path)

    assert len(errors) == 1
    assert errors[0].startswith("Row 3: cannot be read as CSV")


def test_row_with_more_cells_than_the_header_is_an_error(tmp_path, probation):
    path = tmp_path / "wide.csv"
    path.write_text(
        ",".join(MINIMAL) + "\r\nDDP-001,Amir,Example,1990-05-17,tpim,surprise\r\n",
        encoding="utf-8",
    )

    assert import_errors(path) == ["Row 2: has 6 cells but the header has 5"]
