"""Writes for delivery: plans, sessions and attendance, compliance, concerns and the end of an
intervention. Each is atomic and audits itself in the same transaction; notifications are
written in the same transaction and e-mailed only once it commits.

Who may do what:

- propose a plan, schedule, reschedule and record sessions, submit the end report: only the
  practitioner of a current allocation, and only while they are cleared (approved, vetting
  and required training in date) today;
- approve or return a plan, record a compliance decision: the supervising organisation (a
  supervising officer or prison offender manager there) or a programme manager;
- raise a concern: the allocated practitioner, the supervising organisation or a programme
  manager;
- acknowledge a concern: the supervising organisation, the police liaison for the
  participant's region, or a programme manager.

Someone who may not see the participant at all gets the gate's `ParticipantNotFound`, so the
answer never says whether the record exists; someone who may see them but not do this gets
`PermissionDenied` with a plain-English reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from desist.accounts.access import (
    ParticipantNotFound,
    Relationship,
    participants_for,
    relationships_to,
)
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change, diff, snapshot
from desist.delivery import rules
from desist.delivery.constants import (
    ConcernCategory,
    ConcernStatus,
    Conclusion,
    DeadlineKind,
    PlanStatus,
    SessionOutcome,
)
from desist.delivery.deadlines import (
    add_working_days,
    deadline_cancel,
    deadline_meet,
    deadline_open,
    working_days_between,
)
from desist.delivery.models import (
    ComplianceRecord,
    ComplianceRule,
    Concern,
    EndReport,
    InterventionPlan,
    ObjectiveAchievement,
    ObjectiveProgress,
    PlanObjective,
    Session,
)
from desist.delivery.selectors import (
    ACKNOWLEDGING_RELATIONSHIPS,
    DECIDING_RELATIONSHIPS,
    approved_plan,
)
from desist.notifications.constants import NotificationKind
from desist.notifications.recipients import (
    police_liaisons_for,
    programme_managers,
    supervising_officers_for,
)
from desist.notifications.services import notify
from desist.people.constants import Status
from desist.people.models import LegalBasis, Participant
from desist.people.services import participant_change_status
from desist.providers.models import Practitioner
from desist.providers.selectors import practitioner_clearance
from desist.referrals.models import Allocation, Referral
from desist.referrals.services import allocation_end

PLAN_FIELDS = (
    "participant",
    "allocation",
    "version",
    "status",
    "intervention_types",
    "planned_sessions",
    "summary",
    "proposed_by",
    "proposed_at",
)
SESSION_FIELDS = (
    "participant",
    "allocation",
    "practitioner",
    "scheduled_start",
    "planned_minutes",
    "mode",
    "location",
    "session_type",
    "rescheduled_from",
)
OUTCOME_FIELDS = (
    "outcome",
    "absence",
    "absence_reason",
    "actual_minutes",
    "notes",
    "engagement",
    "outcome_recorded_at",
    "outcome_recorded_by",
)
COMPLIANCE_FIELDS = (
    "participant",
    "session",
    "legal_basis",
    "opened_at",
    "absences_in_window",
    "stage",
    "due_on",
)
CONCERN_FIELDS = (
    "participant",
    "raised_by",
    "raised_at",
    "category",
    "urgent",
    "description",
    "status",
    "acknowledge_by",
)
END_REPORT_FIELDS = (
    "allocation",
    "participant",
    "conclusion",
    "ended_early_reason",
    "summary",
    "recommendations",
    "submitted_by",
    "submitted_at",
)


# Permissions -------------------------------------------------------------------------------


def _refuse(actor: User, participant: Participant, message: str) -> NoReturn:
    """Not-found for someone the gate would not show the participant to; otherwise say why."""
    if not participants_for(actor).filter(pk=participant.pk).exists():
        raise ParticipantNotFound()
    raise PermissionDenied(message)


def _require_relationship(
    actor: User, participant: Participant, allowed: frozenset[Relationship], message: str
) -> None:
    if relationships_to(actor, participant) & allowed:
        return
    _refuse(actor, participant, message)


def _require_allocated_practitioner(actor: User, allocation: Allocation, today: dt.date) -> None:
    """The actor is the practitioner of this allocation, it is current, and they are cleared."""
    practitioner = allocation.practitioner
    if practitioner.user_id != actor.pk or not actor.has_role(Role.PRACTITIONER):
        _refuse(
            actor,
            allocation.participant,
            "Only the practitioner allocated to this participant can do this.",
        )
    _lock(Allocation.objects.filter(pk=allocation.pk))
    allocation.refresh_from_db(fields=["ended_at", "end_reason"])
    if allocation.ended_at is not None:
        raise PermissionDenied(
            "You are no longer allocated to this participant, so you cannot do this."
        )
    problems = practitioner_clearance(practitioner, on=today)
    if problems:
        raise PermissionDenied(
            "You are not cleared to work with participants at the moment. " + " ".join(problems)
        )


def _current_allocation_of(actor: User, participant: Participant) -> Allocation | None:
    return (
        Allocation.objects.filter(
            participant=participant, practitioner__user=actor, ended_at__isnull=True
        )
        .select_related("practitioner", "referral", "participant")
        .order_by("-allocated_at")
        .first()
    )


# Helpers -----------------------------------------------------------------------------------


def _ref(participant: Participant) -> str:
    return str(participant.uuid)


def _lock(rows: QuerySet[Any]) -> None:
    """Lock the rows (SELECT ... FOR UPDATE) until the transaction ends."""
    list(rows.select_for_update().values_list("pk"))


def _link(name: str, participant: Participant, **uuids: object) -> str:
    """The record's own page (under the participant's address) once the pages exist; the
    participant's page until then."""
    try:
        return reverse(name, kwargs={"participant_uuid": participant.uuid, **uuids})
    except NoReverseMatch:
        return reverse("people:detail", args=[participant.uuid])


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _time(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {_date(local.date())}"


def _without(users: Iterable[User], actor: User | None) -> list[User]:
    return [user for user in users if actor is None or user.pk != actor.pk]


def _created(obj: Session | InterventionPlan, fields: Sequence[str]) -> dict[str, list[object]]:
    return {name: [None, value] for name, value in snapshot(obj, fields).items()}


# Plans -------------------------------------------------------------------------------------


@transaction.atomic
def plan_propose(
    *,
    actor: User,
    allocation: Allocation,
    objectives: list[str],
    intervention_types: Sequence[str],
    planned_sessions: int,
    summary: str,
) -> InterventionPlan:
    """Propose a new version of the participant's plan. An approved version stays in force
    until this one is approved; only one version waits for approval at a time. Opens the
    plan-approval deadline (if one is not already open) and tells the supervising officer."""
    now = timezone.now()
    today = timezone.localdate(now)
    _require_allocated_practitioner(actor, allocation, today)
    rules.check_plan_proposal(objectives, intervention_types, planned_sessions)
    participant = allocation.participant
    _lock(Participant.objects.filter(pk=participant.pk))
    waiting = InterventionPlan.objects.filter(
        participant=participant, status=PlanStatus.PROPOSED
    ).first()
    if waiting is not None:
        raise ValidationError(
            {
                "plan": f"Version {waiting.version} of the plan is waiting for approval. "
                "Wait for the decision before proposing another version."
            }
        )
    latest = InterventionPlan.objects.filter(participant=participant).order_by("-version").first()
    plan = InterventionPlan.objects.create(
        participant=participant,
        allocation=allocation,
        version=(latest.version if latest else 0) + 1,
        status=PlanStatus.PROPOSED,
        intervention_types=list(intervention_types),
        planned_sessions=planned_sessions,
        summary=summary.strip(),
        proposed_by=actor,
        proposed_at=now,
    )
    texts = [text.strip() for text in objectives if text.strip()]
    PlanObjective.objects.bulk_create(
        PlanObjective(plan=plan, position=position, description=text)
        for position, text in enumerate(texts, start=1)
    )
    changes = _created(plan, PLAN_FIELDS)
    changes["objectives"] = [None, texts]
    audit_change(
        actor=actor,
        obj=plan,
        action=Action.CREATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    deadline_open(
        participant=participant,
        kind=DeadlineKind.PLAN_APPROVAL,
        starts_on=today,
        referral=allocation.referral,
        allocation=allocation,
    )
    reference = participant.reference
    notify(
        recipients=supervising_officers_for(participant),
        kind=NotificationKind.PLAN,
        subject=f"Intervention plan to approve for {reference}",
        body=f"Version {plan.version} of the intervention plan for participant {reference} "
        "is waiting for your approval.",
        participant=participant,
        link=_link("delivery:plan_detail", participant, plan_uuid=plan.uuid),
    )
    return plan


def _decide_plan(
    *, actor: User, plan: InterventionPlan, to_status: str, note: str, now: dt.datetime
) -> dict[str, list[object]]:
    before = snapshot(plan, ("status", "decided_by", "decided_at", "decision_note"))
    rules.check_plan_transition(plan.status, to_status)
    plan.status = to_status
    plan.decided_by = actor
    plan.decided_at = now
    plan.decision_note = note.strip()
    plan.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return diff(before, snapshot(plan, ("status", "decided_by", "decided_at", "decision_note")))


@transaction.atomic
def plan_approve(*, actor: User, plan: InterventionPlan, note: str = "") -> InterventionPlan:
    """Approve a proposed version. The version approved before it is superseded first (only
    one approved version may exist), then this one is approved. Meets the plan-approval
    deadline."""
    participant = plan.participant
    _require_relationship(
        actor,
        participant,
        DECIDING_RELATIONSHIPS,
        "Only the supervising organisation or the programme team can approve a plan.",
    )
    # Lock every version of this participant's plan, so two approvals cannot cross.
    _lock(InterventionPlan.objects.filter(participant=participant))
    plan.refresh_from_db(fields=["status"])
    rules.check_plan_transition(plan.status, PlanStatus.APPROVED)
    if plan.allocation.ended_at is not None:
        raise ValidationError(
            {"plan": "The allocation this plan was proposed for has ended, so it cannot start."}
        )
    now = timezone.now()
    previous = (
        InterventionPlan.objects.filter(participant=participant, status=PlanStatus.APPROVED)
        .exclude(pk=plan.pk)
        .first()
    )
    if previous is not None:
        rules.check_plan_transition(previous.status, PlanStatus.SUPERSEDED)
        previous.status = PlanStatus.SUPERSEDED
        previous.save(update_fields=["status"])
        audit_change(
            actor=actor,
            obj=previous,
            action=Action.UPDATE,
            changes={
                "status": [PlanStatus.APPROVED, PlanStatus.SUPERSEDED],
                "superseded_by_version": [None, plan.version],
            },
            participant_ref=_ref(participant),
        )
    changes = _decide_plan(
        actor=actor, plan=plan, to_status=PlanStatus.APPROVED, note=note, now=now
    )
    audit_change(
        actor=actor,
        obj=plan,
        action=Action.UPDATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    deadline_meet(
        participant=participant,
        kind=DeadlineKind.PLAN_APPROVAL,
        allocation=plan.allocation,
        when=now,
    )
    reference = participant.reference
    notify(
        recipients=[plan.allocation.practitioner.user],
        kind=NotificationKind.PLAN,
        subject=f"Intervention plan approved for {reference}",
        body=f"Version {plan.version} of the intervention plan for participant {reference} "
        "was approved.",
        participant=participant,
        link=_link("delivery:plan_detail", participant, plan_uuid=plan.uuid),
        email=False,
    )
    return plan


@transaction.atomic
def plan_return(*, actor: User, plan: InterventionPlan, note: str) -> InterventionPlan:
    """Send a proposed version back with what needs to change. The practitioner is told and
    proposes a new version; the plan-approval deadline stays open."""
    participant = plan.participant
    _require_relationship(
        actor,
        participant,
        DECIDING_RELATIONSHIPS,
        "Only the supervising organisation or the programme team can return a plan.",
    )
    if not note.strip():
        raise ValidationError({"note": "Explain what needs to change in the plan."})
    _lock(InterventionPlan.objects.filter(pk=plan.pk))
    plan.refresh_from_db(fields=["status"])
    changes = _decide_plan(
        actor=actor, plan=plan, to_status=PlanStatus.RETURNED, note=note, now=timezone.now()
    )
    audit_change(
        actor=actor,
        obj=plan,
        action=Action.UPDATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    reference = participant.reference
    notify(
        recipients=[plan.allocation.practitioner.user],
        kind=NotificationKind.PLAN,
        subject=f"Intervention plan returned for {reference}",
        body=f"Version {plan.version} of the intervention plan for participant {reference} "
        "was returned for changes. Open it to see what needs to change.",
        participant=participant,
        link=_link("delivery:plan_detail", participant, plan_uuid=plan.uuid),
    )
    return plan


# Sessions ----------------------------------------------------------------------------------


def _check_no_overlap(
    practitioner: Practitioner,
    start: dt.datetime,
    minutes: int,
    *,
    field: str,
) -> None:
    """Refuse a time that overlaps another of the practitioner's sessions that still takes
    place (cancelled and rescheduled ones free their time)."""
    earliest = start - dt.timedelta(minutes=rules.MAX_SESSION_MINUTES)
    latest = start + dt.timedelta(minutes=minutes)
    candidates = (
        Session.objects.filter(
            practitioner=practitioner, scheduled_start__gt=earliest, scheduled_start__lt=latest
        )
        .exclude(outcome__in=rules.FREED_OUTCOMES)
        .order_by("scheduled_start")
    )
    for other in candidates:
        if rules.overlaps(start, minutes, other.scheduled_start, other.planned_minutes):
            end = other.scheduled_start + dt.timedelta(minutes=other.planned_minutes)
            raise ValidationError(
                {
                    field: "You already have a session from "
                    f"{_time(other.scheduled_start)} to {timezone.localtime(end):%H:%M}. "
                    "Choose a time that does not overlap it."
                }
            )


@transaction.atomic
def session_schedule(
    *,
    actor: User,
    allocation: Allocation,
    scheduled_start: dt.datetime,
    planned_minutes: int,
    mode: str,
    location: str,
    session_type: str,
) -> Session:
    """Book a session. It may be in the past, to record one that happened unplanned."""
    today = timezone.localdate()
    _require_allocated_practitioner(actor, allocation, today)
    rules.check_session_details(
        planned_minutes=planned_minutes, mode=mode, location=location, session_type=session_type
    )
    practitioner = allocation.practitioner
    # Serialise bookings for one practitioner, so two cannot take the same time.
    _lock(Practitioner.objects.filter(pk=practitioner.pk))
    _check_no_overlap(practitioner, scheduled_start, planned_minutes, field="scheduled_start")
    session = Session.objects.create(
        participant=allocation.participant,
        allocation=allocation,
        practitioner=practitioner,
        scheduled_start=scheduled_start,
        planned_minutes=planned_minutes,
        mode=mode,
        location=location.strip(),
        session_type=session_type,
        created_by=actor,
    )
    audit_change(
        actor=actor,
        obj=session,
        action=Action.CREATE,
        changes=_created(session, SESSION_FIELDS),
        participant_ref=_ref(allocation.participant),
    )
    return session


@transaction.atomic
def session_reschedule(
    *, actor: User, session: Session, new_start: dt.datetime, reason: str
) -> Session:
    """Move a session that has not happened: the old one is marked rescheduled (with the
    reason) and a new one is made that points back to it, so the chain is kept."""
    now = timezone.now()
    allocation = session.allocation
    _require_allocated_practitioner(actor, allocation, timezone.localdate(now))
    _lock(Practitioner.objects.filter(pk=session.practitioner_id))
    _lock(Session.objects.filter(pk=session.pk))
    session.refresh_from_db(fields=["outcome", "scheduled_start"])
    rules.check_reschedule(
        outcome=session.outcome,
        old_start=session.scheduled_start,
        new_start=new_start,
        reason=reason,
        now=now,
    )
    before = snapshot(session, ("outcome", "reschedule_reason"))
    session.outcome = SessionOutcome.RESCHEDULED
    session.reschedule_reason = reason.strip()
    session.outcome_recorded_at = now
    session.outcome_recorded_by = actor
    session.save(
        update_fields=["outcome", "reschedule_reason", "outcome_recorded_at", "outcome_recorded_by"]
    )
    _check_no_overlap(session.practitioner, new_start, session.planned_minutes, field="new_start")
    new = Session.objects.create(
        participant=session.participant,
        allocation=allocation,
        practitioner=session.practitioner,
        scheduled_start=new_start,
        planned_minutes=session.planned_minutes,
        mode=session.mode,
        location=session.location,
        session_type=session.session_type,
        rescheduled_from=session,
        created_by=actor,
    )
    participant_ref = _ref(session.participant)
    audit_change(
        actor=actor,
        obj=session,
        action=Action.UPDATE,
        changes=diff(before, snapshot(session, ("outcome", "reschedule_reason")))
        | {"rescheduled_to": [None, str(new.uuid)]},
        participant_ref=participant_ref,
    )
    audit_change(
        actor=actor,
        obj=new,
        action=Action.CREATE,
        changes=_created(new, SESSION_FIELDS),
        participant_ref=participant_ref,
    )
    return new


@transaction.atomic
def session_record_outcome(
    *,
    actor: User,
    session: Session,
    outcome: str,
    absence: str = "",
    absence_reason: str = "",
    actual_minutes: int | None = None,
    engagement: int | None = None,
    notes: str = "",
    progress: Mapping[int, tuple[str, str]] | None = None,
) -> Session:
    """Record (or, within the correction window, correct) what happened at a session.

    `progress` maps an objective id of the current approved plan to (rating, note). Meets the
    first-contact and first-session deadlines. An unacceptable absence where attendance is
    mandatory opens a compliance record and tells the supervising officer at once."""
    now = timezone.now()
    today = timezone.localdate(now)
    allocation = session.allocation
    participant = session.participant
    _require_allocated_practitioner(actor, allocation, today)
    _lock(Session.objects.filter(pk=session.pk))
    session.refresh_from_db()
    rules.check_correction(
        outcome=session.outcome,
        recorded_at=session.outcome_recorded_at,
        recorder_organisation_id=(
            session.outcome_recorded_by.organisation_id if session.outcome_recorded_by else None
        ),
        actor_organisation_id=actor.organisation_id,
        reported_as_absence=ComplianceRecord.objects.filter(session=session).exists(),
        now=now,
    )
    ratings = dict(progress or {})
    rules.check_outcome(
        outcome=outcome,
        scheduled_start=session.scheduled_start,
        now=now,
        absence=absence,
        absence_reason=absence_reason,
        actual_minutes=actual_minutes,
        engagement=engagement,
        has_progress=bool(ratings),
    )
    plan = approved_plan(participant)
    objectives = {objective.pk: objective for objective in plan.objectives.all()} if plan else {}
    for objective_id, (rating, note) in ratings.items():
        if objective_id not in objectives:
            raise ValidationError(
                {"progress": "You can only record progress on the objectives of the approved plan."}
            )
        rules.check_progress_rating(rating, note)

    correcting = session.outcome_recorded_at is not None
    before = snapshot(session, OUTCOME_FIELDS)
    session.outcome = outcome
    session.absence = absence
    session.absence_reason = absence_reason.strip()
    session.actual_minutes = actual_minutes
    session.engagement = engagement
    session.notes = notes.strip()
    session.outcome_recorded_at = now
    session.outcome_recorded_by = actor
    session.save(update_fields=list(OUTCOME_FIELDS))
    old_progress = sorted(
        (row.objective_id, row.rating, row.note) for row in session.progress.all()
    )
    if correcting:
        session.progress.all().delete()
    ObjectiveProgress.objects.bulk_create(
        ObjectiveProgress(session=session, objective=objectives[oid], rating=rating, note=note)
        for oid, (rating, note) in ratings.items()
    )
    changes = diff(before, snapshot(session, OUTCOME_FIELDS))
    new_progress = sorted((oid, rating, note.strip()) for oid, (rating, note) in ratings.items())
    if new_progress != old_progress:
        changes["progress"] = [old_progress or None, new_progress]
    audit_change(
        actor=actor,
        obj=session,
        action=Action.UPDATE,
        changes=changes,
        participant_ref=_ref(participant),
    )

    # Contact counts from when the session was due, if that was earlier than recording it.
    contact_at = min(session.scheduled_start, now)
    if rules.meets_first_contact(outcome):
        deadline_meet(
            participant=participant,
            kind=DeadlineKind.FIRST_CONTACT,
            allocation=allocation,
            when=contact_at,
        )
    if rules.meets_first_session(outcome):
        deadline_meet(
            participant=participant,
            kind=DeadlineKind.FIRST_SESSION,
            allocation=allocation,
            when=contact_at,
        )
        _open_end_report_deadline_when_plan_delivered(allocation, plan, today)
    mandatory = allocation.referral.attendance_mandatory or participant.has_mandatory_attendance
    if rules.needs_compliance_record(
        outcome=outcome, absence=absence, attendance_mandatory=mandatory
    ):
        _compliance_open(actor=actor, session=session, now=now)
    return session


def _open_end_report_deadline_when_plan_delivered(
    allocation: Allocation, plan: InterventionPlan | None, today: dt.date
) -> None:
    """Once the sessions the approved plan planned have taken place, the end report is due."""
    if plan is None:
        return
    held = Session.objects.filter(
        allocation=allocation, outcome__in=rules.ATTENDED_OUTCOMES
    ).count()
    if held < plan.planned_sessions:
        return
    deadline_open(
        participant=allocation.participant,
        kind=DeadlineKind.END_REPORT,
        starts_on=today,
        referral=allocation.referral,
        allocation=allocation,
    )


# Compliance --------------------------------------------------------------------------------


def _compliance_basis(referral: Referral, participant: Participant) -> LegalBasis | None:
    """The legal basis whose rule applies: the newest current one that makes attendance
    mandatory, else the one the referral was made under."""
    for basis in participant.legal_bases.all():  # newest first
        if basis.attendance_mandatory and basis.is_current:
            return basis
    return referral.legal_basis


def _compliance_rule(basis: LegalBasis | None) -> ComplianceRule:
    """The programme's rule for the kind of legal basis; the model's defaults (warning from
    the first, breach from the second absence in 12 months) when there is none."""
    rule = None
    if basis is not None:
        rule = ComplianceRule.objects.filter(legal_basis_kind=basis.kind).first()
    return rule or ComplianceRule()


def _compliance_open(*, actor: User, session: Session, now: dt.datetime) -> ComplianceRecord:
    participant = session.participant
    allocation = session.allocation
    basis = _compliance_basis(allocation.referral, participant)
    rule = _compliance_rule(basis)
    day = timezone.localdate(session.scheduled_start)
    window_from = rules.absence_window_start(day, rule.window_months)
    earlier = ComplianceRecord.objects.filter(
        participant=participant,
        session__scheduled_start__gte=timezone.make_aware(
            dt.datetime.combine(window_from, dt.time.min)
        ),
        session__scheduled_start__lte=session.scheduled_start,
    )
    # Absences under a different kind of legal basis were breaches of a different order.
    if basis is not None:
        earlier = earlier.filter(legal_basis__kind=basis.kind)
    else:
        earlier = earlier.filter(legal_basis__isnull=True)
    absences = earlier.count() + 1
    stage = rules.compliance_stage(absences, rule)
    today = timezone.localdate(now)
    record = ComplianceRecord.objects.create(
        participant=participant,
        session=session,
        legal_basis=basis,
        opened_at=now,
        absences_in_window=absences,
        stage=stage,
        due_on=add_working_days(today, rule.decision_working_days),
    )
    audit_change(
        actor=actor,
        obj=record,
        action=Action.CREATE,
        changes={k: [None, v] for k, v in snapshot(record, COMPLIANCE_FIELDS).items()},
        participant_ref=_ref(participant),
    )
    deadline_open(
        participant=participant,
        kind=DeadlineKind.COMPLIANCE_DECISION,
        starts_on=today,
        referral=allocation.referral,
        allocation=allocation,
        working_days=rule.decision_working_days,
    )
    reference = participant.reference
    months = rule.window_months
    notify(
        recipients=supervising_officers_for(participant),
        kind=NotificationKind.UNACCEPTABLE_ABSENCE,
        subject=f"Unacceptable absence: {reference}",
        body=(
            f"Participant {reference} missed the session on "
            f"{_date(timezone.localdate(session.scheduled_start))} and the absence was recorded "
            "as unacceptable. Their attendance is mandatory.\n\n"
            f"Unacceptable absences in the last {months} month{'s' if months != 1 else ''}: "
            f"{absences}. Stage: {stage.label}.\n\n"
            f"Record your compliance decision by {_date(record.due_on)}."
        ),
        participant=participant,
        link=_link("delivery:compliance_detail", participant, record_uuid=record.uuid),
        urgent=True,
    )
    return record


@transaction.atomic
def compliance_decide(
    *, actor: User, record: ComplianceRecord, decision: str, reason: str
) -> ComplianceRecord:
    """The supervising officer's decision on an unacceptable absence (no action, warning,
    breach action), with the reason. Meets the compliance-decision deadline."""
    participant = record.participant
    _require_relationship(
        actor,
        participant,
        DECIDING_RELATIONSHIPS,
        "Only the supervising organisation or the programme team can record this decision.",
    )
    _lock(ComplianceRecord.objects.filter(pk=record.pk))
    record.refresh_from_db(fields=["decision", "decision_reason", "decided_by", "decided_at"])
    rules.check_compliance_decision(decision, reason, already_decided=bool(record.decision))
    now = timezone.now()
    record.decision = decision
    record.decision_reason = reason.strip()
    record.decided_by = actor
    record.decided_at = now
    record.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    audit_change(
        actor=actor,
        obj=record,
        action=Action.UPDATE,
        changes={
            name: [None, value]
            for name, value in snapshot(
                record, ("decision", "decision_reason", "decided_by", "decided_at")
            ).items()
        },
        participant_ref=_ref(participant),
    )
    _settle_compliance_deadline(record, now)
    return record


def _settle_compliance_deadline(record: ComplianceRecord, now: dt.datetime) -> None:
    """One open compliance-decision deadline per allocation (deadline_open reuses it): meet it,
    and open it again for the earliest record still waiting, with that record's due date."""
    allocation = record.session.allocation
    participant = record.participant
    deadline_meet(
        participant=participant,
        kind=DeadlineKind.COMPLIANCE_DECISION,
        allocation=allocation,
        when=now,
    )
    waiting = (
        ComplianceRecord.objects.filter(session__allocation=allocation, decision="")
        .order_by("due_on", "id")
        .first()
    )
    if waiting is None:
        return
    starts_on = timezone.localdate(waiting.opened_at)
    deadline_open(
        participant=participant,
        kind=DeadlineKind.COMPLIANCE_DECISION,
        starts_on=starts_on,
        referral=allocation.referral,
        allocation=allocation,
        working_days=max(working_days_between(starts_on, waiting.due_on), 0),
    )


RULE_FIELDS = (
    "legal_basis_kind",
    "warning_after",
    "breach_after",
    "window_months",
    "decision_working_days",
)


@transaction.atomic
def compliance_rule_save(
    *, actor: User | None, rule: ComplianceRule, data: Mapping[str, Any]
) -> ComplianceRule:
    """Create or change a programme's thresholds for one kind of legal basis (admin pages).
    Records already open keep the stage they were opened with."""
    stored = ComplianceRule.objects.filter(pk=rule.pk).first() if rule.pk else None
    before = snapshot(stored, RULE_FIELDS) if stored is not None else {}
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rules.check_thresholds(
        warning_after=rule.warning_after,
        breach_after=rule.breach_after,
        window_months=rule.window_months,
        decision_working_days=rule.decision_working_days,
    )
    rule.full_clean()
    rule.save()
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if changes:
        audit_change(
            actor=actor,
            obj=rule,
            action=Action.UPDATE if stored is not None else Action.CREATE,
            changes=changes,
        )
    return rule


# Concerns ----------------------------------------------------------------------------------


@transaction.atomic
def concern_raise(
    *,
    actor: User,
    participant: Participant,
    category: str,
    urgent: bool,
    description: str,
) -> Concern:
    """Raise a concern. An urgent one reaches the supervising officer and the region's police
    liaison at once and must be acknowledged within DESIST_URGENT_CONCERN_HOURS, or it is
    escalated to the programme managers (`concerns_escalate_overdue`)."""
    now = timezone.now()
    allocation = (
        _current_allocation_of(actor, participant) if actor.has_role(Role.PRACTITIONER) else None
    )
    if allocation is not None:
        _require_allocated_practitioner(actor, allocation, timezone.localdate(now))
    else:
        _require_relationship(
            actor,
            participant,
            DECIDING_RELATIONSHIPS,
            "Only the allocated practitioner, the supervising organisation or the programme "
            "team can raise a concern.",
        )
    rules.check_concern(category, description)
    acknowledge_by = (
        now + dt.timedelta(hours=settings.DESIST_URGENT_CONCERN_HOURS) if urgent else None
    )
    concern = Concern.objects.create(
        participant=participant,
        raised_by=actor,
        raised_at=now,
        category=category,
        urgent=urgent,
        description=description.strip(),
        status=ConcernStatus.AWAITING,
        acknowledge_by=acknowledge_by,
    )
    audit_change(
        actor=actor,
        obj=concern,
        action=Action.CREATE,
        changes={k: [None, v] for k, v in snapshot(concern, CONCERN_FIELDS).items()},
        participant_ref=_ref(participant),
    )
    reference = participant.reference
    label = ConcernCategory(category).label.lower()
    link = _link("delivery:concern_detail", participant, concern_uuid=concern.uuid)
    if acknowledge_by is not None:
        notify(
            recipients=_without(
                [*supervising_officers_for(participant), *police_liaisons_for(participant)], actor
            ),
            kind=NotificationKind.URGENT_CONCERN,
            subject=f"Urgent concern: {reference}",
            body=f"An urgent concern ({label}) was raised about participant {reference}. "
            f"Acknowledge it by {_time(acknowledge_by)}, or it will be escalated to "
            "the programme manager.",
            participant=participant,
            link=link,
            urgent=True,
        )
    else:
        notify(
            recipients=_without(supervising_officers_for(participant), actor),
            kind=NotificationKind.CONCERN,
            subject=f"Concern raised: {reference}",
            body=f"A concern ({label}) was raised about participant {reference}.",
            participant=participant,
            link=link,
        )
    return concern


@transaction.atomic
def concern_acknowledge(*, actor: User, concern: Concern, note: str = "") -> Concern:
    """Acknowledge a concern (also one already escalated). The person who raised it is told."""
    participant = concern.participant
    _require_relationship(
        actor,
        participant,
        ACKNOWLEDGING_RELATIONSHIPS,
        "Only the supervising organisation, the police liaison for the region or the programme "
        "team can acknowledge a concern.",
    )
    _lock(Concern.objects.filter(pk=concern.pk))
    concern.refresh_from_db(fields=["status", "acknowledged_at", "acknowledged_by"])
    old_status = concern.status
    rules.check_concern_transition(old_status, ConcernStatus.ACKNOWLEDGED)
    now = timezone.now()
    concern.status = ConcernStatus.ACKNOWLEDGED
    concern.acknowledged_at = now
    concern.acknowledged_by = actor
    concern.acknowledgement_note = note.strip()
    concern.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement_note"]
    )
    audit_change(
        actor=actor,
        obj=concern,
        action=Action.UPDATE,
        changes={
            "status": [old_status, ConcernStatus.ACKNOWLEDGED],
            "acknowledged_at": [None, now.isoformat()],
            "acknowledged_by": [None, actor.pk],
            "acknowledgement_note": ["", concern.acknowledgement_note],
        },
        participant_ref=_ref(participant),
    )
    reference = participant.reference
    notify(
        recipients=_without([concern.raised_by], actor),
        kind=NotificationKind.CONCERN,
        subject=f"Concern acknowledged: {reference}",
        body=f"The concern you raised about participant {reference} was acknowledged.",
        participant=participant,
        link=_link("delivery:concern_detail", participant, concern_uuid=concern.uuid),
        email=False,
    )
    return concern


@transaction.atomic
def concerns_escalate_overdue(*, now: dt.datetime) -> int:
    """Escalate urgent concerns not acknowledged in time to the programme managers. Safe to
    run as often as you like: an escalated concern is never escalated again."""
    candidates = list(
        Concern.objects.select_for_update()
        .filter(
            urgent=True,
            status=ConcernStatus.AWAITING,
            acknowledge_by__lt=now,
            escalated_at__isnull=True,
        )
        .select_related("participant")
        .order_by("acknowledge_by", "id")
    )
    due = [
        concern
        for concern in candidates
        if rules.is_overdue_for_acknowledgement(
            urgent=concern.urgent,
            status=concern.status,
            acknowledge_by=concern.acknowledge_by,
            now=now,
        )
    ]
    managers = programme_managers()
    for concern in due:
        rules.check_concern_transition(concern.status, ConcernStatus.ESCALATED)
        concern.status = ConcernStatus.ESCALATED
        concern.escalated_at = now
        concern.save(update_fields=["status", "escalated_at"])
        participant = concern.participant
        audit_change(
            actor=None,
            obj=concern,
            action=Action.UPDATE,
            changes={
                "status": [ConcernStatus.AWAITING, ConcernStatus.ESCALATED],
                "escalated_at": [None, now.isoformat()],
            },
            participant_ref=_ref(participant),
        )
        reference = participant.reference
        label = concern.get_category_display().lower()
        deadline = concern.acknowledge_by or now  # never None: filtered on above
        notify(
            recipients=managers,
            kind=NotificationKind.CONCERN_ESCALATED,
            subject=f"Urgent concern not acknowledged: {reference}",
            body=f"An urgent concern ({label}) about participant {reference} was not "
            f"acknowledged by {_time(deadline)}. Make sure someone acts on it.",
            participant=participant,
            link=_link("delivery:concern_detail", participant, concern_uuid=concern.uuid),
            urgent=True,
        )
    return len(due)


# End of the intervention -------------------------------------------------------------------


@transaction.atomic
def end_report_submit(
    *,
    actor: User,
    allocation: Allocation,
    conclusion: str,
    ended_early_reason: str,
    summary: str,
    recommendations: str,
    achievements: Mapping[int, tuple[str, str]],
) -> EndReport:
    """The end-of-intervention report. Every objective of the approved plan needs an
    achievement. Ends the allocation (closing the referral), meets the end-report deadline,
    marks the participant ended and tells the supervising officer."""
    now = timezone.now()
    today = timezone.localdate(now)
    _require_allocated_practitioner(actor, allocation, today)
    rules.check_end_report(
        conclusion=conclusion, ended_early_reason=ended_early_reason, summary=summary
    )
    participant = allocation.participant
    plan = approved_plan(participant)
    objectives = {o.pk: o for o in plan.objectives.all()} if plan else {}
    assessed = {int(key): (value[0], value[1]) for key, value in achievements.items()}
    rules.check_achievements(
        list(objectives),
        assessed,
        labels={pk: f"objective {o.position}" for pk, o in objectives.items()},
    )
    report = EndReport.objects.create(
        allocation=allocation,
        participant=participant,
        conclusion=conclusion,
        ended_early_reason=ended_early_reason,
        summary=summary.strip(),
        recommendations=recommendations.strip(),
        submitted_by=actor,
        submitted_at=now,
    )
    ObjectiveAchievement.objects.bulk_create(
        ObjectiveAchievement(
            report=report, objective=objectives[pk], achievement=achievement, note=note.strip()
        )
        for pk, (achievement, note) in assessed.items()
    )
    changes = {k: [None, v] for k, v in snapshot(report, END_REPORT_FIELDS).items()}
    changes["achievements"] = [
        None,
        sorted((pk, achievement, note.strip()) for pk, (achievement, note) in assessed.items()),
    ]
    audit_change(
        actor=actor,
        obj=report,
        action=Action.CREATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    label = Conclusion(conclusion).label
    allocation_end(
        actor=actor, allocation=allocation, reason=f"End-of-intervention report: {label.lower()}"
    )
    deadline_meet(
        participant=participant, kind=DeadlineKind.END_REPORT, allocation=allocation, when=now
    )
    # No plan will be approved for an allocation that has ended.
    deadline_cancel(participant=participant, kind=DeadlineKind.PLAN_APPROVAL, allocation=allocation)
    if participant.status != Status.ENDED:
        participant_change_status(
            actor=actor,
            participant=participant,
            status=Status.ENDED,
            effective_date=today,
            reason=f"End-of-intervention report: {label.lower()}",
        )
    reference = participant.reference
    notify(
        recipients=supervising_officers_for(participant),
        kind=NotificationKind.ALLOCATION,
        subject=f"End-of-intervention report for {reference}",
        body=f"The practitioner submitted the end-of-intervention report for participant "
        f"{reference} ({label.lower()}). The intervention has ended.",
        participant=participant,
        link=_link("delivery:end_report_detail", participant, report_uuid=report.uuid),
    )
    return report
