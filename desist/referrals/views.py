"""Referral pages: refer, triage, rank and allocate, allocate the queue, reallocate."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.access import get_participant_for, get_participant_for_edit, relationships_to
from desist.accounts.constants import Role
from desist.accounts.decorators import participant_route, participant_write_route, roles_required
from desist.accounts.models import User
from desist.forms import GovUKForm
from desist.pages import call_service, posted
from desist.people.models import Participant
from desist.people.services import participant_record_view
from desist.people.views import _purpose_for
from desist.providers.models import Practitioner
from desist.referrals import selectors, services
from desist.referrals.constants import ReferralStatus
from desist.referrals.forms import (
    TRIAGE_ACTIONS,
    AllocateForm,
    CloseForm,
    InformationForm,
    ReferralForm,
    TriageForm,
)
from desist.referrals.models import Referral
from desist.referrals.ranking import RankedPractitioner
from desist.referrals.rules import (
    FINAL_STATUSES,
    can_answer,
    can_close,
    can_transition,
    is_referrer_side,
)


def _referral(user: User, participant: Participant, referral_uuid: uuid.UUID) -> Referral:
    referral = (
        selectors.referrals_for(user)
        .filter(participant=participant, uuid=referral_uuid)
        .select_related("participant", "referred_by", "referring_organisation", "legal_basis")
        .first()
    )
    if referral is None:
        raise Http404("Page not found.")
    return referral


@participant_write_route
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    participant = get_participant_for_edit(user, participant_uuid)
    form = ReferralForm(posted(request), participant=participant)
    if request.method == "POST" and form.is_valid():
        referral = call_service(
            form,
            services.referral_create,
            actor=user,
            participant=participant,
            **form.cleaned_data,
        )
        if referral is not None:
            messages.success(request, "Referral sent to the programme team")
            return redirect(
                "referrals:detail", participant_uuid=participant.uuid, referral_uuid=referral.uuid
            )
    return render(
        request, "referrals/referral_form.html", {"form": form, "participant": participant}
    )


def _triage_form(referral: Referral, data: QueryDict | None = None) -> TriageForm:
    """Only the decisions the referral can take now (see referrals.rules)."""
    form = TriageForm(data, prefix="triage")
    allowed = {
        "accept": can_transition(referral.status, ReferralStatus.ACCEPTED),
        "decline": can_transition(referral.status, ReferralStatus.DECLINED),
        "request_information": can_transition(
            referral.status, ReferralStatus.INFORMATION_REQUESTED
        ),
    }
    form.fields["action"].choices = [  # type: ignore[attr-defined]
        ("", "Select a decision"),
        *[(value, label) for value, label in TRIAGE_ACTIONS if allowed[value]],
    ]
    return form


def _detail_context(user: User, referral: Referral) -> dict[str, object]:
    is_manager = user.has_role(Role.PROGRAMME_MANAGER)
    # The same rule the services apply, so the page offers only what they will do.
    referrer_side = is_referrer_side(user.roles, relationships_to(user, referral.participant))
    return {
        # Triage notes, questions and answers are for the referring and programme teams.
        "show_notes": not selectors.is_provider(user),
        "referral": referral,
        "participant": referral.participant,
        "risk_summary": selectors.risk_summary_for(user, referral),
        "history": referral.status_history.select_related("changed_by"),
        "allocations": referral.allocations.select_related("practitioner__user", "allocated_by"),
        "can_triage": is_manager
        and referral.status in (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED),
        "can_allocate": is_manager and referral.status == ReferralStatus.ACCEPTED,
        "can_reallocate": is_manager and referral.status == ReferralStatus.ALLOCATED,
        "can_answer": can_answer(referral.status, referrer_side=referrer_side),
        "can_close": can_close(referral.status, referrer_side=referrer_side),
    }


def _blank_forms(referral: Referral) -> dict[str, GovUKForm]:
    return {
        "triage_form": _triage_form(referral),
        "information_form": InformationForm(prefix="info"),
        "close_form": CloseForm(prefix="close"),
    }


def _detail_with_errors(
    request: HttpRequest, user: User, referral: Referral, **posted_form: GovUKForm
) -> HttpResponse:
    """The referral page again, with the one form that was posted (given by its name in the
    context, e.g. close_form=form) showing its errors in place and in the error summary."""
    [form] = posted_form.values()
    context = _detail_context(user, referral) | _blank_forms(referral) | posted_form
    return render(request, "referrals/referral_detail.html", context | {"form": form}, status=400)


@participant_route
@require_GET
def referral_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, referral_uuid: uuid.UUID
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    participant = get_participant_for(user, participant_uuid)
    referral = _referral(user, participant, referral_uuid)
    # The referral holds the risk summary: a view of the record, asked for and audited.
    purpose = _purpose_for(request, participant.uuid)
    if purpose is None:
        ask = reverse("people:purpose", kwargs={"participant_uuid": participant.uuid})
        return redirect(ask + "?" + urlencode({"next": request.path}))
    participant_record_view(actor=user, participant=participant, purpose=purpose)
    context = _detail_context(user, referral) | _blank_forms(referral)
    return render(request, "referrals/referral_detail.html", context)


@participant_route
@require_POST
def referral_triage(
    request: HttpRequest, participant_uuid: uuid.UUID, referral_uuid: uuid.UUID
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    participant = get_participant_for(user, participant_uuid)
    referral = _referral(user, participant, referral_uuid)
    form = _triage_form(referral, request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        note = form.cleaned_data["note"]
        done: object = None
        if action == "accept":
            done = call_service(
                form, services.referral_accept, actor=user, referral=referral, note=note
            )
        elif action == "decline":
            done = call_service(
                form,
                services.referral_decline,
                actor=user,
                referral=referral,
                reason=form.cleaned_data["decline_reason"],
                note=note,
            )
        else:
            done = call_service(
                form,
                services.referral_request_information,
                actor=user,
                referral=referral,
                question=note,
            )
        if done is not None or not form.errors:
            messages.success(request, "Decision recorded")
            return redirect(
                "referrals:detail", participant_uuid=participant.uuid, referral_uuid=referral.uuid
            )
    return _detail_with_errors(request, user, referral, triage_form=form)


@participant_route
@require_POST
def referral_information(
    request: HttpRequest, participant_uuid: uuid.UUID, referral_uuid: uuid.UUID
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    participant = get_participant_for(user, participant_uuid)
    referral = _referral(user, participant, referral_uuid)
    form = InformationForm(request.POST, prefix="info")
    if form.is_valid():
        call_service(
            form,
            services.referral_provide_information,
            actor=user,
            referral=referral,
            answer=form.cleaned_data["answer"],
        )
        if not form.errors:
            messages.success(request, "Information sent to the programme team")
            return redirect(
                "referrals:detail", participant_uuid=participant.uuid, referral_uuid=referral.uuid
            )
    return _detail_with_errors(request, user, referral, information_form=form)


@participant_route
@require_POST
def referral_close(
    request: HttpRequest, participant_uuid: uuid.UUID, referral_uuid: uuid.UUID
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    participant = get_participant_for(user, participant_uuid)
    referral = _referral(user, participant, referral_uuid)
    form = CloseForm(request.POST, prefix="close")
    if form.is_valid():
        call_service(
            form,
            services.referral_close,
            actor=user,
            referral=referral,
            reason=form.cleaned_data["reason"],
        )
        if not form.errors:
            messages.success(request, "Referral closed")
            return redirect(
                "referrals:detail", participant_uuid=participant.uuid, referral_uuid=referral.uuid
            )
    return _detail_with_errors(request, user, referral, close_form=form)


@participant_route
@require_http_methods(["GET", "POST"])
def referral_allocate(
    request: HttpRequest, participant_uuid: uuid.UUID, referral_uuid: uuid.UUID
) -> HttpResponse:
    """The ranked practitioners with the reasons for each place; confirm one (or reallocate)."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_role(Role.PROGRAMME_MANAGER):
        raise Http404("Page not found.")
    participant = get_participant_for(user, participant_uuid)
    referral = _referral(user, participant, referral_uuid)
    reallocating = referral.status == ReferralStatus.ALLOCATED
    # The ranking can be read at any stage; the buttons only once the referral is accepted.
    can_allocate = reallocating or can_transition(referral.status, ReferralStatus.ALLOCATED)
    form = AllocateForm(posted(request), reallocating=reallocating)
    if request.method == "POST" and form.is_valid():
        practitioner = Practitioner.objects.filter(uuid=form.cleaned_data["practitioner"]).first()
        current = referral.allocations.filter(ended_at__isnull=True).first()
        done: object = None
        if practitioner is None:
            form.add_error("practitioner", "Select a practitioner from the list")
        elif reallocating and current is not None:
            done = call_service(
                form,
                services.allocation_reallocate,
                actor=user,
                allocation=current,
                practitioner=practitioner,
                reason=form.cleaned_data["reason"],
            )
        else:
            done = call_service(
                form,
                services.allocation_confirm,
                actor=user,
                referral=referral,
                practitioner=practitioner,
            )
        if done is not None:
            messages.success(
                request, "Referral reallocated" if reallocating else "Practitioner allocated"
            )
            return redirect(
                "referrals:detail", participant_uuid=participant.uuid, referral_uuid=referral.uuid
            )
    ranked = services.referral_rank(referral, on=timezone.localdate())
    if reallocating:
        current = referral.allocations.filter(ended_at__isnull=True).first()
        if current is not None:
            ranked = [row for row in ranked if row.practitioner.id != current.practitioner_id]
    return render(
        request,
        "referrals/allocate.html",
        {
            "referral": referral,
            "participant": participant,
            "ranked": ranked,
            "reallocating": reallocating,
            "can_allocate": can_allocate,
            "is_final": referral.status in FINAL_STATUSES,
            "form": form,
            "posted_row": _posted_row(form, ranked) if can_allocate else "",
        },
        status=400 if request.method == "POST" else 200,
    )


def _posted_row(form: AllocateForm, ranked: list[RankedPractitioner]) -> str:
    """The uuid of the row whose form carries the posted values and errors (its inputs get the
    form's field ids, so the error summary links to them): the practitioner posted, or the
    first one who can be allocated when the posted one is not on the list."""
    if not form.is_bound:
        return ""
    rows = [row.practitioner.uuid for row in ranked if row.eligible]
    posted = str(form.cleaned_data.get("practitioner") or "")
    if posted in rows:
        return posted
    return rows[0] if rows else ""


@roles_required(Role.PROGRAMME_MANAGER)
@require_GET
def referral_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "referrals/queue.html",
        {
            "triage": selectors.triage_queue(request.user),
            "waiting": selectors.waiting_for_allocation(request.user),
        },
    )


@roles_required(Role.PROGRAMME_MANAGER)
@require_POST
def allocate_queue(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    allocations = services.allocate_queue(actor=user, on=timezone.localdate())
    left = selectors.unallocated_with_reasons(user, on=timezone.localdate())
    return render(
        request, "referrals/queue_result.html", {"allocations": allocations, "left": left}
    )
