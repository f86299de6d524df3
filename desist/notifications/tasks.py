"""E-mail for notifications, sent as a background task after the transaction commits."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from desist.notifications.constants import EmailStatus
from desist.notifications.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@task()
def send_notification_email(notification_id: int) -> str:
    """Send one notification's e-mail. Safe to run twice: a sent one is left alone."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email_status not in (
            EmailStatus.PENDING,
            EmailStatus.FAILED,
        ):
            return "skipped"
        address = notification.recipient.email
        notification.email_attempts += 1
        if not address:
            notification.email_status = EmailStatus.NOT_SENT
            notification.email_error = "The recipient has no e-mail address."
        else:
            message = EmailMessage(
                subject=f"[desist] {notification.subject}",
                body=email_body(notification),
                to=[address],
                headers={"X-Desist-Notification": str(notification.uuid)},
            )
            if notification.urgent:
                message.extra_headers |= {"Importance": "high", "X-Priority": "1"}
            try:
                message.send()
            except Exception as error:  # SMTP or network: kept for the retry run
                notification.email_status = EmailStatus.FAILED
                notification.email_error = type(error).__name__
                logger.warning(
                    "notification e-mail failed: notification=%s error=%s",
                    notification.uuid,
                    type(error).__name__,
                )
            else:
                notification.email_status = EmailStatus.SENT
                notification.emailed_at = timezone.now()
                notification.email_error = ""
        notification.save(
            update_fields=["email_status", "email_attempts", "emailed_at", "email_error"]
        )
        return str(notification.email_status)


def email_body(notification: Notification) -> str:
    link = f"{settings.DESIST_BASE_URL.rstrip('/')}{notification.link}" if notification.link else ""
    lines = [notification.body, ""]
    if link:
        lines += ["Sign in to read it:", link, ""]
    lines += [
        "This message holds no personal details on purpose. Do not reply to it.",
    ]
    return "\n".join(lines)


def enqueue_on_commit(notification_ids: list[int]) -> None:
    def enqueue() -> None:
        for notification_id in notification_ids:
            send_notification_email.enqueue(notification_id)

    transaction.on_commit(enqueue)


def retry_failed_emails() -> int:
    """Queue again the e-mails still pending or failed (fewer than MAX_ATTEMPTS tries)."""
    ids = list(
        Notification.objects.filter(
            email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED],
            email_attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
    for notification_id in ids:
        send_notification_email.enqueue(notification_id)
    return len(ids)
