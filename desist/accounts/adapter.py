from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by administrators only, after vetting.
        return False

    def is_safe_url(self, url: Any) -> bool:
        return bool(super().is_safe_url(url))


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Any) -> bool:
        # With MFA mandatory, the last TOTP device cannot be removed, only replaced by an admin.
        return not settings.DESIST_MFA_REQUIRED
