from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from conftest import World
from desist.audit.constants import GENESIS_HASH, Action
from desist.audit.models import AuditChainHead, AuditEvent
from desist.audit.services import audit_record, event_hash
from desist.audit.verify import audit_verify
from desist.people import services


def _append(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=Action.UPDATE, entity="test.thing", entity_id=str(i))
        for i in range(n)
    ]


def _tamper(sql: str, params: list[object]) -> None:
    """Play a database superuser: lift the append-only triggers, change rows, put them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute("DROP TRIGGER audit_no_delete")
            cursor.execute(sql, params)


@pytest.mark.django_db
def test_events_are_chained_from_the_genesis_hash() -> None:
    first, second, third = _append(3)
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, third.hash)


@pytest.mark.django_db
def test_stored_hash_matches_recomputation_after_reading_back() -> None:
    _append(2)
    for row in AuditEvent.objects.values():
        assert event_hash(row) == row["hash"]


@pytest.mark.django_db
def test_verify_passes_on_an_untouched_chain() -> None:
    _append(5)
    result = audit_verify()
    assert result.ok and result.checked == 5


@pytest.mark.django_db
def test_verify_detects_an_edited_row() -> None:
    _append(4)
    _tamper("UPDATE audit_auditevent SET actor_label = %s WHERE seq = 2", ["someone-else"])
    result = audit_verify()
    assert result.problems == ["Event #2 was changed after it was written."]


@pytest.mark.django_db
def test_verify_detects_an_edited_row_with_a_recomputed_hash() -> None:
    _append(4)
    row = AuditEvent.objects.values().get(seq=2)
    row["purpose"] = "made up"
    _tamper(
        "UPDATE audit_auditevent SET purpose = %s, hash = %s WHERE seq = 2",
        ["made up", event_hash(row)],
    )
    assert audit_verify().problems == [
        "Event #3 does not follow the event before it: the chain is broken."
    ]


@pytest.mark.django_db
def test_verify_detects_a_deleted_row() -> None:
    _append(4)
    _tamper("DELETE FROM audit_auditevent WHERE seq = 3", [])
    problems = audit_verify().problems
    assert "Event #3 missing: rows were deleted." in problems
    assert "Event #4 does not follow the event before it: the chain is broken." in problems


@pytest.mark.django_db
def test_verify_detects_rows_cut_from_the_end() -> None:
    _append(4)
    _tamper("DELETE FROM audit_auditevent WHERE seq = 4", [])
    assert audit_verify().problems == [
        "The chain ends at event #3 but its head records #4: events were removed from the end "
        "or the head was altered."
    ]


@pytest.mark.django_db
def test_database_refuses_update_and_delete() -> None:
    _append(1)
    for sql in (
        "UPDATE audit_auditevent SET purpose = 'x'",
        "DELETE FROM audit_auditevent",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get().purpose == ""


@pytest.mark.django_db
def test_model_refuses_save_of_existing_row_and_delete() -> None:
    (event,) = _append(1)
    event.purpose = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_change_and_audit_roll_back_together(world: World) -> None:
    before = AuditEvent.objects.count()
    reference_before = world.case.reference
    with pytest.raises(RuntimeError), transaction.atomic():
        services.participant_update(
            actor=world.personas["supervising_officer"],
            participant=world.case,
            data={"reference": "CHANGED-1"},
        )
        raise RuntimeError("the request failed after the change")
    world.case.refresh_from_db()
    assert world.case.reference == reference_before
    assert AuditEvent.objects.count() == before


def test_update_is_audited_with_old_and_new_values(world: World) -> None:
    officer = world.personas["supervising_officer"]
    services.participant_update(
        actor=officer, participant=world.case, data={"phone": "07700 900123"}
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == Action.UPDATE
    assert event.actor_id == officer.pk and event.actor_label == "so"
    assert event.changes == {"phone": ["", "07700 900123"]}
    assert event.participant_ref == str(world.case.uuid)


@pytest.mark.django_db
def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError):
        audit_record(actor=None, action="rename", entity="x", entity_id="1")


@pytest.mark.django_db
def test_verify_command_reports_success_and_failure(capsys: pytest.CaptureFixture[str]) -> None:
    _append(3)
    call_command("audit", "verify")
    assert "Audit trail verified: 3 events" in capsys.readouterr().out
    _tamper("UPDATE audit_auditevent SET entity_id = %s WHERE seq = 1", ["99"])
    with pytest.raises(CommandError, match="FAILED verification: 1 problem"):
        call_command("audit", "verify")
    assert "Event #1 was changed after it was written." in capsys.readouterr().err


@pytest.mark.django_db
def test_desist_command_runs_audit_verify(
    capsys: pytest.CaptureFixture[str], keep_db_connection: None
) -> None:
    from desist.cli import main

    _append(1)
    assert main(["desist", "audit", "verify"]) == 0
    assert "Audit trail verified: 1 events" in capsys.readouterr().out
