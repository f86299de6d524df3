from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from conftest import World, make_user
from desist.accounts.access import ParticipantNotFound
from desist.accounts.constants import Role
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import ConcernCategory, ConcernStatus
from desist.delivery.models import Concern
from desist.delivery.tests.factories_delivery import NOW, Scene, make_scene
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus

LATER = NOW + dt.timedelta(hours=4, minutes=1)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def _raise(scene: Scene, *, urgent: bool = True, **extra: Any) -> Concern:
    fields: dict[str, Any] = {
        "actor": scene.user,
        "participant": scene.world.case,
        "category": ConcernCategory.RISK_TO_OTHERS,
        "urgent": urgent,
        "description": "Said he would hurt a named neighbour.",
    }
    return services.concern_raise(**(fields | extra))


def _recipients(kind: str) -> list[str]:
    return sorted(n.recipient.username for n in Notification.objects.filter(kind=kind))


# Raising -----------------------------------------------------------------------------------


def test_urgent_concern_must_be_acknowledged_within_the_set_hours(
    scene: Scene, settings: Any
) -> None:
    settings.DESIST_URGENT_CONCERN_HOURS = 2
    concern = _raise(scene)
    assert (concern.status, concern.raised_by, concern.raised_at) == (
        ConcernStatus.AWAITING,
        scene.user,
        NOW,
    )
    assert concern.acknowledge_by == NOW + dt.timedelta(hours=2)
    event = AuditEvent.objects.get(entity="delivery.concern", action="create")
    assert event.changes["urgent"] == [None, True]


def test_urgent_concern_reaches_the_officer_and_the_regions_police_at_once(scene: Scene) -> None:
    _raise(scene)
    assert _recipients(NotificationKind.URGENT_CONCERN) == ["police", "so"]
    for notification in Notification.objects.all():
        assert notification.urgent
        assert notification.email_status == EmailStatus.PENDING
        assert notification.subject == "Urgent concern: CASE-1"
        assert "Acknowledge it by 13:00 on 2 March 2026" in notification.body
        assert "neighbour" not in notification.body  # the description stays inside
        assert scene.world.case.family_name not in notification.body


def test_non_urgent_concern_tells_the_officer_only_and_has_no_deadline(scene: Scene) -> None:
    concern = _raise(scene, urgent=False, category=ConcernCategory.IDEOLOGICAL)
    assert concern.acknowledge_by is None
    assert _recipients(NotificationKind.CONCERN) == ["so"]
    assert not Notification.objects.filter(kind=NotificationKind.URGENT_CONCERN).exists()
    assert not Notification.objects.get().urgent


def test_officer_raising_a_concern_is_not_told_of_their_own(scene: Scene) -> None:
    _raise(scene, actor=scene.persona("supervising_officer"))
    assert _recipients(NotificationKind.URGENT_CONCERN) == ["police"]


@pytest.mark.parametrize("persona", ["colleague_same_org", "programme_manager"])
def test_supervision_and_programme_team_can_raise(scene: Scene, persona: str) -> None:
    concern = _raise(scene, actor=scene.persona(persona))
    assert concern.raised_by == scene.persona(persona)


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("police_london", PermissionDenied),
        ("other_provider_practitioner", ParticipantNotFound),
        ("officer_other_area", ParticipantNotFound),
        ("police_other_region", ParticipantNotFound),
        ("analyst", ParticipantNotFound),
    ],
)
def test_others_cannot_raise(scene: Scene, persona: str, refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        _raise(scene, actor=scene.persona(persona))
    assert not Concern.objects.exists()
    assert not Notification.objects.exists()


def test_suspended_practitioner_cannot_raise(scene: Scene) -> None:
    scene.practitioner.status = PractitionerStatus.SUSPENDED
    scene.practitioner.save(update_fields=["status"])
    with pytest.raises(PermissionDenied, match="not cleared"):
        _raise(scene)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"category": "gossip"}, "category"), ({"description": " "}, "description")],
)
def test_concern_needs_a_category_and_description(
    scene: Scene, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _raise(scene, **changes)
    assert list(error.value.message_dict) == [field]


# Acknowledging -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "police_london", "programme_manager"]
)
def test_acknowledged_by_supervision_police_or_programme_team(scene: Scene, persona: str) -> None:
    concern = _raise(scene)
    Notification.objects.all().delete()
    services.concern_acknowledge(actor=scene.persona(persona), concern=concern, note="On it.")

    concern.refresh_from_db()
    assert concern.status == ConcernStatus.ACKNOWLEDGED
    assert (concern.acknowledged_by, concern.acknowledged_at) == (scene.persona(persona), NOW)
    assert concern.acknowledgement_note == "On it."
    event = AuditEvent.objects.get(entity="delivery.concern", action="update")
    assert event.changes["status"] == [ConcernStatus.AWAITING, ConcernStatus.ACKNOWLEDGED]
    [told] = Notification.objects.all()
    assert (told.recipient, told.kind) == (scene.user, NotificationKind.CONCERN)


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("practitioner", PermissionDenied),
        ("police_other_region", ParticipantNotFound),
        ("officer_other_area", ParticipantNotFound),
        ("other_provider_practitioner", ParticipantNotFound),
    ],
)
def test_others_cannot_acknowledge(scene: Scene, persona: str, refusal: type[Exception]) -> None:
    concern = _raise(scene)
    with pytest.raises(refusal):
        services.concern_acknowledge(actor=scene.persona(persona), concern=concern)
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING


def test_an_involved_agency_cannot_acknowledge(scene: Scene) -> None:
    scene.world.case.agencies.add(scene.world.prison)
    concern = _raise(scene)
    with pytest.raises(PermissionDenied):
        services.concern_acknowledge(
            actor=scene.persona("prison_offender_manager"), concern=concern
        )


def test_a_concern_is_acknowledged_once(scene: Scene) -> None:
    concern = _raise(scene)
    services.concern_acknowledge(actor=scene.persona("supervising_officer"), concern=concern)
    with pytest.raises(ValidationError, match="already been acknowledged"):
        services.concern_acknowledge(actor=scene.persona("police_london"), concern=concern)
    concern.refresh_from_db()
    assert concern.acknowledged_by == scene.persona("supervising_officer")


# Escalating --------------------------------------------------------------------------------


def test_unacknowledged_urgent_concern_escalates_to_the_programme_managers_once(
    scene: Scene, time_machine: Any
) -> None:
    second_manager = make_user("pm2", scene.world.programme_team, Role.PROGRAMME_MANAGER)
    concern = _raise(scene)
    Notification.objects.all().delete()

    assert services.concerns_escalate_overdue(now=NOW + dt.timedelta(hours=4)) == 0
    time_machine.move_to(LATER, tick=False)
    assert services.concerns_escalate_overdue(now=LATER) == 1
    assert services.concerns_escalate_overdue(now=LATER + dt.timedelta(hours=1)) == 0

    concern.refresh_from_db()
    assert (concern.status, concern.escalated_at) == (ConcernStatus.ESCALATED, LATER)
    assert _recipients(NotificationKind.CONCERN_ESCALATED) == sorted(
        ["pm", second_manager.username]
    )
    assert all(n.urgent for n in Notification.objects.all())
    event = AuditEvent.objects.get(entity="delivery.concern", action="update")
    assert (event.actor_id, event.actor_label) == (None, "system")
    assert event.changes["status"] == [ConcernStatus.AWAITING, ConcernStatus.ESCALATED]


def test_acknowledged_and_non_urgent_concerns_never_escalate(scene: Scene) -> None:
    acknowledged = _raise(scene)
    services.concern_acknowledge(actor=scene.persona("supervising_officer"), concern=acknowledged)
    _raise(scene, urgent=False)
    assert services.concerns_escalate_overdue(now=NOW + dt.timedelta(days=3)) == 0
    assert not Concern.objects.filter(status=ConcernStatus.ESCALATED).exists()


def test_an_escalated_concern_can_still_be_acknowledged(scene: Scene) -> None:
    concern = _raise(scene)
    services.concerns_escalate_overdue(now=LATER)
    services.concern_acknowledge(actor=scene.persona("programme_manager"), concern=concern)
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.ACKNOWLEDGED
    assert concern.escalated_at == LATER


def test_run_scheduled_escalates(scene: Scene, time_machine: Any) -> None:
    _raise(scene)
    time_machine.move_to(LATER, tick=False)
    out = io.StringIO()
    call_command("run_scheduled", stdout=out)
    assert "urgent concerns escalated: 1" in out.getvalue()
    assert Concern.objects.get().status == ConcernStatus.ESCALATED
