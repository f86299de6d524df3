from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import World
from desist.accounts.access import ParticipantNotFound
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import (
    Achievement,
    Conclusion,
    DeadlineKind,
    EndedEarlyReason,
)
from desist.delivery.deadlines import deadline_open
from desist.delivery.models import Deadline, EndReport, InterventionPlan
from desist.delivery.tests.factories_delivery import (
    NOW,
    TODAY,
    Scene,
    approved,
    make_scene,
    objective_ids,
    propose,
)
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import Status
from desist.referrals.constants import ReferralStatus


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def _submit(scene: Scene, plan: InterventionPlan | None = None, **extra: Any) -> EndReport:
    achievements = (
        {oid: (Achievement.ACHIEVED, "Holding a job.") for oid in objective_ids(plan)}
        if plan is not None
        else {}
    )
    fields: dict[str, Any] = {
        "actor": scene.user,
        "allocation": scene.allocation,
        "conclusion": Conclusion.COMPLETED,
        "ended_early_reason": "",
        "summary": "Twelve sessions; engaged throughout.",
        "recommendations": "Keep in touch with the mosque's youth worker.",
        "achievements": achievements,
    }
    return services.end_report_submit(**(fields | extra))


def test_report_ends_the_allocation_and_the_participants_intervention(scene: Scene) -> None:
    plan = approved(scene)
    deadline_open(
        participant=scene.world.case,
        kind=DeadlineKind.END_REPORT,
        starts_on=TODAY,
        referral=scene.referral,
        allocation=scene.allocation,
    )
    report = _submit(scene, plan)

    assert (report.conclusion, report.submitted_by, report.submitted_at) == (
        Conclusion.COMPLETED,
        scene.user,
        NOW,
    )
    assert sorted(a.objective_id for a in report.achievements.all()) == sorted(objective_ids(plan))
    scene.allocation.refresh_from_db()
    scene.referral.refresh_from_db()
    scene.world.case.refresh_from_db()
    assert scene.allocation.ended_at == NOW
    assert scene.referral.status == ReferralStatus.CLOSED
    assert scene.world.case.status == Status.ENDED
    assert Deadline.objects.get(kind=DeadlineKind.END_REPORT).met_at == NOW
    # Work that had not started is no longer due.
    assert Deadline.objects.get(kind=DeadlineKind.FIRST_SESSION).cancelled_at == NOW
    event = AuditEvent.objects.get(entity="delivery.endreport", action="create")
    assert event.changes["conclusion"] == [None, Conclusion.COMPLETED]
    assert len(event.changes["achievements"][1]) == 2


def test_report_tells_the_supervising_officer(scene: Scene) -> None:
    plan = approved(scene)
    Notification.objects.all().delete()
    _submit(scene, plan)
    [notification] = Notification.objects.filter(kind=NotificationKind.ALLOCATION)
    assert notification.recipient == scene.persona("supervising_officer")
    assert "CASE-1" in notification.subject
    assert scene.world.case.family_name not in notification.body


def test_every_objective_needs_an_achievement_and_the_missing_ones_are_named(
    scene: Scene,
) -> None:
    plan = approved(scene)
    first, _ = objective_ids(plan)
    with pytest.raises(ValidationError) as error:
        _submit(scene, achievements={first: (Achievement.PARTLY, "")})
    assert error.value.message_dict == {
        "achievements": ["Say how far each objective was achieved: objective 2."]
    }
    scene.allocation.refresh_from_db()
    assert scene.allocation.ended_at is None
    assert not EndReport.objects.exists()


def test_objectives_of_a_version_not_approved_are_not_assessed(scene: Scene) -> None:
    plan = approved(scene)
    newer = propose(scene, objectives=["Waiting"])
    achievements = {oid: (Achievement.ACHIEVED, "") for oid in objective_ids(plan)}
    achievements |= {oid: (Achievement.ACHIEVED, "") for oid in objective_ids(newer)}
    with pytest.raises(ValidationError, match="Only the objectives of the approved plan"):
        _submit(scene, achievements=achievements)


def test_without_an_approved_plan_there_is_nothing_to_assess(scene: Scene) -> None:
    report = _submit(
        scene, conclusion=Conclusion.ENDED_EARLY, ended_early_reason=EndedEarlyReason.RECALLED
    )
    assert report.ended_early_reason == EndedEarlyReason.RECALLED
    assert not report.achievements.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"conclusion": Conclusion.ENDED_EARLY}, "ended_early_reason"),
        ({"ended_early_reason": EndedEarlyReason.MOVED}, "ended_early_reason"),
        ({"summary": ""}, "summary"),
    ],
)
def test_report_refuses_bad_input(scene: Scene, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        _submit(scene, **changes)
    assert list(error.value.message_dict) == [field]


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("supervising_officer", PermissionDenied),
        ("programme_manager", PermissionDenied),
        ("police_london", PermissionDenied),
        ("other_provider_practitioner", ParticipantNotFound),
        ("officer_other_area", ParticipantNotFound),
    ],
)
def test_only_the_allocated_practitioner_reports(
    scene: Scene, persona: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        _submit(scene, actor=scene.persona(persona))
    scene.allocation.refresh_from_db()
    assert scene.allocation.ended_at is None


def test_a_second_report_for_the_same_allocation_is_refused(scene: Scene) -> None:
    _submit(scene)
    with pytest.raises(PermissionDenied, match="no longer allocated"):
        _submit(scene)
    assert EndReport.objects.count() == 1
