"""Programme statistics pages, for analysts and the programme team. Counts only, after
disclosure control: nothing here shows or links to a person's record.

A programme manager may ask for the figures before disclosure control ("unpublished"); every
such output is marked "Not for publication" and the request is audited (counts and parameters
only). Anyone else asking for them is refused with a form error.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.statistics import exports
from desist.statistics.forms import ActiveParticipantsForm
from desist.statistics.selectors import (
    active_participants_table,
    may_see_unpublished,
)
from desist.statistics.services import audit_unpublished_request

DOWNLOAD_FORMATS = ("csv", "xlsx", "ods")


@roles_required(Role.ANALYST, Role.PROGRAMME_MANAGER)
@require_GET
def active_participants(request: HttpRequest) -> HttpResponse:
    asked = "as_at" in request.GET
    user = request.user
    allowed = may_see_unpublished(user)
    form = ActiveParticipantsForm(
        request.GET if asked else None,
        initial={"as_at": timezone.localdate(), "by": ""},
        allow_unpublished=allowed,
    )
    table = None
    download = request.GET.get("download", "")
    if asked and form.is_valid():
        unpublished = bool(form.cleaned_data.get("unpublished"))
        if download in DOWNLOAD_FORMATS and unpublished:
            # CSV cannot carry the "Not for publication" mark: the page is shown instead.
            download = download if download in exports.UNPUBLISHED_FORMATS else ""
        table = active_participants_table(
            as_at=form.cleaned_data["as_at"], by=form.cleaned_data["by"], unpublished=unpublished
        )
        if unpublished:
            audit_unpublished_request(
                actor=user if isinstance(user, User) else None,
                channel="page",
                as_at=table.as_at,
                by=table.by,
                format=download if download in DOWNLOAD_FORMATS else "page",
                table=table,
            )
        if download in DOWNLOAD_FORMATS:
            content_type, _ = exports.DOWNLOADS[download]
            response = HttpResponse(exports.render(table, download), content_type=content_type)
            response["Content-Disposition"] = (
                f'attachment; filename="{exports.filename(table, download)}"'
            )
            return response
    elif asked and form.refused_unpublished:
        audit_unpublished_request(
            actor=user if isinstance(user, User) else None,
            channel="page",
            as_at=form.cleaned_data.get("as_at") or timezone.localdate(),
            by=str(form.cleaned_data.get("by") or ""),
            format=download or "page",
            table=None,
        )
    query = request.GET.copy()
    query.pop("download", None)
    formats = [
        fmt
        for fmt in DOWNLOAD_FORMATS
        if not (table and table.unpublished) or fmt in exports.UNPUBLISHED_FORMATS
    ]
    return render(
        request,
        "statistics/active_participants.html",
        {
            "form": form,
            "table": table,
            "rows": exports.rows(table) if table else [],
            "downloads": [(fmt.upper(), f"?{query.urlencode()}&download={fmt}") for fmt in formats],
            "perms_duplicates": request.user.has_role(Role.PROGRAMME_MANAGER),  # type: ignore[union-attr]
        },
    )
