from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import World
from desist.accounts.access import ParticipantNotFound
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import (
    Absence,
    DeadlineKind,
    ObjectiveProgressRating,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.models import Deadline, ObjectiveProgress, Session
from desist.delivery.tests.factories_delivery import (
    NOW,
    Scene,
    approved,
    at,
    book,
    make_scene,
    objective_ids,
)
from desist.providers.constants import Specialism
from desist.referrals.tests.factories import make_allocation, make_referral

NOT_THE_PRACTITIONER = [
    ("supervising_officer", PermissionDenied),
    ("programme_manager", PermissionDenied),
    ("police_london", PermissionDenied),
    ("other_provider_practitioner", ParticipantNotFound),
    ("officer_other_area", ParticipantNotFound),
]


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world, mandatory=False)


def _record(scene: Scene, session: Session, outcome: str, **extra: Any) -> Session:
    return services.session_record_outcome(
        actor=extra.pop("actor", scene.user), session=session, outcome=outcome, **extra
    )


def _deadline(kind: str) -> Deadline:
    return Deadline.objects.get(kind=kind)


# Scheduling --------------------------------------------------------------------------------


def test_practitioner_schedules_a_session_and_it_is_audited(scene: Scene) -> None:
    session = book(scene, at(4, 10))

    assert (session.participant, session.practitioner) == (scene.world.case, scene.practitioner)
    assert session.outcome == SessionOutcome.SCHEDULED
    assert session.created_by == scene.user
    event = AuditEvent.objects.get(entity="delivery.session", action="create")
    assert event.changes["scheduled_start"] == [None, "2026-03-04T10:00:00+00:00"]
    assert event.participant_ref == str(scene.world.case.uuid)


def test_overlapping_session_for_the_same_practitioner_is_refused(scene: Scene) -> None:
    book(scene, at(4, 10), 90)
    with pytest.raises(ValidationError, match="from 10:00 on 4 March 2026 to 11:30") as error:
        book(scene, at(4, 11), 60)
    assert list(error.value.message_dict) == ["scheduled_start"]
    assert Session.objects.count() == 1


def test_overlap_is_checked_against_other_participants_sessions_too(scene: Scene) -> None:
    world = scene.world
    referral = make_referral(world.other_case, world.personas["officer_other_area"])
    other_allocation = make_allocation(
        referral, scene.practitioner, world.personas["programme_manager"]
    )
    book(scene, at(4, 10))
    with pytest.raises(ValidationError):
        book(scene, at(4, 10, 30), allocation=other_allocation)


def test_back_to_back_sessions_and_other_practitioners_at_the_same_time_are_fine(
    scene: Scene,
) -> None:
    book(scene, at(4, 10), 60)
    book(scene, at(4, 11), 60)
    book(scene, at(4, 9), 60)
    referral = make_referral(scene.world.other_case, scene.persona("officer_other_area"))
    other = make_allocation(referral, scene.other_practitioner, scene.persona("programme_manager"))
    book(scene, at(4, 10), allocation=other, actor=scene.other_practitioner.user)
    assert Session.objects.count() == 4


@pytest.mark.parametrize(
    "outcome", [SessionOutcome.CANCELLED_BY_PROVIDER, SessionOutcome.CANCELLED_BY_PARTICIPANT]
)
def test_a_cancelled_session_frees_its_time(scene: Scene, outcome: str) -> None:
    first = book(scene, at(4, 10))
    _record(scene, first, outcome)
    book(scene, at(4, 10))
    assert Session.objects.count() == 2


def test_prison_visit_needs_a_location(scene: Scene) -> None:
    with pytest.raises(ValidationError) as error:
        services.session_schedule(
            actor=scene.user,
            allocation=scene.allocation,
            scheduled_start=at(4, 10),
            planned_minutes=60,
            mode=SessionMode.PRISON_VISIT,
            location="",
            session_type=Specialism.MENTORING,
        )
    assert list(error.value.message_dict) == ["location"]
    session = services.session_schedule(
        actor=scene.user,
        allocation=scene.allocation,
        scheduled_start=at(4, 10),
        planned_minutes=60,
        mode=SessionMode.PRISON_VISIT,
        location=" HMP Example ",
        session_type=Specialism.MENTORING,
    )
    assert session.location == "HMP Example"


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_PRACTITIONER)
def test_only_the_allocated_practitioner_schedules(
    scene: Scene, persona: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        book(scene, at(4, 10), actor=scene.persona(persona))
    assert not Session.objects.exists()


def test_no_sessions_for_a_participant_no_longer_allocated(scene: Scene) -> None:
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    with pytest.raises(PermissionDenied, match="no longer allocated"):
        book(scene, at(4, 10))


# Rescheduling ------------------------------------------------------------------------------


def test_rescheduling_keeps_the_chain(scene: Scene) -> None:
    first = book(scene, at(4, 10))
    second = services.session_reschedule(
        actor=scene.user, session=first, new_start=at(5, 14), reason="Job interview."
    )
    third = services.session_reschedule(
        actor=scene.user, session=second, new_start=at(6, 14), reason="Ill."
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.outcome, first.reschedule_reason) == (
        SessionOutcome.RESCHEDULED,
        "Job interview.",
    )
    assert second.outcome == SessionOutcome.RESCHEDULED
    assert third.rescheduled_from == second
    assert second.rescheduled_from == first
    assert (third.scheduled_start, third.outcome) == (at(6, 14), SessionOutcome.SCHEDULED)
    assert (third.planned_minutes, third.mode) == (first.planned_minutes, first.mode)
    assert AuditEvent.objects.filter(entity="delivery.session").count() == 5


def test_rescheduling_to_its_own_slot_minus_a_little_is_not_an_overlap_with_itself(
    scene: Scene,
) -> None:
    first = book(scene, at(4, 10))
    moved = services.session_reschedule(
        actor=scene.user, session=first, new_start=at(4, 10, 30), reason="Bus late."
    )
    assert moved.scheduled_start == at(4, 10, 30)


def test_rescheduling_onto_another_session_is_refused_and_changes_nothing(scene: Scene) -> None:
    first = book(scene, at(4, 10))
    book(scene, at(5, 10))
    with pytest.raises(ValidationError) as error:
        services.session_reschedule(
            actor=scene.user, session=first, new_start=at(5, 10, 30), reason="Clash."
        )
    assert list(error.value.message_dict) == ["new_start"]
    first.refresh_from_db()
    assert first.outcome == SessionOutcome.SCHEDULED
    assert Session.objects.count() == 2


def test_a_session_with_an_outcome_cannot_be_rescheduled(scene: Scene) -> None:
    session = book(scene, at(2, 8))
    _record(scene, session, SessionOutcome.ATTENDED)
    with pytest.raises(ValidationError, match="already has an outcome"):
        services.session_reschedule(
            actor=scene.user, session=session, new_start=at(5, 10), reason="Again."
        )


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_PRACTITIONER)
def test_only_the_allocated_practitioner_reschedules(
    scene: Scene, persona: str, refusal: type[Exception]
) -> None:
    session = book(scene, at(4, 10))
    with pytest.raises(refusal):
        services.session_reschedule(
            actor=scene.persona(persona), session=session, new_start=at(5, 10), reason="No."
        )


# Recording outcomes ------------------------------------------------------------------------


def test_outcome_for_a_future_session_is_refused_naming_the_outcome(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    with pytest.raises(ValidationError) as error:
        _record(scene, session, SessionOutcome.ATTENDED)
    assert error.value.message_dict == {
        "outcome": [
            "You cannot record an outcome for a session in the future. "
            "You can cancel or reschedule it."
        ]
    }
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED


def test_a_future_session_can_be_cancelled_by_the_participant(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    _record(scene, session, SessionOutcome.CANCELLED_BY_PARTICIPANT)
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.CANCELLED_BY_PARTICIPANT
    assert (session.outcome_recorded_at, session.outcome_recorded_by) == (NOW, scene.user)


def test_attended_session_records_engagement_notes_and_progress(scene: Scene) -> None:
    plan = approved(scene)
    first, second = objective_ids(plan)
    session = book(scene, at(2, 7))
    _record(
        scene,
        session,
        SessionOutcome.ATTENDED,
        actual_minutes=55,
        engagement=4,
        notes=" Talked about work. ",
        progress={first: (ObjectiveProgressRating.GOOD, "Applied for two jobs.")},
    )
    session.refresh_from_db()
    assert (session.actual_minutes, session.engagement, session.notes) == (
        55,
        4,
        "Talked about work.",
    )
    [progress] = ObjectiveProgress.objects.all()
    assert (progress.objective_id, progress.rating) == (first, ObjectiveProgressRating.GOOD)
    event = AuditEvent.objects.filter(entity="delivery.session", action="update").get()
    assert event.changes["outcome"] == ["", SessionOutcome.ATTENDED]
    assert event.changes["progress"] == [None, [[first, "good", "Applied for two jobs."]]]
    assert second not in [p.objective_id for p in ObjectiveProgress.objects.all()]


def test_progress_on_an_objective_outside_the_approved_plan_is_refused(scene: Scene) -> None:
    plan = approved(scene)
    newer = services.plan_propose(
        actor=scene.user,
        allocation=scene.allocation,
        objectives=["Not approved yet"],
        intervention_types=[Specialism.MENTORING],
        planned_sessions=3,
        summary="",
    )
    session = book(scene, at(2, 7))
    [not_approved] = objective_ids(newer)
    with pytest.raises(ValidationError, match="objectives of the approved plan") as error:
        _record(
            scene,
            session,
            SessionOutcome.ATTENDED,
            progress={not_approved: (ObjectiveProgressRating.SOME, "")},
        )
    assert list(error.value.message_dict) == ["progress"]
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED
    assert plan.pk != newer.pk


def test_progress_without_any_approved_plan_is_refused(scene: Scene) -> None:
    session = book(scene, at(2, 7))
    with pytest.raises(ValidationError) as error:
        _record(scene, session, SessionOutcome.ATTENDED, progress={1: ("good", "")})
    assert list(error.value.message_dict) == ["progress"]


def test_did_not_attend_needs_the_absence_and_a_reason(scene: Scene) -> None:
    session = book(scene, at(2, 7))
    with pytest.raises(ValidationError) as error:
        _record(scene, session, SessionOutcome.DID_NOT_ATTEND, absence_reason="Overslept")
    assert list(error.value.message_dict) == ["absence"]
    with pytest.raises(ValidationError) as error:
        _record(scene, session, SessionOutcome.DID_NOT_ATTEND, absence=Absence.ACCEPTABLE)
    assert list(error.value.message_dict) == ["absence_reason"]


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_PRACTITIONER)
def test_only_the_allocated_practitioner_records_outcomes(
    scene: Scene, persona: str, refusal: type[Exception]
) -> None:
    session = book(scene, at(2, 7))
    with pytest.raises(refusal):
        _record(scene, session, SessionOutcome.ATTENDED, actor=scene.persona(persona))
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED


def test_practitioner_no_longer_allocated_cannot_record(scene: Scene) -> None:
    session = book(scene, at(2, 7))
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    with pytest.raises(PermissionDenied, match="no longer allocated"):
        _record(scene, session, SessionOutcome.ATTENDED)


# Deadlines ---------------------------------------------------------------------------------


def test_first_attended_session_meets_first_contact_and_first_session(scene: Scene) -> None:
    session = book(scene, at(2, 7))
    _record(scene, session, SessionOutcome.LATE)
    # Met when the session was held, not when it was written down.
    assert _deadline(DeadlineKind.FIRST_CONTACT).met_at == at(2, 7)
    assert _deadline(DeadlineKind.FIRST_SESSION).met_at == at(2, 7)


def test_cancellation_by_the_provider_meets_no_deadline(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    _record(scene, session, SessionOutcome.CANCELLED_BY_PROVIDER)
    assert _deadline(DeadlineKind.FIRST_CONTACT).met_at is None
    assert _deadline(DeadlineKind.FIRST_SESSION).met_at is None


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [
        (SessionOutcome.CANCELLED_BY_PARTICIPANT, {}),
        (SessionOutcome.DID_NOT_ATTEND, {"absence": Absence.ACCEPTABLE, "absence_reason": "Ill"}),
    ],
)
def test_contact_without_a_session_meets_first_contact_only(
    scene: Scene, outcome: str, extra: dict[str, Any]
) -> None:
    session = book(scene, at(2, 7))
    _record(scene, session, outcome, **extra)
    assert _deadline(DeadlineKind.FIRST_CONTACT).met_at == at(2, 7)
    assert _deadline(DeadlineKind.FIRST_SESSION).met_at is None


def test_end_report_falls_due_once_the_planned_sessions_are_held(scene: Scene) -> None:
    approved(scene, planned_sessions=2)
    first = book(scene, at(2, 6))
    second = book(scene, at(2, 7))
    _record(scene, first, SessionOutcome.ATTENDED)
    assert not Deadline.objects.filter(kind=DeadlineKind.END_REPORT).exists()
    _record(scene, second, SessionOutcome.ATTENDED)
    deadline = _deadline(DeadlineKind.END_REPORT)
    assert (deadline.starts_on, deadline.allocation) == (NOW.date(), scene.allocation)


# Corrections -------------------------------------------------------------------------------


def test_outcome_can_be_corrected_within_seven_days_and_the_change_is_audited(
    scene: Scene, time_machine: Any
) -> None:
    session = book(scene, at(2, 7))
    _record(scene, session, SessionOutcome.ATTENDED, engagement=2)
    time_machine.move_to(NOW + dt.timedelta(days=7), tick=False)
    _record(scene, session, SessionOutcome.LATE, engagement=3, actual_minutes=40)

    session.refresh_from_db()
    assert (session.outcome, session.engagement) == (SessionOutcome.LATE, 3)
    latest = AuditEvent.objects.filter(entity="delivery.session").order_by("-seq").first()
    assert latest is not None
    assert latest.changes["outcome"] == [SessionOutcome.ATTENDED, SessionOutcome.LATE]
    assert latest.changes["engagement"] == [2, 3]


def test_outcome_cannot_be_corrected_after_seven_days(scene: Scene, time_machine: Any) -> None:
    session = book(scene, at(2, 7))
    _record(scene, session, SessionOutcome.ATTENDED)
    time_machine.move_to(NOW + dt.timedelta(days=7, minutes=1), tick=False)
    with pytest.raises(ValidationError, match="within 7 days"):
        _record(scene, session, SessionOutcome.LATE)


def test_correcting_replaces_the_progress(scene: Scene) -> None:
    plan = approved(scene)
    first, second = objective_ids(plan)
    session = book(scene, at(2, 7))
    _record(scene, session, SessionOutcome.ATTENDED, progress={first: ("good", "")})
    _record(scene, session, SessionOutcome.ATTENDED, progress={second: ("setback", "Argued.")})
    assert [(p.objective_id, p.rating) for p in ObjectiveProgress.objects.all()] == [
        (second, "setback")
    ]


def test_a_rescheduled_session_takes_no_outcome(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    services.session_reschedule(
        actor=scene.user, session=session, new_start=at(5, 10), reason="Moved."
    )
    with pytest.raises(ValidationError, match="was rescheduled"):
        _record(scene, session, SessionOutcome.CANCELLED_BY_PROVIDER)
