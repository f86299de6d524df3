"""API for the caller's own notifications, and the dashboard's counts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from desist.accounts.access import participants_for
from desist.accounts.constants import Role
from desist.api.filters_delivery import NotificationFilter
from desist.api.serializers_delivery import DashboardSerializer, NotificationSerializer
from desist.api.views_common import CASELOAD_POLICY, SIGNED_IN_POLICY, GatedViewSet
from desist.delivery import selectors as delivery
from desist.delivery.deadlines import overdue_for
from desist.notifications.models import Notification
from desist.notifications.services import notification_mark_read, unread_count
from desist.referrals import selectors as referrals


class NotificationViewSet(GatedViewSet[Notification]):
    """The caller's own notifications, newest first. Nobody sees anyone else's."""

    access_policy = {"GET": SIGNED_IN_POLICY, "POST": SIGNED_IN_POLICY}
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_url_kwarg = "notification_uuid"
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.filter(recipient=self.user).order_by("-created_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), NotificationSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(NotificationSerializer(self.gated_object(self.get_queryset())).data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, notification_uuid: str) -> Response:
        """Mark the notification read."""
        notification = self.gated_object(self.get_queryset())
        notification_mark_read(user=self.user, notification=notification)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification read."""
        for notification in self.get_queryset().filter(read_at__isnull=True):
            notification_mark_read(user=self.user, notification=notification)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DashboardViewSet(GatedViewSet[Notification]):
    """What needs doing, as counts, for the caller's roles (the home page's numbers)."""

    access_policy = {"GET": CASELOAD_POLICY}
    serializer_class = DashboardSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    queryset = Notification.objects.none()

    @extend_schema(responses={200: DashboardSerializer})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.user
        manager = user.has_role(Role.PROGRAMME_MANAGER)
        counts = {
            "caseload": participants_for(user).count(),
            "sessions_this_week": delivery.sessions_this_week(user),
            "concerns_awaiting_acknowledgement": delivery.concerns_awaiting(user),
            "compliance_decisions_due": delivery.compliance_decisions_due(user),
            "overdue_deadlines": overdue_for(user).count(),
            "referrals_to_triage": referrals.triage_queue(user).count() if manager else None,
            "referrals_waiting_for_allocation": (
                referrals.waiting_for_allocation(user).count() if manager else None
            ),
            "unread_notifications": unread_count(user),
        }
        return Response(DashboardSerializer(counts).data)
