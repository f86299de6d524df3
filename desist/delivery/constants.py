from django.db import models


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for changes"
    SUPERSEDED = "superseded", "Replaced by a later version"


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PRISON_VISIT = "prison_visit", "Prison visit"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"


class SessionOutcome(models.TextChoices):
    SCHEDULED = "", "Scheduled"
    ATTENDED = "attended", "Attended"
    LATE = "late", "Attended late"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider", "Cancelled by the provider"
    CANCELLED_BY_PARTICIPANT = "cancelled_by_participant", "Cancelled by the participant"
    RESCHEDULED = "rescheduled", "Rescheduled"


class Absence(models.TextChoices):
    ACCEPTABLE = "acceptable", "Acceptable absence"
    UNACCEPTABLE = "unacceptable", "Unacceptable absence"


class ObjectiveProgressRating(models.TextChoices):
    NONE = "none", "No progress"
    SOME = "some", "Some progress"
    GOOD = "good", "Good progress"
    SETBACK = "setback", "Setback"


class ComplianceStage(models.TextChoices):
    RECORD = "record", "Record the absence"
    WARNING = "warning", "Consider a warning"
    BREACH = "breach", "Consider breach action"


class ComplianceDecision(models.TextChoices):
    NO_ACTION = "no_action", "No action"
    WARNING = "warning", "Warning"
    BREACH_ACTION = "breach_action", "Breach action"


class ConcernCategory(models.TextChoices):
    RISK_TO_OTHERS = "risk_to_others", "Risk to others"
    RISK_TO_SELF = "risk_to_self", "Risk to self"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    IDEOLOGICAL = "ideological", "Ideological"
    OTHER = "other", "Other"


class ConcernStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated to the programme manager"
    CLOSED = "closed", "Closed"


class Conclusion(models.TextChoices):
    COMPLETED = "completed", "Completed"
    ENDED_EARLY = "ended_early", "Ended early"
    CANCELLED = "cancelled", "Cancelled"


class EndedEarlyReason(models.TextChoices):
    RECALLED = "recalled", "Recalled to custody"
    MOVED = "moved", "Moved away"
    DISENGAGED = "disengaged", "Disengaged"
    ORDER_ENDED = "order_ended", "Order or licence ended"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Achievement(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTLY = "partly", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"


class DeadlineKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "First contact"
    FIRST_SESSION = "first_session", "First session"
    PLAN_APPROVAL = "plan_approval", "Plan approval"
    END_REPORT = "end_report", "End-of-intervention report"
    COMPLIANCE_DECISION = "compliance_decision", "Compliance decision"
