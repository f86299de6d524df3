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
from desist.delivery.constants import DeadlineKind, PlanStatus
from desist.delivery.models import Deadline, InterventionPlan
from desist.delivery.tests.factories_delivery import NOW, Scene, approved, make_scene, propose
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus

# Who is refused, and how: not-found for those the gate would not show the case to.
NOT_THE_PRACTITIONER = [
    ("supervising_officer", PermissionDenied),
    ("police_london", PermissionDenied),
    ("programme_manager", PermissionDenied),
    ("other_provider_practitioner", ParticipantNotFound),
    ("officer_other_area", ParticipantNotFound),
    ("prison_offender_manager", ParticipantNotFound),
    ("analyst", ParticipantNotFound),
]
NOT_THE_SUPERVISING_SIDE = [
    ("practitioner", PermissionDenied),
    ("police_london", PermissionDenied),
    ("other_provider_practitioner", ParticipantNotFound),
    ("officer_other_area", ParticipantNotFound),
    ("prison_offender_manager", ParticipantNotFound),
    ("analyst", ParticipantNotFound),
    ("administrator", ParticipantNotFound),
]


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def _notified(kind: str) -> list[str]:
    return sorted(n.recipient.username for n in Notification.objects.filter(kind=kind))


# Proposing ---------------------------------------------------------------------------------


def test_practitioner_proposes_the_first_version_with_numbered_objectives(scene: Scene) -> None:
    plan = propose(scene)

    assert (plan.version, plan.status) == (1, PlanStatus.PROPOSED)
    assert [(o.position, o.description) for o in plan.objectives.all()] == [
        (1, "Find stable work"),
        (2, "Rebuild contact with family"),
    ]
    assert plan.proposed_by == scene.user
    assert plan.proposed_at == NOW
    event = AuditEvent.objects.get(entity="delivery.interventionplan", action="create")
    assert event.actor_id == scene.user.pk
    assert event.participant_ref == str(scene.world.case.uuid)
    assert event.changes["objectives"] == [
        None,
        ["Find stable work", "Rebuild contact with family"],
    ]


def test_proposal_tells_the_supervising_officer_only_without_the_name(scene: Scene) -> None:
    plan = propose(scene)

    [notification] = Notification.objects.filter(kind=NotificationKind.PLAN)
    assert notification.recipient == scene.persona("supervising_officer")
    assert notification.participant == scene.world.case
    assert "CASE-1" in notification.subject
    assert scene.world.case.family_name not in notification.subject + notification.body
    assert str(scene.world.case.uuid) in notification.link
    assert plan.status == PlanStatus.PROPOSED


def test_proposal_opens_the_plan_approval_deadline_once(scene: Scene) -> None:
    plan = propose(scene)
    services.plan_return(actor=scene.persona("supervising_officer"), plan=plan, note="More.")
    propose(scene)

    [deadline] = Deadline.objects.filter(kind=DeadlineKind.PLAN_APPROVAL)
    assert deadline.allocation == scene.allocation
    assert deadline.starts_on == NOW.date()
    assert deadline.met_at is None


def test_later_versions_number_on_from_the_highest(scene: Scene) -> None:
    first = approved(scene)
    second = propose(scene, objectives=["Find stable work"])
    assert (first.version, second.version) == (1, 2)


def test_blank_objectives_are_dropped_and_none_at_all_is_refused(scene: Scene) -> None:
    plan = propose(scene, objectives=["", "Find stable work", "  "])
    assert [o.description for o in plan.objectives.all()] == ["Find stable work"]

    services.plan_return(actor=scene.persona("supervising_officer"), plan=plan, note="More.")
    with pytest.raises(ValidationError) as error:
        propose(scene, objectives=[" "])
    assert error.value.message_dict == {"objectives": ["Enter at least one objective."]}
    assert InterventionPlan.objects.count() == 1


def test_a_second_version_cannot_be_proposed_while_one_waits(scene: Scene) -> None:
    propose(scene)
    with pytest.raises(ValidationError, match="Version 1 of the plan is waiting") as error:
        propose(scene)
    assert list(error.value.message_dict) == ["plan"]
    assert InterventionPlan.objects.count() == 1


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_PRACTITIONER)
def test_only_the_allocated_practitioner_can_propose(
    scene: Scene, persona: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        propose(scene, actor=scene.persona(persona))
    assert not InterventionPlan.objects.exists()
    assert not Notification.objects.exists()


def test_practitioner_no_longer_allocated_cannot_propose(scene: Scene) -> None:
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    with pytest.raises(PermissionDenied, match="no longer allocated"):
        propose(scene)


def test_suspended_practitioner_cannot_propose(scene: Scene) -> None:
    scene.practitioner.status = PractitionerStatus.SUSPENDED
    scene.practitioner.save(update_fields=["status"])
    with pytest.raises(PermissionDenied, match="not cleared"):
        propose(scene)


def test_practitioner_whose_vetting_lapsed_cannot_propose(scene: Scene) -> None:
    scene.practitioner.vetting_expires_on = NOW.date() - dt.timedelta(days=1)
    scene.practitioner.save(update_fields=["vetting_expires_on"])
    with pytest.raises(PermissionDenied, match="Vetting expired"):
        propose(scene)


# Approving and returning -------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "programme_manager"]
)
def test_supervising_organisation_or_programme_team_approves(scene: Scene, persona: str) -> None:
    plan = propose(scene)
    services.plan_approve(actor=scene.persona(persona), plan=plan, note="Good plan.")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert (plan.decided_by, plan.decided_at, plan.decision_note) == (
        scene.persona(persona),
        NOW,
        "Good plan.",
    )
    event = AuditEvent.objects.filter(entity="delivery.interventionplan", action="update").get()
    assert event.changes["status"] == [PlanStatus.PROPOSED, PlanStatus.APPROVED]


def test_approval_meets_the_plan_approval_deadline_and_tells_the_practitioner(
    scene: Scene,
) -> None:
    plan = propose(scene)
    Notification.objects.all().delete()
    services.plan_approve(actor=scene.persona("supervising_officer"), plan=plan)

    deadline = Deadline.objects.get(kind=DeadlineKind.PLAN_APPROVAL)
    assert deadline.met_at == NOW
    assert _notified(NotificationKind.PLAN) == ["mentor"]


def test_approving_a_new_version_supersedes_the_one_in_force(scene: Scene) -> None:
    first = approved(scene)
    second = propose(scene, objectives=["Find stable work"])

    first.refresh_from_db()
    assert first.status == PlanStatus.APPROVED  # still in force while v2 waits

    services.plan_approve(actor=scene.persona("supervising_officer"), plan=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.APPROVED)
    superseded = AuditEvent.objects.get(
        entity="delivery.interventionplan",
        entity_id=str(first.pk),
        changes__has_key="superseded_by_version",
    )
    assert superseded.changes["status"] == [PlanStatus.APPROVED, PlanStatus.SUPERSEDED]


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_SUPERVISING_SIDE)
def test_others_cannot_approve(scene: Scene, persona: str, refusal: type[Exception]) -> None:
    plan = propose(scene)
    with pytest.raises(refusal):
        services.plan_approve(actor=scene.persona(persona), plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


@pytest.mark.parametrize(("persona", "refusal"), NOT_THE_SUPERVISING_SIDE)
def test_others_cannot_return(scene: Scene, persona: str, refusal: type[Exception]) -> None:
    plan = propose(scene)
    with pytest.raises(refusal):
        services.plan_return(actor=scene.persona(persona), plan=plan, note="No.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_plan_for_an_ended_allocation_cannot_be_approved(scene: Scene) -> None:
    plan = propose(scene)
    scene.allocation.ended_at = timezone.now()
    scene.allocation.save(update_fields=["ended_at"])
    with pytest.raises(ValidationError, match="has ended") as error:
        services.plan_approve(actor=scene.persona("supervising_officer"), plan=plan)
    assert list(error.value.message_dict) == ["plan"]


def test_returning_needs_a_note_and_tells_the_practitioner(scene: Scene) -> None:
    plan = propose(scene)
    officer = scene.persona("supervising_officer")
    with pytest.raises(ValidationError) as error:
        services.plan_return(actor=officer, plan=plan, note=" ")
    assert list(error.value.message_dict) == ["note"]

    Notification.objects.all().delete()
    services.plan_return(actor=officer, plan=plan, note="Add an objective on housing.")
    plan.refresh_from_db()
    assert (plan.status, plan.decision_note) == (
        PlanStatus.RETURNED,
        "Add an objective on housing.",
    )
    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.kind) == (scene.user, NotificationKind.PLAN)
    assert "returned" in notification.subject
    assert Deadline.objects.get(kind=DeadlineKind.PLAN_APPROVAL).met_at is None


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (PlanStatus.APPROVED, "approve"),
        (PlanStatus.APPROVED, "return"),
        (PlanStatus.RETURNED, "approve"),
        (PlanStatus.RETURNED, "return"),
        (PlanStatus.SUPERSEDED, "approve"),
        (PlanStatus.SUPERSEDED, "return"),
    ],
)
def test_only_a_proposed_version_can_be_decided(scene: Scene, status: str, action: str) -> None:
    plan = propose(scene)
    plan.status = status
    plan.save(update_fields=["status"])
    decide = services.plan_approve if action == "approve" else services.plan_return
    with pytest.raises(ValidationError) as error:
        decide(actor=scene.persona("supervising_officer"), plan=plan, note="Again.")
    assert list(error.value.message_dict) == ["status"]
    plan.refresh_from_db()
    assert plan.status == status
