from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError

from desist.delivery import rules
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

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(hours=2)
FUTURE = NOW + dt.timedelta(hours=2)


def _field(error: pytest.ExceptionInfo[ValidationError]) -> str:
    [name] = error.value.message_dict
    return name


# Plan status machine -----------------------------------------------------------------------

PLAN_ALLOWED = {
    (PlanStatus.PROPOSED, PlanStatus.APPROVED),
    (PlanStatus.PROPOSED, PlanStatus.RETURNED),
    (PlanStatus.APPROVED, PlanStatus.SUPERSEDED),
}


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(PlanStatus.values, repeat=2))
)
def test_plan_moves_only_along_the_machine(from_status: str, to_status: str) -> None:
    allowed = (from_status, to_status) in PLAN_ALLOWED
    assert rules.can_move_plan(from_status, to_status) is allowed
    if allowed:
        rules.check_plan_transition(from_status, to_status)
    else:
        with pytest.raises(ValidationError) as error:
            rules.check_plan_transition(from_status, to_status)
        assert _field(error) == "status"


def test_returned_and_superseded_plans_are_final_and_say_so() -> None:
    for final in (PlanStatus.RETURNED, PlanStatus.SUPERSEDED):
        with pytest.raises(ValidationError, match="Propose a new version instead"):
            rules.check_plan_transition(final, PlanStatus.APPROVED)


def test_approving_an_approved_plan_says_it_is_already_approved() -> None:
    with pytest.raises(ValidationError, match="already been approved"):
        rules.check_plan_transition(PlanStatus.APPROVED, PlanStatus.APPROVED)


def test_unknown_plan_status_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match='"nonsense"'):
        rules.check_plan_transition("nonsense", PlanStatus.APPROVED)
    with pytest.raises(ValidationError, match='"Awaiting approval" cannot move to "Awaiting'):
        rules.check_plan_transition(PlanStatus.PROPOSED, PlanStatus.PROPOSED)


@pytest.mark.parametrize(
    ("objectives", "types", "sessions", "field"),
    [
        ([], [Specialism.MENTORING], 6, "objectives"),
        (["  "], [Specialism.MENTORING], 6, "objectives"),
        (["x" * 501], [Specialism.MENTORING], 6, "objectives"),
        (["Find work"], [], 6, "intervention_types"),
        (["Find work"], ["astrology"], 6, "intervention_types"),
        (["Find work"], [Specialism.MENTORING], 0, "planned_sessions"),
        (["Find work"], [Specialism.MENTORING], 201, "planned_sessions"),
    ],
)
def test_plan_proposal_refuses_bad_input_naming_the_field(
    objectives: list[str], types: list[str], sessions: int, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_plan_proposal(objectives, types, sessions)
    assert _field(error) == field


def test_plan_proposal_with_one_objective_is_accepted() -> None:
    rules.check_plan_proposal(["Find work", ""], [Specialism.PRACTICAL], 1)
    rules.check_plan_proposal(["x" * 500], [Specialism.PRACTICAL], 200)


# Sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a_start", "a_minutes", "b_start", "b_minutes", "expected"),
    [
        (10 * 60, 60, 10 * 60, 60, True),  # same time
        (10 * 60, 60, 10 * 60 + 30, 60, True),  # b starts inside a
        (10 * 60 + 30, 60, 10 * 60, 60, True),  # a starts inside b
        (10 * 60, 120, 10 * 60 + 30, 30, True),  # b inside a
        (10 * 60, 60, 11 * 60, 60, False),  # b starts as a ends
        (11 * 60, 60, 10 * 60, 60, False),  # a starts as b ends
        (10 * 60, 60, 14 * 60, 60, False),  # apart
    ],
)
def test_overlaps(
    a_start: int, a_minutes: int, b_start: int, b_minutes: int, expected: bool
) -> None:
    day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    start_a = day + dt.timedelta(minutes=a_start)
    start_b = day + dt.timedelta(minutes=b_start)
    assert rules.overlaps(start_a, a_minutes, start_b, b_minutes) is expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "carrier_pigeon"}, "mode"),
        ({"mode": SessionMode.PRISON_VISIT, "location": " "}, "location"),
        ({"session_type": "astrology"}, "session_type"),
        ({"planned_minutes": 0}, "planned_minutes"),
        ({"planned_minutes": 481}, "planned_minutes"),
    ],
)
def test_session_details_refuse_bad_input(changes: dict[str, object], field: str) -> None:
    details: dict[str, object] = {
        "planned_minutes": 60,
        "mode": SessionMode.IN_PERSON,
        "location": "",
        "session_type": Specialism.MENTORING,
    }
    with pytest.raises(ValidationError) as error:
        rules.check_session_details(**(details | changes))  # type: ignore[arg-type]
    assert _field(error) == field


def test_prison_visit_with_a_location_is_accepted() -> None:
    rules.check_session_details(
        planned_minutes=480,
        mode=SessionMode.PRISON_VISIT,
        location="HMP Example",
        session_type=Specialism.THEOLOGICAL,
    )


@pytest.mark.parametrize("outcome", SessionOutcome.values)
def test_only_a_scheduled_session_can_be_rescheduled(outcome: str) -> None:
    assert rules.can_reschedule(outcome) is (outcome == SessionOutcome.SCHEDULED)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"outcome": SessionOutcome.ATTENDED}, "new_start", "already has an outcome"),
        ({"new_start": PAST}, "new_start", "must be in the future"),
        ({"new_start": NOW}, "new_start", "must be in the future"),
        ({"new_start": FUTURE, "old_start": FUTURE}, "new_start", "different time"),
        ({"reason": "  "}, "reason", "Enter why"),
        ({"reason": "x" * 301}, "reason", "300 characters"),
    ],
)
def test_reschedule_refuses_bad_input(changes: dict[str, object], field: str, message: str) -> None:
    values: dict[str, object] = {
        "outcome": SessionOutcome.SCHEDULED,
        "old_start": PAST,
        "new_start": FUTURE,
        "reason": "Participant has a job interview.",
        "now": NOW,
    }
    with pytest.raises(ValidationError, match=message) as error:
        rules.check_reschedule(**(values | changes))  # type: ignore[arg-type]
    assert _field(error) == field


def test_reschedule_of_a_waiting_session_to_a_later_time_is_accepted() -> None:
    rules.check_reschedule(
        outcome=SessionOutcome.SCHEDULED, old_start=PAST, new_start=FUTURE, reason="Ill", now=NOW
    )


def _outcome(**changes: object) -> None:
    values: dict[str, object] = {
        "outcome": SessionOutcome.ATTENDED,
        "scheduled_start": PAST,
        "now": NOW,
        "absence": "",
        "absence_reason": "",
        "actual_minutes": None,
        "engagement": None,
        "has_progress": False,
    }
    rules.check_outcome(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", ["", SessionOutcome.RESCHEDULED, "vanished"])
def test_outcomes_that_cannot_be_recorded_are_refused(outcome: str) -> None:
    with pytest.raises(ValidationError, match="Select what happened") as error:
        _outcome(outcome=outcome)
    assert _field(error) == "outcome"


@pytest.mark.parametrize(
    "outcome", [SessionOutcome.ATTENDED, SessionOutcome.LATE, SessionOutcome.DID_NOT_ATTEND]
)
def test_outcome_for_a_future_session_is_refused(outcome: str) -> None:
    extra = (
        {"absence": Absence.ACCEPTABLE, "absence_reason": "Ill"}
        if outcome == SessionOutcome.DID_NOT_ATTEND
        else {}
    )
    with pytest.raises(ValidationError, match="session in the future") as error:
        _outcome(outcome=outcome, scheduled_start=FUTURE, **extra)
    assert _field(error) == "outcome"


@pytest.mark.parametrize(
    "outcome", [SessionOutcome.CANCELLED_BY_PROVIDER, SessionOutcome.CANCELLED_BY_PARTICIPANT]
)
def test_a_future_session_can_be_cancelled(outcome: str) -> None:
    _outcome(outcome=outcome, scheduled_start=FUTURE)


def test_a_session_starting_now_can_have_its_outcome_recorded() -> None:
    _outcome(scheduled_start=NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"absence": "", "absence_reason": "Ill"}, "absence"),
        ({"absence": "maybe", "absence_reason": "Ill"}, "absence"),
        ({"absence": Absence.UNACCEPTABLE, "absence_reason": " "}, "absence_reason"),
        ({"absence": Absence.UNACCEPTABLE, "absence_reason": "x" * 501}, "absence_reason"),
        ({"absence": Absence.ACCEPTABLE, "absence_reason": "Ill", "engagement": 3}, "engagement"),
        (
            {"absence": Absence.ACCEPTABLE, "absence_reason": "Ill", "actual_minutes": 30},
            "actual_minutes",
        ),
        (
            {"absence": Absence.ACCEPTABLE, "absence_reason": "Ill", "has_progress": True},
            "progress",
        ),
    ],
)
def test_did_not_attend_needs_an_absence_and_reason_and_nothing_else(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _outcome(outcome=SessionOutcome.DID_NOT_ATTEND, **changes)
    assert _field(error) == field


@pytest.mark.parametrize("absence", Absence.values)
def test_did_not_attend_with_absence_and_reason_is_accepted(absence: str) -> None:
    _outcome(outcome=SessionOutcome.DID_NOT_ATTEND, absence=absence, absence_reason="Overslept")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"absence": Absence.ACCEPTABLE}, "absence"),
        ({"absence_reason": "Ill"}, "absence_reason"),
        ({"actual_minutes": 0}, "actual_minutes"),
        ({"actual_minutes": 481}, "actual_minutes"),
        ({"engagement": 0}, "engagement"),
        ({"engagement": 6}, "engagement"),
    ],
)
@pytest.mark.parametrize("outcome", [SessionOutcome.ATTENDED, SessionOutcome.LATE])
def test_attended_refuses_absence_and_out_of_range_numbers(
    outcome: str, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _outcome(outcome=outcome, **changes)
    assert _field(error) == field


@pytest.mark.parametrize("engagement", [None, 1, 5])
def test_attended_takes_optional_minutes_engagement_and_progress(engagement: int | None) -> None:
    _outcome(engagement=engagement, actual_minutes=1, has_progress=True)
    _outcome(outcome=SessionOutcome.LATE, engagement=engagement, actual_minutes=480)


@pytest.mark.parametrize(
    "outcome", [SessionOutcome.CANCELLED_BY_PROVIDER, SessionOutcome.CANCELLED_BY_PARTICIPANT]
)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"engagement": 3}, "engagement"),
        ({"actual_minutes": 60}, "actual_minutes"),
        ({"has_progress": True}, "progress"),
        ({"absence": Absence.ACCEPTABLE}, "absence"),
    ],
)
def test_cancelled_sessions_have_no_engagement_length_progress_or_absence(
    outcome: str, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _outcome(outcome=outcome, **changes)
    assert _field(error) == field


@pytest.mark.parametrize(
    ("rating", "note", "ok"),
    [
        (ObjectiveProgressRating.GOOD, "", True),
        (ObjectiveProgressRating.SETBACK, "x" * 500, True),
        ("excellent", "", False),
        (ObjectiveProgressRating.SOME, "x" * 501, False),
    ],
)
def test_progress_rating(rating: str, note: str, ok: bool) -> None:
    if ok:
        rules.check_progress_rating(rating, note)
    else:
        with pytest.raises(ValidationError) as error:
            rules.check_progress_rating(rating, note)
        assert _field(error) == "progress"


def _correction(**changes: object) -> None:
    values: dict[str, object] = {
        "outcome": SessionOutcome.ATTENDED,
        "recorded_at": NOW - dt.timedelta(days=1),
        "recorder_organisation_id": 7,
        "actor_organisation_id": 7,
        "reported_as_absence": False,
        "now": NOW,
    }
    rules.check_correction(**(values | changes))  # type: ignore[arg-type]


def test_an_outcome_not_yet_recorded_can_be_recorded() -> None:
    _correction(outcome=SessionOutcome.SCHEDULED, recorded_at=None, recorder_organisation_id=None)


def test_own_organisation_can_correct_within_seven_days() -> None:
    _correction()
    _correction(recorded_at=NOW - dt.timedelta(days=7))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": SessionOutcome.RESCHEDULED}, "was rescheduled"),
        ({"reported_as_absence": True}, "reported to the supervising officer"),
        ({"recorder_organisation_id": None}, "Only the organisation"),
        ({"actor_organisation_id": 8}, "Only the organisation"),
        ({"recorded_at": NOW - dt.timedelta(days=7, seconds=1)}, "within 7 days"),
    ],
)
def test_correction_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as error:
        _correction(**changes)
    assert _field(error) == "outcome"


@pytest.mark.parametrize("outcome", SessionOutcome.values)
def test_which_outcomes_meet_the_first_contact_and_first_session(outcome: str) -> None:
    contact = {
        SessionOutcome.ATTENDED,
        SessionOutcome.LATE,
        SessionOutcome.DID_NOT_ATTEND,
        SessionOutcome.CANCELLED_BY_PARTICIPANT,
    }
    assert rules.meets_first_contact(outcome) is (outcome in contact)
    session = {SessionOutcome.ATTENDED, SessionOutcome.LATE}
    assert rules.meets_first_session(outcome) is (outcome in session)


# Compliance --------------------------------------------------------------------------------


@dataclass
class Rule:
    warning_after: int = 1
    breach_after: int = 2


@pytest.mark.parametrize(
    ("absences", "rule", "stage"),
    [
        (0, Rule(), ComplianceStage.RECORD),
        (1, Rule(), ComplianceStage.WARNING),
        (2, Rule(), ComplianceStage.BREACH),
        (5, Rule(), ComplianceStage.BREACH),
        (1, Rule(2, 3), ComplianceStage.RECORD),
        (2, Rule(2, 3), ComplianceStage.WARNING),
        (3, Rule(2, 3), ComplianceStage.BREACH),
        (1, Rule(1, 1), ComplianceStage.BREACH),
    ],
)
def test_compliance_stage(absences: int, rule: Rule, stage: ComplianceStage) -> None:
    assert rules.compliance_stage(absences, rule) == stage


@pytest.mark.parametrize(
    ("outcome", "absence", "mandatory", "expected"),
    [
        (SessionOutcome.DID_NOT_ATTEND, Absence.UNACCEPTABLE, True, True),
        (SessionOutcome.DID_NOT_ATTEND, Absence.UNACCEPTABLE, False, False),
        (SessionOutcome.DID_NOT_ATTEND, Absence.ACCEPTABLE, True, False),
        (SessionOutcome.CANCELLED_BY_PARTICIPANT, "", True, False),
    ],
)
def test_a_compliance_record_needs_an_unacceptable_absence_where_attendance_is_mandatory(
    outcome: str, absence: str, mandatory: bool, expected: bool
) -> None:
    assert (
        rules.needs_compliance_record(
            outcome=outcome, absence=absence, attendance_mandatory=mandatory
        )
        is expected
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warning_after": 0}, "warning_after"),
        ({"warning_after": 3, "breach_after": 2}, "breach_after"),
        ({"window_months": 0}, "window_months"),
        ({"decision_working_days": 0}, "decision_working_days"),
    ],
)
def test_thresholds_refused(changes: dict[str, int], field: str) -> None:
    values = {"warning_after": 1, "breach_after": 2, "window_months": 12}
    values["decision_working_days"] = 5
    with pytest.raises(ValidationError) as error:
        rules.check_thresholds(**(values | changes))
    assert _field(error) == field


def test_thresholds_with_warning_and_breach_at_once_are_accepted() -> None:
    rules.check_thresholds(
        warning_after=1, breach_after=1, window_months=1, decision_working_days=1
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 3, 2), 12, dt.date(2025, 3, 2)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),  # February is shorter
        (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),  # across the year
        (dt.date(2026, 1, 15), 25, dt.date(2023, 12, 15)),
        (dt.date(2026, 1, 15), 0, dt.date(2026, 1, 15)),
    ],
)
def test_months_before(day: dt.date, months: int, expected: dt.date) -> None:
    assert rules.months_before(day, months) == expected


def test_absence_window_excludes_the_day_exactly_the_window_earlier() -> None:
    assert rules.absence_window_start(dt.date(2026, 3, 2), 12) == dt.date(2025, 3, 3)


@pytest.mark.parametrize(
    ("decision", "reason", "decided", "field"),
    [
        (ComplianceDecision.WARNING, "Second absence.", True, "decision"),
        ("", "Second absence.", False, "decision"),
        ("recall", "Second absence.", False, "decision"),
        (ComplianceDecision.NO_ACTION, " ", False, "reason"),
    ],
)
def test_compliance_decision_refused(decision: str, reason: str, decided: bool, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_compliance_decision(decision, reason, already_decided=decided)
    assert _field(error) == field


@pytest.mark.parametrize("decision", ComplianceDecision.values)
def test_every_compliance_decision_with_a_reason_is_accepted(decision: str) -> None:
    rules.check_compliance_decision(decision, "Explained.", already_decided=False)


# Concerns ----------------------------------------------------------------------------------

CONCERN_ALLOWED = {
    (ConcernStatus.AWAITING, ConcernStatus.ACKNOWLEDGED),
    (ConcernStatus.AWAITING, ConcernStatus.ESCALATED),
    (ConcernStatus.ESCALATED, ConcernStatus.ACKNOWLEDGED),
}


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(ConcernStatus.values, repeat=2))
)
def test_concern_moves_only_along_the_machine(from_status: str, to_status: str) -> None:
    allowed = (from_status, to_status) in CONCERN_ALLOWED
    assert rules.can_move_concern(from_status, to_status) is allowed
    if allowed:
        rules.check_concern_transition(from_status, to_status)
    else:
        with pytest.raises(ValidationError) as error:
            rules.check_concern_transition(from_status, to_status)
        assert _field(error) == "status"


def test_acknowledging_twice_says_it_is_already_acknowledged() -> None:
    with pytest.raises(ValidationError, match="already been acknowledged"):
        rules.check_concern_transition(ConcernStatus.ACKNOWLEDGED, ConcernStatus.ACKNOWLEDGED)


@pytest.mark.parametrize(
    ("category", "description", "field"),
    [("gossip", "Said something.", "category"), (ConcernCategory.OTHER, " ", "description")],
)
def test_concern_refused(category: str, description: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_concern(category, description)
    assert _field(error) == field


@pytest.mark.parametrize(
    ("urgent", "status", "acknowledge_by", "expected"),
    [
        (True, ConcernStatus.AWAITING, PAST, True),
        (True, ConcernStatus.AWAITING, NOW, False),
        (True, ConcernStatus.AWAITING, FUTURE, False),
        (True, ConcernStatus.AWAITING, None, False),
        (True, ConcernStatus.ESCALATED, PAST, False),
        (True, ConcernStatus.ACKNOWLEDGED, PAST, False),
        (False, ConcernStatus.AWAITING, PAST, False),
    ],
)
def test_overdue_for_acknowledgement(
    urgent: bool, status: str, acknowledge_by: dt.datetime | None, expected: bool
) -> None:
    assert (
        rules.is_overdue_for_acknowledgement(
            urgent=urgent, status=status, acknowledge_by=acknowledge_by, now=NOW
        )
        is expected
    )


# End report --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conclusion", "reason", "summary", "field"),
    [
        ("abandoned", "", "Done.", "conclusion"),
        (Conclusion.ENDED_EARLY, "", "Done.", "ended_early_reason"),
        (Conclusion.ENDED_EARLY, "bored", "Done.", "ended_early_reason"),
        (Conclusion.COMPLETED, EndedEarlyReason.MOVED, "Done.", "ended_early_reason"),
        (Conclusion.CANCELLED, EndedEarlyReason.OTHER, "Done.", "ended_early_reason"),
        (Conclusion.COMPLETED, "", " ", "summary"),
    ],
)
def test_end_report_refused(conclusion: str, reason: str, summary: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_end_report(conclusion=conclusion, ended_early_reason=reason, summary=summary)
    assert _field(error) == field


@pytest.mark.parametrize(
    ("conclusion", "reason"),
    [
        (Conclusion.COMPLETED, ""),
        (Conclusion.CANCELLED, ""),
        *((Conclusion.ENDED_EARLY, reason) for reason in EndedEarlyReason.values),
    ],
)
def test_end_report_accepted(conclusion: str, reason: str) -> None:
    rules.check_end_report(conclusion=conclusion, ended_early_reason=reason, summary="Done.")


def test_achievements_name_the_objectives_missing() -> None:
    labels = {1: "objective 1", 2: "objective 2", 3: "objective 3"}
    with pytest.raises(ValidationError, match="objective 2; objective 3") as error:
        rules.check_achievements([1, 2, 3], {1: (Achievement.ACHIEVED, "")}, labels)
    assert _field(error) == "achievements"


@pytest.mark.parametrize(
    ("achievements", "message"),
    [
        ({1: (Achievement.ACHIEVED, ""), 9: (Achievement.ACHIEVED, "")}, "Only the objectives"),
        ({1: ("brilliantly", "")}, "Select how far"),
        ({1: (Achievement.PARTLY, "x" * 501)}, "500 characters"),
    ],
)
def test_achievements_refused(achievements: dict[int, tuple[str, str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rules.check_achievements([1], achievements, {1: "objective 1"})


def test_achievements_for_every_objective_are_accepted_and_none_without_a_plan() -> None:
    rules.check_achievements([1], {1: (Achievement.NOT_ACHIEVED, "x" * 500)}, {})
    rules.check_achievements([], {}, {})
