"""Writes for needs and strengths assessments and progress measures. Each is atomic and audits
itself in the same transaction.

Who may record: those who work with the person (`access.SUPPORT_WRITERS`): the allocated
practitioner, the supervising organisation and the programme team. Someone the gate would not
show the participant to gets the gate's not-found; someone who may see them but not record
(an involved agency, the police liaison) gets `PermissionDenied` with the reason.

Answers and scores are checked against the instrument the record is made with (the rules are
in desist.support.instruments); errors name the pathway and the question, or the item, so the
page and the API can show them on the right field:

- `"<pathway>.need_level"`, `"<pathway>.answers.<question key>"`, `"<pathway>.strengths"`,
  `"<pathway>.notes"`, and `"pathways"` for the set of pathways as a whole;
- `"scores.<item key>"` for a measure's items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from desist.accounts.access import (
    SUPPORT_WRITERS,
    ParticipantNotFound,
    participants_for,
    relationships_to,
)
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change
from desist.people.models import Participant
from desist.support.constants import InstrumentKind, NeedLevel
from desist.support.instruments import (
    answer_problems,
    item_definitions,
    pathway_definitions,
    score_problems,
)
from desist.support.models import Assessment, Instrument, MeasureResponse, PathwayAssessment
from desist.support.selectors_assessments import pathway_label

NOTE_MAX_LENGTH = 5000


def _ref(participant: Participant) -> str:
    return str(participant.uuid)


def _refuse(actor: User, participant: Participant, message: str) -> NoReturn:
    """Not-found for someone the gate would not show the participant to; otherwise say why."""
    if not participants_for(actor).filter(pk=participant.pk).exists():
        raise ParticipantNotFound()
    raise PermissionDenied(message)


def _require_writer(actor: User, participant: Participant, what: str) -> None:
    if relationships_to(actor, participant) & SUPPORT_WRITERS:
        return
    _refuse(
        actor,
        participant,
        f"Only the allocated practitioner, the supervising organisation or the programme team "
        f"can record {what}.",
    )


def _check_instrument(instrument: Instrument, kind: str, what: str) -> None:
    if instrument.kind != kind:
        raise ValidationError(
            {"instrument": f"{instrument.title} (version {instrument.version}) is not {what}."}
        )
    if not instrument.active:
        raise ValidationError(
            {
                "instrument": f"Version {instrument.version} of {instrument.title} is no longer "
                "used for new records. Use the current version."
            }
        )


def _check_date(day: dt.date, field: str, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"The date of the {what} cannot be in the future."})


# Needs and strengths assessments ---------------------------------------------------------------


def _text(value: Any, field: str, label: str, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = f"{label} must be text."
        return ""
    text = value.strip()
    if len(text) > NOTE_MAX_LENGTH:
        errors[field] = f"{label} must be {NOTE_MAX_LENGTH} characters or fewer."
    return text


def _clean_pathways(
    instrument: Instrument, pathways: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The pathway entries as they will be stored, in the instrument's order, and the problems
    by field. Every pathway the instrument asks about needs an entry, once."""
    defined = pathway_definitions(instrument.definition)
    errors: dict[str, str] = {}
    given: dict[str, Mapping[str, Any]] = {}
    for entry in pathways:
        code = str(entry.get("pathway", ""))
        if code not in defined:
            errors["pathways"] = (
                f"{instrument.title} (version {instrument.version}) does not assess the "
                f"pathway {code!r}."
            )
        elif code in given:
            errors["pathways"] = f"{pathway_label(code)} is given more than once."
        else:
            given[code] = entry
    cleaned: list[dict[str, Any]] = []
    for code, definition in defined.items():
        label = pathway_label(code)
        if code not in given:
            errors[f"{code}.need_level"] = f"{label}: select the level of need."
            continue
        entry = given[code]
        level = entry.get("need_level")
        if level not in NeedLevel.values:
            errors[f"{code}.need_level"] = f"{label}: select the level of need."
        raw_answers: Any = entry.get("answers") or {}
        if not isinstance(raw_answers, Mapping):
            errors[f"{code}.answers"] = f"{label}: the answers must be given by question key."
            raw_answers = {}
        answers, problems = answer_problems(definition, raw_answers)
        questions = {q["key"]: q for q in definition.get("questions", [])}
        for key, problem in problems.items():
            text = questions[key]["text"] if key in questions else key
            errors[f"{code}.answers.{key}"] = f"{label}, '{text}': {problem}."
        cleaned.append(
            {
                "pathway": code,
                "need_level": level,
                "strengths": _text(
                    entry.get("strengths"),
                    f"{code}.strengths",
                    f"{label}: strengths and protective factors",
                    errors,
                ),
                "notes": _text(entry.get("notes"), f"{code}.notes", f"{label}: notes", errors),
                "answers": answers,
            }
        )
    return cleaned, errors


@transaction.atomic
def assessment_record(
    *,
    actor: User,
    participant: Participant,
    instrument: Instrument,
    assessed_on: dt.date,
    summary: str,
    pathways: Sequence[Mapping[str, Any]],
) -> Assessment:
    """Record a needs and strengths assessment (or a reassessment: each is a new record, so
    the history shows change over time). `pathways` holds one entry for each pathway the
    instrument covers: {"pathway", "need_level", "strengths", "notes", "answers": {question
    key: answer}}."""
    _require_writer(actor, participant, "needs and strengths assessments")
    _check_instrument(instrument, InstrumentKind.NEEDS_ASSESSMENT, "a needs assessment")
    _check_date(assessed_on, "assessed_on", "assessment")
    cleaned, errors = _clean_pathways(instrument, pathways)
    summary_errors: dict[str, str] = {}
    summary = _text(summary, "summary", "The summary", summary_errors)
    errors |= summary_errors
    if errors:
        raise ValidationError(errors)
    assessment = Assessment.objects.create(
        participant=participant,
        instrument=instrument,
        assessed_on=assessed_on,
        summary=summary,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    PathwayAssessment.objects.bulk_create(
        PathwayAssessment(assessment=assessment, **entry) for entry in cleaned
    )
    audit_change(
        actor=actor,
        obj=assessment,
        action=Action.CREATE,
        changes={
            "participant": [None, participant.pk],
            "instrument": [None, f"{instrument.key} v{instrument.version}"],
            "assessed_on": [None, assessed_on.isoformat()],
            "summary": [None, summary],
            "pathways": [None, cleaned],
        },
        participant_ref=_ref(participant),
    )
    return assessment


# Progress measures -------------------------------------------------------------------------------


@transaction.atomic
def measure_response_record(
    *,
    actor: User,
    participant: Participant,
    instrument: Instrument,
    completed_on: dt.date,
    scores: Mapping[str, Any],
) -> MeasureResponse:
    """Record one completion of a progress measure. Each score is a whole number within its
    item's range."""
    _require_writer(actor, participant, "progress measures")
    _check_instrument(instrument, InstrumentKind.MEASURE, "a progress measure")
    _check_date(completed_on, "completed_on", "response")
    items = item_definitions(instrument.definition)
    cleaned, problems = score_problems(items, scores)
    if problems:
        raise ValidationError(
            {
                f"scores.{key}": (
                    f"{items[key]['label']} ('{items[key]['text']}'): {problem}."
                    if key in items
                    else f"{key!r}: {problem}."
                )
                for key, problem in problems.items()
            }
        )
    # In the instrument's order, so the record reads like the questionnaire.
    ordered = {key: cleaned[key] for key in items if key in cleaned}
    response = MeasureResponse.objects.create(
        participant=participant,
        instrument=instrument,
        completed_on=completed_on,
        scores=ordered,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_change(
        actor=actor,
        obj=response,
        action=Action.CREATE,
        changes={
            "participant": [None, participant.pk],
            "instrument": [None, f"{instrument.key} v{instrument.version}"],
            "completed_on": [None, completed_on.isoformat()],
            "scores": [None, ordered],
        },
        participant_ref=_ref(participant),
    )
    return response
