from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from desist.accounts.models import Organisation
from desist.people.constants import Sex
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import FaithTradition, Language
from desist.providers.models import Practitioner
from desist.referrals.constants import AllocationMethod, DeclineReason, ReferralStatus


class Referral(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referring_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referred_at = models.DateTimeField()

    reason = models.TextField()
    needs = models.JSONField(default=list, help_text="Specialism codes the referral asks for")
    needs_detail = models.TextField(blank=True)
    # The full risk summary is for the programme team, supervision and police; providers only
    # ever see the redacted version written for them.
    risk_summary = models.TextField()
    risk_summary_for_provider = models.TextField()
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    attendance_mandatory = models.BooleanField(default=False)
    expected_end_date = models.DateField(
        null=True, blank=True, help_text="When the intervention is expected to end"
    )

    preferred_practitioner_sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    preferred_faith_tradition = models.CharField(
        max_length=20, choices=FaithTradition.choices, blank=True
    )
    accessibility_needs = models.TextField(blank=True)

    status = models.CharField(
        max_length=25, choices=ReferralStatus.choices, default=ReferralStatus.SUBMITTED
    )
    decline_reason = models.CharField(max_length=25, choices=DeclineReason.choices, blank=True)
    triage_note = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["referred_at", "id"]
        indexes = [models.Index(fields=["status", "referred_at"])]

    def __str__(self) -> str:
        return f"Referral {self.pk}"


class ReferralStatusChange(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=25, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=25, choices=ReferralStatus.choices)
    note = models.TextField(blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class Allocation(models.Model):
    """A practitioner allocated to a referral. Reallocation ends one and starts another."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="allocations")
    # Denormalised from the referral so the access gate joins one table.
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="allocations"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="allocations"
    )
    method = models.CharField(max_length=10, choices=AllocationMethod.choices)
    score = models.FloatField(help_text="Fit score when allocated")
    reasons = models.JSONField(default=list, help_text="Why the practitioner ranked as they did")
    allocated_at = models.DateTimeField()
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-allocated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_allocation_per_referral",
            )
        ]
        indexes = [
            models.Index(
                fields=["practitioner", "participant"],
                condition=models.Q(ended_at__isnull=True),
                name="allocation_current_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None
