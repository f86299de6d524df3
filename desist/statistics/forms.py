from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from desist.forms import DateInput, GovUKForm
from desist.statistics.constants import Breakdown


class ActiveParticipantsForm(GovUKForm):
    as_at = forms.DateField(
        label="Figures correct as at",
        help_text="Sessions after this date are left out. For example, 2024-03-31.",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date the figures are correct as at",
            "invalid": "Enter a date in the format YYYY-MM-DD, for example 2024-03-31",
        },
    )
    by = forms.ChoiceField(
        label="Break down by",
        choices=[("", "No breakdown"), *Breakdown.choices],
        required=False,
    )

    def clean_as_at(self) -> dt.date:
        as_at: dt.date = self.cleaned_data["as_at"]
        if as_at > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past")
        return as_at
