"""Forms for the release planning pages. They turn what was typed into the values the
services take; the services check the rules and their ValidationErrors show on these forms."""

from __future__ import annotations

from typing import Any

from django import forms

from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.delivery.forms import DateTimeLocalInput
from desist.forms import DateInput, GovUKForm
from desist.support.constants import ChecklistStatus, Owner
from desist.support.models import Service


class OfficerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        organisation = obj.organisation.name if obj.organisation else ""
        return f"{obj.display_name} ({organisation})"


def community_officers() -> Any:
    return (
        User.objects.filter(
            is_active=True,
            role_grants__role=Role.SUPERVISING_OFFICER,
            organisation__kind=OrganisationKind.PROBATION,
        )
        .select_related("organisation")
        .distinct()
        .order_by("organisation__name", "last_name", "first_name", "id")
    )


class ReleasePlanForm(GovUKForm):
    expected_release_date = forms.DateField(
        label="Expected release date",
        widget=DateInput(),
        required=False,
        help_text="Changing it here changes it on the participant's record too.",
        error_messages={"invalid": "The expected release date must be a real date"},
    )
    release_address_area = forms.CharField(
        label="Town or area they will live in",
        max_length=200,
        required=False,
        help_text="Used to find local services. Not the full address.",
    )
    release_region = forms.ModelChoiceField(
        label="Region they will live in",
        queryset=Region.objects.order_by("name"),
        required=False,
        empty_label="Same as their region now",
        error_messages={"invalid_choice": "Choose a region from the list"},
    )
    community_organisation = forms.ModelChoiceField(
        label="Community probation service",
        queryset=Organisation.objects.filter(kind=OrganisationKind.PROBATION).order_by("name"),
        required=False,
        empty_label="Not known yet",
        error_messages={"invalid_choice": "Choose a probation service from the list"},
    )
    community_officer = OfficerChoiceField(
        label="Community supervising officer",
        queryset=community_officers(),
        required=False,
        empty_label="Not known yet",
        error_messages={"invalid_choice": "Choose a supervising officer from the list"},
    )
    conditions_plain = forms.CharField(
        label="Conditions they must keep, in plain words",
        help_text="One condition a line, written for the participant: it is printed in their "
        "exit passport.",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )


class ChecklistEntryForm(GovUKForm):
    status = forms.ChoiceField(
        label="Status",
        choices=ChecklistStatus.choices,
        error_messages={
            "required": "Choose a status",
            "invalid_choice": "Choose a status from the list",
        },
    )
    owner = forms.ChoiceField(
        label="Who is doing it",
        choices=[("", "Nobody yet"), *Owner.choices],
        required=False,
        error_messages={"invalid_choice": "Choose who is doing it from the list"},
    )
    due_on = forms.DateField(
        label="Due by",
        widget=DateInput(),
        required=False,
        error_messages={"invalid": "The due date must be a real date"},
    )
    note = forms.CharField(
        label="Note for the participant",
        help_text="Printed in their exit passport, so write it for them. Nothing about risk.",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 300 characters or fewer"},
    )


class AppointmentForm(GovUKForm):
    starts_at = forms.DateTimeField(
        label="Date and time",
        widget=DateTimeLocalInput(),
        help_text="UK time. On or after the release date.",
        error_messages={
            "required": "Enter the date and time of the appointment",
            "invalid": "The date and time must be real",
        },
    )
    with_whom = forms.CharField(
        label="Who it is with",
        max_length=200,
        error_messages={"required": "Enter who the appointment is with"},
    )
    place = forms.CharField(
        label="Where",
        max_length=300,
        error_messages={"required": "Enter where the appointment is"},
    )
    purpose = forms.CharField(label="What it is for", max_length=300, required=False)
    service = forms.ModelChoiceField(
        label="Service from the directory",
        queryset=Service.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="None",
        error_messages={"invalid_choice": "Choose a service from the list"},
    )


class ContactForm(GovUKForm):
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the contact's name"}
    )
    role = forms.CharField(
        label="What they help with",
        max_length=200,
        help_text="In plain words, for example: Housing officer at the council.",
        error_messages={"required": "Say what they help with"},
    )
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        error_messages={
            "invalid": "Enter an e-mail address in the right format, like name@example.org"
        },
    )
    address = forms.CharField(label="Address", max_length=300, required=False)


class HandoverForm(GovUKForm):
    """No fields: the button confirms. Errors from the service show at the top."""
