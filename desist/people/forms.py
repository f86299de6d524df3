from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from desist.accounts.constants import SUPERVISING_KINDS, OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.forms import DateInput, GovUKForm, GovUKModelForm
from desist.people.constants import AccessPurpose, Sex, Status, Strand
from desist.people.identifiers import (
    crn_error,
    normalise_pnc,
    pnc_error,
    prison_number_error,
)
from desist.people.models import LegalBasis, Participant
from desist.people.services import EDITABLE_FIELDS


class ParticipantForm(GovUKModelForm):
    agencies = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Other agencies involved",
    )

    class Meta:
        model = Participant
        # The same fields the services write, so a form can never set one they ignore.
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "date_of_birth": DateInput(),
            "referral_date": DateInput(),
            "expected_release_date": DateInput(),
            "address": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "reference": {
                "required": "Enter the participant reference",
                "unique": "A participant with this reference already exists",
            },
            "given_name": {"required": "Enter the given name"},
            "family_name": {"required": "Enter the family name"},
            "date_of_birth": {
                "required": "Enter the date of birth",
                "invalid": "Date of birth must be a real date",
            },
            "strand": {"required": "Select the strand"},
            "region": {"required": "Select the region"},
            "supervising_organisation": {"required": "Select the supervising organisation"},
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supervising = Organisation.objects.filter(kind__in=SUPERVISING_KINDS)
        if not actor.has_role(Role.PROGRAMME_MANAGER) and actor.organisation_id is not None:
            # Officers create cases for their own organisation only.
            supervising = supervising.filter(pk=actor.organisation_id)
        self.fields["supervising_organisation"].queryset = supervising  # type: ignore[attr-defined]
        self.fields["supervising_officer"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role_grants__role__in=[Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER],
            organisation__in=supervising,
            is_active=True,
        ).distinct()
        self.fields["region"].queryset = Region.objects.all()  # type: ignore[attr-defined]
        agencies_field = self.fields["agencies"]
        agencies_field.queryset = Organisation.objects.exclude(  # type: ignore[attr-defined]
            kind=OrganisationKind.PROVIDER
        )
        if self.instance.pk:
            self.initial["agencies"] = list(self.instance.agencies.all())

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data["date_of_birth"]
        if value and value >= timezone.localdate():
            raise forms.ValidationError("Date of birth must be in the past")
        return value

    def clean_pnc_number(self) -> str:
        value: str = self.cleaned_data["pnc_number"].strip().upper()
        if value and (error := pnc_error(value)):
            raise forms.ValidationError(error)
        return normalise_pnc(value) if value else value

    def clean_prison_number(self) -> str:
        value: str = self.cleaned_data["prison_number"].strip().upper()
        if value and (error := prison_number_error(value)):
            raise forms.ValidationError(error)
        return value

    def clean_probation_crn(self) -> str:
        value: str = self.cleaned_data["probation_crn"].strip().upper()
        if value and (error := crn_error(value)):
            raise forms.ValidationError(error)
        return value

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        officer = self.cleaned_data.get("supervising_officer")
        organisation = self.cleaned_data.get("supervising_organisation")
        if officer and organisation and officer.organisation_id != organisation.pk:
            self.add_error(
                "supervising_officer", "The supervising officer must work for that organisation"
            )
        return data


class PurposeForm(GovUKForm):
    purpose = forms.ChoiceField(
        choices=AccessPurpose.choices,
        widget=forms.RadioSelect,
        label="Why are you opening this record?",
        error_messages={"required": "Select why you are opening this record"},
    )
    detail = forms.CharField(
        required=False,
        max_length=200,
        label="More detail",
        help_text="For example the meeting, request or incident this is for.",
    )


class StatusForm(GovUKForm):
    status = forms.ChoiceField(
        choices=Status.choices, error_messages={"required": "Select the new status"}
    )
    effective_date = forms.DateField(
        widget=DateInput(),
        error_messages={
            "required": "Enter the date the status changes",
            "invalid": "Date must be a real date",
        },
    )
    reason = forms.CharField(max_length=300, required=False)


class LegalBasisForm(GovUKModelForm):
    class Meta:
        model = LegalBasis
        fields = ["kind", "start_date", "end_date", "attendance_mandatory", "notes"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "kind": {"required": "Select the kind of legal basis"},
            "start_date": {"required": "Enter the start date"},
        }

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        start = self.cleaned_data.get("start_date")
        end = self.cleaned_data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "End date must be the same as or after the start date")
        return data


class CaseloadFilterForm(GovUKForm):
    strand = forms.ChoiceField(choices=[("", "All strands"), *Strand.choices], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *Status.choices], required=False)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )


class CaseloadSearchForm(GovUKForm):
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Name or reference",
        help_text="Searches are not kept in the page address.",
    )


SEX_CHOICES = Sex.choices
