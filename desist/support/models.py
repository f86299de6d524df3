"""Person-centred support: needs and strengths assessments, progress measures, the
development plan, release planning and the exit passport, and the service directory.

Questionnaires and measures are data (`Instrument`, loaded from versioned files in
`desist/support/instruments/` or a programme's own), so a programme can change them without
code. An assessment keeps the instrument version it was recorded with.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from desist.accounts.models import Organisation, Region
from desist.people.models import Participant
from desist.support.constants import (
    ActionStatus,
    ChecklistItem,
    ChecklistStatus,
    EligibleSex,
    GoalStatus,
    InstrumentKind,
    NeedLevel,
    Owner,
    Pathway,
    ServiceLink,
)

USER = settings.AUTH_USER_MODEL


class Instrument(models.Model):
    """One version of a questionnaire or measure, as loaded from its data file. Never edited:
    a change is a new version, so old records keep the definition they were made with."""

    kind = models.CharField(max_length=20, choices=InstrumentKind.choices)
    key = models.SlugField(max_length=60)
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    # The whole validated definition (see desist/support/instruments/schema.json).
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64, help_text="Checksum of the canonical definition")
    # Credit and licence terms, shown wherever the instrument is used.
    credit = models.TextField(blank=True)
    loaded_at = models.DateTimeField()
    active = models.BooleanField(default=True, help_text="Offered for new records")

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="one_instrument_version"),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Assessment(models.Model):
    """A needs and strengths assessment at one point in time; reassessments add new ones."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    summary = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["participant", "assessed_on"])]

    def __str__(self) -> str:
        return f"Assessment {self.pk}"


class PathwayAssessment(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="pathways")
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    need_level = models.CharField(max_length=10, choices=NeedLevel.choices)
    strengths = models.TextField("strengths and protective factors", blank=True)
    notes = models.TextField(blank=True)
    # {question key: answer}, as defined by the assessment's instrument for this pathway.
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "pathway"], name="one_entry_per_pathway"),
        ]

    def __str__(self) -> str:
        return f"{self.pathway} in assessment {self.assessment_id}"


class MeasureResponse(models.Model):
    """One completion of a progress measure (e.g. the ONS personal wellbeing questions)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="measure_responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField()
    # {item key: score}, each within the item's range in the instrument.
    scores = models.JSONField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["participant", "instrument", "completed_on"])]

    def __str__(self) -> str:
        return f"Measure response {self.pk}"


class Service(models.Model):
    """An entry in the one-stop directory of services."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The programme's own code for the service; imports match on it (idempotent).
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    pathways = models.JSONField(default=list, help_text="Pathway codes")
    regions = models.ManyToManyField(Region, related_name="services", blank=True)
    national = models.BooleanField(default=False, help_text="Available in every region")
    eligible_sex = models.CharField(
        max_length=10, choices=EligibleSex.choices, default=EligibleSex.ANY
    )
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True)
                | models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")),
                name="service_age_range_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    """A development-plan goal on one pathway."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="goals")
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    description = models.CharField(max_length=500)
    status = models.CharField(
        max_length=15, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    review_on = models.DateField(null=True, blank=True)
    achieved_on = models.DateField(null=True, blank=True)
    # What the participant or their worker said when it was achieved (shown on the timeline).
    celebration = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pathway", "created_at", "id"]
        indexes = [models.Index(fields=["participant", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="achieved") | models.Q(achieved_on__isnull=False),
                name="achieved_goal_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk}"


class GoalAction(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=30, choices=Owner.choices)
    # The partner service that owns it, or that the action signposts or refers to.
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    service_link = models.CharField(max_length=10, choices=ServiceLink.choices, blank=True)
    due_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=15, choices=ActionStatus.choices, default=ActionStatus.TO_DO
    )
    completed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(service__isnull=True, service_link="")
                | models.Q(service__isnull=False),
                name="service_link_needs_service",
            ),
        ]

    def __str__(self) -> str:
        return f"Action {self.pk}"


class ReleasePlan(models.Model):
    """Release planning for someone in custody. The release date itself is the participant's
    `expected_release_date` (one source); this holds the handover and the passport's parts."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="release_plan"
    )
    release_address_area = models.CharField(
        max_length=200, blank=True, help_text="Town or area they will live in (for services)"
    )
    release_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    community_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    community_officer = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Licence conditions in plain words, one per line, written for the participant to hold.
    conditions_plain = models.TextField(blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Release plan {self.pk}"


class ReleaseChecklistEntry(models.Model):
    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(max_length=40, choices=ChecklistItem.choices)
    owner = models.CharField(max_length=30, choices=Owner.choices, blank=True)
    status = models.CharField(
        max_length=15, choices=ChecklistStatus.choices, default=ChecklistStatus.NOT_STARTED
    )
    due_on = models.DateField(null=True, blank=True)
    # Safe for the participant to hold: it appears in the exit passport.
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "release checklist entries"
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="one_entry_per_checklist_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item} for release plan {self.plan_id}"


class PassportContact(models.Model):
    """A key contact for the exit passport beyond those the system knows (officer,
    practitioner, signposted services)."""

    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, help_text="What they help with, in plain words")
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Contact {self.pk}"


class Appointment(models.Model):
    """An appointment after release, shown in the exit passport."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.DateTimeField()
    with_whom = models.CharField(max_length=200)
    place = models.CharField(max_length=300)
    purpose = models.CharField(max_length=300, blank=True)
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"Appointment {self.pk}"
