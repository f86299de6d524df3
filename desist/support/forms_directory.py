"""Forms for the service directory: the search on the directory page (read from the address,
which holds only codes and numbers, never anything about a person) and the programme
manager's form to add or change a service."""

from __future__ import annotations

from typing import Any

from django import forms

from desist.accounts.models import Region
from desist.delivery.forms import CheckboxSelectMultiple
from desist.forms import GovUKForm
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service
from desist.support.selectors_directory import DirectoryFilter
from desist.support.services_directory import OLDEST_AGE

SEX_FILTERS = [("", "Any service"), ("female", "Open to women"), ("male", "Open to men")]


def _age_field(label: str, *, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
        error_messages={
            "invalid": "The age must be a whole number",
            "min_value": f"The age must be a whole number from 0 to {OLDEST_AGE}",
            "max_value": f"The age must be a whole number from 0 to {OLDEST_AGE}",
        },
        min_value=0,
        max_value=OLDEST_AGE,
    )


class DirectorySearchForm(GovUKForm):
    pathway = forms.ChoiceField(
        label="Pathway",
        choices=[("", "All pathways"), *Pathway.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a pathway from the list"},
    )
    region = forms.ModelChoiceField(
        label="Area",
        queryset=Region.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label="All areas",
        help_text="Services in this region and national services.",
        error_messages={"invalid_choice": "Choose an area from the list"},
    )
    sex = forms.ChoiceField(
        label="Open to",
        choices=SEX_FILTERS,
        required=False,
        error_messages={"invalid_choice": "Choose who the service is open to from the list"},
    )
    age = _age_field("Age", help_text="Services open to someone of this age.")
    q = forms.CharField(label="Words in the name or description", required=False, max_length=100)
    inactive = forms.BooleanField(label="Include services no longer offered", required=False)

    def __init__(self, *args: Any, show_inactive_option: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_inactive_option:
            del self.fields["inactive"]

    def criteria(self) -> DirectoryFilter:
        """What to search for; call after is_valid()."""
        data = self.cleaned_data
        region: Region | None = data.get("region")
        return DirectoryFilter(
            pathway=data.get("pathway") or None,
            region_id=region.pk if region is not None else None,
            sex=data.get("sex") or None,
            age=data.get("age"),
            text=data.get("q") or "",
            include_inactive=bool(data.get("inactive")),
        )


class ServiceForm(GovUKForm):
    code = forms.CharField(
        label="Code",
        help_text="Your own short code for the service, used to update it from a file. "
        "Lower-case letters, numbers, hyphens and underscores, for example nacro-housing-london.",
        error_messages={"required": "Enter a code for the service"},
    )
    name = forms.CharField(
        label="Name", error_messages={"required": "Enter the name of the service"}
    )
    description = forms.CharField(
        label="What the service does",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    pathways = forms.MultipleChoiceField(
        label="Pathways",
        choices=Pathway.choices,
        widget=CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one pathway the service helps with",
            "invalid_choice": "Choose pathways from the list",
        },
    )
    national = forms.BooleanField(label="Available in every region (national)", required=False)
    regions = forms.ModelMultipleChoiceField(
        label="Regions",
        queryset=Region.objects.order_by("name"),
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="Leave empty for a national service.",
        error_messages={"invalid_choice": "Choose regions from the list"},
    )
    eligible_sex = forms.ChoiceField(
        label="Who can use it",
        choices=EligibleSex.choices,
        initial=EligibleSex.ANY,
        error_messages={"required": "Say who the service is for"},
    )
    min_age = _age_field("Youngest age", help_text="Leave empty if there is no lower limit.")
    max_age = _age_field("Oldest age", help_text="Leave empty if there is no upper limit.")
    phone = forms.CharField(label="Phone", required=False)
    email = forms.CharField(label="Email address", required=False)
    website = forms.CharField(label="Website", required=False, help_text="Starting https://")
    address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    opening_hours = forms.CharField(
        label="Opening hours",
        required=False,
        help_text="For example, Monday to Friday, 9am to 5pm.",
    )
    active = forms.BooleanField(
        label="Offered now (shown in the directory)",
        required=False,
        help_text="Untick to withdraw it. Plan actions that link to it keep the link.",
    )

    def __init__(self, *args: Any, service: Service | None = None, **kwargs: Any) -> None:
        if service is not None and "initial" not in kwargs:
            kwargs["initial"] = service_initial(service)
        super().__init__(*args, **kwargs)
        if service is None:
            del self.fields["active"]

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["regions"] = list(data["regions"])
        return data


def service_initial(service: Service) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "pathways": list(service.pathways),
        "national": service.national,
        "regions": list(service.regions.all()),
        "eligible_sex": service.eligible_sex,
        "min_age": service.min_age,
        "max_age": service.max_age,
        "phone": service.phone,
        "email": service.email,
        "website": service.website,
        "address": service.address,
        "opening_hours": service.opening_hours,
        "active": service.active,
    }
