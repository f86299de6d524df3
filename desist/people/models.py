from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from desist.accounts.models import Organisation, Region
from desist.people.constants import (
    LegalBasisKind,
    MappaCategory,
    MappaLevel,
    Sex,
    Status,
    Strand,
)

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A random identifier for analysts, unrelated to any real identifier."""
    return "P" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(11))


class Participant(models.Model):
    # URLs and API use the uuid: no personal data and no guessable sequence in addresses.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        "participant reference", max_length=40, unique=True, help_text="The programme's own ID"
    )
    pseudonym = models.CharField(max_length=12, unique=True, default=new_pseudonym, editable=False)

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.NOT_KNOWN)
    gender_identity = models.CharField(max_length=100, blank=True)

    pnc_number = models.CharField("PNC number", max_length=13, blank=True, db_index=True)
    prison_number = models.CharField(max_length=7, blank=True, db_index=True)
    probation_crn = models.CharField(
        "probation case reference", max_length=7, blank=True, db_index=True
    )

    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="participants")

    strand = models.CharField(max_length=20, choices=Strand.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REFERRED)
    referral_date = models.DateField(null=True, blank=True)
    supervising_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="supervised_participants"
    )
    supervising_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_participants",
    )
    agencies = models.ManyToManyField(
        Organisation, related_name="involved_participants", blank=True
    )
    mappa_category = models.CharField(
        "MAPPA category", max_length=1, choices=MappaCategory.choices, blank=True
    )
    mappa_level = models.CharField(
        "MAPPA level", max_length=1, choices=MappaLevel.choices, blank=True
    )
    custody_establishment = models.CharField(max_length=120, blank=True)
    expected_release_date = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["family_name", "given_name", "id"]),
            models.Index(fields=["strand", "status"]),
            models.Index(fields=["supervising_organisation", "family_name"]),
            models.Index(fields=["region", "family_name"]),
        ]

    def __str__(self) -> str:
        # Never the name: str() ends up in logs and admin messages.
        return f"Participant {self.reference}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def has_mandatory_attendance(self) -> bool:
        return any(b.attendance_mandatory and b.is_current for b in self.legal_bases.all())


class Alias(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="aliases")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)

    class Meta:
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return f"Alias of {self.participant}"


class LegalBasis(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="legal_bases"
    )
    kind = models.CharField(max_length=20, choices=LegalBasisKind.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    attendance_mandatory = models.BooleanField(
        default=False, help_text="Missing sessions can be a breach of this order or licence."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name_plural = "legal bases"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="legal_basis_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.start_date}"

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)


class StatusChange(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="status_history"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    effective_date = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} from {self.effective_date}"


from desist.people.models_duplicates import DuplicateDecision  # noqa: E402,F401
