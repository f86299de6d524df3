"""Pure rules for delivery: the plan and concern status machines, what a valid session outcome
needs, overlapping sessions, compliance thresholds and what an end report needs.

No database access here, so each rule is tested branch by branch with plain values.

An intervention plan version moves like this::

    proposed -> approved | returned
    approved -> superseded        (when a later version is approved)

`returned` and `superseded` are final for that version: the practitioner proposes a new
version instead. A new version may be proposed while an earlier one is approved (the approved
one stays in force until the new one is approved), but not while another is still waiting.

A concern moves like this::

    awaiting  -> acknowledged | escalated   (escalated: not acknowledged in time)
    escalated -> acknowledged

A recorded session outcome can be corrected only by someone in the organisation that recorded
it, within CORRECTION_DAYS of recording it, and not once it has been reported to the
supervising officer as an unacceptable absence (the officer's decision settles it instead).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection
from typing import Protocol

from django.core.exceptions import ValidationError

from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ComplianceStage,
    ConcernCategory,
    ConcernStatus,
    Conclusion,
    EndedEarlyReason,
    ObjectiveProgressRating,
    PlanStatus,
    SessionMode,
    SessionOutcome,
)
from desist.providers.constants import Specialism

P = PlanStatus
SO = SessionOutcome
C = ConcernStatus

# Plans -------------------------------------------------------------------------------------

PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    P.PROPOSED: frozenset({P.APPROVED, P.RETURNED}),
    P.APPROVED: frozenset({P.SUPERSEDED}),
    P.RETURNED: frozenset(),
    P.SUPERSEDED: frozenset(),
}
OBJECTIVE_MAX_LENGTH = 500
MAX_PLANNED_SESSIONS = 200


def can_move_plan(from_status: str, to_status: str) -> bool:
    return to_status in PLAN_TRANSITIONS.get(from_status, frozenset())


def check_plan_transition(from_status: str, to_status: str) -> None:
    """Raise ValidationError({"status": ...}) unless a plan version may move this way."""
    if can_move_plan(from_status, to_status):
        return
    if from_status == P.APPROVED:
        message = "This version of the plan has already been approved."
    elif from_status in (P.RETURNED, P.SUPERSEDED):
        message = (
            f"This version of the plan has been {P(from_status).label.lower()}, so it cannot "
            "change. Propose a new version instead."
        )
    else:
        message = (
            f"A plan with the status {_label(P, from_status)} cannot move to "
            f"{_label(P, to_status)}."
        )
    raise ValidationError({"status": message})


def check_plan_proposal(
    objectives: list[str], intervention_types: Collection[str], planned_sessions: int
) -> None:
    if not [text for text in objectives if text.strip()]:
        raise ValidationError({"objectives": "Enter at least one objective."})
    if any(len(text.strip()) > OBJECTIVE_MAX_LENGTH for text in objectives):
        raise ValidationError(
            {"objectives": f"Each objective must be {OBJECTIVE_MAX_LENGTH} characters or fewer."}
        )
    if not intervention_types:
        raise ValidationError({"intervention_types": "Select at least one type of intervention."})
    if any(kind not in Specialism.values for kind in intervention_types):
        raise ValidationError({"intervention_types": "Select types of intervention from the list."})
    if planned_sessions < 1:
        raise ValidationError({"planned_sessions": "Planned sessions must be 1 or more."})
    if planned_sessions > MAX_PLANNED_SESSIONS:
        raise ValidationError(
            {"planned_sessions": f"Planned sessions must be {MAX_PLANNED_SESSIONS} or fewer."}
        )


# Sessions ----------------------------------------------------------------------------------

RECORDABLE_OUTCOMES: frozenset[str] = frozenset(
    {SO.ATTENDED, SO.LATE, SO.DID_NOT_ATTEND, SO.CANCELLED_BY_PROVIDER, SO.CANCELLED_BY_PARTICIPANT}
)
ATTENDED_OUTCOMES: frozenset[str] = frozenset({SO.ATTENDED, SO.LATE})
CANCELLED_OUTCOMES: frozenset[str] = frozenset(
    {SO.CANCELLED_BY_PROVIDER, SO.CANCELLED_BY_PARTICIPANT}
)
# Outcomes that can be recorded before the session's start: it will not happen as planned.
BEFORE_START_OUTCOMES: frozenset[str] = CANCELLED_OUTCOMES
# Sessions that no longer take up the practitioner's time.
FREED_OUTCOMES: frozenset[str] = frozenset({*CANCELLED_OUTCOMES, SO.RESCHEDULED})
CORRECTION_DAYS = 7
MAX_SESSION_MINUTES = 480
ABSENCE_REASON_MAX_LENGTH = 500
RESCHEDULE_REASON_MAX_LENGTH = 300


def overlaps(start_a: dt.datetime, minutes_a: int, start_b: dt.datetime, minutes_b: int) -> bool:
    """True when the two sessions share any time. One ending as the next starts is fine."""
    end_a = start_a + dt.timedelta(minutes=minutes_a)
    end_b = start_b + dt.timedelta(minutes=minutes_b)
    return start_a < end_b and start_b < end_a


def check_session_details(
    *, planned_minutes: int, mode: str, location: str, session_type: str
) -> None:
    if mode not in SessionMode.values:
        raise ValidationError({"mode": "Select how the session takes place."})
    if mode == SessionMode.PRISON_VISIT and not location.strip():
        raise ValidationError({"location": "Enter the prison for a prison visit."})
    if session_type not in Specialism.values:
        raise ValidationError({"session_type": "Select the type of session."})
    if planned_minutes < 1:
        raise ValidationError({"planned_minutes": "The session must last at least 1 minute."})
    if planned_minutes > MAX_SESSION_MINUTES:
        raise ValidationError(
            {"planned_minutes": f"A session can last at most {MAX_SESSION_MINUTES} minutes."}
        )


def can_reschedule(outcome: str) -> bool:
    """Only a session still waiting to happen can move."""
    return outcome == SO.SCHEDULED


def check_reschedule(
    *, outcome: str, old_start: dt.datetime, new_start: dt.datetime, reason: str, now: dt.datetime
) -> None:
    if not can_reschedule(outcome):
        raise ValidationError(
            {"new_start": "This session already has an outcome, so it cannot be rescheduled."}
        )
    if new_start <= now:
        raise ValidationError({"new_start": "The new time must be in the future."})
    if new_start == old_start:
        raise ValidationError({"new_start": "Enter a different time from the current one."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the session is being rescheduled."})
    if len(reason.strip()) > RESCHEDULE_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"The reason must be {RESCHEDULE_REASON_MAX_LENGTH} characters or fewer."}
        )


def check_outcome(
    *,
    outcome: str,
    scheduled_start: dt.datetime,
    now: dt.datetime,
    absence: str,
    absence_reason: str,
    actual_minutes: int | None,
    engagement: int | None,
    has_progress: bool,
) -> None:
    """What each outcome needs and refuses. Raises ValidationError naming the field."""
    if outcome not in RECORDABLE_OUTCOMES:
        raise ValidationError({"outcome": "Select what happened at the session."})
    if scheduled_start > now and outcome not in BEFORE_START_OUTCOMES:
        raise ValidationError(
            {
                "outcome": "You cannot record an outcome for a session in the future. "
                "You can cancel or reschedule it."
            }
        )
    if outcome == SO.DID_NOT_ATTEND:
        _check_absence(absence, absence_reason)
    else:
        _check_no_absence(absence, absence_reason)
    if outcome in ATTENDED_OUTCOMES:
        _check_attendance(actual_minutes, engagement)
    else:
        _check_no_attendance(actual_minutes, engagement, has_progress)


def _check_absence(absence: str, absence_reason: str) -> None:
    if absence not in Absence.values:
        raise ValidationError(
            {"absence": "Select whether the absence was acceptable or unacceptable."}
        )
    if not absence_reason.strip():
        raise ValidationError({"absence_reason": "Enter the reason for the absence."})
    if len(absence_reason.strip()) > ABSENCE_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "absence_reason": "The reason must be "
                f"{ABSENCE_REASON_MAX_LENGTH} characters or fewer."
            }
        )


def _check_no_absence(absence: str, absence_reason: str) -> None:
    if absence:
        raise ValidationError({"absence": "Only a missed session has an absence."})
    if absence_reason.strip():
        raise ValidationError({"absence_reason": "Only a missed session has an absence reason."})


def _check_attendance(actual_minutes: int | None, engagement: int | None) -> None:
    if actual_minutes is not None and actual_minutes < 1:
        raise ValidationError({"actual_minutes": "The session must have lasted at least 1 minute."})
    if actual_minutes is not None and actual_minutes > MAX_SESSION_MINUTES:
        raise ValidationError(
            {"actual_minutes": f"A session can last at most {MAX_SESSION_MINUTES} minutes."}
        )
    if engagement is not None and not 1 <= engagement <= 5:
        raise ValidationError({"engagement": "Engagement must be from 1 to 5."})


def _check_no_attendance(
    actual_minutes: int | None, engagement: int | None, has_progress: bool
) -> None:
    if actual_minutes is not None:
        raise ValidationError({"actual_minutes": "Only a session that took place has a length."})
    if engagement is not None:
        raise ValidationError(
            {"engagement": "Only a session that took place has an engagement rating."}
        )
    if has_progress:
        raise ValidationError({"progress": "Only a session that took place can record progress."})


def check_progress_rating(rating: str, note: str) -> None:
    if rating not in ObjectiveProgressRating.values:
        raise ValidationError({"progress": "Select the progress made on each objective."})
    if len(note.strip()) > OBJECTIVE_MAX_LENGTH:
        raise ValidationError(
            {"progress": f"Each progress note must be {OBJECTIVE_MAX_LENGTH} characters or fewer."}
        )


_ONLY_RECORDER = "Only the organisation that recorded this outcome can correct it."


def check_correction(
    *,
    outcome: str,
    recorded_at: dt.datetime | None,
    recorder_organisation_id: int | None,
    actor_organisation_id: int | None,
    reported_as_absence: bool,
    now: dt.datetime,
) -> None:
    """A recorded outcome may be corrected by its own organisation within CORRECTION_DAYS,
    unless it was rescheduled or has been reported as an unacceptable absence."""
    if outcome == SO.RESCHEDULED:
        raise ValidationError(
            {"outcome": "This session was rescheduled. Record the outcome of the new session."}
        )
    if recorded_at is None:
        return
    if reported_as_absence:
        raise ValidationError(
            {
                "outcome": "This absence has been reported to the supervising officer, so the "
                "outcome cannot be changed. Ask them to take it into account in their decision."
            }
        )
    if recorder_organisation_id is None:
        raise ValidationError({"outcome": _ONLY_RECORDER})
    if recorder_organisation_id != actor_organisation_id:
        raise ValidationError({"outcome": _ONLY_RECORDER})
    if now - recorded_at > dt.timedelta(days=CORRECTION_DAYS):
        raise ValidationError(
            {
                "outcome": f"An outcome can only be corrected within {CORRECTION_DAYS} days "
                "of recording it."
            }
        )


def meets_first_contact(outcome: str) -> bool:
    """Any outcome means the provider was in touch, except the provider cancelling."""
    return outcome in RECORDABLE_OUTCOMES and outcome != SO.CANCELLED_BY_PROVIDER


def meets_first_session(outcome: str) -> bool:
    return outcome in ATTENDED_OUTCOMES


# Compliance --------------------------------------------------------------------------------


class Thresholds(Protocol):
    """What compliance_stage reads from a ComplianceRule."""

    @property
    def warning_after(self) -> int: ...

    @property
    def breach_after(self) -> int: ...


def needs_compliance_record(*, outcome: str, absence: str, attendance_mandatory: bool) -> bool:
    if outcome != SO.DID_NOT_ATTEND:
        return False
    if absence != Absence.UNACCEPTABLE:
        return False
    return attendance_mandatory


def compliance_stage(absences_in_window: int, rule: Thresholds) -> ComplianceStage:
    """What the officer should consider, given the unacceptable absences in the rule's window
    (including the one just recorded)."""
    if absences_in_window >= rule.breach_after:
        return ComplianceStage.BREACH
    if absences_in_window >= rule.warning_after:
        return ComplianceStage.WARNING
    return ComplianceStage.RECORD


def check_thresholds(
    *, warning_after: int, breach_after: int, window_months: int, decision_working_days: int
) -> None:
    """A programme's thresholds for one kind of legal basis (edited on the admin pages)."""
    if warning_after < 1:
        raise ValidationError({"warning_after": "A warning can be considered from 1 absence."})
    if breach_after < warning_after:
        raise ValidationError(
            {"breach_after": "Breach action cannot be considered before a warning."}
        )
    if window_months < 1:
        raise ValidationError({"window_months": "The window must be at least 1 month."})
    if decision_working_days < 1:
        raise ValidationError(
            {"decision_working_days": "Give the officer at least 1 working day to decide."}
        )


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter:
    31 March less one month is 28 or 29 February)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def absence_window_start(day: dt.date, months: int) -> dt.date:
    """First day of the window of `months` months ending on `day`. An absence exactly
    `months` months earlier is outside it: the window of 12 months up to 2 March 2026 starts
    on 3 March 2025."""
    return months_before(day, months) + dt.timedelta(days=1)


def check_compliance_decision(decision: str, reason: str, already_decided: bool) -> None:
    if already_decided:
        raise ValidationError({"decision": "A decision has already been recorded."})
    if decision not in ComplianceDecision.values:
        raise ValidationError({"decision": "Select a decision."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for your decision."})


# Concerns ----------------------------------------------------------------------------------

CONCERN_TRANSITIONS: dict[str, frozenset[str]] = {
    C.AWAITING: frozenset({C.ACKNOWLEDGED, C.ESCALATED}),
    C.ESCALATED: frozenset({C.ACKNOWLEDGED}),
    C.ACKNOWLEDGED: frozenset(),
    C.CLOSED: frozenset(),
}
AWAITING_STATUSES: frozenset[str] = frozenset({C.AWAITING, C.ESCALATED})


def can_move_concern(from_status: str, to_status: str) -> bool:
    return to_status in CONCERN_TRANSITIONS.get(from_status, frozenset())


def check_concern_transition(from_status: str, to_status: str) -> None:
    if can_move_concern(from_status, to_status):
        return
    if from_status == C.ACKNOWLEDGED and to_status == C.ACKNOWLEDGED:
        message = "This concern has already been acknowledged."
    else:
        message = (
            f"A concern with the status {_label(C, from_status)} cannot move to "
            f"{_label(C, to_status)}."
        )
    raise ValidationError({"status": message})


def check_concern(category: str, description: str) -> None:
    if category not in ConcernCategory.values:
        raise ValidationError({"category": "Select the kind of concern."})
    if not description.strip():
        raise ValidationError({"description": "Describe the concern."})


def is_overdue_for_acknowledgement(
    *, urgent: bool, status: str, acknowledge_by: dt.datetime | None, now: dt.datetime
) -> bool:
    if not urgent:
        return False
    if status != C.AWAITING:
        return False
    if acknowledge_by is None:
        return False
    return acknowledge_by < now


# End report --------------------------------------------------------------------------------


def check_end_report(*, conclusion: str, ended_early_reason: str, summary: str) -> None:
    if conclusion not in Conclusion.values:
        raise ValidationError({"conclusion": "Select how the intervention ended."})
    if conclusion == Conclusion.ENDED_EARLY and not ended_early_reason:
        raise ValidationError({"ended_early_reason": "Select why the intervention ended early."})
    if conclusion == Conclusion.ENDED_EARLY and ended_early_reason not in EndedEarlyReason.values:
        raise ValidationError({"ended_early_reason": "Select a reason from the list."})
    if conclusion != Conclusion.ENDED_EARLY and ended_early_reason:
        raise ValidationError(
            {"ended_early_reason": "Only an intervention that ended early has a reason."}
        )
    if not summary.strip():
        raise ValidationError({"summary": "Enter a summary of the intervention."})


def check_achievements(
    objective_ids: Collection[int], achievements: dict[int, tuple[str, str]], labels: dict[int, str]
) -> None:
    """Every objective of the approved plan needs an achievement, and only those."""
    missing = [objective for objective in objective_ids if objective not in achievements]
    if missing:
        names = "; ".join(labels.get(objective, str(objective)) for objective in missing)
        raise ValidationError(
            {"achievements": f"Say how far each objective was achieved: {names}."}
        )
    if any(objective not in objective_ids for objective in achievements):
        raise ValidationError(
            {"achievements": "Only the objectives of the approved plan can be assessed."}
        )
    for achievement, note in achievements.values():
        if achievement not in Achievement.values:
            raise ValidationError({"achievements": "Select how far each objective was achieved."})
        if len(note.strip()) > OBJECTIVE_MAX_LENGTH:
            raise ValidationError(
                {"achievements": f"Each note must be {OBJECTIVE_MAX_LENGTH} characters or fewer."}
            )


def _label(choices: type[PlanStatus] | type[ConcernStatus], status: str) -> str:
    try:
        return f'"{choices(status).label}"'
    except ValueError:
        return f'"{status}"'
