from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from conftest import World
from desist.delivery import selectors, services
from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ConcernCategory,
    Conclusion,
    SessionOutcome,
)
from desist.delivery.models import EndReport, InterventionPlan, Session
from desist.delivery.tests.factories_delivery import (
    NOW,
    Scene,
    approved,
    at,
    book,
    make_scene,
    objective_ids,
)
from desist.people.constants import Status
from desist.people.services import participant_change_status
from desist.providers.constants import PractitionerStatus
from desist.referrals.tests.factories import make_allocation, make_referral

SEE_THE_CASE = {
    "practitioner",
    "supervising_officer",
    "colleague_same_org",
    "police_london",
    "programme_manager",
}
CANNOT_SEE_THE_CASE = {
    "officer_other_area",
    "prison_offender_manager",
    "police_other_region",
    "other_provider_practitioner",
    "analyst",
    "administrator",
    "no_roles",
}
NOTES_READERS = {"practitioner", "supervising_officer", "colleague_same_org", "programme_manager"}


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def _other_case_session(scene: Scene) -> Session:
    """A session of the other provider's practitioner with the other case."""
    world = scene.world
    referral = make_referral(world.other_case, world.personas["officer_other_area"])
    allocation = make_allocation(
        referral, scene.other_practitioner, world.personas["programme_manager"]
    )
    return book(scene, at(4, 10), allocation=allocation, actor=scene.other_practitioner.user)


# Lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(SEE_THE_CASE | CANNOT_SEE_THE_CASE))
def test_sessions_follow_the_gate(scene: Scene, persona: str) -> None:
    mine = book(scene, at(4, 10))
    other = _other_case_session(scene)
    seen = set(selectors.sessions_for(scene.persona(persona)))
    assert (mine in seen) is (persona in SEE_THE_CASE)
    if persona == "practitioner":
        assert other not in seen


def _end_report(
    scene: Scene,
    plan: InterventionPlan,
    *,
    conclusion: str = Conclusion.COMPLETED,
    ended_early_reason: str = "",
    summary: str = "Twelve sessions.",
    achievement: str = Achievement.ACHIEVED,
) -> EndReport:
    """The allocated practitioner's report, with the same achievement for every objective."""
    return services.end_report_submit(
        actor=scene.user,
        allocation=scene.allocation,
        conclusion=conclusion,
        ended_early_reason=ended_early_reason,
        summary=summary,
        recommendations="",
        achievements={oid: (achievement, "") for oid in objective_ids(plan)},
    )


@pytest.mark.parametrize("persona", sorted(SEE_THE_CASE | CANNOT_SEE_THE_CASE))
def test_plans_follow_the_gate(scene: Scene, persona: str) -> None:
    plan = approved(scene)
    seen = list(selectors.plans_for(scene.persona(persona)))
    assert seen == ([plan] if persona in SEE_THE_CASE else [])


@pytest.mark.parametrize("persona", sorted(SEE_THE_CASE | CANNOT_SEE_THE_CASE))
def test_end_reports_follow_the_gate(scene: Scene, persona: str) -> None:
    report = _end_report(scene, approved(scene))
    seen = list(selectors.end_reports_for(scene.persona(persona)))
    # The report ends the allocation, and with it the practitioner's sight of the case.
    assert seen == ([report] if persona in SEE_THE_CASE - {"practitioner"} else [])


def test_anonymous_sees_no_sessions(scene: Scene) -> None:
    book(scene, at(4, 10))
    assert not selectors.sessions_for(AnonymousUser()).exists()


def test_practitioner_sees_only_their_own_allocations_sessions(scene: Scene) -> None:
    """After reallocation the new practitioner sees the participant but not the sessions of
    the one before; the old one sees nothing."""
    old = book(scene, at(2, 7))
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    new_allocation = make_allocation(
        scene.referral, scene.other_practitioner, scene.persona("programme_manager")
    )
    new = book(scene, at(5, 10), allocation=new_allocation, actor=scene.other_practitioner.user)
    assert list(selectors.sessions_for(scene.other_practitioner.user)) == [new]
    assert list(selectors.sessions_for(scene.user)) == []
    assert set(selectors.sessions_for(scene.persona("supervising_officer"))) == {old, new}


def test_a_suspended_practitioner_sees_no_sessions(scene: Scene) -> None:
    book(scene, at(4, 10))
    scene.practitioner.status = PractitionerStatus.SUSPENDED
    scene.practitioner.save(update_fields=["status"])
    assert not selectors.sessions_for(scene.user).exists()


def test_practitioners_see_only_the_concerns_they_raised(scene: Scene) -> None:
    mine = services.concern_raise(
        actor=scene.user,
        participant=scene.world.case,
        category=ConcernCategory.SAFEGUARDING,
        urgent=False,
        description="Child at home.",
    )
    officers = services.concern_raise(
        actor=scene.persona("supervising_officer"),
        participant=scene.world.case,
        category=ConcernCategory.RISK_TO_OTHERS,
        urgent=True,
        description="Intelligence received.",
    )
    assert list(selectors.concerns_for(scene.user)) == [mine]
    assert set(selectors.concerns_for(scene.persona("police_london"))) == {mine, officers}
    assert not selectors.concerns_for(scene.persona("police_other_region")).exists()


def _unacceptable(scene: Scene, start: dt.datetime) -> Session:
    session = book(scene, start)
    return services.session_record_outcome(
        actor=scene.user,
        session=session,
        outcome=SessionOutcome.DID_NOT_ATTEND,
        absence=Absence.UNACCEPTABLE,
        absence_reason="No answer.",
    )


def test_compliance_records_follow_the_gate(scene: Scene) -> None:
    _unacceptable(scene, at(2, 7))
    for persona in SEE_THE_CASE:
        assert selectors.compliance_records_for(scene.persona(persona)).count() == 1, persona
    for persona in CANNOT_SEE_THE_CASE:
        assert not selectors.compliance_records_for(scene.persona(persona)).exists(), persona


# Notes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(SEE_THE_CASE | CANNOT_SEE_THE_CASE))
def test_session_notes_are_for_the_provider_supervision_and_programme_team(
    scene: Scene, persona: str
) -> None:
    session = book(scene, at(4, 10))
    assert selectors.session_notes_visible(scene.persona(persona), session) is (
        persona in NOTES_READERS
    )


def test_an_involved_agency_sees_the_case_but_not_the_notes(scene: Scene) -> None:
    scene.world.case.agencies.add(scene.world.prison)
    session = book(scene, at(4, 10))
    pom = scene.persona("prison_offender_manager")
    assert selectors.sessions_for(pom).filter(pk=session.pk).exists()
    assert not selectors.session_notes_visible(pom, session)


def test_a_practitioner_no_longer_allocated_loses_the_notes(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    assert not selectors.session_notes_visible(scene.user, session)
    assert not selectors.session_notes_visible(AnonymousUser(), session)


# Dashboard counts --------------------------------------------------------------------------


def test_sessions_this_week_count_only_those_still_taking_place(scene: Scene) -> None:
    book(scene, at(2, 7))  # Monday, this week
    book(scene, at(8, 20))  # Sunday evening, this week
    cancelled = book(scene, at(6, 10))
    services.session_record_outcome(
        actor=scene.user, session=cancelled, outcome=SessionOutcome.CANCELLED_BY_PROVIDER
    )
    book(scene, at(9, 10))  # next Monday
    book(scene, at(1, 10))  # last Sunday
    assert selectors.sessions_this_week(scene.user) == 2
    assert selectors.sessions_this_week(scene.persona("supervising_officer")) == 2
    assert selectors.sessions_this_week(scene.persona("officer_other_area")) == 0


def test_concerns_awaiting_for_those_who_can_acknowledge(scene: Scene) -> None:
    concern = services.concern_raise(
        actor=scene.user,
        participant=scene.world.case,
        category=ConcernCategory.RISK_TO_SELF,
        urgent=True,
        description="Low mood.",
    )
    scene.world.case.agencies.add(scene.world.prison)
    counts = {
        persona: selectors.concerns_awaiting(scene.persona(persona))
        for persona in ("supervising_officer", "police_london", "programme_manager")
    }
    assert counts == {"supervising_officer": 1, "police_london": 1, "programme_manager": 1}
    assert selectors.concerns_awaiting(scene.persona("prison_offender_manager")) == 0
    assert selectors.concerns_awaiting(scene.user) == 1  # their own, still waiting
    services.concerns_escalate_overdue(now=NOW + dt.timedelta(days=1))
    assert selectors.concerns_awaiting(scene.persona("programme_manager")) == 1
    services.concern_acknowledge(actor=scene.persona("police_london"), concern=concern)
    assert selectors.concerns_awaiting(scene.persona("supervising_officer")) == 0


def test_compliance_decisions_due_for_those_who_decide(scene: Scene) -> None:
    session = _unacceptable(scene, at(2, 7))
    assert selectors.compliance_decisions_due(scene.persona("supervising_officer")) == 1
    assert selectors.compliance_decisions_due(scene.persona("programme_manager")) == 1
    assert selectors.compliance_decisions_due(scene.persona("police_london")) == 0
    assert selectors.compliance_decisions_due(scene.user) == 0
    assert selectors.compliance_decisions_due(scene.persona("officer_other_area")) == 0
    services.compliance_decide(
        actor=scene.persona("supervising_officer"),
        record=session.compliance,
        decision=ComplianceDecision.NO_ACTION,
        reason="Explained.",
    )
    assert selectors.compliance_decisions_due(scene.persona("supervising_officer")) == 0


# Timeline ----------------------------------------------------------------------------------


def test_timeline_tells_the_story_newest_first(scene: Scene, time_machine: Any) -> None:
    case = scene.world.case
    officer = scene.persona("supervising_officer")
    participant_change_status(
        actor=officer,
        participant=case,
        status=Status.ACTIVE,
        effective_date=NOW.date(),
        reason="Allocated",
    )
    plan = approved(scene)
    time_machine.move_to(at(3, 12), tick=False)
    attended = book(scene, at(3, 10))
    services.session_record_outcome(
        actor=scene.user,
        session=attended,
        outcome=SessionOutcome.ATTENDED,
        engagement=4,
        notes="Private note about his brother.",
        progress={objective_ids(plan)[0]: ("good", "")},
    )
    time_machine.move_to(at(4, 12), tick=False)
    missed = _unacceptable(scene, at(4, 10))
    time_machine.move_to(at(5, 12), tick=False)
    services.compliance_decide(
        actor=officer,
        record=missed.compliance,
        decision=ComplianceDecision.WARNING,
        reason="Warned by phone.",
    )
    concern = services.concern_raise(
        actor=scene.user,
        participant=case,
        category=ConcernCategory.IDEOLOGICAL,
        urgent=True,
        description="Sharing extremist videos.",
    )
    time_machine.move_to(at(5, 13), tick=False)
    services.concern_acknowledge(actor=officer, concern=concern, note="Police informed.")
    time_machine.move_to(at(6, 9), tick=False)
    _end_report(
        scene,
        plan,
        conclusion=Conclusion.ENDED_EARLY,
        ended_early_reason="recalled",
        summary="Recalled.",
        achievement=Achievement.PARTLY,
    )

    timeline = selectors.participant_timeline(case)
    titles = [entry.title for entry in timeline]
    # Things that happened at the same moment keep a fixed order.
    assert titles[:11] == [
        "End-of-intervention report: ended early",
        "Allocation ended",
        "Referral: Closed",
        "Status: Ended",
        "Concern acknowledged",
        "Urgent concern raised: Ideological",
        "Compliance decision: Warning",
        "Unacceptable absence reported to the supervising officer",
        "Session: Did not attend",
        "Session: Attended",
        "Plan version 1 approved",
    ]
    assert titles[11:] == [
        "Plan version 1 proposed",
        "Allocated to a practitioner",
        "Status: Active",
        "Status: Referred",
    ]
    whens = [entry.when for entry in timeline]
    assert whens == sorted(whens, reverse=True)
    by_title = {entry.title: entry for entry in timeline}
    assert by_title["End-of-intervention report: ended early"].detail == "Recalled to custody."
    assert by_title["Compliance decision: Warning"].detail == "Warned by phone."
    assert "Engagement 4 out of 5." in by_title["Session: Attended"].detail
    assert "Unacceptable absence." in by_title["Session: Did not attend"].detail
    everything = " ".join(f"{e.title} {e.detail}" for e in timeline)
    for restricted in ("brother", "No answer", "extremist", "Police informed", "Full risk"):
        assert restricted not in everything
    assert {entry.kind for entry in timeline} == {
        "status",
        "referral",
        "allocation",
        "plan",
        "session",
        "compliance",
        "concern",
        "end_report",
    }


def test_timeline_shows_rescheduling_and_plan_returns(scene: Scene) -> None:
    plan = services.plan_propose(
        actor=scene.user,
        allocation=scene.allocation,
        objectives=["One"],
        intervention_types=["mentoring"],
        planned_sessions=1,
        summary="",
    )
    services.plan_return(actor=scene.persona("supervising_officer"), plan=plan, note="Too thin.")
    session = book(scene, at(4, 10))
    services.session_reschedule(
        actor=scene.user, session=session, new_start=at(5, 10), reason="Hospital appointment."
    )
    entries = {entry.title: entry for entry in selectors.participant_timeline(scene.world.case)}
    assert entries["Plan version 1 returned"].detail == "Too thin."
    assert entries["Plan version 1 proposed"].detail == "1 objective, 1 planned session."
    assert "Hospital appointment." in entries["Session: Rescheduled"].detail
    assert "Session: Scheduled" not in entries  # the new one has not happened yet


def test_timeline_places_back_dated_status_changes_on_their_day_and_shows_escalation(
    scene: Scene,
) -> None:
    case = scene.world.case
    participant_change_status(
        actor=scene.persona("supervising_officer"),
        participant=case,
        status=Status.PAUSED,
        effective_date=dt.date(2026, 2, 20),
        reason="In hospital",
    )
    concern = services.concern_raise(
        actor=scene.user,
        participant=case,
        category=ConcernCategory.RISK_TO_SELF,
        urgent=True,
        description="Low mood.",
    )
    services.concerns_escalate_overdue(now=NOW + dt.timedelta(hours=5))

    entries = {entry.title: entry for entry in selectors.participant_timeline(case)}
    paused = entries["Status: Paused"]
    assert paused.when == dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)
    assert paused.detail == "From 20 February 2026. In hospital"
    escalated = entries["Concern escalated to the programme manager"]
    assert escalated.when == NOW + dt.timedelta(hours=5)
    assert escalated.detail == "Risk to self: not acknowledged in time."
    assert concern.description not in escalated.detail
