from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from desist.notifications.constants import EmailStatus, NotificationKind
from desist.people.models import Participant


class Notification(models.Model):
    """A message to one user, shown in the app and (when asked) sent by e-mail.

    Subject and body carry the participant's programme reference, never a name: e-mail leaves
    the system. The link is a path with uuids only.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NOT_SENT
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            models.Index(
                fields=["email_status"],
                condition=models.Q(email_status__in=["pending", "failed"]),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk}"
