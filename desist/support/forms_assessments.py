"""Forms for needs and strengths assessments and progress measures. Their fields come from the
instrument's definition (a programme's own questionnaire needs no code); the services check the
answers and scores against the same definition, and their errors are shown on these fields
(`aliases` maps a service's field name to the form's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from desist.forms import DateInput, GovUKForm
from desist.support.constants import NeedLevel
from desist.support.instruments import TEXT_MAX_LENGTH, item_definitions, pathway_definitions
from desist.support.models import Assessment, Instrument
from desist.support.selectors_assessments import pathway_label

YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]


# Fields made from the instrument are added after GovUKFormMixin has styled the class's own
# fields, so their widgets carry the GOV.UK classes themselves.
def _radios() -> forms.RadioSelect:
    return forms.RadioSelect(attrs={"class": "govuk-radios__input"})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "govuk-select"})


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "govuk-textarea", "rows": rows})


def _date_field(label: str, what: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput(attrs={"class": "govuk-input--width-10"}),
        help_text="For example, 2026-03-02.",
        error_messages={
            "required": f"Enter the date of the {what}",
            "invalid": f"The date of the {what} must be a real date",
        },
    )


def need_field_name(pathway: str) -> str:
    return f"{pathway}__need_level"


def question_field_name(pathway: str, key: str) -> str:
    return f"{pathway}__q__{key}"


def score_field_name(key: str) -> str:
    return f"score__{key}"


@dataclass
class PathwaySection:
    """One pathway's fields, for the template to lay out as a group."""

    code: str
    label: str
    guidance: str
    need_level: forms.BoundField
    strengths: forms.BoundField
    notes: forms.BoundField
    questions: list[forms.BoundField]


def _question_field(pathway_name: str, question: dict[str, Any]) -> forms.Field:
    text = question["text"]
    required = bool(question.get("required"))
    message = f"{pathway_name}: answer '{text}'"
    common: dict[str, Any] = {
        "label": text,
        "help_text": question.get("hint", ""),
        "required": required,
    }
    kind = question["type"]
    if kind == "yes_no":
        return forms.ChoiceField(
            choices=YES_NO_CHOICES,
            widget=_radios(),
            error_messages={"required": message, "invalid_choice": message},
            **common,
        )
    if kind == "choice":
        options = [(option["value"], option["label"]) for option in question["options"]]
        return forms.ChoiceField(
            choices=[("", "Select an answer"), *options],
            widget=_select(),
            error_messages={"required": message, "invalid_choice": message},
            **common,
        )
    limit = int(question.get("max_length", TEXT_MAX_LENGTH))
    return forms.CharField(
        widget=_textarea(2),
        max_length=limit,
        error_messages={
            "required": message,
            "max_length": f"{pathway_name}: the answer to '{text}' must be {limit} characters "
            "or fewer",
        },
        **common,
    )


class AssessmentForm(GovUKForm):
    """A needs and strengths assessment with the instrument's pathways and questions."""

    assessed_on = _date_field("Date of the assessment", "assessment")
    summary = forms.CharField(
        label="Summary",
        help_text="What the participant and you agreed overall, in a few sentences.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.pathways = pathway_definitions(instrument.definition)
        self.aliases: dict[str, str] = {}
        for code, definition in self.pathways.items():
            name = pathway_label(code)
            need = need_field_name(code)
            self.fields[need] = forms.ChoiceField(
                label=f"Level of need: {name}",
                choices=NeedLevel.choices,
                widget=_radios(),
                error_messages={
                    "required": f"Select the level of need for {name}",
                    "invalid_choice": f"Select the level of need for {name}",
                },
            )
            self.aliases[f"{code}.need_level"] = need
            for part, label in (
                ("strengths", "Strengths and protective factors"),
                ("notes", "Notes"),
            ):
                self.fields[f"{code}__{part}"] = forms.CharField(
                    label=label,
                    widget=_textarea(3),
                    required=False,
                )
                self.aliases[f"{code}.{part}"] = f"{code}__{part}"
            for question in definition.get("questions", []):
                field_name = question_field_name(code, question["key"])
                self.fields[field_name] = _question_field(name, question)
                self.aliases[f"{code}.answers.{question['key']}"] = field_name
        # The service's "pathways" error is about the form as a whole.
        self.aliases["pathways"] = "__all__"
        self.aliases["instrument"] = "__all__"

    def sections(self) -> list[PathwaySection]:
        return [
            PathwaySection(
                code=code,
                label=pathway_label(code),
                guidance=definition.get("guidance", ""),
                need_level=self[need_field_name(code)],
                strengths=self[f"{code}__strengths"],
                notes=self[f"{code}__notes"],
                questions=[
                    self[question_field_name(code, q["key"])]
                    for q in definition.get("questions", [])
                ],
            )
            for code, definition in self.pathways.items()
        ]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        pathways = []
        for code, definition in self.pathways.items():
            answers = {}
            for question in definition.get("questions", []):
                value = data.get(question_field_name(code, question["key"]))
                if value not in (None, ""):
                    answers[question["key"]] = value
            pathways.append(
                {
                    "pathway": code,
                    "need_level": data.get(need_field_name(code)),
                    "strengths": data.get(f"{code}__strengths", ""),
                    "notes": data.get(f"{code}__notes", ""),
                    "answers": answers,
                }
            )
        return {
            "assessed_on": data["assessed_on"],
            "summary": data.get("summary", ""),
            "pathways": pathways,
        }


def assessment_initial(previous: Assessment | None, instrument: Instrument) -> dict[str, Any]:
    """A reassessment starts from the last assessment made with the same questionnaire (any
    version): need levels, strengths, notes and the answers to questions still asked."""
    if previous is None or previous.instrument.key != instrument.key:
        return {}
    pathways = pathway_definitions(instrument.definition)
    initial: dict[str, Any] = {}
    for entry in previous.pathways.all():
        definition = pathways.get(entry.pathway)
        if definition is None:
            continue
        initial[need_field_name(entry.pathway)] = entry.need_level
        initial[f"{entry.pathway}__strengths"] = entry.strengths
        initial[f"{entry.pathway}__notes"] = entry.notes
        asked = {q["key"] for q in definition.get("questions", [])}
        for key, value in entry.answers.items():
            if key in asked:
                initial[question_field_name(entry.pathway, key)] = value
    return initial


class MeasureForm(GovUKForm):
    """One completion of a progress measure, a score per item."""

    completed_on = _date_field("Date completed", "response")

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.items = item_definitions(instrument.definition)
        self.aliases: dict[str, str] = {"instrument": "__all__"}
        for key, item in self.items.items():
            name = score_field_name(key)
            label = item["label"]
            low, high = item["min"], item["max"]
            anchors = ", ".join(
                f"{a['value']} is {a['label'].lower()}" for a in item.get("anchors", [])
            )
            hint = f"A whole number from {low} to {high}" + (f": {anchors}." if anchors else ".")
            self.fields[name] = forms.IntegerField(
                label=item["text"],
                help_text=hint,
                required=bool(item.get("required", True)),
                widget=forms.NumberInput(
                    attrs={"class": "govuk-input govuk-input--width-2", "inputmode": "numeric"}
                ),
                error_messages={
                    "required": f"Give a score for {label}, from {low} to {high}",
                    "invalid": f"The score for {label} must be a whole number from {low} to {high}",
                },
            )
            self.aliases[f"scores.{key}"] = name

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "completed_on": data["completed_on"],
            "scores": {
                key: data[score_field_name(key)]
                for key in self.items
                if data.get(score_field_name(key)) is not None
            },
        }
