"""Read-only admin views of the referral workflow. Referrals, their status history and
allocations change only through the services, which audit every change.

Administrators see no participant's record (docs/security.md), so these pages show workflow
state only: uuids, the participant's programme reference, statuses, dates and who did what,
never the reason, needs, risk summaries, notes or accessibility needs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from desist.referrals.models import Allocation, Referral, ReferralStatusChange


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StatusHistoryInline(ReadOnlyMixin, admin.TabularInline[ReferralStatusChange, Referral]):
    model = ReferralStatusChange
    fields = readonly_fields = ("changed_at", "from_status", "to_status", "changed_by")
    extra = 0


class AllocationInline(ReadOnlyMixin, admin.TabularInline[Allocation, Referral]):
    model = Allocation
    fields = readonly_fields = ("uuid", "allocated_at", "practitioner", "method", "ended_at")
    extra = 0


@admin.register(Referral)
class ReferralAdmin(ReadOnlyMixin, admin.ModelAdmin[Referral]):
    # The participant shows as its programme reference (Participant.__str__), never a name.
    list_display = ["uuid", "participant", "status", "referred_at", "referring_organisation"]
    list_filter = ["status"]
    fields = readonly_fields = (
        "uuid",
        "participant",
        "referring_organisation",
        "referred_by",
        "referred_at",
        "status",
        "decline_reason",
        "attendance_mandatory",
        "expected_end_date",
    )
    inlines = [StatusHistoryInline, AllocationInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyMixin, admin.ModelAdmin[Allocation]):
    list_display = ["uuid", "participant", "practitioner", "method", "allocated_at", "ended_at"]
    list_filter = ["method"]
    fields = readonly_fields = (
        "uuid",
        "referral",
        "participant",
        "practitioner",
        "method",
        "score",
        "allocated_at",
        "allocated_by",
        "ended_at",
    )
