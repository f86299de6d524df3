"""The form that starts a Data Lab evaluation: what is evaluated, the treatment group (a file,
or participants chosen by strand, status and referral date, with their linked data), the
comparison pool, and the matching options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from desist.evaluation import services_datalab
from desist.evaluation.constants import TreatmentSource
from desist.evaluation.forms import UploadsForm
from desist.forms import DateInput, add_service_errors
from desist.people.constants import Status, Strand
from desist_analytics import EvaluationOptions

FILE_HELP = "CSV (.csv) or Parquet (.parquet), up to 200 MB, one row per person."
ORDER_LABELS = {
    "largest": "Highest propensity score first (the usual choice)",
    "smallest": "Lowest propensity score first",
    "data": "The order of the files",
}
SE_LABELS = {
    "cluster": "Pair-clustered (a regression with errors clustered on matched sets)",
    "two-sample": "Two-sample, as in published Data Lab reports",
}
OPTION_FIELDS = (
    "covariates",
    "outcomes",
    "exact",
    "ratio",
    "caliper",
    "order",
    "se",
    "min_treated",
)


def columns(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


class DataLabRunForm(UploadsForm):
    title = forms.CharField(
        label="What is being evaluated",
        help_text="For example, Mentoring programme 2024 to 2025. It is the report's title.",
        max_length=120,
        error_messages={"required": "Enter what is being evaluated"},
    )
    treatment_source = forms.ChoiceField(
        label="Treatment group",
        choices=TreatmentSource.choices,
        initial=TreatmentSource.FILE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the treatment group comes from"},
    )
    strands = forms.MultipleChoiceField(
        label="Participants on these strands",
        help_text="Only for a treatment group of participants. None ticked: every strand.",
        choices=Strand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    statuses = forms.MultipleChoiceField(
        label="With these statuses",
        help_text="None ticked: any status.",
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    referred_from = forms.DateField(
        label="Referred on or after",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter a date in the format YYYY-MM-DD"},
    )
    referred_to = forms.DateField(
        label="Referred on or before",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter a date in the format YYYY-MM-DD"},
    )
    treatment_file = forms.FileField(
        label="Treatment group data",
        help_text=f"{FILE_HELP} The covariates and outcomes of the treatment group. For "
        "participants, a person_id column holds each one's pseudonym; rows of anyone not "
        "chosen are left out.",
        error_messages={"required": "Choose the treatment group's data file"},
    )
    comparison_file = forms.FileField(
        label="Comparison pool",
        help_text=f"{FILE_HELP} The same columns, for people who did not take part. With a "
        "person_id column, any participant of the programme in it is left out.",
        error_messages={"required": "Choose the comparison pool file"},
    )
    covariates = forms.CharField(
        label="Covariates",
        help_text="Column names separated by commas, for example age,sex,previous_offences. "
        "Text columns are treated as categories.",
        error_messages={"required": "Enter the covariates to match on"},
    )
    outcomes = forms.CharField(
        label="Outcomes",
        help_text="Column names separated by commas: 0/1, counts or measurements, for "
        "example reoffended_1y.",
        error_messages={"required": "Enter at least one outcome"},
    )
    exact = forms.CharField(
        label="Match exactly on (optional)",
        help_text="Column names separated by commas.",
        required=False,
    )
    ratio = forms.IntegerField(
        label="Comparison people for each treated person",
        min_value=1,
        max_value=10,
        initial=1,
        error_messages={"required": "Enter how many comparison people to match to each"},
    )
    replace = forms.BooleanField(
        label="Match with replacement (a comparison person can be matched more than once)",
        required=False,
    )
    caliper = forms.FloatField(
        label="Caliper, in standard deviations of the score (optional)",
        help_text="For example 0.2. Leave empty for none.",
        required=False,
        min_value=0.0001,
        error_messages={"min_value": "The caliper must be more than 0"},
    )
    order = forms.ChoiceField(
        label="Order of matching",
        choices=[(code, ORDER_LABELS[code]) for code in EvaluationOptions.ORDERS],
        initial="largest",
        widget=forms.RadioSelect,
    )
    se = forms.ChoiceField(
        label="Standard errors",
        choices=[(code, SE_LABELS[code]) for code in EvaluationOptions.SE_KINDS],
        initial="cluster",
        widget=forms.RadioSelect,
    )
    min_treated = forms.IntegerField(
        label="Fewest treated people to evaluate",
        min_value=1,
        initial=60,
        help_text="The Data Lab's rule is 60.",
    )

    RADIOS = ("treatment_source", "order", "se")
    UPLOADS = ("treatment_file", "comparison_file")

    def clean_treatment_file(self) -> UploadedFile:
        return self._upload("treatment_file")

    def clean_comparison_file(self) -> UploadedFile:
        return self._upload("comparison_file")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if any(name in self.errors for name in OPTION_FIELDS):
            return cleaned
        try:
            cleaned["options"] = services_datalab.evaluation_options(
                {
                    "covariates": columns(cleaned.get("covariates", "")),
                    "outcomes": columns(cleaned.get("outcomes", "")),
                    "exact": columns(cleaned.get("exact") or ""),
                    "ratio": cleaned["ratio"],
                    "replace": bool(cleaned.get("replace")),
                    "caliper": cleaned.get("caliper"),
                    "order": cleaned.get("order") or "largest",
                    "se": cleaned.get("se") or "cluster",
                    "min_treated": cleaned["min_treated"],
                }
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned

    def participants(self) -> dict[str, Any]:
        return {
            "strands": self.cleaned_data.get("strands") or [],
            "statuses": self.cleaned_data.get("statuses") or [],
            "referred_from": self.cleaned_data.get("referred_from"),
            "referred_to": self.cleaned_data.get("referred_to"),
        }
