from django.db import models


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    INFORMATION_REQUESTED = "information_requested", "More information requested"
    ACCEPTED = "accepted", "Accepted, awaiting allocation"
    DECLINED = "declined", "Declined"
    ALLOCATED = "allocated", "Allocated"
    CLOSED = "closed", "Closed"


class DeclineReason(models.TextChoices):
    OUTSIDE_CRITERIA = "outside_criteria", "Does not meet the programme's criteria"
    ALREADY_SUPPORTED = "already_supported", "Already receiving equivalent support"
    TOO_LITTLE_TIME = "too_little_time", "Too little time left on the order or licence"
    RISK_NOT_MANAGEABLE = "risk_not_manageable", "Risk cannot be managed by a provider"
    NO_CAPACITY = "no_capacity", "No suitable provider capacity"
    DUPLICATE = "duplicate", "Duplicate referral"
    OTHER = "other", "Other (explained in the note)"


class AllocationMethod(models.TextChoices):
    MANUAL = "manual", "Chosen from the ranked list"
    QUEUE = "queue", "Allocated with the queue (optimal assignment)"
