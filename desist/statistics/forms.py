from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from desist.forms import DateInput, GovUKForm
from desist.statistics.constants import Breakdown

UNPUBLISHED_REFUSED = (
    "Only programme managers can see figures before disclosure control. Untick this box to see "
    "the published figures"
)


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
    unpublished = forms.BooleanField(
        label="Show figures before disclosure control (not for publication)",
        help_text=(
            "Exact counts, including small ones, for use inside the programme only. Every copy "
            "is marked 'Not for publication' and your request is recorded."
        ),
        required=False,
    )

    def __init__(self, *args: Any, allow_unpublished: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_unpublished = allow_unpublished
        self.refused_unpublished = False
        # Only programme managers are offered the box; anyone else who sends it anyway sees
        # it again, with the error.
        if not allow_unpublished and not (self.data and self.data.get("unpublished")):
            del self.fields["unpublished"]

    def clean_as_at(self) -> dt.date:
        as_at: dt.date = self.cleaned_data["as_at"]
        if as_at > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past")
        return as_at

    def clean_unpublished(self) -> bool:
        unpublished: bool = self.cleaned_data.get("unpublished", False)
        if unpublished and not self.allow_unpublished:
            self.refused_unpublished = True
            raise forms.ValidationError(UNPUBLISHED_REFUSED)
        return unpublished
