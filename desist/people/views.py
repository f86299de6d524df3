"""Participant pages. Each view: gate, form, service, redirect."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from desist.accounts.access import (
    RELEASE_READERS,
    SUPPORT_READERS,
    can_create_participant,
    can_edit_participant,
    get_participant_for,
    get_participant_for_edit,
    has_relationship,
    visible_field_groups,
)
from desist.accounts.constants import CASELOAD_ROLES, Role
from desist.accounts.decorators import participant_route, participant_write_route, roles_required
from desist.people import services
from desist.people.constants import AccessPurpose
from desist.people.forms import (
    CaseloadFilterForm,
    CaseloadSearchForm,
    LegalBasisForm,
    ParticipantForm,
    PurposeForm,
    StatusForm,
)
from desist.people.models import Participant
from desist.people.selectors import caseload_for, participant_detail_for, pseudonymised_rows_for

PAGE_SIZES = (25, 50, 100)
SEARCH_SESSION_KEY = "caseload_search"
PURPOSES_SESSION_KEY = "access_purposes"


def _posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST (even an empty one, so it shows its errors), None for a GET."""
    return request.POST if request.method == "POST" else None


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


@roles_required(*CASELOAD_ROLES)
@require_http_methods(["GET", "POST"])
def caseload(request: HttpRequest) -> HttpResponse:
    # A name typed into search is personal data: it is POSTed and kept in the session,
    # never put in the address where it would reach logs and browser history.
    if request.method == "POST":
        search_form = CaseloadSearchForm(request.POST)
        if search_form.is_valid():
            request.session[SEARCH_SESSION_KEY] = search_form.cleaned_data["q"]
        return redirect(request.get_full_path())
    search = request.session.get(SEARCH_SESSION_KEY, "")
    filters = CaseloadFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    region = cleaned.get("region")
    queryset = caseload_for(
        request.user,
        strand=cleaned.get("strand", ""),
        status=cleaned.get("status", ""),
        region_id=region.pk if region else None,
        search=search,
    )
    paginator = Paginator(queryset, _page_size(request))
    page = paginator.get_page(request.GET.get("page"))
    services.participants_record_list_view(
        actor=request.user,  # type: ignore[arg-type]
        participants=page.object_list,
        context="caseload",
    )
    return render(
        request,
        "people/caseload.html",
        {
            "page": page,
            "filters": filters,
            "search_form": CaseloadSearchForm(initial={"q": search}),
            "search": search,
            "can_create": can_create_participant(request.user),
            "page_sizes": PAGE_SIZES,
        },
    )


@roles_required(Role.PROGRAMME_MANAGER, Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER)
@require_http_methods(["GET", "POST"])
def participant_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = ParticipantForm(_posted(request), actor=actor)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "agencies"}
        participant = services.participant_create(
            actor=actor,  # type: ignore[arg-type]
            data=data,
            agencies=form.cleaned_data["agencies"],
        )
        messages.success(request, f"Participant {participant.reference} created")
        _remember_purpose(request, participant.uuid, AccessPurpose.CASE_MANAGEMENT)
        return redirect("people:detail", participant_uuid=participant.uuid)
    return render(request, "people/participant_form.html", {"form": form, "creating": True})


def _remember_purpose(request: HttpRequest, participant_uuid: uuid.UUID, purpose: str) -> None:
    purposes = dict(request.session.get(PURPOSES_SESSION_KEY, {}))
    purposes[str(participant_uuid)] = purpose
    request.session[PURPOSES_SESSION_KEY] = purposes


def _purpose_for(request: HttpRequest, participant_uuid: uuid.UUID) -> str | None:
    purpose: str | None = request.session.get(PURPOSES_SESSION_KEY, {}).get(str(participant_uuid))
    return purpose


def _has_release_plan(participant: Participant) -> bool:
    from desist.support.models import ReleasePlan

    return ReleasePlan.objects.filter(participant=participant).exists()


@participant_route
@require_http_methods(["GET"])
def participant_detail(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = get_participant_for(request.user, participant_uuid)
    purpose = _purpose_for(request, participant.uuid)
    if purpose is None:
        return redirect("people:purpose", participant_uuid=participant.uuid)
    services.participant_record_view(
        actor=request.user,  # type: ignore[arg-type]
        participant=participant,
        purpose=purpose,
    )
    from desist.referrals.selectors import open_referral, referrals_for

    can_edit = can_edit_participant(request.user, participant)
    referrals = referrals_for(request.user).filter(participant=participant)
    # One open referral at a time (the service refuses a second): link to it instead.
    current = open_referral(referrals) if can_edit else None
    return render(
        request,
        "people/participant_detail.html",
        {
            "participant": participant_detail_for(request.user, participant),
            "groups": {g.value for g in visible_field_groups(request.user, participant)},
            "can_edit": can_edit,
            "referrals": referrals,
            "can_refer": can_edit and current is None,
            "open_referral": current,
            "work_url": reverse("delivery:work", kwargs={"participant_uuid": participant.uuid}),
            "support_readable": has_relationship(request.user, participant, SUPPORT_READERS),
            "release_readable": has_relationship(request.user, participant, RELEASE_READERS)
            and (bool(participant.custody_establishment) or _has_release_plan(participant)),
        },
    )


@participant_route
@require_http_methods(["GET", "POST"])
def participant_purpose(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = get_participant_for(request.user, participant_uuid)
    form = PurposeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        detail = form.cleaned_data["detail"].strip()
        _remember_purpose(request, participant.uuid, f"{purpose}: {detail}" if detail else purpose)
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
            return redirect(next_url)
        return redirect("people:detail", participant_uuid=participant.uuid)
    return render(
        request,
        "people/purpose.html",
        {"form": form, "participant": participant, "next": request.GET.get("next", "")},
    )


@participant_write_route
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = get_participant_for_edit(request.user, participant_uuid)
    if _purpose_for(request, participant.uuid) is None:
        return redirect(
            reverse("people:purpose", kwargs={"participant_uuid": participant.uuid})
            + "?next="
            + request.path
        )
    form = ParticipantForm(_posted(request), instance=participant, actor=request.user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "agencies"}
        # Re-read from the database: the form has already written its values onto the instance.
        fresh = get_participant_for_edit(request.user, participant_uuid)
        changes = services.participant_update(
            actor=request.user,  # type: ignore[arg-type]
            participant=fresh,
            data=data,
            agencies=form.cleaned_data["agencies"],
        )
        messages.success(request, "Changes saved" if changes else "No changes to save")
        return redirect("people:detail", participant_uuid=participant.uuid)
    return render(
        request,
        "people/participant_form.html",
        {"form": form, "participant": participant, "creating": False},
    )


@participant_write_route
@require_http_methods(["GET", "POST"])
def participant_status(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = get_participant_for_edit(request.user, participant_uuid)
    form = StatusForm(_posted(request), initial={"status": participant.status})
    if request.method == "POST" and form.is_valid():
        services.participant_change_status(
            actor=request.user,  # type: ignore[arg-type]
            participant=participant,
            status=form.cleaned_data["status"],
            effective_date=form.cleaned_data["effective_date"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "Status changed")
        return redirect("people:detail", participant_uuid=participant.uuid)
    return render(request, "people/status_form.html", {"form": form, "participant": participant})


@participant_write_route
@require_http_methods(["GET", "POST"])
def legal_basis_add(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = get_participant_for_edit(request.user, participant_uuid)
    form = LegalBasisForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.legal_basis_add(
            actor=request.user,  # type: ignore[arg-type]
            participant=participant,
            data=form.cleaned_data,
        )
        messages.success(request, "Legal basis added")
        return redirect("people:detail", participant_uuid=participant.uuid)
    return render(
        request, "people/legal_basis_form.html", {"form": form, "participant": participant}
    )


@roles_required(Role.ANALYST, Role.PROGRAMME_MANAGER)
@require_http_methods(["GET"])
def pseudonymised(request: HttpRequest) -> HttpResponse:
    filters = CaseloadFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    region = cleaned.get("region")
    queryset = pseudonymised_rows_for(
        request.user,
        strand=cleaned.get("strand", ""),
        status=cleaned.get("status", ""),
        region_id=region.pk if region else None,
    )
    paginator = Paginator(queryset, _page_size(request))
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "people/pseudonymised.html",
        {"page": page, "filters": filters, "page_sizes": PAGE_SIZES},
    )
