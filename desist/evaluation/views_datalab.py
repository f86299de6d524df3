"""The analyst pages for Data Lab evaluations (METHODS.md section 4): a list, a form to start
one, one evaluation (its progress while the background task works, then its results after
disclosure control), and its downloads: the report as HTML and PDF, and the figures as JSON.

Analysts and programme managers only; everyone else gets the same 404 as a missing page.
Evaluations are aggregate statistics, so every analyst and programme manager sees every one.
Each download is audited.
"""

from __future__ import annotations

import json
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from desist.accounts.decorators import roles_required
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.evaluation import datalab, services_datalab
from desist.evaluation.constants import RunStatus, TreatmentSource
from desist.evaluation.forms_datalab import DataLabRunForm
from desist.evaluation.models import EvaluationRun
from desist.evaluation.views import READERS, _user
from desist.pages import call_service, posted

ENTITY = "evaluation.evaluationrun"
DOWNLOADS = ("html", "pdf", "json")


def _run(run_uuid: uuid.UUID, *, done: bool = False) -> EvaluationRun:
    runs = EvaluationRun.objects.without_files().select_related("created_by")
    if done:
        runs = runs.filter(status=RunStatus.DONE)
    return get_object_or_404(runs, uuid=run_uuid)


def _source(run: EvaluationRun) -> str:
    if run.treatment_source == TreatmentSource.PARTICIPANTS:
        treated = f"the programme's participants chosen, with their data in {run.treatment_name}"
    else:
        treated = f"everyone in {run.treatment_name}"
    return f"treatment group: {treated}; comparison pool: {run.comparison_name}"


def _choice_text(run: EvaluationRun) -> str:
    choice = run.participants or {}
    parts = []
    if choice.get("strands"):
        parts.append("strands " + ", ".join(choice["strands"]))
    if choice.get("statuses"):
        parts.append("status " + ", ".join(choice["statuses"]))
    if choice.get("referred_from"):
        parts.append(f"referred from {choice['referred_from']}")
    if choice.get("referred_to"):
        parts.append(f"referred to {choice['referred_to']}")
    return "; ".join(parts) or "every participant"


@roles_required(*READERS)
@require_GET
def datalab_list(request: HttpRequest) -> HttpResponse:
    runs = EvaluationRun.objects.without_files().select_related("created_by")
    return render(request, "evaluation/datalab_list.html", {"runs": runs})


@roles_required(*READERS)
@require_http_methods(["GET", "POST"])
def datalab_new(request: HttpRequest) -> HttpResponse:
    data = posted(request)
    form = DataLabRunForm(data, request.FILES if data is not None else None)
    if request.method == "POST" and form.is_valid():
        run = call_service(
            form,
            services_datalab.datalab_run_create,
            actor=_user(request),
            title=form.cleaned_data["title"],
            treatment_source=form.cleaned_data["treatment_source"],
            participants=form.participants(),
            treatment_file=form.cleaned_data["treatment_file"],
            comparison_file=form.cleaned_data["comparison_file"],
            options=form.cleaned_data["options"],
        )
        if run is not None:
            return redirect("evaluation:datalab_detail", run_uuid=run.uuid)
    return render(request, "evaluation/datalab_form.html", {"form": form})


@roles_required(*READERS)
@require_GET
def datalab_detail(request: HttpRequest, run_uuid: uuid.UUID) -> HttpResponse:
    run = _run(run_uuid)
    context: dict[str, object] = {
        "run": run,
        "choice": _choice_text(run),
        "linkage": run.linkage,
    }
    if run.is_done and run.result is not None:
        context["report"] = datalab.report_context(
            run.result, title=run.title, source=_source(run), made=run.finished_at
        )
    return render(request, "evaluation/datalab_detail.html", context)


def _download(request: HttpRequest, run: EvaluationRun, what: str) -> None:
    audit_record(
        actor=_user(request),
        action=Action.EXPORT,
        entity=ENTITY,
        entity_id=str(run.pk),
        changes={"download": what},
    )


@roles_required(*READERS)
@require_GET
def datalab_report(request: HttpRequest, run_uuid: uuid.UUID, kind: str) -> HttpResponse:
    if kind not in DOWNLOADS:
        raise Http404("No such download.")
    run = _run(run_uuid, done=True)
    if run.result is None:
        raise Http404("No such download.")
    name = f"data-lab-evaluation-{run.uuid}"
    if kind == "pdf":
        response = HttpResponse(
            datalab.report_pdf(
                run.result, title=run.title, source=_source(run), made=run.finished_at
            ),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    elif kind == "html":
        response = HttpResponse(
            datalab.report_html(
                run.result, title=run.title, source=_source(run), made=run.finished_at
            ),
            content_type="text/html; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.html"'
    else:
        document = {
            "title": run.title,
            "inputs": {
                "treatment_file": run.treatment_name,
                "treatment_sha256": run.treatment_sha256,
                "comparison_file": run.comparison_name,
                "comparison_sha256": run.comparison_sha256,
                "treatment_source": run.treatment_source,
                "participants": run.participants,
            },
            "linkage": run.linkage,
            "result": run.result,
        }
        response = HttpResponse(
            json.dumps(document, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    _download(request, run, kind)
    return response
