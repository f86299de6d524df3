"""Statistics releases: the list, a new release (programme managers), one release with its
tables, notes, checksum and downloads, and publishing (programme managers). Counts only,
after disclosure control: nothing here shows or links to a person's record."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.accounts.models import User
from desist.forms import DateInput, GovUKForm
from desist.pages import call_service, posted
from desist.statistics import exports_gss, releases, services_releases
from desist.statistics.models import StatisticsRelease

READERS = (Role.ANALYST, Role.PROGRAMME_MANAGER)


class ReleaseForm(GovUKForm):
    title = forms.CharField(
        label="Title",
        max_length=services_releases.TITLE_MAX,
        help_text="For example, Programme statistics to 31 March 2025.",
        error_messages={"required": "Enter a title for the release"},
    )
    as_at = forms.DateField(
        label="Figures correct as at",
        help_text="Sessions and records after this date are left out. For example, 2025-03-31.",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date the figures are correct as at",
            "invalid": "Enter a date in the format YYYY-MM-DD, for example 2025-03-31",
        },
    )

    def clean_as_at(self) -> dt.date:
        as_at: dt.date = self.cleaned_data["as_at"]
        if problems := services_releases.release_as_at_errors(as_at, timezone.localdate()):
            raise forms.ValidationError(problems[0])
        return as_at


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _release(release_uuid: uuid.UUID) -> StatisticsRelease:
    return get_object_or_404(StatisticsRelease, uuid=release_uuid)


@roles_required(*READERS)
@require_GET
def release_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "statistics/release_list.html",
        {
            "releases": StatisticsRelease.objects.all(),
            "may_manage": services_releases.may_manage_releases(_user(request)),
        },
    )


@roles_required(Role.PROGRAMME_MANAGER)
@require_http_methods(["GET", "POST"])
def release_new(request: HttpRequest) -> HttpResponse:
    form = ReleaseForm(posted(request), initial={"as_at": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        release = call_service(
            form,
            services_releases.release_create,
            actor=_user(request),
            title=form.cleaned_data["title"],
            as_at=form.cleaned_data["as_at"],
        )
        if release is not None:
            return redirect("statistics:release_detail", release_uuid=release.uuid)
    return render(request, "statistics/release_form.html", {"form": form})


@roles_required(*READERS)
@require_GET
def release_detail(request: HttpRequest, release_uuid: uuid.UUID) -> HttpResponse:
    release = _release(release_uuid)
    wants_check = "verify" in request.GET and release.is_built
    verified = services_releases.release_verify(release) if wants_check else None
    return render(
        request,
        "statistics/release_detail.html",
        {
            "release": release,
            "tables": releases.tables_from_json(release.tables),
            "symbols": exports_gss.symbols_note(),
            "downloads": [
                (name.upper(), exports_gss.DOWNLOADS[name][0]) for name in exports_gss.DOWNLOADS
            ]
            if release.is_built
            else [],
            "may_manage": services_releases.may_manage_releases(_user(request)),
            "verified": verified,
        },
    )


@roles_required(Role.PROGRAMME_MANAGER)
@require_POST
def release_publish(request: HttpRequest, release_uuid: uuid.UUID) -> HttpResponse:
    release = _release(release_uuid)
    form = GovUKForm(request.POST)
    published = call_service(
        form, services_releases.release_publish, actor=_user(request), release=release
    )
    if published is None:
        return render(
            request,
            "statistics/release_detail.html",
            {
                "release": release,
                "tables": releases.tables_from_json(release.tables),
                "symbols": exports_gss.symbols_note(),
                "downloads": [],
                "may_manage": True,
                "verified": None,
                "form": form,
            },
            status=400,
        )
    return redirect("statistics:release_detail", release_uuid=release.uuid)


@roles_required(*READERS)
@require_GET
def release_download(
    request: HttpRequest, release_uuid: uuid.UUID, file_format: str
) -> HttpResponse:
    release = _release(release_uuid)
    if file_format not in exports_gss.DOWNLOADS or not release.is_built:
        raise Http404("Page not found.")
    document = releases.document_for(release)
    _, content_type, write = exports_gss.DOWNLOADS[file_format]
    response = HttpResponse(write(document), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports_gss.filename(document, file_format)}"'
    )
    return response
