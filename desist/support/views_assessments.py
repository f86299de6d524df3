"""Pages for needs and strengths assessments, progress measures and progress charts.

Everything about one person sits under /participants/<participant_uuid>/support/: the gate is
passed first, through a support relationship (`access.SUPPORT_READERS` to read,
`SUPPORT_WRITERS` to record), so the police liaison, other providers and anyone without a
relationship get the same not-found as for a missing record. Every page of a person's record
is audited with the purpose given for the case. The caseload chart shows no names and is
audited as a list of the people whose records it summarises.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from desist.accounts.access import (
    SUPPORT_READERS,
    SUPPORT_WRITERS,
    get_participant_through,
    has_relationship,
)
from desist.accounts.constants import Role
from desist.accounts.decorators import participant_route, roles_required
from desist.accounts.models import User
from desist.pages import call_service, posted
from desist.pages import record_participant_view as _record_view
from desist.people.models import Participant
from desist.people.services import participants_record_list_view
from desist.support import charts, selectors_assessments, services_assessments
from desist.support.constants import InstrumentKind
from desist.support.forms_assessments import (
    AssessmentForm,
    MeasureForm,
    assessment_initial,
)
from desist.support.instruments import pathway_definitions
from desist.support.models import Assessment, Instrument, PathwayAssessment
from desist.support.selectors_assessments import (
    MeasureHistory,
    PathwayDistance,
    active_instrument,
    active_instruments,
    assessments_of,
    distance_travelled,
    measure_histories,
    need_label,
    pathway_label,
)

CASELOAD_PAGE_ROLES = (
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.PRACTITIONER,
)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _not_found() -> Http404:
    return Http404("Page not found.")


def _reader(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, SUPPORT_READERS)


def _writer(request: HttpRequest, participant_uuid: uuid.UUID) -> Participant:
    return get_participant_through(_user(request), participant_uuid, SUPPORT_WRITERS)


def _history(assessments: list[Assessment]) -> list[PathwayDistance]:
    """Distance travelled from assessments listed newest first (as the pages list them)."""
    return distance_travelled(
        (a.assessed_on, {p.pathway: p.need_level for p in a.pathways.all()})
        for a in reversed(assessments)
    )


def _need_chart(distances: list[PathwayDistance]) -> str | None:
    if not distances:
        return None
    return charts.need_chart(
        title="Level of need on each pathway: first and latest assessment",
        pathways=[d.label for d in distances],
        first=[d.first_score for d in distances],
        latest=[d.latest_score for d in distances],
        prefix="needs",
    )


@dataclass
class MeasurePanel:
    history: MeasureHistory
    chart: str

    @property
    def key(self) -> str:
        return self.history.key


def _measure_panels(participant: Participant) -> list[MeasurePanel]:
    panels = []
    for history in measure_histories(participant):
        ranges = [(item.low, item.high) for item in history.items] or [(0, 10)]
        panels.append(
            MeasurePanel(
                history=history,
                chart=charts.line_chart(
                    title=f"{history.title}: scores over time",
                    dates=history.dates,
                    series=history.series(),
                    y_min=min(low for low, _ in ranges),
                    y_max=max(high for _, high in ranges),
                    prefix=f"measure-{history.key}",
                ),
            )
        )
    return panels


# Needs and strengths assessments ------------------------------------------------------------


@participant_route
@require_GET
def assessments(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """The latest assessment in full, the history, and the distance travelled."""
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    history = list(assessments_of(participant))
    distances = _history(history)
    return render(
        request,
        "support/assessments.html",
        {
            "participant": participant,
            "latest": history[0] if history else None,
            "history": history,
            "distances": distances,
            "can_record": has_relationship(_user(request), participant, SUPPORT_WRITERS),
        },
    )


def _answer_rows(assessment: Assessment, entry: PathwayAssessment) -> list[tuple[str, str]]:
    """(question, answer in words) for one pathway, in the questionnaire's order."""
    definition = pathway_definitions(assessment.instrument.definition).get(entry.pathway, {})
    rows = []
    for question in definition.get("questions", []):
        value = entry.answers.get(question["key"])
        if value in (None, ""):
            continue
        if question["type"] == "yes_no":
            shown = "Yes" if value == "yes" else "No"
        elif question["type"] == "choice":
            labels = {option["value"]: option["label"] for option in question["options"]}
            shown = labels.get(value, str(value))
        else:
            shown = str(value)
        rows.append((question["text"], shown))
    return rows


@participant_route
@require_GET
def assessment_detail(
    request: HttpRequest, participant_uuid: uuid.UUID, assessment_uuid: uuid.UUID
) -> HttpResponse:
    participant = _reader(request, participant_uuid)
    assessment = assessments_of(participant).filter(uuid=assessment_uuid).first()
    if assessment is None:
        raise _not_found()
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    entries = [
        {
            "entry": entry,
            "label": pathway_label(entry.pathway),
            "need": need_label(entry.need_level),
            "answers": _answer_rows(assessment, entry),
        }
        for entry in assessment.pathways.all()
    ]
    return render(
        request,
        "support/assessment_detail.html",
        {"participant": participant, "assessment": assessment, "entries": entries},
    )


def _chosen_instrument(request: HttpRequest, kind: str) -> tuple[Instrument | None, list[Any]]:
    """The instrument named by ?instrument=KEY, or the only one offered; otherwise None and
    the instruments to choose from."""
    key = request.GET.get("instrument") or None
    instrument = active_instrument(kind, key)
    if instrument is not None:
        return instrument, []
    offered = active_instruments(kind)
    if key is not None or len(offered) < 2:
        raise _not_found()
    return None, offered


@participant_route
@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """Record an assessment or a reassessment (starting from the last one)."""
    user = _user(request)
    participant = _writer(request, participant_uuid)
    instrument, offered = _chosen_instrument(request, InstrumentKind.NEEDS_ASSESSMENT)
    if request.method == "GET":
        asked = _record_view(request, participant)
        if asked is not None:
            return asked
    if instrument is None:
        return render(
            request,
            "support/assessment_choose.html",
            {"participant": participant, "offered": offered},
        )
    previous = assessments_of(participant).first()
    initial = {"assessed_on": timezone.localdate(), **assessment_initial(previous, instrument)}
    form = AssessmentForm(posted(request), instrument=instrument, initial=initial)
    if request.method == "POST" and form.is_valid():
        recorded = call_service(
            form,
            services_assessments.assessment_record,
            aliases=form.aliases,
            actor=user,
            participant=participant,
            instrument=instrument,
            **form.service_arguments(),
        )
        if recorded is not None:
            messages.success(request, "Needs and strengths assessment recorded")
            return redirect("support:assessments", participant_uuid=participant.uuid)
    return render(
        request,
        "support/assessment_form.html",
        {
            "participant": participant,
            "form": form,
            "instrument": instrument,
            "reassessment": previous is not None,
        },
        status=400 if form.errors else 200,
    )


# Progress measures ----------------------------------------------------------------------------


@participant_route
@require_GET
def measures(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """Each measure's history, as a chart and a table."""
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    return render(
        request,
        "support/measures.html",
        {
            "participant": participant,
            "panels": _measure_panels(participant),
            "offered": active_instruments(InstrumentKind.MEASURE),
            "can_record": has_relationship(_user(request), participant, SUPPORT_WRITERS),
        },
    )


@participant_route
@require_http_methods(["GET", "POST"])
def measure_create(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    user = _user(request)
    participant = _writer(request, participant_uuid)
    instrument, offered = _chosen_instrument(request, InstrumentKind.MEASURE)
    if instrument is None:
        return render(
            request,
            "support/measure_choose.html",
            {"participant": participant, "offered": offered},
        )
    form = MeasureForm(
        posted(request), instrument=instrument, initial={"completed_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        recorded = call_service(
            form,
            services_assessments.measure_response_record,
            aliases=form.aliases,
            actor=user,
            participant=participant,
            instrument=instrument,
            **form.service_arguments(),
        )
        if recorded is not None:
            messages.success(request, f"{instrument.title} recorded")
            return redirect("support:measures", participant_uuid=participant.uuid)
    return render(
        request,
        "support/measure_form.html",
        {"participant": participant, "form": form, "instrument": instrument},
        status=400 if form.errors else 200,
    )


# Progress charts --------------------------------------------------------------------------------


@participant_route
@require_GET
def progress(request: HttpRequest, participant_uuid: uuid.UUID) -> HttpResponse:
    """One person's progress: need on each pathway, first against latest, and their measures
    over time."""
    participant = _reader(request, participant_uuid)
    asked = _record_view(request, participant)
    if asked is not None:
        return asked
    distances = _history(list(assessments_of(participant)))
    return render(
        request,
        "support/progress.html",
        {
            "participant": participant,
            "distances": distances,
            "need_chart": _need_chart(distances),
            "panels": _measure_panels(participant),
        },
    )


@roles_required(*CASELOAD_PAGE_ROLES)
@require_GET
def caseload_progress(request: HttpRequest) -> HttpResponse:
    """Means over the people whose support records the user may read, first against latest.
    No names; audited as a list of the people whose records the figures use."""
    user = _user(request)
    summary = selectors_assessments.caseload_progress(user)
    participants_record_list_view(
        actor=user, participants=summary.participants, context="support:caseload-progress"
    )
    need_chart = None
    if summary.needs:
        need_chart = charts.need_chart(
            title="Mean level of need on each pathway: first and latest assessment",
            pathways=[mean.label for mean in summary.needs],
            first=[mean.first_mean for mean in summary.needs],
            latest=[mean.latest_mean for mean in summary.needs],
            first_label="First assessment (mean)",
            latest_label="Latest assessment (mean)",
            prefix="caseload-needs",
        )
    measure_chart = None
    if summary.measures:
        high = max(mean.item.high for mean in summary.measures)
        measure_chart = charts.grouped_bar_chart(
            title=f"{summary.measure_title}: mean scores, first and latest",
            categories=[mean.item.chart_label for mean in summary.measures],
            series=[
                ("First response (mean)", [mean.first_mean for mean in summary.measures]),
                ("Latest response (mean)", [mean.latest_mean for mean in summary.measures]),
            ],
            x_max=high + 0.2,
            x_label="Mean score",
            prefix="caseload-measure",
        )
    return render(
        request,
        "support/progress_caseload.html",
        {"summary": summary, "need_chart": need_chart, "measure_chart": measure_chart},
    )
