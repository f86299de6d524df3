"""Small helpers every page view uses: the one recipe is gate, form, service, redirect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse

from desist.forms import add_service_errors

if TYPE_CHECKING:
    from desist.people.models import Participant

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


def record_participant_view(request: HttpRequest, participant: Participant) -> HttpResponse | None:
    """Record that the user viewed the participant's record, with the purpose they gave for
    this case in this session; without one, the redirect to the page that asks for it (and
    comes back here). Every page that shows a person's record calls this first."""
    from desist.people.services import participant_record_view
    from desist.people.views import _purpose_for

    purpose = _purpose_for(request, participant.uuid)
    if purpose is None:
        ask = reverse("people:purpose", kwargs={"participant_uuid": participant.uuid})
        return redirect(ask + "?" + urlencode({"next": request.get_full_path()}))
    participant_record_view(
        actor=request.user,  # type: ignore[arg-type]
        participant=participant,
        purpose=purpose,
    )
    return None
