from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request

from desist.accounts.mfa import SESSION_FLAG, has_totp, mfa_required


class ServiceAccountTokenAuthentication(TokenAuthentication):
    """API tokens belong to service accounts only; people sign in with a password and TOTP."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if not getattr(user, "is_service_account", False):
            raise exceptions.AuthenticationFailed("Tokens are for service accounts only.")
        return user, token


class MFASessionAuthentication(SessionAuthentication):
    """A browser session counts only once its user has TOTP set up (when MFA is required)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if getattr(user, "is_service_account", False):
            return None
        if mfa_required() and not request.session.get(SESSION_FLAG) and not has_totp(user):
            raise exceptions.AuthenticationFailed("Set up multi-factor authentication first.")
        return result
