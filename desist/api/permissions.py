from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class HasAnyRole(BasePermission):
    """Set `required_roles` on the view. A user without them gets 404, like a missing record."""

    def has_permission(self, request: Request, view: Any) -> bool:
        from django.http import Http404

        roles = getattr(view, "required_roles", ())
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not user.has_role(*roles):
            raise Http404
        return True
