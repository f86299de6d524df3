"""Programme-team pages for providers: practitioners, vetting, training, contracts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.pages import call_service, posted
from desist.providers import selectors, services
from desist.providers.constants import PractitionerStatus
from desist.providers.forms import (
    ContractForm,
    PractitionerForm,
    PractitionerStatusForm,
    TrainingForm,
    VettingForm,
)
from desist.providers.models import Contract, Practitioner
from desist.providers.rules import allowed_transitions

PROGRAMME_TEAM = Role.PROGRAMME_MANAGER


def _practitioner(practitioner_uuid: uuid.UUID) -> Practitioner:
    practitioner = (
        Practitioner.objects.select_related("user", "organisation")
        .filter(uuid=practitioner_uuid)
        .first()
    )
    if practitioner is None:
        raise Http404("Page not found.")
    return practitioner


@roles_required(PROGRAMME_TEAM)
@require_GET
def practitioner_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    status = request.GET.get("status", "")
    practitioners = Practitioner.objects.select_related("user", "organisation").prefetch_related(
        "regions"
    )
    if status in PractitionerStatus.values:
        practitioners = practitioners.filter(status=status)
    caseloads = selectors.current_caseloads()
    cleared = set(selectors.cleared_practitioners(on=today).values_list("pk", flat=True))
    rows = [
        {
            "practitioner": p,
            "caseload": caseloads.get(p.pk, 0),
            "cleared": p.pk in cleared,
        }
        for p in practitioners
    ]
    return render(
        request,
        "providers/practitioner_list.html",
        {
            "rows": rows,
            "statuses": PractitionerStatus.choices,
            "status": status,
            "capacity_left": selectors.contract_capacity_left(on=today),
        },
    )


@roles_required(PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def practitioner_create(request: HttpRequest) -> HttpResponse:
    form = PractitionerForm(posted(request))
    if request.method == "POST" and form.is_valid():
        practitioner = call_service(
            form, services.practitioner_create, actor=request.user, **form.cleaned_data
        )
        if practitioner is not None:
            messages.success(request, "Practitioner added: their status is 'applied'")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return render(request, "providers/practitioner_form.html", {"form": form, "creating": True})


@roles_required(PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def practitioner_edit(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    practitioner = _practitioner(practitioner_uuid)
    initial = {
        "specialisms": practitioner.specialisms,
        "languages": practitioner.languages,
        "faith_traditions": practitioner.faith_traditions,
        "sex": practitioner.sex,
        "regions": list(practitioner.regions.all()),
        "max_caseload": practitioner.max_caseload,
    }
    form = PractitionerForm(posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = call_service(
            form,
            services.practitioner_update,
            actor=request.user,
            practitioner=practitioner,
            **form.cleaned_data,
        )
        if changes is not None:
            messages.success(request, "Changes saved")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return render(
        request,
        "providers/practitioner_form.html",
        {"form": form, "creating": False, "practitioner": practitioner},
    )


DetailForm = PractitionerStatusForm | VettingForm | TrainingForm


def _detail(
    request: HttpRequest, practitioner: Practitioner, *, posted_form: DetailForm | None = None
) -> HttpResponse:
    """The practitioner's page; with `posted_form`, that form showing its errors (a 400)."""
    today = timezone.localdate()
    status_form = (
        posted_form
        if isinstance(posted_form, PractitionerStatusForm)
        else PractitionerStatusForm(prefix="status")
    )
    status_form.fields["to_status"].choices = [  # type: ignore[attr-defined]
        ("", "Select a status"),
        *[
            (value, label)
            for value, label in PractitionerStatus.choices
            if value in allowed_transitions(practitioner.status)
        ],
    ]
    return render(
        request,
        "providers/practitioner_detail.html",
        {
            "practitioner": practitioner,
            "problems": selectors.practitioner_clearance(practitioner, on=today),
            "caseload": selectors.current_caseloads().get(practitioner.pk, 0),
            "training": practitioner.training.select_related("course"),
            "history": practitioner.status_history.select_related("changed_by"),
            "status_form": status_form,
            "vetting_form": posted_form
            if isinstance(posted_form, VettingForm)
            else VettingForm(prefix="vetting"),
            "training_form": posted_form
            if isinstance(posted_form, TrainingForm)
            else TrainingForm(prefix="training"),
            "form": posted_form,
        },
        status=200 if posted_form is None else 400,
    )


@roles_required(PROGRAMME_TEAM)
@require_GET
def practitioner_detail(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    return _detail(request, _practitioner(practitioner_uuid))


def _act_on_detail(
    request: HttpRequest,
    practitioner: Practitioner,
    form: DetailForm,
    service: Callable[..., object],
    done: str,
    *,
    aliases: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A form posted from the practitioner's page: run the service, then back to the page
    with a confirmation, or the page again showing the form's errors."""
    if form.is_valid():
        result = call_service(
            form,
            service,
            aliases=aliases,
            actor=request.user,
            practitioner=practitioner,
            **form.cleaned_data,
        )
        if result is not None:
            messages.success(request, done)
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return _detail(request, practitioner, posted_form=form)


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_status(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    return _act_on_detail(
        request,
        _practitioner(practitioner_uuid),
        PractitionerStatusForm(request.POST, prefix="status"),
        services.practitioner_change_status,
        "Status changed",
        aliases={"status": "to_status"},
    )


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_vetting(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    return _act_on_detail(
        request,
        _practitioner(practitioner_uuid),
        VettingForm(request.POST, prefix="vetting"),
        services.practitioner_record_vetting,
        "Vetting recorded",
    )


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_training(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    return _act_on_detail(
        request,
        _practitioner(practitioner_uuid),
        TrainingForm(request.POST, prefix="training"),
        services.training_record_completion,
        "Training recorded",
    )


@roles_required(PROGRAMME_TEAM)
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    contracts = Contract.objects.select_related("organisation").prefetch_related("regions")
    return render(
        request,
        "providers/contract_list.html",
        {
            "contracts": contracts,
            "today": today,
            "capacity_left": selectors.contract_capacity_left(on=today),
        },
    )


@roles_required(PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    form = ContractForm(posted(request))
    if request.method == "POST" and form.is_valid():
        contract = call_service(
            form, services.contract_create, actor=request.user, **form.cleaned_data
        )
        if contract is not None:
            messages.success(request, "Contract added")
            return redirect("providers:contracts")
    return render(request, "providers/contract_form.html", {"form": form})


@roles_required(Role.PRACTITIONER)
@require_GET
def my_profile(request: HttpRequest) -> HttpResponse:
    """A practitioner's own vetting, training and clearance."""
    user: User = request.user  # type: ignore[assignment]
    practitioner = Practitioner.objects.filter(user=user).first()
    if practitioner is None:
        return render(request, "providers/my_profile.html", {"practitioner": None})
    today = timezone.localdate()
    return render(
        request,
        "providers/my_profile.html",
        {
            "practitioner": practitioner,
            "problems": selectors.practitioner_clearance(practitioner, on=today),
            "training": practitioner.training.select_related("course"),
        },
    )
