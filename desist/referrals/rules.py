"""Pure rules for referrals: the status machine and what a valid triage decision needs.

No database access here, so each rule is tested branch by branch with plain values.

The referral moves like this (any open referral can also be closed, with a reason, when the
referrer withdraws it)::

    submitted              -> accepted | declined | information_requested | closed
    information_requested  -> submitted (the referrer answers) | declined | closed
    accepted               -> allocated | closed
    allocated              -> closed

`declined` and `closed` are final: a new referral is made instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.core.exceptions import ValidationError

from desist.accounts.access import SUPERVISING_ROLES, WRITE_RELATIONSHIPS, Relationship
from desist.accounts.constants import Role
from desist.providers.constants import Specialism
from desist.referrals.constants import DeclineReason, ReferralStatus

S = ReferralStatus

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.DECLINED, S.INFORMATION_REQUESTED, S.CLOSED}),
    S.INFORMATION_REQUESTED: frozenset({S.SUBMITTED, S.DECLINED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.ALLOCATED, S.CLOSED}),
    S.ALLOCATED: frozenset({S.CLOSED}),
    S.DECLINED: frozenset(),
    S.CLOSED: frozenset(),
}

FINAL_STATUSES: frozenset[str] = frozenset({S.DECLINED, S.CLOSED})
# A participant has at most one referral in these at a time.
OPEN_STATUSES: frozenset[str] = frozenset(ALLOWED_TRANSITIONS) - FINAL_STATUSES

END_REASON_MAX_LENGTH = 300


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str) -> None:
    """Raise ValidationError({"status": ...}) unless the referral may move this way."""
    if can_transition(from_status, to_status):
        return
    if from_status in FINAL_STATUSES:
        message = (
            f"This referral is {S(from_status).label.lower()}, so it cannot change. "
            "Make a new referral instead."
        )
    else:
        message = (
            f"A referral with the status {_label(from_status)} cannot move to {_label(to_status)}."
        )
    raise ValidationError({"status": message})


def _label(status: str) -> str:
    try:
        return f'"{S(status).label}"'
    except ValueError:
        return f'"{status}"'


# The referrer's side: who answers the programme team's questions and may withdraw a
# referral. A programme manager, or a supervising officer or prison offender manager in the
# organisation that supervises the participant now (not necessarily the one that referred:
# supervision can move), i.e. whoever may edit the participant and holds one of these roles.
REFERRER_SIDE_ROLES: tuple[str, ...] = (Role.PROGRAMME_MANAGER, *SUPERVISING_ROLES)


def is_referrer_side(roles: Collection[str], relationships: Collection[Relationship]) -> bool:
    holds_role = any(role in roles for role in REFERRER_SIDE_ROLES)
    may_edit = any(relationship in WRITE_RELATIONSHIPS for relationship in relationships)
    return holds_role and may_edit


def can_answer(status: str, *, referrer_side: bool) -> bool:
    """The referrer's side answers only while the programme team is waiting for them."""
    waiting = status == S.INFORMATION_REQUESTED
    return waiting and referrer_side


def can_close(status: str, *, referrer_side: bool) -> bool:
    """The referrer's side withdraws any referral that is still open."""
    is_open = can_transition(status, S.CLOSED)
    return is_open and referrer_side


def check_decline(reason: str, note: str) -> None:
    """A decline needs a coded reason; "other" also needs a note saying what it is."""
    if not reason:
        raise ValidationError({"reason": "Select why the referral is declined."})
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": "Select a reason from the list."})
    if reason == DeclineReason.OTHER and not note.strip():
        raise ValidationError({"note": "Explain why the referral is declined."})


def check_needs(needs: Iterable[str]) -> None:
    """At least one need, each a known specialism."""
    codes = list(needs)
    if not codes:
        raise ValidationError({"needs": "Select at least one need."})
    unknown = [code for code in codes if code not in Specialism.values]
    if unknown:
        raise ValidationError({"needs": "Select needs from the list."})
    if len(set(codes)) != len(codes):
        raise ValidationError({"needs": "Select each need once."})


def check_expected_end_date(expected_end_date: dt.date | None, today: dt.date) -> None:
    if expected_end_date is not None and expected_end_date < today:
        raise ValidationError(
            {"expected_end_date": "The expected end date must be today or in the future."}
        )


def check_required_text(field: str, value: str, message: str) -> None:
    if not value.strip():
        raise ValidationError({field: message})


def check_end_reason(field: str, reason: str) -> None:
    """Reasons for ending or moving an allocation: required, and short enough to store."""
    if not reason.strip():
        raise ValidationError({field: "Enter a reason."})
    if len(reason) > END_REASON_MAX_LENGTH:
        raise ValidationError(
            {field: f"The reason must be {END_REASON_MAX_LENGTH} characters or fewer."}
        )
