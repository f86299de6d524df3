"""The signed-in user's own notifications. Nobody sees anyone else's."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from desist.accounts.decorators import signed_in
from desist.accounts.models import User
from desist.notifications.models import Notification
from desist.notifications.services import notification_mark_read


@signed_in
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = Notification.objects.filter(recipient=user).order_by("read_at", "-created_at", "-id")
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@signed_in
@require_POST
def notification_open(request: HttpRequest, notification_uuid: uuid.UUID) -> HttpResponse:
    """Mark read, then go where it points (a path on this site only)."""
    user: User = request.user  # type: ignore[assignment]
    notification = Notification.objects.filter(recipient=user, uuid=notification_uuid).first()
    if notification is None:
        raise Http404("Page not found.")
    notification_mark_read(user=user, notification=notification)
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect(notification.link)
    return redirect("notifications:list")


@signed_in
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    for notification in Notification.objects.filter(recipient=user, read_at__isnull=True):
        notification_mark_read(user=user, notification=notification)
    return redirect("notifications:list")
