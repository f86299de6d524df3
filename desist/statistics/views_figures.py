"""The "more figures" page: every figure table with its chart, definition and notes, as at a
chosen date. Counts only, after disclosure control: nothing here shows or links to a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from desist.accounts.constants import Role
from desist.accounts.decorators import roles_required
from desist.forms import DateInput, GovUKForm
from desist.statistics.charts import chart_svg
from desist.statistics.figures import all_figures
from desist.statistics.tables import PublishedTable


class FiguresForm(GovUKForm):
    as_at = forms.DateField(
        label="Figures correct as at",
        help_text="Events after this date are left out. For example, 2025-03-31.",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date the figures are correct as at",
            "invalid": "Enter a date in the format YYYY-MM-DD, for example 2025-03-31",
        },
    )

    def clean_as_at(self) -> dt.date:
        as_at: dt.date = self.cleaned_data["as_at"]
        if as_at > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past")
        return as_at


@dataclass(frozen=True)
class Figure:
    table: PublishedTable
    svg: SafeString


@roles_required(Role.ANALYST, Role.PROGRAMME_MANAGER)
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    asked = "as_at" in request.GET
    form = FiguresForm(request.GET if asked else {"as_at": today.isoformat()})
    shown: list[Figure] = []
    if form.is_valid():
        as_at: dt.date = form.cleaned_data["as_at"]
        # The SVG is made here by matplotlib from counts and fixed labels (text escaped).
        shown = [Figure(t, mark_safe(chart_svg(t))) for t in all_figures(as_at=as_at)]  # noqa: S308
    return render(request, "statistics/figures.html", {"form": form, "figures": shown})
