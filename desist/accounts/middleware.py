from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from desist.accounts.mfa import SESSION_FLAG, has_totp, mfa_required

# Pages a signed-in user without MFA may still reach: sign-in/out and MFA set-up themselves.
_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/health/", "/api/")


class RequireMFAMiddleware:
    """Every signed-in person must have TOTP set up before reaching any page.

    allauth asks for the code at sign-in for anyone who has TOTP; this sends anyone who has not
    yet set it up to the set-up page. The API applies the same rule in its authentication class.
    Service accounts have no web access at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if getattr(user, "is_service_account", False):
                logout(request)
                return HttpResponseRedirect(reverse("account_login"))
            if (
                mfa_required()
                and not request.session.get(SESSION_FLAG)
                and not request.path.startswith(_EXEMPT_PREFIXES)
            ):
                if not has_totp(user):
                    return HttpResponseRedirect(reverse("mfa_activate_totp"))
                request.session[SESSION_FLAG] = True
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages hold personal data: browsers and proxies must not keep copies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response
