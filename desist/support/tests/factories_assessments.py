"""Small factories for needs assessments and progress measures, built through the services.

The shipped instruments (needs-assessment v1, ons4 v1) are loaded by a data migration, so they
are in every test database; `shipped` loads them again (a no-op) for tests that run after a
flush. Tests freeze time at NOW (Monday 2 March 2026, 09:00 GMT) before using these.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conftest import World
from desist.accounts.models import User
from desist.people.models import Participant
from desist.providers.tests.factories import make_practitioner
from desist.referrals.models import Allocation
from desist.referrals.tests.factories import make_allocation, make_referral
from desist.support import services_assessments
from desist.support.instruments import load_shipped, pathway_definitions
from desist.support.models import Assessment, Instrument, MeasureResponse

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
PURPOSE = {"X-Access-Purpose": "case_management"}

# Who may read and who may write world.case's support records once the world's practitioner
# is allocated to it.
READERS = ["supervising_officer", "colleague_same_org", "programme_manager", "practitioner"]
WRITERS = READERS
OUTSIDERS = [
    "police_london",
    "police_other_region",
    "officer_other_area",
    "prison_offender_manager",
    "other_provider_practitioner",
    "analyst",
    "administrator",
    "no_roles",
]


def shipped() -> tuple[Instrument, Instrument]:
    """(needs-assessment v1, ons4 v1)."""
    needs, ons4 = load_shipped(Instrument)
    return needs, ons4


def needs_instrument() -> Instrument:
    return shipped()[0]


def ons4() -> Instrument:
    return shipped()[1]


def allocate(world: World) -> Allocation:
    """Allocate the world's practitioner (cleared, London) to world.case; the other provider's
    practitioner is cleared too but not allocated."""
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    referral = make_referral(world.case, world.personas["supervising_officer"])
    return make_allocation(referral, practitioner, world.personas["programme_manager"])


def required_answers(instrument: Instrument, pathway: str) -> dict[str, Any]:
    """A valid answer to each required question of a pathway."""
    answers: dict[str, Any] = {}
    for question in pathway_definitions(instrument.definition)[pathway].get("questions", []):
        if not question.get("required"):
            continue
        if question["type"] == "yes_no":
            answers[question["key"]] = "yes"
        elif question["type"] == "choice":
            answers[question["key"]] = question["options"][0]["value"]
        else:
            answers[question["key"]] = "Answered."
    return answers


def pathways_payload(
    instrument: Instrument,
    levels: Mapping[str, str] | None = None,
    default: str = "low",
    answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """An entry for every pathway of the instrument: the level from `levels` (else `default`),
    and valid answers to the required questions (or those in `answers`)."""
    payload = []
    for code in pathway_definitions(instrument.definition):
        payload.append(
            {
                "pathway": code,
                "need_level": (levels or {}).get(code, default),
                "strengths": f"Strengths on {code}.",
                "notes": "",
                "answers": dict((answers or {}).get(code, required_answers(instrument, code))),
            }
        )
    return payload


def assess(
    actor: User,
    participant: Participant,
    *,
    on: dt.date = TODAY,
    levels: Mapping[str, str] | None = None,
    default: str = "low",
    instrument: Instrument | None = None,
    summary: str = "Agreed with the participant.",
) -> Assessment:
    instrument = instrument or needs_instrument()
    return services_assessments.assessment_record(
        actor=actor,
        participant=participant,
        instrument=instrument,
        assessed_on=on,
        summary=summary,
        pathways=pathways_payload(instrument, levels, default),
    )


def ons4_scores(
    life_satisfaction: int = 5, worthwhile: int = 5, happiness: int = 5, anxiety: int = 5
) -> dict[str, int]:
    return {
        "life_satisfaction": life_satisfaction,
        "worthwhile": worthwhile,
        "happiness": happiness,
        "anxiety": anxiety,
    }


def measure(
    actor: User, participant: Participant, *, on: dt.date = TODAY, **scores: int
) -> MeasureResponse:
    return services_assessments.measure_response_record(
        actor=actor,
        participant=participant,
        instrument=ons4(),
        completed_on=on,
        scores=ons4_scores(**scores),
    )


def write_file(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# A small questionnaire of a programme's own, as a programme would write it.
OWN_QUESTIONNAIRE = """
kind: needs_assessment
key: own-questionnaire
version: 1
title: Our own questionnaire
pathways:
  - pathway: accommodation
    questions:
      - key: settled
        text: Settled for three months?
        type: yes_no
        required: true
      - key: where
        text: Where do they live?
        type: choice
        options:
          - {value: home, label: "At home"}
          - {value: hostel, label: "In a hostel"}
  - pathway: identity
    questions:
      - key: belonging
        text: Where do they feel they belong?
        type: text
        max_length: 200
"""

# A licensed measure an organisation might load from its own file.
OWN_MEASURE = """
kind: measure
key: own-measure
version: 1
title: Our own measure
credit: Used under licence by the programme.
items:
  - key: hope
    label: Hope
    text: How hopeful do you feel about the future?
    min: 1
    max: 5
    better: higher
    anchors:
      - {value: 1, label: "Not at all"}
      - {value: 5, label: "Very"}
"""
