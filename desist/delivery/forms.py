"""Forms for the delivery pages. They turn what was typed into the values the services take;
the services check the rules and their ValidationErrors are shown on these forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError

from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ConcernCategory,
    Conclusion,
    EndedEarlyReason,
    ObjectiveProgressRating,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.models import PlanObjective
from desist.forms import GovUKForm
from desist.providers.constants import Specialism

T = TypeVar("T")


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date and time picker. Values are shown and read in local (UK) time."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _date_time_field(label: str, what: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=DateTimeLocalInput(),
        help_text="UK time. For example, 2026-03-02 at 14:30.",
        error_messages={
            "required": f"Enter the {what}",
            "invalid": f"The {what} must be a real date and time",
        },
        **kwargs,
    )


class _FieldAliasMixin:
    """Services name a whole group of inputs (e.g. "progress"); show that error on the group's
    first input so that the error summary can link to it."""

    aliases: dict[str, str]
    fields: dict[str, forms.Field]

    def renaming(self, service: Callable[..., T]) -> Callable[..., T]:
        """The service, with its errors about a group moved onto the group's first input."""
        aliases = self.aliases

        def run(**kwargs: Any) -> T:
            try:
                return service(**kwargs)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    raise
                raise ValidationError(
                    {aliases.get(name, name): errors for name, errors in error.error_dict.items()}
                ) from None

        return run


@dataclass(frozen=True)
class _ObjectiveFields:
    """A rating (a choice) and a short note for each objective of the plan, added to a form
    as `<name>_<objective id>` and `<name>_note_<objective id>`. Texts may use {position} and
    {description}."""

    name: str
    label: str
    choices: list[tuple[str, str]]
    required: bool
    error: str
    # The service's name for the whole group; its errors show on the first rating.
    group: str

    def rating(self, objective: PlanObjective) -> str:
        return f"{self.name}_{objective.pk}"

    def note(self, objective: PlanObjective) -> str:
        return f"{self.name}_note_{objective.pk}"

    def add_to(self, form: _FieldAliasMixin, objectives: Iterable[PlanObjective]) -> None:
        for objective in objectives:
            position = objective.position
            message = self.error.format(position=position)
            form.fields[self.rating(objective)] = forms.ChoiceField(
                label=self.label.format(position=position, description=objective.description),
                choices=self.choices,
                required=self.required,
                widget=forms.Select(attrs={"class": "govuk-select"}),
                error_messages={"required": message, "invalid_choice": message},
            )
            form.fields[self.note(objective)] = forms.CharField(
                label=f"Note on objective {position}",
                max_length=500,
                required=False,
                widget=forms.TextInput(attrs={"class": "govuk-input"}),
                error_messages={
                    "max_length": f"The note on objective {position} must be "
                    "500 characters or fewer"
                },
            )
            form.aliases.setdefault(self.group, self.rating(objective))

    def values(
        self, data: dict[str, Any], objectives: Iterable[PlanObjective], *, rated_only: bool
    ) -> dict[int, tuple[str, str]]:
        """Objective id to (rating, note); with `rated_only`, only the objectives rated."""
        return {
            objective.pk: (data[self.rating(objective)], data.get(self.note(objective), ""))
            for objective in objectives
            if not rated_only or data.get(self.rating(objective))
        }


class CheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Checkboxes whose label target is the first box, so the error summary links to it."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return super().id_for_label(id_, "0" if index is None else index)


# Plans -------------------------------------------------------------------------------------


class PlanForm(GovUKForm):
    objectives = forms.CharField(
        label="Objectives",
        help_text="One objective a line. Build on the participant's strengths as well as needs.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter at least one objective"},
    )
    intervention_types = forms.MultipleChoiceField(
        label="Types of intervention",
        choices=Specialism.choices,
        widget=CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one type of intervention",
            "invalid_choice": "Select types of intervention from the list",
        },
    )
    planned_sessions = forms.IntegerField(
        label="Number of planned sessions",
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
        error_messages={
            "required": "Enter the number of planned sessions",
            "invalid": "The number of planned sessions must be a whole number",
        },
    )
    summary = forms.CharField(
        label="Summary of the approach",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def clean_objectives(self) -> list[str]:
        text: str = self.cleaned_data["objectives"]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError("Enter at least one objective")
        return lines


PLAN_DECISIONS = [("approve", "Approve the plan"), ("return", "Return it for changes")]


class PlanDecisionForm(GovUKForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("", "Select a decision"), *PLAN_DECISIONS],
        error_messages={
            "required": "Select whether to approve or return the plan",
            "invalid_choice": "Select whether to approve or return the plan",
        },
    )
    note = forms.CharField(
        label="Note for the practitioner",
        help_text="Needed when you return the plan: say what needs to change.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


# Sessions ----------------------------------------------------------------------------------


class SessionForm(GovUKForm):
    scheduled_start = _date_time_field("Date and time", "date and time of the session")
    planned_minutes = forms.IntegerField(
        label="Length in minutes",
        initial=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
        error_messages={
            "required": "Enter the length of the session in minutes",
            "invalid": "The length of the session must be a whole number of minutes",
        },
    )
    mode = forms.ChoiceField(
        label="How the session takes place",
        choices=[("", "Select how"), *SessionMode.choices],
        error_messages={
            "required": "Select how the session takes place",
            "invalid_choice": "Select how the session takes place",
        },
    )
    location = forms.CharField(
        label="Place",
        help_text="The address or the prison. Needed for a prison visit.",
        max_length=200,
        required=False,
        error_messages={"max_length": "The place must be 200 characters or fewer"},
    )
    session_type = forms.ChoiceField(
        label="Type of session",
        choices=[("", "Select a type"), *Specialism.choices],
        error_messages={
            "required": "Select the type of session",
            "invalid_choice": "Select the type of session",
        },
    )


class RescheduleForm(GovUKForm):
    new_start = _date_time_field("New date and time", "new date and time")
    reason = forms.CharField(
        label="Reason for rescheduling",
        max_length=300,
        error_messages={
            "required": "Enter why the session is being rescheduled",
            "max_length": "The reason must be 300 characters or fewer",
        },
    )


RECORDABLE_OUTCOME_CHOICES = [
    (value, label)
    for value, label in SessionOutcome.choices
    if value not in (SessionOutcome.SCHEDULED, SessionOutcome.RESCHEDULED)
]
ENGAGEMENT_CHOICES = [
    ("", "Not rated"),
    ("1", "1 - not engaged"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", "5 - fully engaged"),
]


PROGRESS_FIELDS = _ObjectiveFields(
    name="progress",
    label="Progress on objective {position}: {description}",
    choices=[("", "Not recorded"), *ObjectiveProgressRating.choices],
    required=False,
    error="Select the progress on objective {position}",
    group="progress",
)


class OutcomeForm(_FieldAliasMixin, GovUKForm):
    outcome = forms.ChoiceField(
        label="What happened",
        choices=[("", "Select what happened"), *RECORDABLE_OUTCOME_CHOICES],
        error_messages={
            "required": "Select what happened at the session",
            "invalid_choice": "Select what happened at the session",
        },
    )
    absence = forms.ChoiceField(
        label="Was the absence acceptable?",
        help_text="Only when the participant did not attend.",
        choices=[("", "Not applicable"), *Absence.choices],
        required=False,
        error_messages={"invalid_choice": "Select whether the absence was acceptable"},
    )
    absence_reason = forms.CharField(
        label="Reason for the absence",
        max_length=500,
        required=False,
        error_messages={"max_length": "The reason for the absence must be 500 characters or fewer"},
    )
    actual_minutes = forms.IntegerField(
        label="How long it lasted, in minutes",
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
        error_messages={"invalid": "How long it lasted must be a whole number of minutes"},
    )
    engagement = forms.TypedChoiceField(
        label="Engagement",
        help_text="From 1 (not engaged) to 5 (fully engaged).",
        choices=ENGAGEMENT_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Select an engagement rating from 1 to 5"},
    )
    notes = forms.CharField(
        label="Session notes",
        help_text="Seen only by your organisation, the supervising organisation and the "
        "programme team.",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )

    def __init__(self, *args: Any, objectives: Iterable[PlanObjective] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = list(objectives)
        self.aliases = {}
        PROGRESS_FIELDS.add_to(self, self.objectives)

    def progress(self) -> dict[int, tuple[str, str]]:
        """Objective id to (rating, note), for the objectives given a rating."""
        return PROGRESS_FIELDS.values(self.cleaned_data, self.objectives, rated_only=True)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "absence": data["absence"],
            "absence_reason": data["absence_reason"],
            "actual_minutes": data["actual_minutes"],
            "engagement": data["engagement"],
            "notes": data["notes"],
            "progress": self.progress(),
        }


# Compliance and concerns -------------------------------------------------------------------


class ComplianceDecisionForm(GovUKForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("", "Select a decision"), *ComplianceDecision.choices],
        error_messages={
            "required": "Select a compliance decision",
            "invalid_choice": "Select a compliance decision from the list",
        },
    )
    reason = forms.CharField(
        label="Reason for the decision",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for your decision"},
    )


class ConcernForm(GovUKForm):
    category = forms.ChoiceField(
        label="Kind of concern",
        choices=[("", "Select the kind of concern"), *ConcernCategory.choices],
        error_messages={
            "required": "Select the kind of concern",
            "invalid_choice": "Select the kind of concern from the list",
        },
    )
    urgent = forms.BooleanField(
        label="This is urgent",
        help_text="The supervising officer and the police liaison are told at once and must "
        "acknowledge it within hours, or it goes to the programme manager.",
        required=False,
    )
    description = forms.CharField(
        label="Describe the concern",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Describe the concern"},
    )


class AcknowledgeForm(GovUKForm):
    note = forms.CharField(
        label="Note (what you are doing about it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


# End of the intervention -------------------------------------------------------------------


ACHIEVEMENT_FIELDS = _ObjectiveFields(
    name="achievement",
    label="Objective {position}: {description}",
    choices=[("", "Select"), *Achievement.choices],
    required=True,
    error="Select how far objective {position} was achieved",
    group="achievements",
)


class EndReportForm(_FieldAliasMixin, GovUKForm):
    conclusion = forms.ChoiceField(
        label="How did the intervention end?",
        choices=[("", "Select how it ended"), *Conclusion.choices],
        error_messages={
            "required": "Select how the intervention ended",
            "invalid_choice": "Select how the intervention ended",
        },
    )
    ended_early_reason = forms.ChoiceField(
        label="Why did it end early?",
        help_text="Only when it ended early.",
        choices=[("", "Not applicable"), *EndedEarlyReason.choices],
        required=False,
        error_messages={"invalid_choice": "Select why the intervention ended early"},
    )
    summary = forms.CharField(
        label="Summary of the intervention",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter a summary of the intervention"},
    )
    recommendations = forms.CharField(
        label="Recommendations",
        help_text="For the supervising officer and anyone who works with the participant next.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, objectives: Iterable[PlanObjective] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = list(objectives)
        self.aliases = {}
        ACHIEVEMENT_FIELDS.add_to(self, self.objectives)

    def achievements(self) -> dict[int, tuple[str, str]]:
        return ACHIEVEMENT_FIELDS.values(self.cleaned_data, self.objectives, rated_only=False)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "conclusion": data["conclusion"],
            "ended_early_reason": data["ended_early_reason"],
            "summary": data["summary"],
            "recommendations": data["recommendations"],
            "achievements": self.achievements(),
        }
