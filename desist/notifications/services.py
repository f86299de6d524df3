"""Telling people: in-app notifications, with e-mail after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from desist.accounts.models import User
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.notifications.tasks import enqueue_on_commit
from desist.people.models import Participant


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: NotificationKind | str,
    subject: str,
    body: str,
    participant: Participant | None = None,
    link: str = "",
    urgent: bool = False,
    email: bool = True,
) -> list[Notification]:
    """One notification per distinct recipient. Subject and body must not hold names: use the
    participant's reference. The e-mail goes once the caller's transaction commits, so a
    rolled-back change never sends one."""
    NotificationKind(kind)
    now = timezone.now()
    seen: set[int] = set()
    rows: list[Notification] = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                participant=participant,
                subject=subject,
                body=body,
                link=link,
                urgent=urgent,
                created_at=now,
                email_status=EmailStatus.PENDING if email else EmailStatus.NOT_SENT,
            )
        )
    # SQLite (3.35+) and PostgreSQL both return the new primary keys from bulk_create.
    created = Notification.objects.bulk_create(rows)
    if email:
        enqueue_on_commit([row.pk for row in created])
    return created


def notification_mark_read(*, user: User, notification: Notification) -> None:
    if notification.recipient_id != user.pk or notification.read_at is not None:
        return
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
