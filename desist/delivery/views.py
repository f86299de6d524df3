"""Intervention delivery pages: the participant's intervention (plan, sessions, concerns,
compliance, end report, timeline) and the forms that change it.

Every page sits under /participants/<participant_uuid>/: the access gate is passed first and
the record is then looked up within that participant, so a record of another participant is
the same not-found as a missing one. Buttons are shown only to those who may use them; the
services are the real check (PermissionDenied becomes the same not-found page).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.access import (
    SUPPORT_READERS,
    Relationship,
    get_participant_for,
    has_relationship,
    relationships_to,
)
from desist.accounts.constants import Role
from desist.accounts.decorators import participant_route
from desist.accounts.models import User
from desist.delivery import rules, selectors, services
from desist.delivery.constants import PlanStatus, SessionOutcome
from desist.delivery.forms import (
    PROGRESS_FIELDS,
    AcknowledgeForm,
    ComplianceDecisionForm,
    ConcernForm,
    EndReportForm,
    OutcomeForm,
    PlanDecisionForm,
    PlanForm,
    RescheduleForm,
    SessionForm,
)
from desist.delivery.models import (
    ComplianceRecord,
    Concern,
    EndReport,
    InterventionPlan,
    Session,
)
from desist.pages import call_service, posted
from desist.pages import record_participant_view as _record_view
from desist.people.models import Participant
from desist.providers.constants import Specialism
from desist.referrals.models import Allocation

# Concern entries on the timeline name the kind of concern, and concerns raised by supervision
# or the police can rest on intelligence; providers see only the concerns they raised.
_PROVIDER_HIDDEN_TIMELINE_KINDS = frozenset({"concern"})
_SUPPORT_TIMELINE_KINDS = frozenset({"goal"})


def _types(plan: InterventionPlan | None) -> str:
    """The plan's kinds of intervention, in words."""
    if plan is None:
        return ""
    return ", ".join(Specialism(code).label for code in plan.intervention_types)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _not_found() -> Http404:
    return Http404("Page not found.")


def _work(participant: Participant) -> HttpResponse:
    return redirect("delivery:work", participant_uuid=participant.uuid)


# What the user may do (to decide which buttons to show) --------------------------------------


@dataclass(frozen=True)
class Abilities:
    allocation: Allocation | None  # the participant's current allocation
    is_practitioner: bool  # the user is that allocation's practitioner
    can_decide: bool  # approve plans, decide on compliance
    can_acknowledge: bool  # acknowledge concerns
    is_provider_only: bool  # sees the participant only as their practitioner

    @property
    def can_raise_concern(self) -> bool:
        return self.is_practitioner or self.can_decide


def _abilities(user: User, participant: Participant) -> Abilities:
    allocation = selectors.current_allocation(participant)
    relationships = relationships_to(user, participant)
    is_practitioner = (
        allocation is not None
        and allocation.practitioner.user_id == user.pk
        and user.has_role(Role.PRACTITIONER)
        and Relationship.PRACTITIONER in relationships
    )
    return Abilities(
        allocation=allocation,
        is_practitioner=is_practitioner,
        can_decide=bool(relationships & selectors.DECIDING_RELATIONSHIPS),
        can_acknowledge=bool(relationships & selectors.ACKNOWLEDGING_RELATIONSHIPS),
        is_provider_only=relationships == {Relationship.PRACTITIONER},
    )


def _my_allocation(user: User, participant: Participant) -> Allocation:
    """The current allocation when the user is its practitioner; not-found otherwise."""
    abilities = _abilities(user, participant)
    if not abilities.is_practitioner or abilities.allocation is None:
        raise _not_found()
    return abilities.allocation


# Records looked up within the participant ----------------------------------------------------


def _plan(participant: Participant, plan_uuid: uuid.UUID) -> InterventionPlan:
    plan = selectors.plans_of(participant).filter(uuid=plan_uuid).first()
    if plan is None:
        raise _not_found()
    return plan


def _session(user: User, participant: Participant, session_uuid: uuid.UUID) -> Session:
    session = (
        selectors.sessions_for(user)
        .filter(participant=participant, uuid=session_uuid)
        .select_related("allocation", "rescheduled_from", "outcome_recorded_by")
        .first()
    )
    if session is None:
        raise _not_found()
    return session


def _concern(user: User, participant: Participant, concern_uuid: uuid.UUID) -> Concern:
    concern = (
        selectors.concerns_for(user).filter(participant=participant, uuid=concern_uuid).first()
    )
    if concern is None:
        raise _not_found()
    return concern


def _record(user: User, participant: Participant, record_uuid: uuid.UUID) -> ComplianceRecord:
    record = (
        selectors.compliance_records_for(user)
        .filter(participant=participant, uuid=record_uuid)
        .select_related("session__practitioner__user")
        .first()
    )
    if record is None:
        raise _not_found()
    return record


def _end_report(participant: Participant, report_uuid: uuid.UUID) -> EndReport:
    report = (
        EndReport.objects.filter(participant=participant, uuid=report_uuid)
        .select_related("submitted_by", "allocation__practitioner__user")
        .prefetch_related("achievements__objective")
        .first()
    )
    if report is None:
        raise _not_found()
    return report


# The intervention page ---------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: Session
    notes_visible: bool
    outcome_due: bool


@dataclass(frozen=True)
class ComplianceRow:
    record: ComplianceRecord
    form: ComplianceDecisionForm | None


@participant_route
@require_GET
def work(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    abilities = _abilities(user, participant)
    now = timezone.now()
    plans = list(selectors.plans_of(participant))
    sessions = list(
        selectors.sessions_for(user).filter(participant=participant).order_by("scheduled_start")
    )
    upcoming = [
        s for s in sessions if s.outcome == SessionOutcome.SCHEDULED and s.scheduled_start >= now
    ]
    upcoming_ids = {s.pk for s in upcoming}
    # Whether notes show depends on the user, the participant and the session's provider
    # organisation only: ask once per organisation, not once a session.
    notes_by_organisation: dict[int, bool] = {}

    def notes_visible(session: Session) -> bool:
        key = session.practitioner.organisation_id
        if key not in notes_by_organisation:
            notes_by_organisation[key] = selectors.session_notes_visible(user, session)
        return notes_by_organisation[key]

    past = [
        SessionRow(
            session=s,
            notes_visible=bool(s.notes) and notes_visible(s),
            outcome_due=s.outcome == SessionOutcome.SCHEDULED,
        )
        for s in reversed(sessions)
        if s.pk not in upcoming_ids
    ]
    records = selectors.compliance_records_for(user).filter(participant=participant)
    compliance = [
        ComplianceRow(
            record=record,
            form=ComplianceDecisionForm(auto_id=f"compliance-{record.uuid}-%s")
            if abilities.can_decide and not record.decision
            else None,
        )
        for record in records.select_related("session")
    ]
    timeline = selectors.participant_timeline(participant)
    if abilities.is_provider_only:
        timeline = [e for e in timeline if e.kind not in _PROVIDER_HIDDEN_TIMELINE_KINDS]
    # Goals name a pathway (health, drugs and alcohol, ...): only for support readers.
    if not has_relationship(_user(request), participant, SUPPORT_READERS):
        timeline = [e for e in timeline if e.kind not in _SUPPORT_TIMELINE_KINDS]
    end_reports = EndReport.objects.filter(participant=participant).select_related(
        "allocation__practitioner__user"
    )
    pending = next((p for p in plans if p.status == PlanStatus.PROPOSED), None)
    approved = next((p for p in plans if p.status == PlanStatus.APPROVED), None)
    return render(
        request,
        "delivery/work.html",
        {
            "participant": participant,
            "abilities": abilities,
            "allocation": abilities.allocation,
            "approved": approved,
            "approved_types": _types(approved),
            "pending": pending,
            "pending_types": _types(pending),
            "plans": plans,
            "plan_form": PlanDecisionForm(auto_id="plan-%s") if pending else None,
            "upcoming": upcoming,
            "past": past,
            "concerns": selectors.concerns_for(user).filter(participant=participant),
            "awaiting_statuses": sorted(rules.AWAITING_STATUSES),
            "compliance": compliance,
            "end_reports": end_reports,
            "timeline": timeline,
        },
    )


# Plans -------------------------------------------------------------------------------------


def _plan_initial(participant: Participant) -> dict[str, Any]:
    """A new version starts from the plan in force."""
    approved = selectors.approved_plan(participant)
    if approved is None:
        return {}
    return {
        "objectives": "\n".join(o.description for o in approved.objectives.all()),
        "intervention_types": approved.intervention_types,
        "planned_sessions": approved.planned_sessions,
        "summary": approved.summary,
    }


@participant_route
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    allocation = _my_allocation(user, participant)
    form = PlanForm(posted(request), initial=_plan_initial(participant))
    if request.method == "POST" and form.is_valid():
        plan = call_service(
            form, services.plan_propose, actor=user, allocation=allocation, **form.cleaned_data
        )
        if plan is not None:
            messages.success(request, f"Version {plan.version} of the plan sent for approval")
            return _work(participant)
    return render(
        request,
        "delivery/plan_form.html",
        {
            "form": form,
            "participant": participant,
            "pending": selectors.pending_plan(participant),
        },
        status=400 if form.errors else 200,
    )


def _plan_page(
    request: HttpRequest,
    participant: Participant,
    plan: InterventionPlan,
    form: PlanDecisionForm | None,
    status: int = 200,
) -> HttpResponse:
    abilities = _abilities(_user(request), participant)
    can_decide = abilities.can_decide and plan.status == PlanStatus.PROPOSED
    return render(
        request,
        "delivery/plan_detail.html",
        {
            "participant": participant,
            "plan": plan,
            "types": _types(plan),
            "decision_form": (form or PlanDecisionForm()) if can_decide else None,
            "form": form,
        },
        status=status,
    )


@participant_route
@require_GET
def plan_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, plan_uuid: uuid.UUID
) -> HttpResponse:
    participant = get_participant_for(_user(request), participant_uuid)
    plan = _plan(participant, plan_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return _plan_page(request, participant, plan, None)


@participant_route
@require_POST
def plan_decision(
    request: HttpRequest, participant_uuid: uuid.UUID, plan_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    plan = _plan(participant, plan_uuid)
    if not _abilities(user, participant).can_decide:
        raise _not_found()
    form = PlanDecisionForm(request.POST)
    if form.is_valid():
        approving = form.cleaned_data["decision"] == "approve"
        decided = call_service(
            form,
            services.plan_approve if approving else services.plan_return,
            actor=user,
            plan=plan,
            note=form.cleaned_data["note"],
        )
        if decided is not None:
            messages.success(request, "Plan approved" if approving else "Plan returned for changes")
            return _work(participant)
    return _plan_page(request, participant, plan, form, status=400)


# Sessions ----------------------------------------------------------------------------------


@participant_route
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    allocation = _my_allocation(user, participant)
    form = SessionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        session = call_service(
            form, services.session_schedule, actor=user, allocation=allocation, **form.cleaned_data
        )
        if session is not None:
            messages.success(request, "Session booked")
            return _work(participant)
    return render(
        request,
        "delivery/session_form.html",
        {"form": form, "participant": participant},
        status=400 if form.errors else 200,
    )


def _may_record(user: User, participant: Participant, session: Session) -> bool:
    """The session's practitioner, on their current allocation, for a session not moved."""
    abilities = _abilities(user, participant)
    return (
        abilities.is_practitioner
        and abilities.allocation is not None
        and session.allocation_id == abilities.allocation.pk
        and session.outcome != SessionOutcome.RESCHEDULED
    )


def _correctable(user: User, session: Session, now: dt.datetime) -> bool:
    try:
        rules.check_correction(
            outcome=session.outcome,
            recorded_at=session.outcome_recorded_at,
            recorder_organisation_id=(
                session.outcome_recorded_by.organisation_id if session.outcome_recorded_by else None
            ),
            actor_organisation_id=user.organisation_id,
            reported_as_absence=ComplianceRecord.objects.filter(session=session).exists(),
            now=now,
        )
    except ValidationError:
        return False
    return True


def _outcome_initial(session: Session) -> dict[str, Any]:
    if session.outcome_recorded_at is None:
        return {}
    initial: dict[str, Any] = {
        "outcome": session.outcome,
        "absence": session.absence,
        "absence_reason": session.absence_reason,
        "actual_minutes": session.actual_minutes,
        "engagement": session.engagement,
        "notes": session.notes,
    }
    for row in session.progress.select_related("objective"):
        initial[PROGRESS_FIELDS.rating(row.objective)] = row.rating
        initial[PROGRESS_FIELDS.note(row.objective)] = row.note
    return initial


@participant_route
@require_http_methods(["GET", "POST"])
def session_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, session_uuid: uuid.UUID
) -> HttpResponse:
    """The session, and the form to record (or correct) what happened."""
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    session = _session(user, participant, session_uuid)
    may_record = _may_record(user, participant, session)
    plan = selectors.approved_plan(participant)
    objectives = list(plan.objectives.all()) if plan else []
    form: OutcomeForm | None = None
    if request.method == "POST":
        # The service says why an outcome cannot be corrected; others get not-found.
        if not may_record:
            raise _not_found()
        form = OutcomeForm(request.POST, objectives=objectives)
        if form.is_valid():
            done = call_service(
                form,
                form.renaming(services.session_record_outcome),
                actor=user,
                session=session,
                **form.service_arguments(),
            )
            if done is not None:
                messages.success(request, "Outcome recorded")
                return _work(participant)
    else:
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
        if may_record and _correctable(user, session, timezone.now()):
            form = OutcomeForm(initial=_outcome_initial(session), objectives=objectives)
    notes_visible = bool(session.notes) and selectors.session_notes_visible(user, session)
    return render(
        request,
        "delivery/session_detail.html",
        {
            "participant": participant,
            "session": session,
            "notes_visible": notes_visible,
            "progress": session.progress.select_related("objective").order_by(
                "objective__position"
            ),
            "rescheduled_to": Session.objects.filter(rescheduled_from=session).first(),
            "compliance": ComplianceRecord.objects.filter(session=session).first(),
            "form": form,
            "can_reschedule": _may_record(user, participant, session)
            and rules.can_reschedule(session.outcome),
        },
        status=400 if form is not None and form.errors else 200,
    )


@participant_route
@require_http_methods(["GET", "POST"])
def session_reschedule(
    request: HttpRequest, participant_uuid: uuid.UUID, session_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    session = _session(user, participant, session_uuid)
    if not _may_record(user, participant, session):
        raise _not_found()
    form = RescheduleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        new = call_service(
            form,
            services.session_reschedule,
            actor=user,
            session=session,
            new_start=form.cleaned_data["new_start"],
            reason=form.cleaned_data["reason"],
        )
        if new is not None:
            messages.success(request, "Session rescheduled")
            return redirect(
                "delivery:session_detail", participant_uuid=participant.uuid, session_uuid=new.uuid
            )
    return render(
        request,
        "delivery/reschedule_form.html",
        {
            "form": form,
            "participant": participant,
            "session": session,
            "reschedulable": rules.can_reschedule(session.outcome),
        },
        status=400 if form.errors else 200,
    )


# Concerns ----------------------------------------------------------------------------------


@participant_route
@require_http_methods(["GET", "POST"])
def concern_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    if not _abilities(user, participant).can_raise_concern:
        raise _not_found()
    form = ConcernForm(posted(request))
    if request.method == "POST" and form.is_valid():
        concern = call_service(
            form, services.concern_raise, actor=user, participant=participant, **form.cleaned_data
        )
        if concern is not None:
            messages.success(
                request,
                "Urgent concern raised: the supervising officer and police liaison have been told"
                if concern.urgent
                else "Concern raised: the supervising officer has been told",
            )
            return _work(participant)
    return render(
        request,
        "delivery/concern_form.html",
        {"form": form, "participant": participant},
        status=400 if form.errors else 200,
    )


def _concern_page(
    request: HttpRequest,
    participant: Participant,
    concern: Concern,
    form: AcknowledgeForm | None,
    status: int = 200,
) -> HttpResponse:
    abilities = _abilities(_user(request), participant)
    can_acknowledge = abilities.can_acknowledge and concern.status in rules.AWAITING_STATUSES
    return render(
        request,
        "delivery/concern_detail.html",
        {
            "participant": participant,
            "concern": concern,
            "acknowledge_form": (form or AcknowledgeForm()) if can_acknowledge else None,
            "form": form,
        },
        status=status,
    )


@participant_route
@require_GET
def concern_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, concern_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    concern = _concern(user, participant, concern_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return _concern_page(request, participant, concern, None)


@participant_route
@require_POST
def concern_acknowledge(
    request: HttpRequest, participant_uuid: uuid.UUID, concern_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    concern = _concern(user, participant, concern_uuid)
    if not _abilities(user, participant).can_acknowledge:
        raise _not_found()
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        done = call_service(
            form, services.concern_acknowledge, actor=user, concern=concern, **form.cleaned_data
        )
        if done is not None:
            messages.success(request, "Concern acknowledged")
            return _work(participant)
    return _concern_page(request, participant, concern, form, status=400)


# Compliance --------------------------------------------------------------------------------


def _compliance_page(
    request: HttpRequest,
    participant: Participant,
    record: ComplianceRecord,
    form: ComplianceDecisionForm | None,
    status: int = 200,
) -> HttpResponse:
    abilities = _abilities(_user(request), participant)
    can_decide = abilities.can_decide and not record.decision
    return render(
        request,
        "delivery/compliance_detail.html",
        {
            "participant": participant,
            "record": record,
            "decision_form": (form or ComplianceDecisionForm()) if can_decide else None,
            "form": form,
        },
        status=status,
    )


@participant_route
@require_GET
def compliance_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, record_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    record = _record(user, participant, record_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return _compliance_page(request, participant, record, None)


@participant_route
@require_POST
def compliance_decision(
    request: HttpRequest, participant_uuid: uuid.UUID, record_uuid: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    record = _record(user, participant, record_uuid)
    if not _abilities(user, participant).can_decide:
        raise _not_found()
    form = ComplianceDecisionForm(request.POST)
    if form.is_valid():
        done = call_service(
            form, services.compliance_decide, actor=user, record=record, **form.cleaned_data
        )
        if done is not None:
            messages.success(request, "Compliance decision recorded")
            return _work(participant)
    return _compliance_page(request, participant, record, form, status=400)


# End of the intervention -------------------------------------------------------------------


@participant_route
@require_http_methods(["GET", "POST"])
def end_report_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = get_participant_for(user, participant_uuid)
    allocation = _my_allocation(user, participant)
    plan = selectors.approved_plan(participant)
    objectives = list(plan.objectives.all()) if plan else []
    form = EndReportForm(posted(request), objectives=objectives)
    if request.method == "POST" and form.is_valid():
        report = call_service(
            form,
            form.renaming(services.end_report_submit),
            actor=user,
            allocation=allocation,
            **form.service_arguments(),
        )
        if report is not None:
            # The allocation has ended, and with it the practitioner's access to the person.
            messages.success(
                request,
                f"End-of-intervention report for {participant.reference} sent to the "
                "supervising officer. The intervention has ended.",
            )
            return redirect("home")
    return render(
        request,
        "delivery/end_report_form.html",
        {"form": form, "participant": participant, "plan": plan},
        status=400 if form.errors else 200,
    )


@participant_route
@require_GET
def end_report_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, report_uuid: uuid.UUID
) -> HttpResponse:
    participant = get_participant_for(_user(request), participant_uuid)
    report = _end_report(participant, report_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return render(
        request,
        "delivery/end_report_detail.html",
        {
            "participant": participant,
            "report": report,
            "achievements": sorted(report.achievements.all(), key=lambda a: a.objective.position),
        },
    )
