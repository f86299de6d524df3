"""Achieved goals on the participant's timeline (selectors_plan.goal_timeline_entries)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import World
from desist.delivery.selectors import TimelineEntry
from desist.support import services_plan as services
from desist.support.constants import GoalStatus, Pathway
from desist.support.selectors_plan import goal_timeline_entries
from desist.support.tests.factories_plan import NOW, make_goal


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def test_an_achieved_goal_is_celebrated_on_the_timeline(world: World) -> None:
    officer = world.personas["supervising_officer"]
    goal = make_goal(world.case, officer, pathway=Pathway.FINANCE, description="Clear my rent debt")
    services.goal_achieve(
        actor=officer, goal=goal, achieved_on=dt.date(2026, 2, 20), celebration="Debt free!"
    )

    assert goal_timeline_entries(world.case) == [
        TimelineEntry(
            when=dt.datetime(2026, 2, 20, tzinfo=ZoneInfo("Europe/London")),
            kind="goal",
            title="Goal achieved: Finance, benefits and debt",
            detail="Clear my rent debt. Debt free!",
        )
    ]


def test_goals_not_achieved_and_other_participants_goals_are_not_on_the_timeline(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]
    make_goal(world.case, officer, status=GoalStatus.IN_PROGRESS)
    make_goal(world.case, officer, status=GoalStatus.STOPPED)
    make_goal(world.other_case, officer, status=GoalStatus.ACHIEVED)

    assert goal_timeline_entries(world.case) == []


def test_achieved_goals_are_listed_oldest_first_without_a_celebration_when_none_was_given(
    world: World,
) -> None:
    officer = world.personas["supervising_officer"]
    make_goal(
        world.case,
        officer,
        status=GoalStatus.ACHIEVED,
        achieved_on=dt.date(2026, 3, 1),
        pathway=Pathway.EDUCATION_EMPLOYMENT,
        description="Start the college course!",
    )
    make_goal(
        world.case,
        officer,
        status=GoalStatus.ACHIEVED,
        achieved_on=dt.date(2026, 1, 5),
        pathway=Pathway.ACCOMMODATION,
        description="Move into the flat",
    )

    entries = goal_timeline_entries(world.case)

    assert [(e.title, e.detail) for e in entries] == [
        ("Goal achieved: Accommodation", "Move into the flat."),
        ("Goal achieved: Education, training and employment", "Start the college course!"),
    ]
