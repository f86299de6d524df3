from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from desist.providers import rules
from desist.providers.constants import PractitionerStatus

S = PractitionerStatus

# Written out by hand from the issue, not derived from rules.ALLOWED_TRANSITIONS.
ALLOWED = {
    (S.APPLIED, S.VETTING),
    (S.APPLIED, S.WITHDRAWN),
    (S.VETTING, S.APPROVED),
    (S.VETTING, S.WITHDRAWN),
    (S.APPROVED, S.SUSPENDED),
    (S.APPROVED, S.WITHDRAWN),
    (S.APPROVED, S.EXPIRED),
    (S.SUSPENDED, S.APPROVED),
    (S.SUSPENDED, S.WITHDRAWN),
    (S.EXPIRED, S.VETTING),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_allowed_transition_passes(from_status: str, to_status: str) -> None:
    rules.check_transition(from_status, to_status)
    assert to_status in rules.allowed_transitions(from_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"), [pair for pair in ALL_PAIRS if pair not in ALLOWED]
)
def test_refused_transition_raises_on_the_status_field(from_status: str, to_status: str) -> None:
    assert to_status not in rules.allowed_transitions(from_status)
    with pytest.raises(ValidationError) as error:
        rules.check_transition(from_status, to_status)
    assert "status" in error.value.message_dict


def test_allowed_transitions_of_an_unknown_status_is_empty() -> None:
    assert rules.allowed_transitions("retired") == frozenset()


def test_a_withdrawn_practitioner_is_told_to_apply_again() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.WITHDRAWN, S.APPROVED)
    assert error.value.message_dict["status"] == [
        "This practitioner has withdrawn, so their status cannot change. "
        "Add them again as a new practitioner instead."
    ]


def test_moving_to_the_same_status_says_it_already_is() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.APPROVED, S.APPROVED)
    assert error.value.message_dict["status"] == [
        'This practitioner\'s status is already "Approved".'
    ]


def test_a_refused_move_names_both_statuses() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.APPLIED, S.APPROVED)
    assert error.value.message_dict["status"] == [
        'A practitioner with the status "Applied" cannot move to "Approved".'
    ]


def test_a_refused_move_to_an_unknown_status_quotes_it() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.APPLIED, "retired")
    assert error.value.message_dict["status"] == [
        'A practitioner with the status "Applied" cannot move to "retired".'
    ]


# Clearance ----------------------------------------------------------------------------------

ON = dt.date(2026, 3, 2)
UNTIL = dt.date(2026, 9, 30)
COURSES = {"desistance": "Desistance training", "safeguarding": "Safeguarding"}


def problems(**overrides: Any) -> list[str]:
    """Clearance of a practitioner who is cleared unless an override says otherwise."""
    facts: dict[str, Any] = {
        "status": S.APPROVED,
        "vetting_expires_on": dt.date(2028, 1, 1),
        "training": {"desistance": None, "safeguarding": dt.date(2027, 6, 1)},
        "required_courses": COURSES,
        "on": ON,
        "until": None,
    }
    facts |= overrides
    return rules.clearance_problems(**facts)


def test_approved_with_vetting_and_training_in_date_is_cleared() -> None:
    assert problems() == []
    assert problems(until=UNTIL) == []


@pytest.mark.parametrize("status", [s for s in S.values if s != S.APPROVED])
def test_any_status_but_approved_is_a_problem(status: str) -> None:
    label = S(status).label
    assert problems(status=status) == [f'Their status is "{label}", not approved.']


def test_no_vetting_recorded_is_a_problem() -> None:
    assert problems(vetting_expires_on=None) == ["No vetting has been recorded."]


def test_vetting_expired_before_the_day_is_a_problem() -> None:
    assert problems(vetting_expires_on=dt.date(2026, 3, 1)) == ["Vetting expired on 1 March 2026."]


def test_vetting_is_in_date_on_its_expiry_day() -> None:
    assert problems(vetting_expires_on=ON) == []


def test_vetting_expiring_before_the_expected_end_is_a_problem_only_with_an_end_date() -> None:
    expires = dt.date(2026, 9, 29)
    assert problems(vetting_expires_on=expires) == []
    assert problems(vetting_expires_on=expires, until=UNTIL) == [
        "Vetting expires on 29 September 2026, before the expected end date."
    ]
    assert problems(vetting_expires_on=UNTIL, until=UNTIL) == []


def test_a_required_course_never_completed_is_a_problem() -> None:
    assert problems(training={"desistance": None}) == ["Safeguarding has not been completed."]


def test_a_required_course_that_expired_is_a_problem() -> None:
    training = {"desistance": None, "safeguarding": dt.date(2026, 2, 28)}
    assert problems(training=training) == ["Safeguarding expired on 28 February 2026."]


def test_a_course_is_in_date_on_its_expiry_day() -> None:
    assert problems(training={"desistance": None, "safeguarding": ON}) == []


def test_a_course_expiring_before_the_expected_end_is_a_problem_only_with_an_end_date() -> None:
    training = {"desistance": None, "safeguarding": dt.date(2026, 6, 1)}
    assert problems(training=training) == []
    assert problems(training=training, until=UNTIL) == [
        "Safeguarding expires on 1 June 2026, before the expected end date."
    ]


def test_a_course_that_never_expires_stays_in_date_whatever_the_end_date() -> None:
    training = {"desistance": None, "safeguarding": None}
    far = dt.date(2099, 1, 1)
    assert problems(training=training, until=far, vetting_expires_on=far) == []


def test_courses_that_are_not_required_do_not_count() -> None:
    assert problems(required_courses={"desistance": "Desistance training"}, training={}) == [
        "Desistance training has not been completed."
    ]


def test_every_problem_is_listed_at_once() -> None:
    assert problems(status=S.SUSPENDED, vetting_expires_on=None, training={}) == [
        'Their status is "Suspended", not approved.',
        "No vetting has been recorded.",
        "Desistance training has not been completed.",
        "Safeguarding has not been completed.",
    ]


# Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2026, 3, 2), 12, dt.date(2027, 3, 2)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2027, 1, 31), 13, dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 31), 36, dt.date(2029, 12, 31)),
        (dt.date(2024, 2, 29), 24, dt.date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_uses_the_last_of_a_shorter_month(
    start: dt.date, months: int, expected: dt.date
) -> None:
    assert rules.add_months(start, months) == expected


def test_training_expiry_is_valid_for_months_after_completion_or_never() -> None:
    assert rules.training_expires_on(dt.date(2026, 3, 2), 24) == dt.date(2028, 3, 2)
    assert rules.training_expires_on(dt.date(2026, 3, 2), None) is None


def test_dates_read_the_gov_uk_way() -> None:
    assert rules.format_date(dt.date(2027, 3, 3)) == "3 March 2027"


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (61, []),
        (60, [60]),
        (31, [60]),
        (30, [30, 60]),
        (8, [30, 60]),
        (7, [7, 30, 60]),
        (0, [7, 30, 60]),
        (-1, []),
    ],
)
def test_reminder_leads_are_due_once_reached_and_until_the_expiry(
    days_left: int, expected: list[int]
) -> None:
    expires_on = ON + dt.timedelta(days=days_left)
    assert rules.reminder_leads_due(expires_on=expires_on, today=ON, leads=[60, 30, 7]) == expected
