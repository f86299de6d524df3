from __future__ import annotations

from typing import Any

from django import forms

from desist.forms import DateInput, GovUKForm
from desist.people.constants import Sex
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import FaithTradition, Language, Specialism
from desist.referrals.constants import DeclineReason


class ReferralForm(GovUKForm):
    reason = forms.CharField(
        label="Reason for referral",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the reason for the referral"},
    )
    needs = forms.MultipleChoiceField(
        label="Support needed",
        choices=Specialism.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the support the participant needs"},
    )
    needs_detail = forms.CharField(
        label="More about their needs and strengths",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    risk_summary = forms.CharField(
        label="Risk summary",
        help_text="Seen by the programme team, supervising organisation and police only.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the risk summary"},
    )
    risk_summary_for_provider = forms.CharField(
        label="Risk summary for the provider",
        help_text="What the practitioner needs to know to work safely. No intelligence.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the risk summary for the provider"},
    )
    legal_basis = forms.ModelChoiceField(
        queryset=LegalBasis.objects.none(),
        required=False,
        help_text="Attendance is mandatory when this legal basis says so.",
    )
    expected_end_date = forms.DateField(
        label="Expected end of the intervention",
        widget=DateInput(),
        required=False,
        error_messages={"invalid": "Expected end date must be a real date"},
    )
    preferred_practitioner_sex = forms.ChoiceField(
        label="Preferred sex of practitioner",
        choices=[("", "No preference"), *Sex.choices[:2]],
        required=False,
    )
    preferred_language = forms.ChoiceField(
        choices=[("", "No preference"), *Language.choices], required=False
    )
    preferred_faith_tradition = forms.ChoiceField(
        label="Faith tradition for theological support",
        choices=[("", "No preference"), *FaithTradition.choices],
        required=False,
    )
    accessibility_needs = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].queryset = participant.legal_bases.all()  # type: ignore[attr-defined]


TRIAGE_ACTIONS = [
    ("accept", "Accept for allocation"),
    ("decline", "Decline"),
    ("request_information", "Ask the referrer for more information"),
]


class TriageForm(GovUKForm):
    action = forms.ChoiceField(
        label="Decision",
        choices=[("", "Select a decision"), *TRIAGE_ACTIONS],
        error_messages={"required": "Select a decision"},
    )
    decline_reason = forms.ChoiceField(
        label="Reason for declining",
        choices=[("", "Select a reason"), *DeclineReason.choices],
        required=False,
    )
    note = forms.CharField(
        label="Note or question",
        help_text="Needed when declining for another reason, or when asking for information.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "decline" and not data.get("decline_reason"):
            self.add_error("decline_reason", "Select why the referral is declined")
        if action == "request_information" and not data.get("note", "").strip():
            self.add_error("note", "Enter the question for the referrer")
        return data


class InformationForm(GovUKForm):
    answer = forms.CharField(
        label="Information requested",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the information the programme team asked for"},
    )


class AllocateForm(GovUKForm):
    practitioner = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Select a practitioner",
            "invalid": "Select a practitioner from the list",
        },
    )
    reason = forms.CharField(
        label="Reason for reallocating",
        max_length=300,
        required=False,
        error_messages={"required": "Enter the reason for reallocating"},
    )

    def __init__(self, *args: Any, reallocating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reallocating:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]


class CloseForm(GovUKForm):
    reason = forms.CharField(
        label="Reason for closing",
        max_length=300,
        error_messages={"required": "Enter the reason for closing the referral"},
    )
