from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from desist.accounts.access import Relationship
from desist.accounts.constants import Role
from desist.referrals import rules
from desist.referrals.constants import DeclineReason, ReferralStatus

S = ReferralStatus

# Written out by hand from the issue, not derived from rules.ALLOWED_TRANSITIONS.
ALLOWED = {
    (S.SUBMITTED, S.ACCEPTED),
    (S.SUBMITTED, S.DECLINED),
    (S.SUBMITTED, S.INFORMATION_REQUESTED),
    (S.SUBMITTED, S.CLOSED),
    (S.INFORMATION_REQUESTED, S.SUBMITTED),
    (S.INFORMATION_REQUESTED, S.DECLINED),
    (S.INFORMATION_REQUESTED, S.CLOSED),
    (S.ACCEPTED, S.ALLOCATED),
    (S.ACCEPTED, S.CLOSED),
    (S.ALLOCATED, S.CLOSED),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_allowed_transition_passes(from_status: str, to_status: str) -> None:
    rules.check_transition(from_status, to_status)
    assert rules.can_transition(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"), [pair for pair in ALL_PAIRS if pair not in ALLOWED]
)
def test_refused_transition_raises_on_the_status_field(from_status: str, to_status: str) -> None:
    assert not rules.can_transition(from_status, to_status)
    with pytest.raises(ValidationError) as error:
        rules.check_transition(from_status, to_status)
    assert "status" in error.value.message_dict


def test_a_final_referral_says_to_make_a_new_one() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.DECLINED, S.SUBMITTED)
    assert error.value.message_dict["status"] == [
        "This referral is declined, so it cannot change. Make a new referral instead."
    ]


def test_an_open_referral_names_both_statuses_when_refused() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition(S.SUBMITTED, S.ALLOCATED)
    assert error.value.message_dict["status"] == [
        'A referral with the status "Submitted" cannot move to "Allocated".'
    ]


def test_an_unknown_status_is_refused_without_crashing() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_transition("lost", S.SUBMITTED)
    assert '"lost"' in error.value.message_dict["status"][0]


def test_declined_and_closed_are_the_only_final_statuses() -> None:
    assert {S.DECLINED, S.CLOSED} == rules.FINAL_STATUSES
    assert {
        S.SUBMITTED,
        S.INFORMATION_REQUESTED,
        S.ACCEPTED,
        S.ALLOCATED,
    } == rules.OPEN_STATUSES


def test_decline_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_decline("", "")
    assert "reason" in error.value.message_dict


def test_decline_refuses_a_reason_not_in_the_list() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_decline("felt_like_it", "")
    assert error.value.message_dict["reason"] == ["Select a reason from the list."]


def test_decline_for_other_needs_a_note() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_decline(DeclineReason.OTHER, "   ")
    assert "note" in error.value.message_dict
    rules.check_decline(DeclineReason.OTHER, "Moving abroad next month.")


def test_decline_for_a_coded_reason_needs_no_note() -> None:
    rules.check_decline(DeclineReason.NO_CAPACITY, "")


@pytest.mark.parametrize(
    ("needs", "message"),
    [
        ([], "Select at least one need."),
        (["astrology"], "Select needs from the list."),
        (["mentoring", "mentoring"], "Select each need once."),
    ],
)
def test_needs_must_be_known_and_distinct(needs: list[str], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_needs(needs)
    assert error.value.message_dict["needs"] == [message]


def test_known_needs_pass() -> None:
    rules.check_needs(["mentoring", "theological"])


def test_expected_end_date_may_not_be_in_the_past() -> None:
    today = dt.date(2026, 3, 2)
    with pytest.raises(ValidationError) as error:
        rules.check_expected_end_date(dt.date(2026, 3, 1), today)
    assert "expected_end_date" in error.value.message_dict
    rules.check_expected_end_date(today, today)
    rules.check_expected_end_date(None, today)


def test_required_text_refuses_blank() -> None:
    with pytest.raises(ValidationError) as error:
        rules.check_required_text("reason", "  \n", "Enter a reason.")
    assert error.value.message_dict == {"reason": ["Enter a reason."]}
    rules.check_required_text("reason", "Because.", "Enter a reason.")


def test_end_reason_is_required_and_short() -> None:
    with pytest.raises(ValidationError) as blank:
        rules.check_end_reason("reason", " ")
    assert blank.value.message_dict == {"reason": ["Enter a reason."]}
    with pytest.raises(ValidationError) as long:
        rules.check_end_reason("reason", "x" * 301)
    assert long.value.message_dict == {"reason": ["The reason must be 300 characters or fewer."]}
    rules.check_end_reason("reason", "x" * 300)


# The referrer's side ---------------------------------------------------------------------

R = Relationship


@pytest.mark.parametrize(
    ("roles", "relationships", "expected"),
    [
        ({Role.PROGRAMME_MANAGER}, {R.PROGRAMME_TEAM}, True),
        ({Role.SUPERVISING_OFFICER}, {R.SUPERVISING}, True),
        ({Role.PRISON_OFFENDER_MANAGER}, {R.SUPERVISING}, True),
        # Reading the case is not enough: an involved agency or police liaison does not act
        # for the referrer, even in the organisation that made the referral.
        ({Role.SUPERVISING_OFFICER}, {R.INVOLVED_AGENCY}, False),
        ({Role.POLICE_LIAISON}, {R.POLICE_LIAISON}, False),
        ({Role.PRACTITIONER}, {R.PRACTITIONER}, False),
        # A role without the relationship, or the relationship without a role that refers.
        ({Role.SUPERVISING_OFFICER}, set(), False),
        ({Role.ANALYST}, {R.PROGRAMME_TEAM}, False),
        (set(), {R.SUPERVISING}, False),
    ],
)
def test_referrer_side_needs_a_referring_role_and_a_relationship_that_may_edit(
    roles: set[str], relationships: set[Relationship], expected: bool
) -> None:
    assert rules.is_referrer_side(roles, relationships) is expected


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("referrer_side", [True, False])
def test_answer_is_only_for_the_referrer_side_while_information_is_requested(
    status: str, referrer_side: bool
) -> None:
    expected = referrer_side and status == S.INFORMATION_REQUESTED
    assert rules.can_answer(status, referrer_side=referrer_side) is expected


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("referrer_side", [True, False])
def test_close_is_only_for_the_referrer_side_while_the_referral_is_open(
    status: str, referrer_side: bool
) -> None:
    expected = referrer_side and status not in (S.DECLINED, S.CLOSED)
    assert rules.can_close(status, referrer_side=referrer_side) is expected
