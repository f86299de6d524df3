from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ComplianceStage,
    ConcernCategory,
    ConcernStatus,
    Conclusion,
    DeadlineKind,
    EndedEarlyReason,
    ObjectiveProgressRating,
    PlanStatus,
    SessionMode,
    SessionOutcome,
)
from desist.people.constants import LegalBasisKind
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import Specialism
from desist.providers.models import Practitioner
from desist.referrals.models import Allocation, Referral

USER = settings.AUTH_USER_MODEL


class InterventionPlan(models.Model):
    """One version of a participant's plan. A new version supersedes the approved one."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="plans")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=10, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    intervention_types = models.JSONField(default=list, help_text="Specialism codes")
    planned_sessions = models.PositiveSmallIntegerField()
    summary = models.TextField(blank=True)
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "version"], name="one_plan_per_version"),
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status="approved"),
                name="one_approved_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} v{self.version}"


class PlanObjective(models.Model):
    plan = models.ForeignKey(InterventionPlan, on_delete=models.CASCADE, related_name="objectives")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="objective_position")
        ]

    def __str__(self) -> str:
        return f"Objective {self.position}"


class Session(models.Model):
    """An intervention session (not a web session). Rescheduling links old and new."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="sessions")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="sessions")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="sessions"
    )
    scheduled_start = models.DateTimeField()
    planned_minutes = models.PositiveSmallIntegerField(default=60)
    mode = models.CharField(max_length=15, choices=SessionMode.choices)
    location = models.CharField(max_length=200, blank=True)
    session_type = models.CharField(max_length=15, choices=Specialism.choices)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    # Why it moved; set on the old session when it is rescheduled.
    reschedule_reason = models.CharField(max_length=300, blank=True)

    outcome = models.CharField(
        max_length=30, choices=SessionOutcome.choices, blank=True, default=SessionOutcome.SCHEDULED
    )
    absence = models.CharField(max_length=15, choices=Absence.choices, blank=True)
    absence_reason = models.CharField(max_length=500, blank=True)
    actual_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Restricted to the provider and the supervising organisation (see the access gate).
    notes = models.TextField(blank=True)
    engagement = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 (not engaged) to 5 (fully engaged)"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheduled_start", "id"]
        indexes = [
            models.Index(fields=["practitioner", "scheduled_start"]),
            models.Index(fields=["participant", "scheduled_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(engagement__isnull=True)
                | models.Q(engagement__gte=1, engagement__lte=5),
                name="engagement_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_minutes__gt=0), name="session_has_duration"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk}"


class ObjectiveProgress(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="progress")
    objective = models.ForeignKey(PlanObjective, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=10, choices=ObjectiveProgressRating.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "objective"], name="progress_per_objective")
        ]

    def __str__(self) -> str:
        return f"Progress on {self.objective_id}"


class ComplianceRule(models.Model):
    """Thresholds for unacceptable absences, per kind of legal basis."""

    legal_basis_kind = models.CharField(max_length=20, choices=LegalBasisKind.choices, unique=True)
    warning_after = models.PositiveSmallIntegerField(
        default=1, help_text="Consider a warning from this many unacceptable absences"
    )
    breach_after = models.PositiveSmallIntegerField(
        default=2, help_text="Consider breach action from this many unacceptable absences"
    )
    window_months = models.PositiveSmallIntegerField(default=12)
    decision_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Working days the officer has to record a decision"
    )

    class Meta:
        ordering = ["legal_basis_kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warning_after__gte=1)
                & models.Q(breach_after__gte=models.F("warning_after"))
                & models.Q(window_months__gte=1),
                name="compliance_thresholds_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"Compliance rule for {self.legal_basis_kind}"


class ComplianceRecord(models.Model):
    """Opened by an unacceptable absence where attendance is mandatory."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="compliance_records"
    )
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="compliance")
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    absences_in_window = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=10, choices=ComplianceStage.choices)
    due_on = models.DateField()
    decision = models.CharField(max_length=15, choices=ComplianceDecision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Compliance record {self.pk}"


class Concern(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="concerns")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    category = models.CharField(max_length=20, choices=ConcernCategory.choices)
    urgent = models.BooleanField(default=False)
    description = models.TextField()
    status = models.CharField(
        max_length=15, choices=ConcernStatus.choices, default=ConcernStatus.AWAITING
    )
    acknowledge_by = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "acknowledge_by"])]

    def __str__(self) -> str:
        return f"Concern {self.pk}"


class EndReport(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    allocation = models.OneToOneField(
        Allocation, on_delete=models.PROTECT, related_name="end_report"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="end_reports"
    )
    conclusion = models.CharField(max_length=15, choices=Conclusion.choices)
    ended_early_reason = models.CharField(
        max_length=15, choices=EndedEarlyReason.choices, blank=True
    )
    summary = models.TextField()
    recommendations = models.TextField(blank=True)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conclusion="ended_early", ended_early_reason__gt="")
                | (~models.Q(conclusion="ended_early") & models.Q(ended_early_reason="")),
                name="ended_early_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"End report {self.pk}"


class ObjectiveAchievement(models.Model):
    report = models.ForeignKey(EndReport, on_delete=models.CASCADE, related_name="achievements")
    objective = models.ForeignKey(PlanObjective, on_delete=models.PROTECT, related_name="+")
    achievement = models.CharField(max_length=15, choices=Achievement.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "objective"], name="achievement_per_objective"
            )
        ]

    def __str__(self) -> str:
        return f"Achievement on {self.objective_id}"


class Deadline(models.Model):
    """A dated obligation counted in working days; met when the event happens."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="deadlines")
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines"
    )
    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines"
    )
    kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    starts_on = models.DateField()
    due_on = models.DateField()
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_on}"
