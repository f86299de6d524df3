"""Release planning pages: the release plan and its checklist, appointments and contacts,
the handover to the community supervising officer, the exit passport (page and PDF), and the
countdown of releases.

Everything about one person sits under /participants/<participant_uuid>/: the gate is passed
first (`RELEASE_READERS` to read, `RELEASE_WRITERS` to change), then the plan, entry or
appointment is looked up within that participant, so a record of another participant is the
same not-found as a missing one. Every page that shows the record records the view with the
purpose given for the case in this session.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.access import (
    RELEASE_READERS,
    RELEASE_WRITERS,
    get_participant_through,
    has_relationship,
)
from desist.accounts.decorators import participant_route, participant_write_route, roles_required
from desist.accounts.models import User
from desist.pages import call_service, posted
from desist.people.models import Participant
from desist.people.services import participants_record_list_view
from desist.people.views import _purpose_for
from desist.support import selectors_release as selectors
from desist.support import services_release as services
from desist.support.constants import ChecklistItem
from desist.support.forms_release import (
    AppointmentForm,
    ChecklistEntryForm,
    ContactForm,
    HandoverForm,
    ReleasePlanForm,
)
from desist.support.models import Appointment, PassportContact, ReleaseChecklistEntry, ReleasePlan
from desist.support.passport import passport_for, passport_pdf


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _not_found() -> Http404:
    return Http404("Page not found.")


def _reader(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, RELEASE_READERS)


def _writer(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, RELEASE_WRITERS)


def _purpose_or_ask(request: HttpRequest, participant: Participant) -> str | HttpResponse:
    """The purpose given for this case in this session; without one, the redirect to the page
    that asks for it (and comes back here)."""
    purpose = _purpose_for(request, participant.uuid)
    if purpose is None:
        ask = reverse("people:purpose", kwargs={"participant_uuid": participant.uuid})
        return redirect(ask + "?" + urlencode({"next": request.path}))
    return purpose


def _record_view(
    request: HttpRequest, participant: Participant, document: str = "release_plan"
) -> HttpResponse | None:
    purpose = _purpose_or_ask(request, participant)
    if isinstance(purpose, HttpResponse):
        return purpose
    services.release_record_view(
        actor=_user(request), participant=participant, purpose=purpose, document=document
    )
    return None


def _plan(participant: Participant) -> ReleasePlan:
    plan = selectors.release_plan_of(participant)
    if plan is None:
        raise _not_found()
    return plan


def _run(service: Callable[..., None], **kwargs: Any) -> None:
    """A service without a form: a PermissionDenied is the same not-found as elsewhere."""
    try:
        service(**kwargs)
    except PermissionDenied:
        raise _not_found() from None


def _release_page(participant: Participant) -> HttpResponse:
    return redirect("support:release", participant_uuid=participant.uuid)


# The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    entry: ReleaseChecklistEntry
    overdue: bool


@participant_route
@require_GET
def release(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    user = _user(request)
    plan = selectors.release_plan_of(participant)
    today = timezone.localdate()
    rows: list[ChecklistRow] = []
    progress = None
    if plan is not None:
        entries = list(plan.checklist.all())
        rows = [
            ChecklistRow(entry=e, overdue=selectors.entry_overdue(e.status, e.due_on, today))
            for e in entries
        ]
        progress = selectors.progress_of(entries, today)
    release_date = participant.expected_release_date
    can_write = has_relationship(user, participant, RELEASE_WRITERS)
    return render(
        request,
        "support/release.html",
        {
            "participant": participant,
            "plan": plan,
            "in_custody": bool(participant.custody_establishment),
            "days_to_go": selectors.days_to_go(release_date, today) if release_date else None,
            "checklist": rows,
            "progress": progress,
            "conditions": services.condition_lines(plan.conditions_plain) if plan else [],
            "can_write": can_write,
            "can_hand_over": can_write and plan is not None and plan.handed_over_at is None,
        },
    )


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    if ReleasePlan.objects.filter(participant=participant).exists():
        return _release_page(participant)
    form = ReleasePlanForm(
        posted(request), initial={"expected_release_date": participant.expected_release_date}
    )
    if request.method == "POST" and form.is_valid():
        plan = call_service(
            form,
            services.release_plan_create,
            actor=_user(request),
            participant=participant,
            **form.cleaned_data,
        )
        if plan is not None:
            messages.success(request, "Release plan started, with the pre-release checklist")
            return _release_page(participant)
    elif request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    return render(
        request,
        "support/release_form.html",
        {"form": form, "participant": participant, "creating": True},
        status=400 if form.errors else 200,
    )


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_edit(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    form = ReleasePlanForm(
        posted(request),
        initial={
            "expected_release_date": participant.expected_release_date,
            "release_address_area": plan.release_address_area,
            "release_region": plan.release_region,
            "community_organisation": plan.community_organisation,
            "community_officer": plan.community_officer,
            "conditions_plain": plan.conditions_plain,
        },
    )
    if request.method == "POST" and form.is_valid():
        changes = call_service(
            form,
            services.release_plan_update,
            actor=_user(request),
            plan=plan,
            data=form.cleaned_data,
        )
        if changes is not None:
            messages.success(request, "Release plan saved" if changes else "No changes to save")
            return _release_page(participant)
    elif request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    return render(
        request,
        "support/release_form.html",
        {"form": form, "participant": participant, "plan": plan, "creating": False},
        status=400 if form.errors else 200,
    )


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_checklist(request: HttpRequest, participant_uuid: uuid.UUID, item: str) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    if item not in ChecklistItem.values:
        raise _not_found()
    plan = _plan(participant)
    entry = selectors.checklist_entry_of(plan, item)
    if entry is None:
        raise _not_found()
    form = ChecklistEntryForm(
        posted(request),
        initial={
            "status": entry.status,
            "owner": entry.owner,
            "due_on": entry.due_on,
            "note": entry.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        changes = call_service(
            form,
            services.release_checklist_update,
            actor=_user(request),
            entry=entry,
            data=form.cleaned_data,
        )
        if changes is not None:
            label = ChecklistItem(item).label
            messages.success(request, f"{label}: saved" if changes else "No changes to save")
            return _release_page(participant)
    return render(
        request,
        "support/release_checklist_form.html",
        {
            "form": form,
            "participant": participant,
            "entry": entry,
            "label": ChecklistItem(item).label,
        },
        status=400 if form.errors else 200,
    )


# Appointments and contacts -----------------------------------------------------------------


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_appointment_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    form = AppointmentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        # partial(): the form's "service" field would clash with call_service's own argument.
        create = partial(
            services.release_appointment_create,
            actor=_user(request),
            plan=plan,
            **form.cleaned_data,
        )
        appointment = call_service(form, create)
        if appointment is not None:
            messages.success(request, "Appointment added to the exit passport")
            return _release_page(participant)
    return render(
        request,
        "support/release_appointment_form.html",
        {"form": form, "participant": participant},
        status=400 if form.errors else 200,
    )


@participant_write_route
@require_POST
def release_appointment_delete(
    request: HttpRequest, participant_uuid: uuid.UUID, appointment_uuid: uuid.UUID
) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    appointment = Appointment.objects.filter(plan=plan, uuid=appointment_uuid).first()
    if appointment is None:
        raise _not_found()
    _run(services.release_appointment_delete, actor=_user(request), appointment=appointment)
    messages.success(request, "Appointment removed")
    return _release_page(participant)


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_contact_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    form = ContactForm(posted(request))
    if request.method == "POST" and form.is_valid():
        contact = call_service(
            form,
            services.release_contact_create,
            actor=_user(request),
            plan=plan,
            **form.cleaned_data,
        )
        if contact is not None:
            messages.success(request, "Contact added to the exit passport")
            return _release_page(participant)
    return render(
        request,
        "support/release_contact_form.html",
        {"form": form, "participant": participant},
        status=400 if form.errors else 200,
    )


@participant_write_route
@require_POST
def release_contact_delete(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """The contact is named in the form (its number within the plan), not in the address."""
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    key = request.POST.get("contact", "")
    contact = (
        PassportContact.objects.filter(plan=plan, pk=int(key)).first() if key.isdigit() else None
    )
    if contact is None:
        raise _not_found()
    _run(services.release_contact_delete, actor=_user(request), contact=contact)
    messages.success(request, "Contact removed")
    return _release_page(participant)


# Handover ----------------------------------------------------------------------------------


@participant_write_route
@require_http_methods(["GET", "POST"])
def release_handover(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _writer(request, participant_uuid)
    plan = _plan(participant)
    form = HandoverForm(posted(request))
    if request.method == "POST" and form.is_valid():
        done = call_service(form, services.release_plan_handover, actor=_user(request), plan=plan)
        if done is not None:
            organisation = plan.community_organisation
            messages.success(
                request,
                f"Handed over to {organisation.name if organisation else 'the community'}. "
                "The new supervising officer has been told.",
            )
            return _release_page(participant)
    return render(
        request,
        "support/release_handover.html",
        {"form": form, "participant": participant, "plan": plan},
        status=400 if form.errors else 200,
    )


# The exit passport -------------------------------------------------------------------------


@participant_route
@require_GET
def passport(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant, document="exit_passport_page")
    if asked is not None:
        return asked
    return render(
        request,
        "support/passport.html",
        {"participant": participant, "passport": passport_for(participant)},
    )


def passport_filename(reference: str) -> str:
    """exit-passport-<programme reference>.pdf: the reference only, never a name."""
    return "exit-passport-" + re.sub(r"[^A-Za-z0-9_-]+", "-", reference).strip("-") + ".pdf"


@participant_route
@require_GET
def passport_pdf_download(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant, document="exit_passport_pdf")
    if asked is not None:
        return asked
    response = HttpResponse(passport_pdf(passport_for(participant)), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{passport_filename(participant.reference)}"'
    )
    response["Cache-Control"] = "no-store"
    return response


# The countdown -----------------------------------------------------------------------------


@roles_required(*selectors.COUNTDOWN_ROLES)
@require_GET
def releases(request: HttpRequest) -> HttpResponse:
    """Participants the user may see who leave custody in the next 12 weeks, the next 4
    weeks first, with how far their pre-release checklist has got."""
    user = _user(request)
    today = timezone.localdate()
    rows = selectors.releases_for(user, today=today)
    participants_record_list_view(
        actor=user, participants=[row.participant for row in rows], context="releases"
    )
    soon = [row for row in rows if selectors.within(row.days_to_go, selectors.SOON_DAYS)]
    later = [row for row in rows if not selectors.within(row.days_to_go, selectors.SOON_DAYS)]
    return render(
        request,
        "support/releases.html",
        {
            "soon": soon,
            "later": later,
            "total": len(rows),
            "today": today,
            "soon_weeks": selectors.SOON_DAYS // 7,
            "horizon_weeks": selectors.HORIZON_DAYS // 7,
        },
    )
