"""Decisions about suspected duplicate records: the same person (merge), or different people.

Merging keeps both records and all their history: nothing is deleted or moved. The decision
is recorded so that statistics count the two records as one person (see
`desist.people.duplicates`). A later decision about the same pair replaces the earlier one,
and the audit trail keeps both (old and new values). Programme managers only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change, diff, snapshot
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind

REASON_MAX_LENGTH = DuplicateDecision._meta.get_field("reason").max_length or 500
_AUDITED = ("decision", "reason", "decided_by", "decided_at")


def can_decide_duplicates(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.PROGRAMME_MANAGER)


def reason_error(reason: str) -> str | None:
    text = reason.strip()
    if not text:
        return "Enter why you made this decision"
    if len(text) > REASON_MAX_LENGTH:
        return f"Reason must be {REASON_MAX_LENGTH} characters or fewer"
    return None


@transaction.atomic
def duplicates_merge(
    *, actor: User, first: Participant, second: Participant, reason: str
) -> DuplicateDecision:
    """Record that two records are the same person. Both records stay as they are."""
    return _decide(
        actor=actor,
        first=first,
        second=second,
        decision=DuplicateDecisionKind.SAME_PERSON,
        reason=reason,
    )


@transaction.atomic
def duplicates_mark_distinct(
    *, actor: User, first: Participant, second: Participant, reason: str
) -> DuplicateDecision:
    """Record that two records are different people: they are no longer suspected, and the
    automatic link between these two records is not used in statistics."""
    return _decide(
        actor=actor,
        first=first,
        second=second,
        decision=DuplicateDecisionKind.DISTINCT,
        reason=reason,
    )


def _decide(
    *, actor: User, first: Participant, second: Participant, decision: str, reason: str
) -> DuplicateDecision:
    if not can_decide_duplicates(actor):
        raise PermissionDenied("Only programme managers decide about duplicate records.")
    error = reason_error(reason)
    if error:
        raise ValidationError({"reason": error})
    if first.pk is None or second.pk is None or first.pk == second.pk:
        raise ValidationError({"__all__": "Choose two different participant records"})
    low, high = (first, second) if first.pk < second.pk else (second, first)
    existing = DuplicateDecision.objects.select_for_update().filter(first=low, second=high).first()
    now = timezone.now()
    if existing is None:
        record = DuplicateDecision.objects.create(
            first=low,
            second=high,
            decision=decision,
            reason=reason.strip(),
            decided_by=actor,
            decided_at=now,
        )
        changes: dict[str, Any] = {
            "first": [None, str(low.uuid)],
            "second": [None, str(high.uuid)],
            **{name: [None, value] for name, value in snapshot(record, _AUDITED).items()},
        }
        action = Action.CREATE
    else:
        record = existing
        before = snapshot(record, _AUDITED)
        record.decision = decision
        record.reason = reason.strip()
        record.decided_by = actor
        record.decided_at = now
        record.save(update_fields=list(_AUDITED))
        changes = {
            "first": [str(low.uuid), str(low.uuid)],
            "second": [str(high.uuid), str(high.uuid)],
            **diff(before, snapshot(record, _AUDITED)),
        }
        action = Action.UPDATE
    # One event per record, so "who touched this case" finds the decision from either side.
    for participant in (low, high):
        audit_change(
            actor=actor,
            obj=record,
            action=action,
            changes=changes,
            participant_ref=str(participant.uuid),
        )
    return record
