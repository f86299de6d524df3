from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from desist.accounts.access import SUPPORT_READING_ROLES, participants_for
from desist.accounts.constants import CASELOAD_ROLES, Role
from desist.accounts.decorators import public, signed_in
from desist.accounts.models import User

LIST_SIZE = 10


@signed_in
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: what needs doing, for this user's roles."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_role(*CASELOAD_ROLES):
        if user.has_role(Role.ANALYST):
            return redirect("people:pseudonymised")
        return render(request, "home.html")
    from desist.delivery import selectors as delivery
    from desist.delivery.deadlines import overdue_for
    from desist.referrals import selectors as referrals
    from desist.support import selectors_release as releases

    manager = user.has_role(Role.PROGRAMME_MANAGER)
    overdue = overdue_for(user)
    context: dict[str, Any] = {
        "caseload": participants_for(user).count(),
        "sessions": delivery.sessions_in_week(user).select_related("participant")[:LIST_SIZE],
        "sessions_count": delivery.sessions_this_week(user),
        "concerns": delivery.concerns_awaiting_for(user).select_related("participant")[:LIST_SIZE],
        "concerns_count": delivery.concerns_awaiting(user),
        "compliance": delivery.compliance_decisions_due_for(user).select_related("participant")[
            :LIST_SIZE
        ],
        "compliance_count": delivery.compliance_decisions_due(user),
        "overdue": overdue[:LIST_SIZE],
        "overdue_count": overdue.count(),
        "manager": manager,
        "caseload_progress": user.has_role(*SUPPORT_READING_ROLES),
    }
    if user.has_role(*releases.COUNTDOWN_ROLES):
        context["releases"] = releases.release_counts_for(user, today=timezone.localdate())
    if manager:
        context["triage_count"] = referrals.triage_queue(user).count()
        context["waiting_count"] = referrals.waiting_for_allocation(user).count()
    return render(request, "dashboard.html", context)


@public
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
