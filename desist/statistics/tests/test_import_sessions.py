from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conftest import World, make_participant
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.people.importer import ImportFailed
from desist.statistics.importer_sessions import sessions_import
from desist.statistics.models import HistoricalSession

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)  # 12:00 in London (BST)
HEADER = "participant_id,session_date,attendance\n"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def write(tmp_path: Path, body: str, name: str = "sessions.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def errors_of(path: Path, world: World) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        sessions_import(path=path, actor=None)
    return [str(error) for error in failed.value.errors]


def test_a_good_file_adds_one_record_per_row_and_one_audit_event(
    world: World, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"{world.case.reference},2019-04-01,attended\n"
        f"{world.case.reference},2019-04-08,LATE\n"
        f"{world.other_case.reference},2025-06-15,did_not_attend\n"
        f"{world.other_case.reference},2016-01-04,cancelled\n",
    )

    result = sessions_import(path=path, actor=world.personas["analyst"])

    assert (result.rows, result.created, result.unchanged) == (4, 4, 0)
    stored = set(
        HistoricalSession.objects.values_list(
            "participant__reference", "session_date", "attendance"
        )
    )
    assert stored == {
        (world.case.reference, dt.date(2019, 4, 1), "attended"),
        (world.case.reference, dt.date(2019, 4, 8), "late"),
        (world.other_case.reference, dt.date(2025, 6, 15), "did_not_attend"),
        (world.other_case.reference, dt.date(2016, 1, 4), "cancelled"),
    }
    first = HistoricalSession.objects.first()
    assert first is not None and first.source == "sessions.csv"
    assert first.imported_by == world.personas["analyst"]
    event = AuditEvent.objects.get(action=Action.IMPORT, entity="statistics.historicalsession")
    assert event.changes["rows"] == 4 and event.changes["created"] == 4
    # Counts only: no reference, name or date of anyone in the audit record.
    assert world.case.reference not in str(event.changes)
    assert event.participant_ref == ""


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("NOBODY-1,2019-04-01,attended", 'Row 3, participant_id: "NOBODY-1" is not the reference'),
        (",2019-04-01,attended", "Row 3, participant_id: is blank but is required"),
        ("{ref},01/04/2019,attended", 'Row 3, session_date: "01/04/2019" is not a date'),
        ("{ref},2019-02-30,attended", 'Row 3, session_date: "2019-02-30" is not a date'),
        ("{ref},2025-06-16,attended", 'Row 3, session_date: "2025-06-16" is in the future'),
        ("{ref},2019-04-01,present", 'Row 3, attendance: "present" is not one of: attended'),
        ("{ref},2019-04-01,", "Row 3, attendance: is blank but is required"),
    ],
)
def test_each_kind_of_bad_row_is_named_by_row_and_column_and_nothing_is_written(
    world: World, tmp_path: Path, row: str, message: str
) -> None:
    path = write(
        tmp_path,
        f"{world.case.reference},2019-04-01,attended\n{row.format(ref=world.case.reference)}\n",
    )

    errors = errors_of(path, world)

    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert not HistoricalSession.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.IMPORT).exists()


def test_every_bad_row_is_listed_not_just_the_first(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "X,2019-04-01,attended\nY,bad,nope\n")

    errors = errors_of(path, world)

    assert errors == [
        'Row 2, participant_id: "X" is not the reference of any participant',
        'Row 3, participant_id: "Y" is not the reference of any participant',
        'Row 3, session_date: "bad" is not a date in the format YYYY-MM-DD',
        'Row 3, attendance: "nope" is not one of: attended, late, did_not_attend, cancelled',
    ]


def test_a_missing_column_is_refused_before_any_row(world: World, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("participant_id,session_date\nX,2019-04-01\n", encoding="utf-8")

    errors = errors_of(path, world)

    assert errors == ["Row 1: missing required column(s): attendance"]


def test_importing_the_same_file_again_adds_nothing(world: World, tmp_path: Path) -> None:
    body = (
        f"{world.case.reference},2019-04-01,attended\n"
        f"{world.case.reference},2019-04-01,attended\n"  # the same row twice in one file
        f"{world.case.reference},2019-04-01,did_not_attend\n"
    )
    first = sessions_import(path=write(tmp_path, body), actor=None)
    again = sessions_import(path=write(tmp_path, body, name="renamed.csv"), actor=None)

    assert (first.created, first.unchanged) == (2, 1)
    assert (again.created, again.unchanged) == (0, 3)
    assert HistoricalSession.objects.count() == 2


def test_a_dry_run_counts_but_writes_nothing(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, f"{world.case.reference},2019-04-01,attended\n")

    result = sessions_import(path=path, actor=None, dry_run=True)

    assert (result.dry_run, result.created) == (True, 1)
    assert not HistoricalSession.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.IMPORT).exists()


def test_the_number_of_queries_does_not_grow_with_the_rows(
    world: World, tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    people = [world.case, world.other_case]
    start = dt.date(2018, 1, 1)
    body = "".join(
        f"{people[i % 2].reference},{start + dt.timedelta(days=i)},attended\n" for i in range(600)
    )
    path = write(tmp_path, body)

    # References (1), existing records (1), inserts (SQLite's 999-parameter limit makes
    # bulk_create send 6-column rows about 160 at a time: 4 for 600 rows), the audit event and
    # its chain head, transaction control. One query per row would be 600.
    with django_assert_max_num_queries(15):
        result = sessions_import(path=path, actor=None)

    assert result.created == 600
    assert HistoricalSession.objects.count() == 600


def test_the_import_command_takes_the_sessions_kind(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, f"{world.case.reference},2019-04-01,late\n")
    out = StringIO()

    call_command("import_data", "sessions", str(path), "--dry-run", stdout=out)
    assert "Would have created 1" in out.getvalue()
    call_command("import_data", "sessions", str(path), stdout=out)

    assert HistoricalSession.objects.get().attendance == "late"


def test_the_import_command_lists_problems_and_fails(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "NOBODY,2019-04-01,attended\n")
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "sessions", str(path), stderr=err)

    assert 'Row 2, participant_id: "NOBODY"' in err.getvalue()


def test_participants_and_services_kinds_are_still_offered() -> None:
    from desist.people.management.commands.import_data import IMPORTERS

    assert set(IMPORTERS) == {"participants", "services", "sessions"}


def test_references_are_matched_exactly(world: World, tmp_path: Path) -> None:
    make_participant(
        reference="HIST-7",
        family_name="Historyperson",
        organisation=world.probation_london,
        region=world.london,
    )
    path = write(tmp_path, "hist-7,2019-04-01,attended\nHIST-7,2019-04-01,attended\n")

    errors = errors_of(path, world)

    assert errors == ['Row 2, participant_id: "hist-7" is not the reference of any participant']
