"""Suspected duplicate records: a programme manager confirms them as the same person (merge)
or as different people. Merging keeps both records and their history; it is a recorded
decision that statistics count them once (see desist.people.duplicates)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from desist.accounts.access import get_participant_for, participants_for
from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.forms import GovUKForm
from desist.pages import call_service
from desist.people import services
from desist.people.duplicates import (
    RULE_LABELS,
    conflicting_distinct_pairs,
    duplicate_links,
    suspected_pairs,
)
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind
from desist.people.services_duplicates import (
    REASON_MAX_LENGTH,
    duplicates_mark_distinct,
    duplicates_merge,
)

PAGE_SIZE = 25


class DuplicateDecisionForm(GovUKForm):
    first = forms.UUIDField(widget=forms.HiddenInput)
    second = forms.UUIDField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=DuplicateDecisionKind.choices,
        error_messages={"required": "Choose same person or different people"},
    )
    reason = forms.CharField(
        label="Why?",
        help_text="For example, which documents or colleagues confirmed it.",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter why you made this decision"},
    )


def _auto_id(first: object, second: object) -> str:
    return f"pair-{first}-{second}-%s"


def _posted_auto_id(data: Any) -> str:
    try:
        return _auto_id(uuid.UUID(str(data.get("first"))), uuid.UUID(str(data.get("second"))))
    except ValueError:
        return "pair-%s"


@dataclass
class PairRow:
    first: Participant
    second: Participant
    reasons: list[str]
    form: DuplicateDecisionForm
    decision: DuplicateDecision | None = None


def _form_for(
    first: Participant, second: Participant, bound: DuplicateDecisionForm | None
) -> DuplicateDecisionForm:
    if (
        bound is not None
        and bound.data.get("first") == str(first.uuid)
        and bound.data.get("second") == str(second.uuid)
    ):
        return bound
    return DuplicateDecisionForm(
        initial={"first": first.uuid, "second": second.uuid},
        auto_id=_auto_id(first.uuid, second.uuid),
    )


def _decide(request: HttpRequest, actor: User) -> tuple[HttpResponse | None, DuplicateDecisionForm]:
    form = DuplicateDecisionForm(request.POST, auto_id=_posted_auto_id(request.POST))
    if not form.is_valid():
        return None, form
    first = get_participant_for(actor, form.cleaned_data["first"])
    second = get_participant_for(actor, form.cleaned_data["second"])
    same = form.cleaned_data["decision"] == DuplicateDecisionKind.SAME_PERSON
    decided = call_service(
        form,
        duplicates_merge if same else duplicates_mark_distinct,
        actor=actor,
        first=first,
        second=second,
        reason=form.cleaned_data["reason"],
    )
    if decided is None:
        return None, form
    messages.success(
        request,
        f"{first.reference} and {second.reference} recorded as "
        + ("the same person" if same else "different people"),
    )
    return redirect(request.get_full_path()), form


@roles_required(Role.PROGRAMME_MANAGER)
@require_http_methods(["GET", "POST"])
def duplicates(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    bound: DuplicateDecisionForm | None = None
    if request.method == "POST":
        response, bound = _decide(request, actor)
        if response is not None:
            return response

    links = duplicate_links()
    suspected = Paginator(suspected_pairs(links=links), PAGE_SIZE).get_page(request.GET.get("page"))
    decided = Paginator(
        DuplicateDecision.objects.select_related("decided_by").order_by("-decided_at", "-id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("decided_page"))
    decided_list = list(decided.object_list)

    wanted = {pk for pair in suspected.object_list for pk in (pair.first_id, pair.second_id)}
    wanted |= {pk for d in decided_list for pk in (d.first_id, d.second_id)}
    shown = {p.pk: p for p in participants_for(actor).filter(pk__in=wanted)}

    suspected_rows = [
        PairRow(
            shown[pair.first_id],
            shown[pair.second_id],
            pair.reasons,
            _form_for(shown[pair.first_id], shown[pair.second_id], bound),
        )
        for pair in suspected.object_list
        if pair.first_id in shown and pair.second_id in shown
    ]
    decided_rows = [
        PairRow(
            shown[d.first_id],
            shown[d.second_id],
            [],
            _form_for(shown[d.first_id], shown[d.second_id], bound),
            decision=d,
        )
        for d in decided_list
        if d.first_id in shown and d.second_id in shown
    ]
    services.participants_record_list_view(
        actor=actor,
        participants=[shown[pk] for pk in sorted(shown)],
        context="duplicates",
    )
    conflicts = conflicting_distinct_pairs(links=links)
    return render(
        request,
        "people/duplicates.html",
        {
            "form": bound,
            "suspected": suspected,
            "suspected_rows": suspected_rows,
            "decided": decided,
            "decided_rows": decided_rows,
            "conflict_count": len(conflicts),
            "rule_labels": RULE_LABELS,
            "same_person": DuplicateDecisionKind.SAME_PERSON,
            "distinct": DuplicateDecisionKind.DISTINCT,
        },
    )
