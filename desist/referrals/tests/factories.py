"""Small factories for referrals and allocations, built on the models directly."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from desist.accounts.models import User
from desist.people.models import Participant
from desist.providers.constants import Specialism
from desist.providers.models import Practitioner
from desist.referrals.constants import AllocationMethod, ReferralStatus
from desist.referrals.models import Allocation, Referral


def make_referral(participant: Participant, referred_by: User, **extra: Any) -> Referral:
    fields: dict[str, Any] = {
        "participant": participant,
        "referred_by": referred_by,
        "referring_organisation": referred_by.organisation,
        "referred_at": timezone.now(),
        "reason": "Referred for mentoring.",
        "needs": [Specialism.MENTORING],
        "risk_summary": "Full risk summary (restricted).",
        "risk_summary_for_provider": "Summary written for providers.",
    }
    fields |= extra
    return Referral.objects.create(**fields)


def make_allocation(
    referral: Referral, practitioner: Practitioner, allocated_by: User, **extra: Any
) -> Allocation:
    """A current allocation; moves the referral to allocated."""
    fields: dict[str, Any] = {
        "referral": referral,
        "participant": referral.participant,
        "practitioner": practitioner,
        "method": AllocationMethod.MANUAL,
        "score": 1.0,
        "reasons": [],
        "allocated_at": timezone.now(),
        "allocated_by": allocated_by,
    }
    fields |= extra
    allocation = Allocation.objects.create(**fields)
    referral.status = ReferralStatus.ALLOCATED
    referral.save(update_fields=["status", "updated_at"])
    return allocation
