"""Forms for the development plan pages. They turn what was typed into the values the services
take; the services check the rules, and their errors are shown on these forms by field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet

from desist.forms import DateInput, GovUKForm
from desist.people.models import Participant
from desist.support.constants import ActionStatus, GoalStatus, Owner, Pathway, ServiceLink
from desist.support.models import Goal, GoalAction, Service
from desist.support.selectors_directory import services_for_participant


def _date_field(
    label: str, what: str, *, required: bool = False, hint: str = ""
) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        help_text=hint or "For example, 2026-04-27.",
        error_messages={
            "required": f"Enter the {what}",
            "invalid": f"The {what} must be a real date",
        },
    )


def _choice_field(label: str, choices: Any, message: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        error_messages={"required": message, "invalid_choice": message},
        **kwargs,
    )


class GoalForm(GovUKForm):
    """A new goal, or changes to one. Marking a goal achieved has its own page, which asks for
    the date and what to celebrate; so the status list offers "achieved" only to keep it."""

    pathway = _choice_field(
        "Pathway",
        [("", "Choose a pathway"), *Pathway.choices],
        "Choose the pathway the goal is on",
    )
    description = forms.CharField(
        label="Goal",
        help_text="What the participant wants to achieve, in their words where you can.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter a description of the goal"},
    )
    status = _choice_field("Status", GoalStatus.choices, "Choose the goal's status")
    review_on = _date_field("Review date", "review date")

    def __init__(self, *args: Any, goal: Goal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep_achieved = goal is not None and goal.status == GoalStatus.ACHIEVED
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [
            (code, label)
            for code, label in GoalStatus.choices
            if code != GoalStatus.ACHIEVED or keep_achieved
        ]
        if goal is None:
            status.initial = GoalStatus.NOT_STARTED


class GoalAchieveForm(GovUKForm):
    achieved_on = _date_field(
        "Date achieved",
        "date the goal was achieved",
        required=True,
        hint="For example, 2026-03-02. It cannot be in the future.",
    )
    celebration = forms.CharField(
        label="What to celebrate",
        required=False,
        help_text="What the participant, or you, want to say about it. It is shown on their "
        "plan and their timeline.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def action_service_choices(
    participant: Participant, pathway: str, current: Service | None
) -> QuerySet[Service]:
    """Services the action may link to: those open to the participant on the goal's pathway,
    and the one it already links to (kept even if it has changed since)."""
    eligible = services_for_participant(participant, pathway).values("pk")
    condition = Q(pk__in=eligible)
    if current is not None:
        condition |= Q(pk=current.pk)
    return Service.objects.filter(condition).order_by("name", "id")


class ActionForm(GovUKForm):
    description = forms.CharField(
        label="Action",
        help_text="What will be done, and by whom.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter a description of the action"},
    )
    owner = _choice_field(
        "Who owns it", [("", "Choose who owns it"), *Owner.choices], "Choose who owns the action"
    )
    service = forms.ModelChoiceField(
        label="Service from the directory",
        queryset=Service.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label="No service",
        help_text="Services on this goal's pathway that are open to the participant (where they "
        "live, their sex and age). Needed when a partner service owns the action.",
        error_messages={"invalid_choice": "Choose a service from the list"},
    )
    service_link = _choice_field(
        "How the action uses the service",
        [("", "Not linked to a service"), *ServiceLink.choices],
        "Choose whether the action signposts or refers to the service",
        required=False,
    )
    due_on = _date_field("Due date", "due date")
    review_on = _date_field("Review date", "review date")
    status = _choice_field("Status", ActionStatus.choices, "Choose the action's status")
    completed_on = _date_field(
        "Date completed",
        "date completed",
        hint="When it was done. Leave it empty to use today's date when you mark it done.",
    )

    def __init__(
        self,
        *args: Any,
        participant: Participant,
        goal: Goal,
        action: GoalAction | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        service = cast("forms.ModelChoiceField[Service]", self.fields["service"])
        service.queryset = action_service_choices(
            participant, goal.pathway, action.service if action is not None else None
        )
        if action is None:
            # A new action starts "to do"; it is completed later.
            del self.fields["status"]
            del self.fields["completed_on"]

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["service_link"] = data.get("service_link") or ""
        return data
