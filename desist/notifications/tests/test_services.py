from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from conftest import SMTPInbox, World, make_user
from desist.accounts.constants import Role
from desist.notifications import recipients
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.notifications.services import notification_mark_read, notify, unread_count
from desist.notifications.tasks import retry_failed_emails


def _notify(world: World, **extra: Any) -> list[Notification]:
    fields: dict[str, Any] = {
        "recipients": [world.personas["supervising_officer"]],
        "kind": NotificationKind.UNACCEPTABLE_ABSENCE,
        "subject": f"Unacceptable absence: case {world.case.reference}",
        "body": f"Case {world.case.reference} missed a mandatory session.",
        "participant": world.case,
        "link": f"/participants/{world.case.uuid}/",
        "urgent": True,
    }
    return notify(**(fields | extra))


def test_notification_is_e_mailed_through_smtp_after_commit(
    world: World, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _notify(world)
        assert smtp_inbox.messages == []  # nothing leaves before the transaction commits

    [message] = smtp_inbox.to("so@example.org")
    assert message["Subject"] == "[desist] Unacceptable absence: case CASE-1"
    assert message["Importance"] == "high"
    body = message.get_content()
    assert f"http://127.0.0.1:8000/participants/{world.case.uuid}/" in body
    assert world.case.family_name not in body
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.emailed_at is not None


def test_rolled_back_change_sends_no_e_mail(
    world: World, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    class Rollback(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        _notify(world)
        raise Rollback
    assert callbacks == []
    assert smtp_inbox.messages == []
    assert not Notification.objects.exists()


def test_failed_e_mail_is_kept_and_sent_by_the_retry_run(
    world: World, settings: Any, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: connection refused
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _notify(world)
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.FAILED
    assert notification.email_error == "ConnectionRefusedError"
    assert notification.email_attempts == 1

    settings.EMAIL_PORT = working_port
    assert retry_failed_emails() == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2
    assert len(smtp_inbox.to("so@example.org")) == 1
    assert retry_failed_emails() == 0


def test_user_without_e_mail_address_gets_the_in_app_notification_only(
    world: World, smtp_inbox: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    colleague = world.personas["colleague_same_org"]
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _notify(world, recipients=[colleague])
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.NOT_SENT
    assert smtp_inbox.messages == []
    assert unread_count(colleague) == 1


def test_each_recipient_is_notified_once_and_inactive_users_not_at_all(world: World) -> None:
    officer = world.personas["supervising_officer"]
    leaver = world.personas["colleague_same_org"]
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    rows = _notify(world, recipients=[officer, officer, leaver], email=False)
    assert [row.recipient for row in rows] == [officer]
    assert rows[0].email_status == EmailStatus.NOT_SENT


def test_marking_read_only_works_for_the_recipient(world: World) -> None:
    [notification] = _notify(world, email=False)
    notification_mark_read(user=world.personas["colleague_same_org"], notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is None
    notification_mark_read(user=world.personas["supervising_officer"], notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread_count(world.personas["supervising_officer"]) == 0


def test_supervising_officer_is_the_named_officer(world: World) -> None:
    assert recipients.supervising_officers_for(world.case) == [
        world.personas["supervising_officer"]
    ]


def test_without_a_named_officer_everyone_supervising_in_the_organisation_is_told(
    world: World,
) -> None:
    world.case.supervising_officer = None
    world.case.save(update_fields=["supervising_officer"])
    assert set(recipients.supervising_officers_for(world.case)) == {
        world.personas["supervising_officer"],
        world.personas["colleague_same_org"],
    }


def test_police_liaisons_are_those_covering_the_participants_region(world: World) -> None:
    assert recipients.police_liaisons_for(world.case) == [world.personas["police_london"]]
    assert recipients.police_liaisons_for(world.other_case) == [
        world.personas["police_other_region"]
    ]


def test_programme_managers_need_the_role_in_the_programme_team(world: World) -> None:
    # The role held in a probation organisation grants nothing (ROLE_ORGANISATION_KINDS).
    make_user("pm_in_wrong_org", world.probation_london, Role.PROGRAMME_MANAGER)
    assert recipients.programme_managers() == [world.personas["programme_manager"]]
