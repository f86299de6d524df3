"""Programme statistics pages, for analysts and the programme team. Counts only, after
disclosure control: nothing here shows or links to a person's record."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.statistics import exports
from desist.statistics.forms import ActiveParticipantsForm
from desist.statistics.selectors import active_participants_table

DOWNLOAD_FORMATS = ("csv", "xlsx", "ods")


@roles_required(Role.ANALYST, Role.PROGRAMME_MANAGER)
@require_GET
def active_participants(request: HttpRequest) -> HttpResponse:
    asked = "as_at" in request.GET
    form = ActiveParticipantsForm(
        request.GET if asked else None,
        initial={"as_at": timezone.localdate(), "by": ""},
    )
    table = None
    if asked and form.is_valid():
        table = active_participants_table(
            as_at=form.cleaned_data["as_at"], by=form.cleaned_data["by"]
        )
        download = request.GET.get("download", "")
        if download in DOWNLOAD_FORMATS:
            content_type, _ = exports.DOWNLOADS[download]
            response = HttpResponse(exports.render(table, download), content_type=content_type)
            response["Content-Disposition"] = (
                f'attachment; filename="{exports.filename(table, download)}"'
            )
            return response
    query = request.GET.copy()
    query.pop("download", None)
    return render(
        request,
        "statistics/active_participants.html",
        {
            "form": form,
            "table": table,
            "rows": exports.rows(table) if table else [],
            "downloads": [
                (fmt.upper(), f"?{query.urlencode()}&download={fmt}") for fmt in DOWNLOAD_FORMATS
            ],
            "perms_duplicates": request.user.has_role(Role.PROGRAMME_MANAGER),  # type: ignore[union-attr]
        },
    )
