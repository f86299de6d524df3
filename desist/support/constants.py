"""Codes for person-centred support. Codes are stored; labels are shown (and translatable)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Pathway(models.TextChoices):
    """The resettlement pathways, plus identity and belonging for disengagement work."""

    ACCOMMODATION = "accommodation", _("Accommodation")
    DRUGS_ALCOHOL = "drugs_alcohol", _("Drugs and alcohol")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    PHYSICAL_HEALTH = "physical_health", _("Physical health")
    ATTITUDES = "attitudes", _("Attitudes, thinking and behaviour")
    EDUCATION_EMPLOYMENT = "education_employment", _("Education, training and employment")
    FINANCE = "finance", _("Finance, benefits and debt")
    FAMILIES = "families", _("Children, families and communities")
    IDENTITY = "identity", _("Identity and belonging")


class NeedLevel(models.TextChoices):
    NONE = "none", _("No need")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# Need as a number, for "distance travelled" (a fall in need is progress).
NEED_SCORE: dict[str, int] = {
    NeedLevel.NONE: 0,
    NeedLevel.LOW: 1,
    NeedLevel.MEDIUM: 2,
    NeedLevel.HIGH: 3,
}


class InstrumentKind(models.TextChoices):
    NEEDS_ASSESSMENT = "needs_assessment", _("Needs and strengths assessment")
    MEASURE = "measure", _("Progress measure")


class Owner(models.TextChoices):
    """Who owns a development-plan action or a release-checklist item."""

    PARTICIPANT = "participant", _("The participant")
    PRACTITIONER = "practitioner", _("Practitioner")
    SUPERVISING_OFFICER = "supervising_officer", _("Supervising officer")
    PRISON_OFFENDER_MANAGER = "prison_offender_manager", _("Prison offender manager")
    PARTNER_SERVICE = "partner_service", _("Partner service")


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    STOPPED = "stopped", _("Stopped")


class ActionStatus(models.TextChoices):
    TO_DO = "to_do", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_DONE = "not_done", _("Not done")


class ServiceLink(models.TextChoices):
    SIGNPOST = "signpost", _("Signposted")
    REFERRAL = "referral", _("Referred")


class ChecklistItem(models.TextChoices):
    """The pre-release checklist, in the order it is shown."""

    ACCOMMODATION = "accommodation", _("Accommodation on release")
    IDENTITY_DOCUMENTS = "identity_documents", _("Identity documents")
    BANK_ACCOUNT = "bank_account", _("Bank account")
    GP_REGISTRATION = "gp_registration", _("GP registration")
    BENEFITS_CLAIM = "benefits_claim", _("Benefits claim")
    FIRST_PROBATION_APPOINTMENT = (
        "first_probation_appointment",
        _("First probation appointment"),
    )
    PROVIDER_CONTINUITY = (
        "provider_continuity",
        _("Intervention provider continuity through the gate"),
    )


class ChecklistStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_NEEDED = "not_needed", _("Not needed")


class EligibleSex(models.TextChoices):
    ANY = "any", _("Anyone")
    FEMALE = "female", _("Women only")
    MALE = "male", _("Men only")
