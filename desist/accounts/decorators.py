"""Route guards. Each marks the view with `access_policy` so the route walker test knows it.

A view without a policy is refused by the walker test: deny by default, in code and in review.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

View = TypeVar("View", bound=Callable[..., HttpResponse])


def public(view: View) -> View:
    view.access_policy = "public"  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    wrapped = login_required(view)
    wrapped.access_policy = "signed_in"  # type: ignore[attr-defined]
    return wrapped


def participant_route(view: View) -> View:
    """The view fetches its participant through the access gate (by `participant_uuid`)."""
    wrapped = login_required(view)
    wrapped.access_policy = "participant"  # type: ignore[attr-defined]
    return wrapped


def participant_write_route(view: View) -> View:
    """The view changes its participant, fetched with `get_participant_for_edit`."""
    wrapped = login_required(view)
    wrapped.access_policy = "participant_write"  # type: ignore[attr-defined]
    return wrapped


def roles_required(*roles: str) -> Callable[[View], View]:
    """Only users holding one of these roles; everyone else gets the same 404 as a bad URL."""

    def decorator(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_role(*roles):  # type: ignore[union-attr]
                raise Http404("Page not found.")
            return view(request, *args, **kwargs)

        wrapped = login_required(inner)
        wrapped.access_policy = "roles:" + ",".join(sorted(roles))  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
