"""Admin views of providers, for staff. Practitioners, their vetting, training and status, and
contracts change only through the programme team's pages (desist.providers.services), which
check the rules and audit every change, so here they are read-only. Training courses are
reference data with no other page, so they can be edited here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from desist.providers.models import (
    Contract,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrainingInline(ReadOnlyMixin, admin.TabularInline[TrainingCompletion, Practitioner]):
    model = TrainingCompletion
    fields = readonly_fields = ("course", "completed_on", "expires_on", "recorded_at")
    extra = 0


class StatusHistoryInline(
    ReadOnlyMixin, admin.TabularInline[PractitionerStatusChange, Practitioner]
):
    model = PractitionerStatusChange
    fields = readonly_fields = ("changed_at", "from_status", "to_status", "reason", "changed_by")
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(ReadOnlyMixin, admin.ModelAdmin[Practitioner]):
    list_display = ["uuid", "user", "organisation", "status", "vetting_expires_on"]
    list_filter = ["status", "organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username"]
    fields = readonly_fields = (
        "uuid",
        "user",
        "organisation",
        "status",
        "specialisms",
        "languages",
        "faith_traditions",
        "sex",
        "regions",
        "max_caseload",
        "vetting_level",
        "vetting_granted_on",
        "vetting_expires_on",
        "created_at",
        "updated_at",
    )
    inlines = [TrainingInline, StatusHistoryInline]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin[TrainingCourse]):
    list_display = ["name", "code", "required", "valid_for_months"]
    list_filter = ["required"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Completions point at the course; retire one by making it not required instead.
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyMixin, admin.ModelAdmin[Contract]):
    list_display = ["reference", "organisation", "start_date", "end_date", "capacity"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    fields = readonly_fields = (
        "uuid",
        "reference",
        "organisation",
        "start_date",
        "end_date",
        "regions",
        "capacity",
        "created_at",
    )
