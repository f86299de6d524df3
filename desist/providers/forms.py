from __future__ import annotations

from typing import Any

from django import forms

from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.forms import DateInput, GovUKForm
from desist.people.constants import Sex
from desist.providers.constants import (
    FaithTradition,
    Language,
    PractitionerStatus,
    Specialism,
    VettingLevel,
)
from desist.providers.models import TrainingCourse


class PractitionerForm(GovUKForm):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="User account",
        help_text="A user with the practitioner role at an intervention provider.",
        error_messages={"required": "Select the practitioner's user account"},
    )
    specialisms = forms.MultipleChoiceField(
        choices=Specialism.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one specialism"},
    )
    languages = forms.MultipleChoiceField(
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the languages they can work in"},
    )
    faith_traditions = forms.MultipleChoiceField(
        choices=FaithTradition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="For theological work.",
    )
    sex = forms.ChoiceField(choices=Sex.choices)
    regions = forms.ModelMultipleChoiceField(
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the regions they cover"},
    )
    max_caseload = forms.IntegerField(
        label="Maximum caseload",
        min_value=1,
        max_value=100,
        initial=10,
        error_messages={
            "required": "Enter the maximum caseload",
            "min_value": "Maximum caseload must be at least 1",
            "max_value": "Maximum caseload must be 100 or fewer",
        },
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = (  # type: ignore[attr-defined]
                User.objects.filter(
                    is_active=True,
                    role_grants__role=Role.PRACTITIONER,
                    organisation__kind=OrganisationKind.PROVIDER,
                    practitioner__isnull=True,
                )
                .select_related("organisation")
                .distinct()
                .order_by("last_name", "first_name", "username")
            )


class PractitionerStatusForm(GovUKForm):
    to_status = forms.ChoiceField(
        label="New status",
        choices=[("", "Select a status"), *PractitionerStatus.choices],
        error_messages={"required": "Select the new status"},
    )
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter the reason for the change"},
    )


class VettingForm(GovUKForm):
    level = forms.ChoiceField(
        label="Vetting level",
        choices=[("", "Select a level"), *VettingLevel.choices],
        error_messages={"required": "Select the vetting level"},
    )
    granted_on = forms.DateField(
        label="Granted on",
        widget=DateInput(),
        error_messages={"required": "Enter the date vetting was granted"},
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=DateInput(),
        error_messages={"required": "Enter the date vetting expires"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        granted, expires = data.get("granted_on"), data.get("expires_on")
        if granted and expires and expires <= granted:
            self.add_error("expires_on", "Expiry date must be after the date vetting was granted")
        return data


class TrainingForm(GovUKForm):
    course = forms.ModelChoiceField(
        queryset=TrainingCourse.objects.all(),
        error_messages={"required": "Select the course"},
    )
    completed_on = forms.DateField(
        widget=DateInput(), error_messages={"required": "Enter the date it was completed"}
    )


class ContractForm(GovUKForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.PROVIDER),
        label="Provider",
        error_messages={"required": "Select the provider"},
    )
    reference = forms.CharField(
        max_length=40, error_messages={"required": "Enter the contract reference"}
    )
    start_date = forms.DateField(
        widget=DateInput(), error_messages={"required": "Enter the start date"}
    )
    end_date = forms.DateField(
        widget=DateInput(), error_messages={"required": "Enter the end date"}
    )
    regions = forms.ModelMultipleChoiceField(
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the regions the contract covers"},
    )
    capacity = forms.IntegerField(
        min_value=1,
        help_text="Participants the provider may hold at any one time.",
        error_messages={
            "required": "Enter the capacity",
            "min_value": "Capacity must be at least 1",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "End date must be on or after the start date")
        return data
