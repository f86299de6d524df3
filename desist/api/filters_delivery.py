"""Query-string filters for the delivery API. Only codes, uuids, dates and flags: nothing that
could put personal data into an address."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from desist.delivery.constants import (
    ComplianceStage,
    ConcernCategory,
    ConcernStatus,
    Conclusion,
    PlanStatus,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.models import ComplianceRecord, Concern, EndReport, InterventionPlan, Session
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Contract, Practitioner
from desist.providers.selectors import cleared_practitioners
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral


def _participant() -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(field_name="participant__uuid", label="Participant id")


class PractitionerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PractitionerStatus.choices)
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)
    cleared = django_filters.BooleanFilter(method="filter_cleared", label="Cleared to work today")

    class Meta:
        model = Practitioner
        fields = ["status", "organisation", "region", "cleared"]

    def filter_cleared(
        self, queryset: QuerySet[Practitioner], name: str, value: bool
    ) -> QuerySet[Practitioner]:
        cleared = cleared_practitioners(on=timezone.localdate()).values("pk")
        if value:
            return queryset.filter(pk__in=cleared)
        return queryset.exclude(pk__in=cleared)


class ContractFilter(django_filters.FilterSet):
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)
    in_force = django_filters.BooleanFilter(method="filter_in_force", label="In force today")

    class Meta:
        model = Contract
        fields = ["organisation", "region", "in_force"]

    def filter_in_force(
        self, queryset: QuerySet[Contract], name: str, value: bool
    ) -> QuerySet[Contract]:
        today = timezone.localdate()
        in_force: dict[str, Any] = {"start_date__lte": today, "end_date__gte": today}
        return queryset.filter(**in_force) if value else queryset.exclude(**in_force)


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    participant = _participant()
    region = django_filters.CharFilter(field_name="participant__region__code")

    class Meta:
        model = Referral
        fields = ["status", "participant", "region"]


class AllocationFilter(django_filters.FilterSet):
    participant = _participant()
    referral = django_filters.UUIDFilter(field_name="referral__uuid")
    practitioner = django_filters.UUIDFilter(field_name="practitioner__uuid")
    current = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull")

    class Meta:
        model = Allocation
        fields = ["participant", "referral", "practitioner", "current"]


class PlanFilter(django_filters.FilterSet):
    participant = _participant()
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = InterventionPlan
        fields = ["participant", "status"]


class SessionFilter(django_filters.FilterSet):
    participant = _participant()
    allocation = django_filters.UUIDFilter(field_name="allocation__uuid")
    outcome = django_filters.ChoiceFilter(
        choices=[(v, label) for v, label in SessionOutcome.choices if v]
    )
    awaiting_outcome = django_filters.BooleanFilter(
        method="filter_awaiting_outcome", label="No outcome recorded yet"
    )
    mode = django_filters.ChoiceFilter(choices=SessionMode.choices)
    starts_after = django_filters.IsoDateTimeFilter(field_name="scheduled_start", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="scheduled_start", lookup_expr="lt")

    class Meta:
        model = Session
        fields = [
            "participant",
            "allocation",
            "outcome",
            "awaiting_outcome",
            "mode",
            "starts_after",
            "starts_before",
        ]

    def filter_awaiting_outcome(
        self, queryset: QuerySet[Session], name: str, value: bool
    ) -> QuerySet[Session]:
        if value:
            return queryset.filter(outcome=SessionOutcome.SCHEDULED)
        return queryset.exclude(outcome=SessionOutcome.SCHEDULED)


class ConcernFilter(django_filters.FilterSet):
    participant = _participant()
    status = django_filters.MultipleChoiceFilter(choices=ConcernStatus.choices)
    category = django_filters.ChoiceFilter(choices=ConcernCategory.choices)
    urgent = django_filters.BooleanFilter()

    class Meta:
        model = Concern
        fields = ["participant", "status", "category", "urgent"]


class ComplianceRecordFilter(django_filters.FilterSet):
    participant = _participant()
    stage = django_filters.ChoiceFilter(choices=ComplianceStage.choices)
    decided = django_filters.BooleanFilter(method="filter_decided", label="A decision is recorded")

    class Meta:
        model = ComplianceRecord
        fields = ["participant", "stage", "decided"]

    def filter_decided(
        self, queryset: QuerySet[ComplianceRecord], name: str, value: bool
    ) -> QuerySet[ComplianceRecord]:
        return queryset.exclude(decision="") if value else queryset.filter(decision="")


class EndReportFilter(django_filters.FilterSet):
    participant = _participant()
    conclusion = django_filters.ChoiceFilter(choices=Conclusion.choices)

    class Meta:
        model = EndReport
        fields = ["participant", "conclusion"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    urgent = django_filters.BooleanFilter()

    class Meta:
        model = Notification
        fields = ["unread", "kind", "urgent"]
