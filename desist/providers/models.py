from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from desist.accounts.models import Organisation, Region
from desist.people.constants import Sex
from desist.providers.constants import PractitionerStatus, VettingLevel


class Practitioner(models.Model):
    """A person at an intervention provider who may work with participants once cleared.

    Specialisms, languages and faith traditions are short lists of codes from constants.py,
    kept as JSON lists: there are hundreds of practitioners, not millions, and ranking reads
    them all in Python anyway.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="practitioners"
    )
    specialisms = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    faith_traditions = models.JSONField(default=list, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.NOT_KNOWN)
    regions = models.ManyToManyField(Region, related_name="practitioners", blank=True)
    max_caseload = models.PositiveSmallIntegerField(default=10)

    status = models.CharField(
        max_length=10, choices=PractitionerStatus.choices, default=PractitionerStatus.APPLIED
    )
    vetting_level = models.CharField(max_length=3, choices=VettingLevel.choices, blank=True)
    vetting_granted_on = models.DateField(null=True, blank=True)
    vetting_expires_on = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vetting_expires_on__isnull=True)
                | models.Q(vetting_granted_on__isnull=True)
                | models.Q(vetting_expires_on__gt=models.F("vetting_granted_on")),
                name="vetting_expires_after_granted",
            )
        ]

    def __str__(self) -> str:
        return f"Practitioner {self.pk}"


class PractitionerStatusChange(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="status_history"
    )
    from_status = models.CharField(max_length=10, choices=PractitionerStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=PractitionerStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class TrainingCourse(models.Model):
    """Training a practitioner must hold (when `required`) before working with participants."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    required = models.BooleanField(default=True)
    valid_for_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: never needs renewing."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainingCompletion(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="training"
    )
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "course", "completed_on"], name="one_completion_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course_id} on {self.completed_on}"


class Contract(models.Model):
    """A provider organisation's contract: when, where, and how many participants at once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contracts"
    )
    reference = models.CharField(max_length=40, unique=True)
    start_date = models.DateField()
    end_date = models.DateField()
    regions = models.ManyToManyField(Region, related_name="contracts", blank=True)
    capacity = models.PositiveIntegerField(help_text="Participants allocated at any one time.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Contract {self.reference}"


class ExpiryReminder(models.Model):
    """One reminder sent, so a daily run never sends the same reminder twice."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="expiry_reminders"
    )
    subject = models.CharField(max_length=60, help_text="'vetting' or a training course code")
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "subject", "expires_on", "days_before"],
                name="one_reminder_per_expiry_and_lead",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} reminder {self.days_before} days before {self.expires_on}"
