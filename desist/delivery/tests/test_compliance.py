from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import SMTPInbox, World, make_user
from desist.accounts.access import ParticipantNotFound
from desist.accounts.constants import Role
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import (
    Absence,
    ComplianceDecision,
    ComplianceStage,
    DeadlineKind,
    SessionOutcome,
)
from desist.delivery.models import ComplianceRecord, ComplianceRule, Deadline, Session
from desist.delivery.selectors import participant_timeline
from desist.delivery.tests.factories_delivery import NOW, Scene, at, book, make_scene
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import LegalBasisKind


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world, mandatory=True)


def _miss(
    scene: Scene, start: dt.datetime, absence: str = Absence.UNACCEPTABLE
) -> ComplianceRecord | None:
    """A session at `start` (in the past) that the participant missed."""
    session = book(scene, start)
    services.session_record_outcome(
        actor=scene.user,
        session=session,
        outcome=SessionOutcome.DID_NOT_ATTEND,
        absence=absence,
        absence_reason="Did not answer the phone.",
    )
    return ComplianceRecord.objects.filter(session=session).first()


def _decide(scene: Scene, record: ComplianceRecord, **extra: Any) -> ComplianceRecord:
    fields: dict[str, Any] = {
        "actor": scene.persona("supervising_officer"),
        "record": record,
        "decision": ComplianceDecision.WARNING,
        "reason": "First missed session; warned in supervision.",
    }
    return services.compliance_decide(**(fields | extra))


# Opening -----------------------------------------------------------------------------------


def test_first_unacceptable_absence_opens_a_record_at_the_warning_stage(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))

    assert record is not None
    assert (record.absences_in_window, record.stage) == (1, ComplianceStage.WARNING)
    assert record.legal_basis == scene.legal_basis
    assert record.opened_at == NOW
    # Five working days from Monday 2 March 2026.
    assert record.due_on == dt.date(2026, 3, 9)
    deadline = Deadline.objects.get(kind=DeadlineKind.COMPLIANCE_DECISION)
    assert (deadline.due_on, deadline.met_at) == (dt.date(2026, 3, 9), None)
    event = AuditEvent.objects.get(entity="delivery.compliancerecord", action="create")
    assert event.changes["stage"] == [None, ComplianceStage.WARNING]


def test_second_within_twelve_months_is_the_breach_stage(scene: Scene) -> None:
    _miss(scene, at(2, 5, month=6, year=2025))
    record = _miss(scene, at(2, 7))
    assert record is not None
    assert (record.absences_in_window, record.stage) == (2, ComplianceStage.BREACH)


def test_an_absence_outside_the_window_does_not_count(scene: Scene) -> None:
    # Exactly twelve months before: outside the window that starts on 3 March 2025.
    _miss(scene, at(2, 7, month=3, year=2025))
    record = _miss(scene, at(2, 7))
    assert record is not None
    assert (record.absences_in_window, record.stage) == (1, ComplianceStage.WARNING)


def test_the_rule_for_the_kind_of_legal_basis_sets_the_thresholds(scene: Scene) -> None:
    ComplianceRule.objects.filter(legal_basis_kind=LegalBasisKind.LICENCE).update(
        warning_after=2, breach_after=3, window_months=6, decision_working_days=2
    )
    first = _miss(scene, at(1, 10, month=12, year=2025))
    second = _miss(scene, at(2, 7))
    assert first is not None and second is not None
    assert first.stage == ComplianceStage.RECORD
    assert (second.absences_in_window, second.stage) == (2, ComplianceStage.WARNING)
    assert second.due_on == dt.date(2026, 3, 4)
    # A six-month window: an absence in August 2025 no longer counts for a March one.
    ComplianceRecord.objects.all().delete()
    Session.objects.all().delete()
    _miss(scene, at(1, 10, month=8, year=2025))
    third = _miss(scene, at(2, 7))
    assert third is not None
    assert third.absences_in_window == 1


def test_absences_under_another_kind_of_legal_basis_do_not_count(world: World) -> None:
    scene = make_scene(world, mandatory=True, kind=LegalBasisKind.TPIM_NOTICE)
    _miss(scene, at(2, 5, month=6, year=2025))
    ComplianceRecord.objects.update(legal_basis=None)  # as if under no (or another) basis
    record = _miss(scene, at(2, 7))
    assert record is not None
    assert record.absences_in_window == 1


@pytest.mark.parametrize(
    ("referral_mandatory", "basis_mandatory", "absence", "opened"),
    [
        (True, True, Absence.UNACCEPTABLE, True),
        (True, False, Absence.UNACCEPTABLE, True),  # the referral says so
        (False, True, Absence.UNACCEPTABLE, True),  # a current legal basis says so
        (False, False, Absence.UNACCEPTABLE, False),
        (True, True, Absence.ACCEPTABLE, False),
    ],
)
def test_a_record_opens_only_for_unacceptable_absence_where_attendance_is_mandatory(
    world: World, referral_mandatory: bool, basis_mandatory: bool, absence: str, opened: bool
) -> None:
    scene = make_scene(world, mandatory=basis_mandatory)
    scene.referral.attendance_mandatory = referral_mandatory
    scene.referral.save(update_fields=["attendance_mandatory"])
    record = _miss(scene, at(2, 7), absence=absence)
    assert (record is not None) is opened
    notified = Notification.objects.filter(kind=NotificationKind.UNACCEPTABLE_ABSENCE).exists()
    assert notified is opened


def test_officer_is_told_at_once_urgently_without_the_name(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None

    [notification] = Notification.objects.filter(kind=NotificationKind.UNACCEPTABLE_ABSENCE)
    assert notification.recipient == scene.persona("supervising_officer")
    assert notification.urgent
    assert notification.email_status == EmailStatus.PENDING
    assert notification.subject == "Unacceptable absence: CASE-1"
    assert "Stage: Consider a warning" in notification.body
    assert "Record your compliance decision by 9 March 2026" in notification.body
    assert scene.world.case.family_name not in notification.subject + notification.body
    assert "Did not answer" not in notification.body  # the practitioner's reason stays inside
    assert notification.link.startswith(f"/participants/{scene.world.case.uuid}/")


def test_every_supervising_officer_is_told_when_no_officer_is_named(scene: Scene) -> None:
    case = scene.world.case
    case.supervising_officer = None
    case.save(update_fields=["supervising_officer"])
    _miss(scene, at(2, 7))
    recipients = sorted(
        n.recipient.username
        for n in Notification.objects.filter(kind=NotificationKind.UNACCEPTABLE_ABSENCE)
    )
    assert recipients == ["colleague", "so"]


def test_the_officer_gets_the_e_mail_through_smtp(
    scene: Scene, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _miss(scene, at(2, 7))
    [message] = smtp_inbox.to("so@example.org")
    assert message["Subject"] == "[desist] Unacceptable absence: CASE-1"
    assert message["Importance"] == "high"
    assert scene.world.case.family_name not in message.get_content()


def test_a_reported_absence_cannot_be_corrected(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    with pytest.raises(ValidationError, match="reported to the supervising officer"):
        services.session_record_outcome(
            actor=scene.user, session=record.session, outcome=SessionOutcome.ATTENDED
        )


# Deciding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "programme_manager"]
)
def test_decision_is_recorded_audited_and_meets_the_deadline(scene: Scene, persona: str) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    _decide(scene, record, actor=scene.persona(persona))

    record.refresh_from_db()
    assert (record.decision, record.decided_by, record.decided_at) == (
        ComplianceDecision.WARNING,
        scene.persona(persona),
        NOW,
    )
    assert Deadline.objects.get(kind=DeadlineKind.COMPLIANCE_DECISION).met_at == NOW
    event = AuditEvent.objects.get(entity="delivery.compliancerecord", action="update")
    assert event.changes["decision"] == [None, ComplianceDecision.WARNING]
    assert event.actor_id == scene.persona(persona).pk


def test_decision_appears_on_the_timeline(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    _decide(scene, record, decision=ComplianceDecision.NO_ACTION, reason="Was in hospital.")
    titles = [(e.title, e.detail) for e in participant_timeline(scene.world.case)]
    assert ("Compliance decision: No action", "Was in hospital.") in titles


def test_decision_needs_a_reason(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    with pytest.raises(ValidationError) as error:
        _decide(scene, record, reason="  ")
    assert error.value.message_dict == {"reason": ["Enter the reason for your decision."]}
    record.refresh_from_db()
    assert record.decision == ""


def test_decision_cannot_be_made_twice(scene: Scene) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    _decide(scene, record)
    with pytest.raises(ValidationError, match="already been recorded"):
        _decide(scene, record, decision=ComplianceDecision.BREACH_ACTION)
    record.refresh_from_db()
    assert record.decision == ComplianceDecision.WARNING


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("practitioner", PermissionDenied),
        ("police_london", PermissionDenied),
        ("officer_other_area", ParticipantNotFound),
        ("other_provider_practitioner", ParticipantNotFound),
        ("analyst", ParticipantNotFound),
    ],
)
def test_others_cannot_decide(scene: Scene, persona: str, refusal: type[Exception]) -> None:
    record = _miss(scene, at(2, 7))
    assert record is not None
    with pytest.raises(refusal):
        _decide(scene, record, actor=scene.persona(persona))
    record.refresh_from_db()
    assert record.decision == ""


def test_an_involved_agency_reads_but_cannot_decide(scene: Scene) -> None:
    scene.world.case.agencies.add(scene.world.prison)
    pom = scene.persona("prison_offender_manager")
    record = _miss(scene, at(2, 7))
    assert record is not None
    with pytest.raises(PermissionDenied):
        _decide(scene, record, actor=pom)


def test_deciding_one_of_two_keeps_the_deadline_for_the_other(
    scene: Scene, time_machine: Any
) -> None:
    first = _miss(scene, at(2, 7))
    time_machine.move_to(at(4, 9), tick=False)
    second = _miss(scene, at(4, 8))
    assert first is not None and second is not None
    assert second.due_on == dt.date(2026, 3, 11)

    _decide(scene, first)

    open_deadlines = Deadline.objects.filter(
        kind=DeadlineKind.COMPLIANCE_DECISION, met_at__isnull=True
    )
    assert [d.due_on for d in open_deadlines] == [dt.date(2026, 3, 11)]
    _decide(scene, second, decision=ComplianceDecision.BREACH_ACTION)
    assert not Deadline.objects.filter(
        kind=DeadlineKind.COMPLIANCE_DECISION, met_at__isnull=True
    ).exists()


def test_an_officer_who_has_left_is_not_told(scene: Scene) -> None:
    officer = scene.persona("supervising_officer")
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    stand_in = make_user("stand_in", scene.world.probation_london, Role.SUPERVISING_OFFICER)
    _miss(scene, at(2, 7))
    recipients = {
        n.recipient.username
        for n in Notification.objects.filter(kind=NotificationKind.UNACCEPTABLE_ABSENCE)
    }
    assert recipients == {"colleague", stand_in.username}


def test_without_a_legal_basis_the_default_thresholds_apply(scene: Scene) -> None:
    scene.referral.legal_basis = None
    scene.referral.save(update_fields=["legal_basis"])
    scene.legal_basis.delete()
    record = _miss(scene, at(2, 7))
    assert record is not None
    assert record.legal_basis is None
    assert (record.absences_in_window, record.stage) == (1, ComplianceStage.WARNING)
    assert record.due_on == dt.date(2026, 3, 9)
    second = _miss(scene, at(2, 8))
    assert second is not None
    assert (second.absences_in_window, second.stage) == (2, ComplianceStage.BREACH)


# Thresholds --------------------------------------------------------------------------------


def test_a_new_rule_is_saved_and_audited_as_created(world: World) -> None:
    ComplianceRule.objects.filter(legal_basis_kind=LegalBasisKind.TEO).delete()
    rule = services.compliance_rule_save(
        actor=world.personas["administrator"],
        rule=ComplianceRule(),
        data={"legal_basis_kind": LegalBasisKind.TEO, "warning_after": 2, "breach_after": 2},
    )
    assert (rule.warning_after, rule.breach_after, rule.window_months) == (2, 2, 12)
    event = AuditEvent.objects.get(entity="delivery.compliancerule")
    assert event.action == "create"
    assert event.changes["warning_after"] == [None, 2]


def test_a_rule_out_of_order_is_refused_by_the_service(world: World) -> None:
    rule = ComplianceRule.objects.get(legal_basis_kind=LegalBasisKind.LICENCE)
    with pytest.raises(ValidationError) as error:
        services.compliance_rule_save(actor=None, rule=rule, data={"window_months": 0})
    assert list(error.value.message_dict) == ["window_months"]
    rule.refresh_from_db()
    assert rule.window_months == 12
