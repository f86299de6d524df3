"""The form that starts a proven reoffending run: where the index events come from (a file, or
the programme's participants), the offences file, and the options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from desist.accounts.models import User
from desist.evaluation import services
from desist.evaluation.constants import (
    BREAKDOWN_LABELS,
    JURISDICTION_LABELS,
    IndexSource,
    LinkedBy,
)
from desist.evaluation.linkage import may_link_by
from desist.forms import DateInput, GovUKForm, add_service_errors
from desist_analytics import ReoffendingOptions

DATE_ERRORS = {
    "invalid": "Enter a date in the format YYYY-MM-DD, for example 2020-12-31",
}
OPTION_FIELDS = (
    "cohort_start",
    "cohort_end",
    "extract_date",
    "jurisdiction",
    "follow_up_months",
    "waiting_months",
    "by",
)


def _date(label: str, help_text: str, required: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=DateInput(),
        error_messages={"required": required, **DATE_ERRORS},
    )


class UploadsForm(GovUKForm):
    """A form with file uploads (`UPLOADS`): GOV.UK file inputs for CSV and Parquet, and each
    upload checked as the services check it (kind, size, empty)."""

    UPLOADS: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.UPLOADS:
            self.fields[name].widget.attrs["class"] = "govuk-file-upload"
            self.fields[name].widget.attrs["accept"] = ".csv,.parquet"

    def _upload(self, name: str) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data[name]
        if problems := services.upload_errors(upload):
            raise forms.ValidationError(problems[0])
        return upload


class ReoffendingRunForm(UploadsForm):
    index_source = forms.ChoiceField(
        label="Index events",
        help_text="The programme's participants: each one's release from custody (licence "
        "start, or the end of a custodial sentence) or community order start, from their "
        "legal bases.",
        choices=IndexSource.choices,
        initial=IndexSource.FILE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the index events come from"},
    )
    index_events_file = forms.FileField(
        label="Index events file",
        help_text="Only when the index events come from a file. CSV (.csv) or Parquet "
        "(.parquet), up to 200 MB. Columns person_id, event_type, event_date, date_of_birth "
        "and sex; offence_group and previous_offences if you have them.",
        required=False,
    )
    offences_file = forms.FileField(
        label="Offences file",
        help_text="CSV (.csv) or Parquet (.parquet), up to 200 MB. Columns person_id, "
        "offence_date, disposal_date, disposal_type and is_breach.",
        error_messages={"required": "Choose the offences file"},
    )
    linked_by = forms.ChoiceField(
        label="In a run on the participants, the offences file's person_id is the",
        help_text="Offences of anyone who is not a participant are left out and counted.",
        choices=[(LinkedBy.PSEUDONYM.value, LinkedBy.PSEUDONYM.label)],
        initial=LinkedBy.PSEUDONYM,
        widget=forms.RadioSelect,
        required=False,
    )
    cohort_start = _date(
        "Cohort start",
        "The first index date in the cohort. For example, 2020-01-01.",
        "Enter the date the cohort starts",
    )
    cohort_end = _date(
        "Cohort end",
        "The last index date in the cohort (12 months is usual, 3 also). For example, 2020-12-31.",
        "Enter the date the cohort ends",
    )
    extract_date = _date(
        "Data extract date",
        "The date the data was extracted: on or after the end of the follow-up and waiting "
        "period of someone whose index date is the last day of the cohort.",
        "Enter the date of the data extract",
    )
    jurisdiction = forms.ChoiceField(
        label="Jurisdiction",
        help_text="Which index events and disposals count, and the age bands.",
        choices=[(code, JURISDICTION_LABELS[code]) for code in ReoffendingOptions.JURISDICTIONS],
        initial="ew",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the jurisdiction"},
    )
    follow_up_months = forms.IntegerField(
        label="Follow-up (months)",
        min_value=1,
        max_value=120,
        initial=12,
        error_messages={
            "required": "Enter the length of the follow-up in months",
            "invalid": "Enter the follow-up as a whole number of months",
            "min_value": "The follow-up must be at least 1 month",
            "max_value": "The follow-up must be 120 months or fewer",
        },
    )
    waiting_months = forms.IntegerField(
        label="Waiting period (months)",
        help_text="Time after the follow-up for an offence to be proven by a court or caution.",
        min_value=0,
        max_value=120,
        initial=6,
        error_messages={
            "required": "Enter the length of the waiting period in months",
            "invalid": "Enter the waiting period as a whole number of months",
            "min_value": "The waiting period cannot be negative",
            "max_value": "The waiting period must be 120 months or fewer",
        },
    )
    by = forms.MultipleChoiceField(
        label="Breakdowns",
        help_text="A table for each, with a chart of the reoffending rate.",
        choices=[(code, BREAKDOWN_LABELS[code]) for code in ReoffendingOptions.BREAKDOWNS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_breaches = forms.BooleanField(
        label="Count breaches of orders and licences",
        help_text="Left out by default.",
        required=False,
    )
    include_penalty_notices = forms.BooleanField(
        label="Count offences proven by a penalty notice",
        help_text="Left out by default.",
        required=False,
    )

    UPLOADS = ("index_events_file", "offences_file")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        linked_by: Any = self.fields["linked_by"]
        linked_by.choices = [(c, label) for c, label in LinkedBy.choices if may_link_by(user, c)]

    def clean_index_events_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("index_events_file")
        if self.data.get("index_source") == IndexSource.PARTICIPANTS:
            return upload  # the service says it is not wanted
        if upload is None:
            raise forms.ValidationError("Choose the index events file")
        return self._upload("index_events_file")

    def clean_offences_file(self) -> UploadedFile:
        return self._upload("offences_file")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if any(name in self.errors for name in OPTION_FIELDS):
            return cleaned  # put those right first: the options cannot be checked without them
        chosen = set(cleaned.get("by") or ())
        try:
            cleaned["options"] = services.reoffending_options(
                {
                    "cohort_start": cleaned["cohort_start"],
                    "cohort_end": cleaned["cohort_end"],
                    "extract_date": cleaned["extract_date"],
                    "jurisdiction": cleaned["jurisdiction"],
                    "follow_up_months": cleaned["follow_up_months"],
                    "waiting_months": cleaned["waiting_months"],
                    "by": tuple(b for b in ReoffendingOptions.BREAKDOWNS if b in chosen),
                    "exclude_breaches": not cleaned.get("include_breaches"),
                    "exclude_penalty_notices": not cleaned.get("include_penalty_notices"),
                }
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned
