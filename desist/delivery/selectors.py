"""Reads for delivery. Lists start from the access gate (`participants_for`), so nobody sees a
session, concern or compliance record of a participant they may not see.

Practitioners see less than the gate lets them see of the participant: only the sessions and
compliance records of their own allocations, and only the concerns they raised themselves
(concerns raised by supervision or the programme team can carry intelligence).

Session notes are narrower still (`session_notes_visible`): the provider organisation of the
session's practitioner, the supervising organisation and the programme team; not the police
liaison, not involved agencies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet
from django.utils import timezone

from desist.accounts.access import Relationship, participants_for, relationships_to
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.delivery import rules
from desist.delivery.constants import (
    Absence,
    Conclusion,
    PlanStatus,
    SessionOutcome,
)
from desist.delivery.models import (
    ComplianceRecord,
    Concern,
    EndReport,
    InterventionPlan,
    Session,
)
from desist.people.models import Participant
from desist.referrals.models import Allocation, ReferralStatusChange

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser

NOTES_RELATIONSHIPS = frozenset({Relationship.PROGRAMME_TEAM, Relationship.SUPERVISING})
# Who may decide on compliance and acknowledge concerns (see services).
DECIDING_RELATIONSHIPS = NOTES_RELATIONSHIPS
ACKNOWLEDGING_RELATIONSHIPS = frozenset({*NOTES_RELATIONSHIPS, Relationship.POLICE_LIAISON})


def _user(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_active and user.organisation_id is not None:
        return user
    return None


def _practitioner(user: AnyUser) -> User | None:
    """The user when they work as a practitioner (a provider's view is narrower)."""
    usable = _user(user)
    if usable is not None and usable.has_role(Role.PRACTITIONER):
        return usable
    return None


def _acting_participants(user: AnyUser) -> QuerySet[Participant]:
    """Participants the user can act on (decide, acknowledge), not only read: the gate's rows
    less the cases a supervising organisation only reads as an involved agency."""
    usable = _user(user)
    rows = participants_for(user)
    if usable is None or usable.has_role(Role.PROGRAMME_MANAGER):
        return rows
    if usable.has_role(Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER):
        return rows.filter(supervising_organisation_id=usable.organisation_id)
    return rows


# Plans -------------------------------------------------------------------------------------


def approved_plan(participant: Participant) -> InterventionPlan | None:
    """The plan in force: the one approved version, with its objectives."""
    return (
        InterventionPlan.objects.filter(participant=participant, status=PlanStatus.APPROVED)
        .prefetch_related("objectives")
        .first()
    )


def pending_plan(participant: Participant) -> InterventionPlan | None:
    """The version waiting for approval, if any (at most one at a time)."""
    return (
        InterventionPlan.objects.filter(participant=participant, status=PlanStatus.PROPOSED)
        .prefetch_related("objectives")
        .first()
    )


def plans_of(participant: Participant) -> QuerySet[InterventionPlan]:
    """Every version, newest first, with objectives and who proposed and decided."""
    return (
        InterventionPlan.objects.filter(participant=participant)
        .select_related("proposed_by", "decided_by", "allocation")
        .prefetch_related("objectives")
        .order_by("-version")
    )


def current_allocation(participant: Participant) -> Allocation | None:
    return (
        Allocation.objects.filter(participant=participant, ended_at__isnull=True)
        .select_related("practitioner__user", "practitioner__organisation", "referral")
        .order_by("-allocated_at", "-id")
        .first()
    )


# Lists narrowed by the gate ----------------------------------------------------------------


def plans_for(user: AnyUser) -> QuerySet[InterventionPlan]:
    """Every plan version of the participants the gate shows this user, as the plan pages
    show them (a practitioner's gate already holds only their own cases)."""
    return (
        InterventionPlan.objects.filter(participant__in=participants_for(user))
        .select_related("participant", "allocation", "proposed_by", "decided_by")
        .prefetch_related("objectives")
    )


def end_reports_for(user: AnyUser) -> QuerySet[EndReport]:
    """End-of-intervention reports of the participants the gate shows this user."""
    return (
        EndReport.objects.filter(participant__in=participants_for(user))
        .select_related("participant", "allocation", "submitted_by")
        .prefetch_related("achievements__objective")
    )


def sessions_for(user: AnyUser) -> QuerySet[Session]:
    rows = Session.objects.filter(participant__in=participants_for(user))
    practitioner = _practitioner(user)
    if practitioner is not None:
        rows = rows.filter(allocation__practitioner__user=practitioner)
    return rows.select_related("participant", "practitioner__user", "practitioner__organisation")


def concerns_for(user: AnyUser) -> QuerySet[Concern]:
    rows = Concern.objects.filter(participant__in=participants_for(user))
    practitioner = _practitioner(user)
    if practitioner is not None:
        rows = rows.filter(raised_by=practitioner)
    return rows.select_related("participant", "raised_by", "acknowledged_by")


def compliance_records_for(user: AnyUser) -> QuerySet[ComplianceRecord]:
    rows = ComplianceRecord.objects.filter(participant__in=participants_for(user))
    practitioner = _practitioner(user)
    if practitioner is not None:
        rows = rows.filter(session__allocation__practitioner__user=practitioner)
    return rows.select_related("participant", "session", "legal_basis", "decided_by")


def session_notes_visible(user: AnyUser, session: Session) -> bool:
    """Notes are for the session's provider organisation, the supervising organisation and the
    programme team, and only while the user may see the participant at all."""
    usable = _user(user)
    if usable is None:
        return False
    if not participants_for(usable).filter(pk=session.participant_id).exists():
        return False
    if usable.organisation_id == session.practitioner.organisation_id:
        return True
    return bool(relationships_to(usable, session.participant) & NOTES_RELATIONSHIPS)


# Dashboard counts --------------------------------------------------------------------------


def week_of(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00 (local time) of the week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min))
    return start, end


def sessions_in_week(user: AnyUser, *, today: dt.date | None = None) -> QuerySet[Session]:
    """Sessions this week that still take place (not cancelled or moved), soonest first."""
    start, end = week_of(today or timezone.localdate())
    return (
        sessions_for(user)
        .filter(scheduled_start__gte=start, scheduled_start__lt=end)
        .exclude(outcome__in=rules.FREED_OUTCOMES)
        .order_by("scheduled_start", "id")
    )


def sessions_this_week(user: AnyUser) -> int:
    return sessions_in_week(user).count()


def concerns_awaiting_for(user: AnyUser) -> QuerySet[Concern]:
    """Concerns not yet acknowledged that this user may acknowledge (for a practitioner: the
    ones they raised), most urgent and oldest first."""
    rows = concerns_for(user).filter(status__in=rules.AWAITING_STATUSES)
    if _practitioner(user) is None:
        rows = rows.filter(participant__in=_acting_participants(user))
    return rows.order_by("-urgent", "raised_at", "id")


def concerns_awaiting(user: AnyUser) -> int:
    return concerns_awaiting_for(user).count()


def compliance_decisions_due_for(user: AnyUser) -> QuerySet[ComplianceRecord]:
    """Compliance records waiting for a decision this user may make, soonest due first."""
    usable = _user(user)
    if usable is None or not usable.has_role(
        Role.PROGRAMME_MANAGER, Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER
    ):
        return ComplianceRecord.objects.none()
    return (
        compliance_records_for(usable)
        .filter(decision="", participant__in=_acting_participants(usable))
        .order_by("due_on", "opened_at", "id")
    )


def compliance_decisions_due(user: AnyUser) -> int:
    return compliance_decisions_due_for(user).count()


# Timeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime
    kind: str
    title: str
    detail: str


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def participant_timeline(participant: Participant) -> list[TimelineEntry]:
    """What happened to the participant, newest first. The caller has already checked the user
    may see the participant. Free text that may be restricted (session notes, absence reasons,
    concern descriptions and acknowledgements, referral notes) is left out; plan and compliance
    decisions show their reasons."""
    entries: list[TimelineEntry] = []
    entries += _status_entries(participant)
    entries += _referral_entries(participant)
    entries += _allocation_entries(participant)
    entries += _plan_entries(participant)
    entries += _session_entries(participant)
    entries += _compliance_entries(participant)
    entries += _concern_entries(participant)
    entries += _end_report_entries(participant)
    # Achieved development-plan goals are celebrated here too. (Imported here: the support app
    # builds on this module's TimelineEntry.)
    from desist.support.selectors_plan import goal_timeline_entries

    entries += goal_timeline_entries(participant)
    # Stable sort: entries written for the same moment keep the order they were added in.
    indexed = list(enumerate(entries))
    indexed.sort(key=lambda pair: (pair[1].when, pair[0]), reverse=True)
    return [entry for _, entry in indexed]


def _status_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    for change in participant.status_history.order_by("effective_date", "id"):
        recorded = timezone.localtime(change.recorded_at)
        # Recorded on the day it took effect: the moment it was recorded. Back-dated or
        # future-dated: the start of the day it took effect.
        when = (
            change.recorded_at
            if recorded.date() == change.effective_date
            else _day_start(change.effective_date)
        )
        detail = f"From {_date(change.effective_date)}."
        if change.reason:
            detail += f" {change.reason}"
        entries.append(
            TimelineEntry(
                when=when,
                kind="status",
                title=f"Status: {change.get_status_display()}",
                detail=detail,
            )
        )
    return entries


def _referral_entries(participant: Participant) -> list[TimelineEntry]:
    rows = ReferralStatusChange.objects.filter(referral__participant=participant).order_by(
        "changed_at", "id"
    )
    return [
        TimelineEntry(
            when=row.changed_at,
            kind="referral",
            title=f"Referral: {row.get_to_status_display()}",
            detail="",
        )
        for row in rows
    ]


def _allocation_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    rows = (
        Allocation.objects.filter(participant=participant)
        .select_related("practitioner__user", "practitioner__organisation")
        .order_by("allocated_at", "id")
    )
    for allocation in rows:
        practitioner = allocation.practitioner
        who = f"{practitioner.user.display_name} ({practitioner.organisation.name})"
        entries.append(
            TimelineEntry(
                when=allocation.allocated_at,
                kind="allocation",
                title="Allocated to a practitioner",
                detail=who,
            )
        )
        if allocation.ended_at is not None:
            entries.append(
                TimelineEntry(
                    when=allocation.ended_at,
                    kind="allocation",
                    title="Allocation ended",
                    detail=f"{who}. {allocation.end_reason}".strip(),
                )
            )
    return entries


def _plan_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    rows = (
        InterventionPlan.objects.filter(participant=participant)
        .annotate(objective_count=Count("objectives"))
        .order_by("version")
    )
    for plan in rows:
        count = plan.objective_count
        entries.append(
            TimelineEntry(
                when=plan.proposed_at,
                kind="plan",
                title=f"Plan version {plan.version} proposed",
                detail=(
                    f"{count} objective{'s' if count != 1 else ''}, "
                    f"{plan.planned_sessions} planned session"
                    f"{'s' if plan.planned_sessions != 1 else ''}."
                ),
            )
        )
        if plan.decided_at is not None:
            decided = "returned" if plan.status == PlanStatus.RETURNED else "approved"
            entries.append(
                TimelineEntry(
                    when=plan.decided_at,
                    kind="plan",
                    title=f"Plan version {plan.version} {decided}",
                    detail=plan.decision_note,
                )
            )
    return entries


def _session_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    rows = (
        Session.objects.filter(participant=participant)
        .exclude(outcome=SessionOutcome.SCHEDULED)
        .order_by("scheduled_start", "id")
    )
    for session in rows:
        local = timezone.localtime(session.scheduled_start)
        parts = [
            f"{session.get_session_type_display()}, {session.get_mode_display().lower()}, "
            f"{_date(local.date())} at {local:%H:%M}."
        ]
        if session.outcome == SessionOutcome.RESCHEDULED:
            parts.append(session.reschedule_reason)
        if session.absence:
            parts.append(f"{Absence(session.absence).label}.")
        if session.engagement is not None:
            parts.append(f"Engagement {session.engagement} out of 5.")
        entries.append(
            TimelineEntry(
                when=session.scheduled_start,
                kind="session",
                title=f"Session: {session.get_outcome_display()}",
                detail=" ".join(part for part in parts if part),
            )
        )
    return entries


def _compliance_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    rows = ComplianceRecord.objects.filter(participant=participant).order_by("opened_at", "id")
    for record in rows:
        absences = record.absences_in_window
        entries.append(
            TimelineEntry(
                when=record.opened_at,
                kind="compliance",
                title="Unacceptable absence reported to the supervising officer",
                detail=(
                    f"{absences} unacceptable absence{'s' if absences != 1 else ''} in the "
                    f"window: {record.get_stage_display().lower()}. "
                    f"Decision due by {_date(record.due_on)}."
                ),
            )
        )
        if record.decided_at is not None:
            entries.append(
                TimelineEntry(
                    when=record.decided_at,
                    kind="compliance",
                    title=f"Compliance decision: {record.get_decision_display()}",
                    detail=record.decision_reason,
                )
            )
    return entries


def _concern_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    rows = Concern.objects.filter(participant=participant).order_by("raised_at", "id")
    for concern in rows:
        label = concern.get_category_display()
        entries.append(
            TimelineEntry(
                when=concern.raised_at,
                kind="concern",
                title=f"{'Urgent concern' if concern.urgent else 'Concern'} raised: {label}",
                detail="",
            )
        )
        if concern.escalated_at is not None:
            entries.append(
                TimelineEntry(
                    when=concern.escalated_at,
                    kind="concern",
                    title="Concern escalated to the programme manager",
                    detail=f"{label}: not acknowledged in time.",
                )
            )
        if concern.acknowledged_at is not None:
            entries.append(
                TimelineEntry(
                    when=concern.acknowledged_at,
                    kind="concern",
                    title="Concern acknowledged",
                    # The note can carry intelligence; it is shown on the concern itself.
                    detail="",
                )
            )
    return entries


def _end_report_entries(participant: Participant) -> list[TimelineEntry]:
    entries = []
    for report in EndReport.objects.filter(participant=participant).order_by("submitted_at"):
        title = f"End-of-intervention report: {report.get_conclusion_display().lower()}"
        detail = ""
        if report.conclusion == Conclusion.ENDED_EARLY:
            detail = f"{report.get_ended_early_reason_display()}."
        entries.append(
            TimelineEntry(when=report.submitted_at, kind="end_report", title=title, detail=detail)
        )
    return entries
