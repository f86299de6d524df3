from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from desist.accounts.constants import CASELOAD_ROLES, Role


def desist(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    has_role = getattr(user, "has_role", None)
    unread = 0
    if user.is_authenticated:
        from desist.notifications.services import unread_count

        unread = unread_count(user)
    return {
        "unread_notifications": unread,
        "mfa_not_enforced": not settings.DESIST_MFA_REQUIRED,
        "service_name": "Desistance and Disengagement",
        "nav_caseload": bool(has_role and has_role(*CASELOAD_ROLES)),
        "nav_pseudonymised": bool(has_role and has_role(Role.ANALYST, Role.PROGRAMME_MANAGER)),
        # The service directory holds no personal data: every role that works with people.
        "nav_services": bool(has_role and has_role(*CASELOAD_ROLES)),
    }
