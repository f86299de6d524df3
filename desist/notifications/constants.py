from django.db import models


class NotificationKind(models.TextChoices):
    UNACCEPTABLE_ABSENCE = "unacceptable_absence", "Unacceptable absence"
    CONCERN = "concern", "Concern raised"
    URGENT_CONCERN = "urgent_concern", "Urgent concern"
    CONCERN_ESCALATED = "concern_escalated", "Concern not acknowledged in time"
    REFERRAL = "referral", "Referral"
    ALLOCATION = "allocation", "Allocation"
    PLAN = "plan", "Intervention plan"
    EXPIRY_REMINDER = "expiry_reminder", "Vetting or training expiring"
    ACCESS_REMOVED = "access_removed", "Access removed"
    DEADLINE = "deadline", "Deadline"
    RELEASE_HANDOVER = "release_handover", "Release handover"


class EmailStatus(models.TextChoices):
    NOT_SENT = "not_sent", "No e-mail"
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
