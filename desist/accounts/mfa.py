from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings

from desist.accounts.models import User

SESSION_FLAG = "desist_mfa_enrolled"


def mfa_required() -> bool:
    return bool(settings.DESIST_MFA_REQUIRED)


def has_totp(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())
