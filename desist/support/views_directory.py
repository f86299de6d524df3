"""The service directory: a one-stop list of services by pathway, area and eligibility, with
their contact details. Services hold no personal data, so any member of staff who works with
participants may read it and no purpose is asked for; programme managers add and change
services (each change audited by desist.support.services_directory)."""

from __future__ import annotations

import uuid
from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.pages import call_service, posted
from desist.support import services_directory as services
from desist.support.forms_directory import DirectorySearchForm, ServiceForm
from desist.support.models import Service
from desist.support.selectors_directory import (
    DirectoryFilter,
    directory_search,
    get_service,
    service_card,
)

# Staff who work with participants (and so signpost and refer to services).
STAFF_ROLES = (
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.POLICE_LIAISON,
    Role.PRACTITIONER,
)
PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _is_manager(request: HttpRequest) -> bool:
    return _user(request).has_role(Role.PROGRAMME_MANAGER)


def _service(service_uuid: uuid.UUID, *, include_inactive: bool) -> Service:
    service = get_service(service_uuid, include_inactive=include_inactive)
    if service is None:
        raise Http404("Page not found.")
    return service


@roles_required(*STAFF_ROLES)
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    manager = _is_manager(request)
    form = DirectorySearchForm(request.GET, show_inactive_option=manager)
    criteria = form.criteria() if form.is_valid() else DirectoryFilter()
    page = Paginator(directory_search(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "support/directory.html",
        {
            "form": form,
            "page": page,
            "cards": [service_card(service) for service in page.object_list],
            "can_manage": manager,
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
        },
        status=400 if form.errors else 200,
    )


@roles_required(*STAFF_ROLES)
@require_GET
def service_detail(request: HttpRequest, service_uuid: uuid.UUID) -> HttpResponse:
    manager = _is_manager(request)
    # Services no longer offered are kept for the plans that link to them; staff reach them
    # from those plans, so they are shown, marked as withdrawn.
    service = _service(service_uuid, include_inactive=True)
    return render(
        request,
        "support/service_detail.html",
        {"service": service, "card": service_card(service), "can_manage": manager},
    )


@roles_required(Role.PROGRAMME_MANAGER)
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        service = call_service(
            form, services.service_create, actor=_user(request), **form.service_arguments()
        )
        if service is not None:
            messages.success(request, f"{service.name} added to the directory")
            return redirect("support:service_detail", service_uuid=service.uuid)
    return render(
        request,
        "support/service_form.html",
        {"form": form, "service": None},
        status=400 if form.errors else 200,
    )


@roles_required(Role.PROGRAMME_MANAGER)
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_uuid: uuid.UUID) -> HttpResponse:
    service = _service(service_uuid, include_inactive=True)
    form = ServiceForm(posted(request), service=service)
    if request.method == "POST" and form.is_valid():
        # `call_service` has a parameter of its own called "service": bind the arguments first.
        update = partial(
            services.service_update,
            actor=_user(request),
            service=service,
            **form.service_arguments(),
        )
        changes = call_service(form, update)
        if changes is not None:
            messages.success(request, "Service updated" if changes else "Nothing was changed")
            return redirect("support:service_detail", service_uuid=service.uuid)
    return render(
        request,
        "support/service_form.html",
        {"form": form, "service": service},
        status=400 if form.errors else 200,
    )
