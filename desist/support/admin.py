"""Read-only admin views of person-centred support, for staff. Everything here changes only
through the pages and services, which check the rules and audit every change.

Administrators see no participant's record (docs/security.md), so goals and actions show
workflow state only: uuids, the participant's programme reference, statuses and dates, never
the pathway, the description, the celebration or the service (each of which can reveal health,
drug or family matters). The service directory holds no personal data and is shown in full;
programme managers change it on its own pages or with `desist import services`.

Other support areas may add their own admin classes below.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from desist.support.models import Goal, GoalAction, Service


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Service)
class ServiceAdmin(ReadOnlyMixin, admin.ModelAdmin[Service]):
    list_display = ["name", "code", "national", "eligible_sex", "active", "updated_at"]
    list_filter = ["active", "national", "eligible_sex", "regions"]
    search_fields = ["name", "code"]
    fields = readonly_fields = (
        "uuid",
        "code",
        "name",
        "description",
        "pathways",
        "regions",
        "national",
        "eligible_sex",
        "min_age",
        "max_age",
        "phone",
        "email",
        "website",
        "address",
        "opening_hours",
        "active",
        "updated_at",
    )


class GoalActionInline(ReadOnlyMixin, admin.TabularInline[GoalAction, Goal]):
    model = GoalAction
    fields = readonly_fields = ("uuid", "owner", "status", "due_on", "review_on", "completed_on")
    extra = 0


@admin.register(Goal)
class GoalAdmin(ReadOnlyMixin, admin.ModelAdmin[Goal]):
    list_display = ["uuid", "participant", "status", "review_on", "achieved_on", "created_at"]
    list_filter = ["status"]
    list_select_related = ["participant"]
    fields = readonly_fields = (
        "uuid",
        "participant",
        "status",
        "review_on",
        "achieved_on",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = [GoalActionInline]


@admin.register(GoalAction)
class GoalActionAdmin(ReadOnlyMixin, admin.ModelAdmin[GoalAction]):
    list_display = ["uuid", "goal_uuid", "owner", "status", "due_on", "completed_on"]
    list_filter = ["status", "owner"]
    list_select_related = ["goal"]
    fields = readonly_fields = (
        "uuid",
        "goal_uuid",
        "owner",
        "status",
        "due_on",
        "review_on",
        "completed_on",
        "created_by",
        "created_at",
        "updated_at",
    )

    @admin.display(description="goal")
    def goal_uuid(self, obj: GoalAction) -> str:
        return str(obj.goal.uuid)
