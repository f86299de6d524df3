"""Small helpers every page view uses: the one recipe is gate, form, service, redirect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, QueryDict

from desist.forms import add_service_errors

T = TypeVar("T")


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST (even an empty one, so it shows its errors), None for a GET."""
    return request.POST if request.method == "POST" else None


def call_service(
    form: forms.BaseForm,
    service: Callable[..., T],
    *,
    aliases: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> T | None:
    """Run a service for a valid form. Its ValidationError is shown on the form (None is
    returned); PermissionDenied becomes the same not-found page as a missing record, so a page
    never tells a user that something exists which they may not act on."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        add_service_errors(form, error, aliases)
        return None
    except PermissionDenied:
        raise Http404("Page not found.") from None
