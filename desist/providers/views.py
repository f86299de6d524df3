"""Programme-team pages for providers: practitioners, vetting, training, contracts."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.forms import add_service_errors
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


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


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
    form = PractitionerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            practitioner = services.practitioner_create(
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
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
    form = PractitionerForm(_posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.practitioner_update(
                actor=request.user,  # type: ignore[arg-type]
                practitioner=practitioner,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Changes saved")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return render(
        request,
        "providers/practitioner_form.html",
        {"form": form, "creating": False, "practitioner": practitioner},
    )


def _detail(
    request: HttpRequest,
    practitioner: Practitioner,
    *,
    status_form: PractitionerStatusForm | None = None,
    vetting_form: VettingForm | None = None,
    training_form: TrainingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    status_form = status_form or PractitionerStatusForm(prefix="status")
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
            "vetting_form": vetting_form or VettingForm(prefix="vetting"),
            "training_form": training_form or TrainingForm(prefix="training"),
            "form": status_form if status_form.errors else vetting_form or training_form,
        },
        status=status,
    )


@roles_required(PROGRAMME_TEAM)
@require_GET
def practitioner_detail(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    return _detail(request, _practitioner(practitioner_uuid))


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_status(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    practitioner = _practitioner(practitioner_uuid)
    form = PractitionerStatusForm(request.POST, prefix="status")
    if form.is_valid():
        try:
            services.practitioner_change_status(
                actor=request.user,  # type: ignore[arg-type]
                practitioner=practitioner,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error, {"status": "to_status"})
        else:
            messages.success(request, "Status changed")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return _detail(request, practitioner, status_form=form, status=400)


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_vetting(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    practitioner = _practitioner(practitioner_uuid)
    form = VettingForm(request.POST, prefix="vetting")
    if form.is_valid():
        try:
            services.practitioner_record_vetting(
                actor=request.user,  # type: ignore[arg-type]
                practitioner=practitioner,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Vetting recorded")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return _detail(request, practitioner, vetting_form=form, status=400)


@roles_required(PROGRAMME_TEAM)
@require_POST
def practitioner_training(request: HttpRequest, practitioner_uuid: uuid.UUID) -> HttpResponse:
    practitioner = _practitioner(practitioner_uuid)
    form = TrainingForm(request.POST, prefix="training")
    if form.is_valid():
        try:
            services.training_record_completion(
                actor=request.user,  # type: ignore[arg-type]
                practitioner=practitioner,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Training recorded")
            return redirect("providers:detail", practitioner_uuid=practitioner.uuid)
    return _detail(request, practitioner, training_form=form, status=400)


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
    form = ContractForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_create(
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
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
