from django.db import models


class Strand(models.TextChoices):
    PROBATION_LICENCE = "probation_licence", "Probation licence"
    TPIM = "tpim", "TPIM"
    TEO = "teo", "TEO"
    CUSTODY = "custody", "Custody"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    REFERRED = "referred", "Referred"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NOT_KNOWN = "not_known", "Not known"


class LegalBasisKind(models.TextChoices):
    LICENCE = "licence", "Licence conditions"
    TPIM_NOTICE = "tpim_notice", "TPIM notice"
    TEO = "teo", "Temporary exclusion order"
    CUSTODIAL_SENTENCE = "custodial_sentence", "Custodial sentence"
    COMMUNITY_ORDER = "community_order", "Community or suspended sentence order"
    VOLUNTARY = "voluntary", "Voluntary participation"


class MappaCategory(models.TextChoices):
    NONE = "", "Not MAPPA-eligible"
    CAT1 = "1", "Category 1"
    CAT2 = "2", "Category 2"
    CAT3 = "3", "Category 3"
    CAT4 = "4", "Category 4 (terrorism)"


class MappaLevel(models.TextChoices):
    NONE = "", "Not managed under MAPPA"
    LEVEL1 = "1", "Level 1"
    LEVEL2 = "2", "Level 2"
    LEVEL3 = "3", "Level 3"


class FieldGroup(models.TextChoices):
    """Groups of participant fields the access gate grants separately."""

    IDENTITY = "identity", "Names, date of birth, sex"
    IDENTIFIERS = "identifiers", "PNC, prison and probation identifiers"
    CONTACT = "contact", "Contact details"
    SUPERVISION = "supervision", "Strand, legal bases, status, supervision"
    RISK = "risk", "MAPPA category and level"
    CUSTODY = "custody", "Custody details"


class AccessPurpose(models.TextChoices):
    CASE_MANAGEMENT = "case_management", "Case management and supervision"
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment or escalation"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    ALLOCATION = "allocation", "Triage and allocation"
    QUALITY_ASSURANCE = "quality_assurance", "Quality assurance or audit"
    DATA_CORRECTION = "data_correction", "Correcting the record"
