from django.db import models


class Specialism(models.TextChoices):
    MENTORING = "mentoring", "Mentoring"
    THEOLOGICAL = "theological", "Theological"
    IDEOLOGICAL = "ideological", "Ideological"
    PRACTICAL = "practical", "Practical"
    PSYCHOLOGICAL = "psychological", "Psychological"
    FAMILY = "family", "Family"


class PractitionerStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    VETTING = "vetting", "Vetting in progress"
    APPROVED = "approved", "Approved"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class VettingLevel(models.TextChoices):
    CTC = "ctc", "Counter-Terrorist Check (CTC)"
    SC = "sc", "Security Check (SC)"
    DV = "dv", "Developed Vetting (DV)"


class Language(models.TextChoices):
    """Languages sessions can be held in (ISO 639-1 codes)."""

    ENGLISH = "en", "English"
    ARABIC = "ar", "Arabic"
    BENGALI = "bn", "Bengali"
    FRENCH = "fr", "French"
    GUJARATI = "gu", "Gujarati"
    KURDISH = "ku", "Kurdish"
    PASHTO = "ps", "Pashto"
    PERSIAN = "fa", "Persian (Farsi, Dari)"
    POLISH = "pl", "Polish"
    PUNJABI = "pa", "Punjabi"
    SOMALI = "so", "Somali"
    TIGRINYA = "ti", "Tigrinya"
    TURKISH = "tr", "Turkish"
    URDU = "ur", "Urdu"
    WELSH = "cy", "Welsh"


class FaithTradition(models.TextChoices):
    ISLAM_SUNNI = "islam_sunni", "Islam (Sunni)"
    ISLAM_SHIA = "islam_shia", "Islam (Shia)"
    CHRISTIANITY = "christianity", "Christianity"
    SIKHISM = "sikhism", "Sikhism"
    HINDUISM = "hinduism", "Hinduism"
    JUDAISM = "judaism", "Judaism"
    BUDDHISM = "buddhism", "Buddhism"
    NON_RELIGIOUS = "non_religious", "Non-religious"
    OTHER = "other", "Other"
