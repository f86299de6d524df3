"""Names for the choice sets that appear in more than one place in the OpenAPI schema, for
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]. Without them drf-spectacular has to invent names
such as "Status416Enum" and warns (the schema test fails on any warning).

Import paths as strings, so settings can import this module without loading any app.
"""

ENUM_NAME_OVERRIDES: dict[str, str] = {
    "ParticipantStatusEnum": "desist.people.constants.Status",
    "SexEnum": "desist.people.constants.Sex",
    "LegalBasisKindEnum": "desist.people.constants.LegalBasisKind",
    "SpecialismEnum": "desist.providers.constants.Specialism",
    "LanguageEnum": "desist.providers.constants.Language",
    "FaithTraditionEnum": "desist.providers.constants.FaithTradition",
    "PractitionerStatusEnum": "desist.providers.constants.PractitionerStatus",
    "VettingLevelEnum": "desist.providers.constants.VettingLevel",
    "ReferralStatusEnum": "desist.referrals.constants.ReferralStatus",
    "DeclineReasonEnum": "desist.referrals.constants.DeclineReason",
    "PlanStatusEnum": "desist.delivery.constants.PlanStatus",
    "SessionOutcomeEnum": "desist.delivery.constants.SessionOutcome",
    "ConcernStatusEnum": "desist.delivery.constants.ConcernStatus",
    "NotificationKindEnum": "desist.notifications.constants.NotificationKind",
    "ChecklistStatusEnum": "desist.support.constants.ChecklistStatus",
}
