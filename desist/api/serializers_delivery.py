"""Serializers for providers, referrals, delivery and notifications.

Output serializers only read; input serializers only parse types (the services check the
rules and their messages come back as 400s naming the field). A participant appears in these
resources as its uuid and programme reference only, never a name, identifier or risk field.
What a provider may not see is left out here on `context["provider"]`, which the views set
from the caller's organisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from desist.accounts.models import Organisation, Region, User
from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ConcernCategory,
    Conclusion,
    EndedEarlyReason,
    ObjectiveProgressRating,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.models import (
    ComplianceRecord,
    Concern,
    EndReport,
    InterventionPlan,
    ObjectiveAchievement,
    ObjectiveProgress,
    PlanObjective,
    Session,
)
from desist.notifications.models import Notification
from desist.people.constants import Sex
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import (
    FaithTradition,
    Language,
    PractitionerStatus,
    Specialism,
    VettingLevel,
)
from desist.providers.models import (
    Contract,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)
from desist.referrals.constants import DeclineReason
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.selectors import risk_summary_for

# References to other records -----------------------------------------------------------------


class ParticipantRefSerializer(serializers.ModelSerializer[Participant]):
    """A participant as these resources name them: the uuid and the programme reference."""

    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "reference"]
        read_only_fields = fields


class OrganisationRefSerializer(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = ["id", "name"]
        read_only_fields = fields


class PractitionerRefSerializer(serializers.ModelSerializer[Practitioner]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = Practitioner
        fields = ["id", "name"]
        read_only_fields = fields


def _user_name(source: str) -> serializers.CharField:
    """A user shown by their name (staff, not participants), or null."""
    return serializers.CharField(source=f"{source}.display_name", read_only=True, allow_null=True)


def _codes(choices: list[tuple[str, str]], **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=choices), **kwargs)


def _text(**kwargs: Any) -> serializers.CharField:
    # Blank text reaches the service, whose plain-English message names the field.
    return serializers.CharField(allow_blank=True, **kwargs)


# Practitioners and contracts -------------------------------------------------------------


class PractitionerSerializer(serializers.ModelSerializer[Practitioner]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)
    regions: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    caseload = serializers.SerializerMethodField()
    cleared = serializers.SerializerMethodField()

    class Meta:
        model = Practitioner
        fields = [
            "id",
            "name",
            "user",
            "organisation",
            "specialisms",
            "languages",
            "faith_traditions",
            "sex",
            "regions",
            "max_caseload",
            "status",
            "vetting_level",
            "vetting_granted_on",
            "vetting_expires_on",
            "caseload",
            "cleared",
        ]
        read_only_fields = fields

    def get_caseload(self, obj: Practitioner) -> int:
        """Current allocations (worked out once for the whole page by the view)."""
        caseloads: dict[int, int] = self.context.get("caseloads", {})
        return caseloads.get(obj.pk, 0)

    def get_cleared(self, obj: Practitioner) -> bool:
        """Cleared to work with participants today."""
        cleared: set[int] = self.context.get("cleared_ids", set())
        return obj.pk in cleared


class TrainingCompletionSerializer(serializers.ModelSerializer[TrainingCompletion]):
    course: serializers.SlugRelatedField[TrainingCourse] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    course_name = serializers.CharField(source="course.name", read_only=True)

    class Meta:
        model = TrainingCompletion
        fields = ["course", "course_name", "completed_on", "expires_on"]
        read_only_fields = fields


class PractitionerStatusChangeSerializer(serializers.ModelSerializer[PractitionerStatusChange]):
    changed_by = _user_name("changed_by")

    class Meta:
        model = PractitionerStatusChange
        fields = ["from_status", "to_status", "reason", "changed_at", "changed_by"]
        read_only_fields = fields


class PractitionerDetailSerializer(PractitionerSerializer):
    training = TrainingCompletionSerializer(many=True, read_only=True)
    status_history = PractitionerStatusChangeSerializer(many=True, read_only=True)
    clearance_problems = serializers.SerializerMethodField()

    class Meta(PractitionerSerializer.Meta):
        fields = [
            *PractitionerSerializer.Meta.fields,
            "clearance_problems",
            "training",
            "status_history",
        ]
        read_only_fields = fields

    def get_clearance_problems(self, obj: Practitioner) -> list[str]:
        """Why they may not work with participants today; empty when cleared."""
        problems: list[str] = self.context.get("clearance_problems", [])
        return problems


class PractitionerProfileInputSerializer(serializers.Serializer[Any]):
    specialisms = _codes(Specialism.choices)
    languages = _codes(Language.choices)
    faith_traditions = _codes(FaithTradition.choices, required=False, default=list)
    sex = serializers.ChoiceField(choices=Sex.choices)
    regions = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), many=True
    )
    max_caseload = serializers.IntegerField()


class PractitionerCreateInputSerializer(PractitionerProfileInputSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class PractitionerStatusInputSerializer(serializers.Serializer[Any]):
    to_status = serializers.ChoiceField(choices=PractitionerStatus.choices)
    reason = _text()


class VettingInputSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=VettingLevel.choices)
    granted_on = serializers.DateField()
    expires_on = serializers.DateField()


class TrainingInputSerializer(serializers.Serializer[Any]):
    course = serializers.SlugRelatedField(slug_field="code", queryset=TrainingCourse.objects.all())
    completed_on = serializers.DateField()


class ContractSerializer(serializers.ModelSerializer[Contract]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)
    regions: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "organisation",
            "reference",
            "start_date",
            "end_date",
            "regions",
            "capacity",
            "in_force",
        ]
        read_only_fields = fields

    def get_in_force(self, obj: Contract) -> bool:
        today: dt.date = self.context["today"]
        return obj.start_date <= today <= obj.end_date


class ContractInputSerializer(serializers.Serializer[Any]):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    reference = _text(max_length=40)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    regions = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), many=True
    )
    capacity = serializers.IntegerField()


# Referrals and allocations -----------------------------------------------------------------


class LegalBasisRefSerializer(serializers.ModelSerializer[LegalBasis]):
    class Meta:
        model = LegalBasis
        fields = ["id", "kind", "start_date", "end_date", "attendance_mandatory"]
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    referral = serializers.UUIDField(source="referral.uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    practitioner = PractitionerRefSerializer(read_only=True)
    allocated_by = _user_name("allocated_by")
    current = serializers.BooleanField(source="is_current", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "referral",
            "participant",
            "practitioner",
            "method",
            "score",
            "reasons",
            "allocated_at",
            "allocated_by",
            "ended_at",
            "end_reason",
            "current",
        ]
        read_only_fields = fields


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    """A referral in a list: what it is for and where it has got to."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    referring_organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "participant",
            "status",
            "referred_at",
            "referring_organisation",
            "needs",
            "attendance_mandatory",
            "expected_end_date",
            "decline_reason",
        ]
        read_only_fields = fields


class ReferralStatusChangeSerializer(serializers.ModelSerializer[ReferralStatusChange]):
    changed_by = _user_name("changed_by")

    class Meta:
        model = ReferralStatusChange
        fields = ["from_status", "to_status", "note", "changed_at", "changed_by"]
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    """One referral. The full risk summary, triage notes and the notes in its history are left
    out for providers, who get the risk summary written for them instead."""

    referred_by = _user_name("referred_by")
    legal_basis = LegalBasisRefSerializer(read_only=True, allow_null=True)
    risk_summary = serializers.SerializerMethodField()
    risk_summary_for_provider = serializers.SerializerMethodField()
    status_history = ReferralStatusChangeSerializer(many=True, read_only=True)
    allocations = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "referred_by",
            "reason",
            "needs_detail",
            "risk_summary",
            "risk_summary_for_provider",
            "legal_basis",
            "preferred_practitioner_sex",
            "preferred_language",
            "preferred_faith_tradition",
            "accessibility_needs",
            "triage_note",
            "status_history",
            "allocations",
        ]
        read_only_fields = fields

    def _user(self) -> Any:
        return self.context["request"].user

    def get_risk_summary(self, obj: Referral) -> str:
        """The full risk summary (never sent to providers: the key is left out for them)."""
        if self.context.get("provider"):
            return ""
        return risk_summary_for(self._user(), obj)

    def get_risk_summary_for_provider(self, obj: Referral) -> str:
        return obj.risk_summary_for_provider

    @extend_schema_field(AllocationSerializer(many=True))
    def get_allocations(self, obj: Referral) -> Any:
        rows = list(obj.allocations.all())
        if self.context.get("provider"):
            # A practitioner sees their own allocation, not who had the case before or why.
            rows = [row for row in rows if row.practitioner.user_id == self._user().pk]
        return AllocationSerializer(rows, many=True, context=self.context).data

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("provider"):
            data.pop("risk_summary", None)
            data.pop("triage_note", None)
            data["risk_summary_for_provider"] = risk_summary_for(self._user(), instance)
            for change in data["status_history"]:
                change.pop("note", None)
        return data


class ReferralCreateInputSerializer(serializers.Serializer[Any]):
    participant = serializers.UUIDField()
    reason = _text()
    needs = _codes(Specialism.choices)
    needs_detail = _text(required=False, default="")
    risk_summary = _text()
    risk_summary_for_provider = _text()
    legal_basis = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="One of the participant's."
    )
    expected_end_date = serializers.DateField(required=False, allow_null=True, default=None)
    preferred_practitioner_sex = serializers.ChoiceField(
        choices=Sex.choices, required=False, allow_blank=True, default=""
    )
    preferred_language = serializers.ChoiceField(
        choices=Language.choices, required=False, allow_blank=True, default=""
    )
    preferred_faith_tradition = serializers.ChoiceField(
        choices=FaithTradition.choices, required=False, allow_blank=True, default=""
    )
    accessibility_needs = _text(required=False, default="")


class NoteInputSerializer(serializers.Serializer[Any]):
    note = _text(required=False, default="")


class DeclineInputSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = _text(required=False, default="")


class QuestionInputSerializer(serializers.Serializer[Any]):
    question = _text()


class AnswerInputSerializer(serializers.Serializer[Any]):
    answer = _text()


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = _text()


class AllocateInputSerializer(serializers.Serializer[Any]):
    practitioner = serializers.UUIDField()


class ReallocateInputSerializer(AllocateInputSerializer):
    reason = _text()


class RankReasonSerializer(serializers.Serializer[Any]):
    # A field called "label" shadows Field.label for the type checker only; DRF reads it from
    # the declared fields.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    points = serializers.FloatField(read_only=True)
    explanation = serializers.CharField(read_only=True)
    excludes = serializers.BooleanField(read_only=True)


class RankedPractitionerRefSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="uuid", read_only=True)
    name = serializers.CharField(read_only=True)


class RankedPractitionerSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(read_only=True, allow_null=True)
    practitioner = RankedPractitionerRefSerializer(read_only=True)
    eligible = serializers.BooleanField(read_only=True)
    total = serializers.FloatField(read_only=True)
    reasons = RankReasonSerializer(many=True, read_only=True)


class WaitingReferralSerializer(serializers.Serializer[Any]):
    referral = serializers.UUIDField(source="referral.uuid", read_only=True)
    participant = ParticipantRefSerializer(source="referral.participant", read_only=True)
    eligible_count = serializers.IntegerField(read_only=True)
    why = serializers.CharField(read_only=True)


class QueueResultSerializer(serializers.Serializer[Any]):
    allocated = AllocationSerializer(many=True, read_only=True)
    waiting = WaitingReferralSerializer(many=True, read_only=True)


# Plans -------------------------------------------------------------------------------------


class PlanObjectiveSerializer(serializers.ModelSerializer[PlanObjective]):
    class Meta:
        model = PlanObjective
        fields = ["id", "position", "description"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer[InterventionPlan]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    allocation = serializers.UUIDField(source="allocation.uuid", read_only=True)
    objectives = PlanObjectiveSerializer(many=True, read_only=True)
    proposed_by = _user_name("proposed_by")
    decided_by = _user_name("decided_by")

    class Meta:
        model = InterventionPlan
        fields = [
            "id",
            "participant",
            "allocation",
            "version",
            "status",
            "intervention_types",
            "planned_sessions",
            "summary",
            "objectives",
            "proposed_at",
            "proposed_by",
            "decided_at",
            "decided_by",
            "decision_note",
        ]
        read_only_fields = fields


class PlanProposeInputSerializer(serializers.Serializer[Any]):
    allocation = serializers.UUIDField()
    objectives = serializers.ListField(child=_text(max_length=500))
    intervention_types = _codes(Specialism.choices)
    planned_sessions = serializers.IntegerField()
    summary = _text(required=False, default="")


# Sessions ----------------------------------------------------------------------------------

RECORDABLE_OUTCOMES = [
    (value, label)
    for value, label in SessionOutcome.choices
    if value not in (SessionOutcome.SCHEDULED, SessionOutcome.RESCHEDULED)
]


class SessionSerializer(serializers.ModelSerializer[Session]):
    """A session in a list. Notes, absence reasons and progress notes are on the session itself,
    for those who may read them."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    allocation = serializers.UUIDField(source="allocation.uuid", read_only=True)
    practitioner = PractitionerRefSerializer(read_only=True)
    rescheduled_from = serializers.UUIDField(
        source="rescheduled_from.uuid", read_only=True, allow_null=True
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "participant",
            "allocation",
            "practitioner",
            "scheduled_start",
            "planned_minutes",
            "mode",
            "location",
            "session_type",
            "outcome",
            "absence",
            "actual_minutes",
            "engagement",
            "outcome_recorded_at",
            "rescheduled_from",
            "reschedule_reason",
        ]
        read_only_fields = fields


class ObjectiveProgressSerializer(serializers.ModelSerializer[ObjectiveProgress]):
    position = serializers.IntegerField(source="objective.position", read_only=True)

    class Meta:
        model = ObjectiveProgress
        fields = ["objective", "position", "rating", "note"]
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    """One session. `notes`, `absence_reason` and the notes on progress are only there for the
    practitioner's organisation, the supervising organisation and the programme team
    (`context["notes_visible"]`)."""

    progress = ObjectiveProgressSerializer(many=True, read_only=True)
    outcome_recorded_by = _user_name("outcome_recorded_by")

    class Meta(SessionSerializer.Meta):
        fields = [
            *SessionSerializer.Meta.fields,
            "outcome_recorded_by",
            "absence_reason",
            "notes",
            "progress",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Session) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("notes_visible"):
            data.pop("notes", None)
            data.pop("absence_reason", None)
            for row in data["progress"]:
                row.pop("note", None)
        return data


class SessionScheduleInputSerializer(serializers.Serializer[Any]):
    allocation = serializers.UUIDField()
    scheduled_start = serializers.DateTimeField()
    planned_minutes = serializers.IntegerField(default=60)
    mode = serializers.ChoiceField(choices=SessionMode.choices)
    location = _text(required=False, default="", max_length=200)
    session_type = serializers.ChoiceField(choices=Specialism.choices)


class ProgressInputSerializer(serializers.Serializer[Any]):
    objective = serializers.IntegerField(help_text="An objective id of the approved plan.")
    rating = serializers.ChoiceField(choices=ObjectiveProgressRating.choices)
    note = _text(required=False, default="", max_length=500)


class OutcomeInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=RECORDABLE_OUTCOMES)
    absence = serializers.ChoiceField(
        choices=Absence.choices, required=False, allow_blank=True, default=""
    )
    absence_reason = _text(required=False, default="", max_length=500)
    actual_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    engagement = serializers.IntegerField(required=False, allow_null=True, default=None)
    notes = _text(required=False, default="")
    progress = ProgressInputSerializer(many=True, required=False, default=list)


class RescheduleInputSerializer(serializers.Serializer[Any]):
    new_start = serializers.DateTimeField()
    reason = _text(max_length=300)


# Compliance and concerns -------------------------------------------------------------------


class ComplianceRecordSerializer(serializers.ModelSerializer[ComplianceRecord]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    session = serializers.UUIDField(source="session.uuid", read_only=True)
    legal_basis_kind = serializers.CharField(
        source="legal_basis.kind", read_only=True, allow_null=True
    )
    decided_by = _user_name("decided_by")

    class Meta:
        model = ComplianceRecord
        fields = [
            "id",
            "participant",
            "session",
            "legal_basis_kind",
            "opened_at",
            "absences_in_window",
            "stage",
            "due_on",
            "decision",
            "decision_reason",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields


class ComplianceDecisionInputSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=ComplianceDecision.choices)
    reason = _text()


class ConcernSerializer(serializers.ModelSerializer[Concern]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    raised_by = _user_name("raised_by")
    acknowledged_by = _user_name("acknowledged_by")

    class Meta:
        model = Concern
        fields = [
            "id",
            "participant",
            "category",
            "urgent",
            "description",
            "status",
            "raised_at",
            "raised_by",
            "acknowledge_by",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
            "escalated_at",
        ]
        read_only_fields = fields


class ConcernRaiseInputSerializer(serializers.Serializer[Any]):
    participant = serializers.UUIDField()
    category = serializers.ChoiceField(choices=ConcernCategory.choices)
    urgent = serializers.BooleanField(default=False)
    description = _text()


# End of the intervention -------------------------------------------------------------------


class ObjectiveAchievementSerializer(serializers.ModelSerializer[ObjectiveAchievement]):
    position = serializers.IntegerField(source="objective.position", read_only=True)

    class Meta:
        model = ObjectiveAchievement
        fields = ["objective", "position", "achievement", "note"]
        read_only_fields = fields


class EndReportSerializer(serializers.ModelSerializer[EndReport]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    allocation = serializers.UUIDField(source="allocation.uuid", read_only=True)
    submitted_by = _user_name("submitted_by")
    achievements = ObjectiveAchievementSerializer(many=True, read_only=True)

    class Meta:
        model = EndReport
        fields = [
            "id",
            "participant",
            "allocation",
            "conclusion",
            "ended_early_reason",
            "summary",
            "recommendations",
            "submitted_at",
            "submitted_by",
            "achievements",
        ]
        read_only_fields = fields


class AchievementInputSerializer(serializers.Serializer[Any]):
    objective = serializers.IntegerField(help_text="An objective id of the approved plan.")
    achievement = serializers.ChoiceField(choices=Achievement.choices)
    note = _text(required=False, default="", max_length=500)


class EndReportInputSerializer(serializers.Serializer[Any]):
    allocation = serializers.UUIDField()
    conclusion = serializers.ChoiceField(choices=Conclusion.choices)
    ended_early_reason = serializers.ChoiceField(
        choices=EndedEarlyReason.choices, required=False, allow_blank=True, default=""
    )
    summary = _text()
    recommendations = _text(required=False, default="")
    achievements = AchievementInputSerializer(many=True, required=False, default=list)


# Notifications and the dashboard -----------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "urgent", "created_at", "read_at"]
        read_only_fields = fields


class DashboardSerializer(serializers.Serializer[Any]):
    caseload = serializers.IntegerField(read_only=True)
    sessions_this_week = serializers.IntegerField(read_only=True)
    concerns_awaiting_acknowledgement = serializers.IntegerField(read_only=True)
    compliance_decisions_due = serializers.IntegerField(read_only=True)
    overdue_deadlines = serializers.IntegerField(read_only=True)
    referrals_to_triage = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Programme managers only."
    )
    referrals_waiting_for_allocation = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Programme managers only."
    )
    unread_notifications = serializers.IntegerField(read_only=True)
