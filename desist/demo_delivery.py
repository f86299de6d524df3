"""Demo delivery: the programme's daily work on top of the demo participants.

Providers' practitioners (vetted and trained, and a few with problems: one suspended, one whose
vetting expires within 30 days, one being vetted, one who has just applied), contracts with
capacity, referrals in every state, allocations, approved plans with objectives, past sessions
with their outcomes and a few to come, compliance records, concerns, end-of-intervention reports
and overdue deadlines, so that every demo sign-in's dashboard has something on it.

Everything is made through the services, acting as the demo users, so every rule is checked
and every audit event, deadline and notification is the real one. A realistic history needs
dates in the past (referred months ago, sessions over past weeks), which the services cannot
be told: each step runs inside `_Clock.at(moment)`, which afterwards moves the timestamps the
step's services stamped with "now" back to `moment`, on the records themselves. Demo only.
Audit events are never touched: the trail is append-only and keeps the real time each event
was written.

Deterministic: the same participants, seed and day give the same rows (apart from the uuids
the services draw, and the few records stamped relative to the time of day: today's concerns).
Bounded: at most MAX_REFERRALS referrals however many participants there are, so building
100,000 participants takes seconds longer, not minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import cycle, groupby
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, Model, OuterRef, Q, Subquery
from django.utils import timezone

from desist.accounts.constants import Role
from desist.accounts.models import Organisation, Region, RoleGrant, User
from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ConcernCategory,
    Conclusion,
    EndedEarlyReason,
    ObjectiveProgressRating,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.deadlines import add_working_days, is_working_day, working_days_between
from desist.delivery.models import (
    ComplianceRecord,
    Concern,
    Deadline,
    EndReport,
    InterventionPlan,
    ObjectiveAchievement,
    ObjectiveProgress,
    PlanObjective,
    Session,
)
from desist.delivery.selectors import approved_plan
from desist.delivery.services import (
    compliance_decide,
    concern_acknowledge,
    concern_raise,
    concerns_escalate_overdue,
    end_report_submit,
    plan_approve,
    plan_propose,
    plan_return,
    session_record_outcome,
    session_reschedule,
    session_schedule,
)
from desist.demo import PROBATION_BY_REGION, PROVIDER_NORTH, PROVIDER_SOUTH, PROVIDERS, _Dice
from desist.notifications.constants import EmailStatus
from desist.notifications.models import Notification
from desist.people.constants import Sex, Status, Strand
from desist.people.models import Participant, StatusChange
from desist.providers.constants import FaithTradition, PractitionerStatus, Specialism, VettingLevel
from desist.providers.models import (
    Contract,
    ExpiryReminder,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)
from desist.providers.rules import add_months
from desist.providers.services import (
    contract_create,
    expiry_reminders_send,
    practitioner_change_status,
    practitioner_create,
    practitioner_record_vetting,
    training_record_completion,
)
from desist.referrals.constants import DeclineReason
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.services import (
    allocation_confirm,
    allocation_reallocate,
    referral_accept,
    referral_close,
    referral_create,
    referral_decline,
    referral_provide_information,
    referral_request_information,
)

MAX_REFERRALS = 150
# Participants considered for the demo's cases: the first ones by id, which are as varied as
# any others, so a 100,000-participant build reads no more than a 1,500-participant one.
CANDIDATE_LIMIT = 1500
MANAGER = "programme.manager"
LONDON_OFFICER = "officer.london"
LONDON_POLICE = "police.london"
NAMED_PRACTITIONER = "practitioner"
NORTH_PRACTITIONER = "practitioner.north"
MANDATORY_STRANDS = frozenset({Strand.PROBATION_LICENCE, Strand.TPIM, Strand.TEO})
VETTING_YEARS_IN_DAYS = 5 * 365 + 1
# Training completions are kept renewed this far ahead, so only the practitioner meant to have
# an expiry coming up gets reminders.
TRAINING_MARGIN_DAYS = 75
SESSION_SLOTS = ((9, 30), (11, 0), (13, 30), (15, 0))
MAX_PAST_SESSIONS = 5
# Other practitioners' cases have a shorter history: they are there for realism, not to click.
MAX_PAST_SESSIONS_OTHERS = 3

# How a practitioner stands with the programme team.
APPROVED = "approved"
EXPIRING = "expiring"  # approved; vetting expires within 30 days
SUSPENDED = "suspended"  # approved, then suspended (their case is reallocated)
VETTING = "vetting"  # vetting in progress
APPLIED = "applied"


@dataclass(frozen=True)
class _PractitionerSpec:
    username: str
    provider: str
    standing: str
    regions: tuple[str, ...]
    specialisms: tuple[str, ...]
    languages: tuple[str, ...]
    faith_traditions: tuple[str, ...]
    sex: str
    max_caseload: int
    vetting_level: str = VettingLevel.CTC


_S = Specialism
PRACTITIONERS: tuple[_PractitionerSpec, ...] = (
    _PractitionerSpec(NAMED_PRACTITIONER, PROVIDER_SOUTH, APPROVED,
                      ("london", "kent_surrey_sussex", "south_central"),
                      (_S.MENTORING, _S.IDEOLOGICAL, _S.THEOLOGICAL, _S.PRACTICAL),
                      ("en", "ur", "ar"), (FaithTradition.ISLAM_SUNNI,), Sex.MALE, 14),
    _PractitionerSpec("practitioner.south.2", PROVIDER_SOUTH, APPROVED,
                      ("london", "kent_surrey_sussex", "east_of_england"),
                      (_S.THEOLOGICAL, _S.IDEOLOGICAL, _S.MENTORING), ("en", "ar", "so"),
                      (FaithTradition.ISLAM_SUNNI,), Sex.MALE, 10, VettingLevel.SC),
    _PractitionerSpec("practitioner.south.3", PROVIDER_SOUTH, APPROVED,
                      ("london", "south_central", "east_of_england"),
                      (_S.PSYCHOLOGICAL, _S.FAMILY, _S.MENTORING), ("en", "bn"), (),
                      Sex.FEMALE, 8),
    _PractitionerSpec("practitioner.south.4", PROVIDER_SOUTH, EXPIRING,
                      ("london", "south_west", "wales"), (_S.MENTORING, _S.PRACTICAL),
                      ("en", "cy", "pl"), (FaithTradition.CHRISTIANITY,), Sex.MALE, 8),
    _PractitionerSpec("practitioner.south.5", PROVIDER_SOUTH, SUSPENDED,
                      ("london", "kent_surrey_sussex"), (_S.MENTORING, _S.IDEOLOGICAL),
                      ("en", "tr", "ku"), (), Sex.MALE, 8),
    _PractitionerSpec("practitioner.south.6", PROVIDER_SOUTH, VETTING, ("london",),
                      (_S.THEOLOGICAL,), ("en", "ur", "pa"), (FaithTradition.ISLAM_SUNNI,),
                      Sex.FEMALE, 6),
    _PractitionerSpec("practitioner.south.7", PROVIDER_SOUTH, APPLIED, ("south_west", "wales"),
                      (_S.PRACTICAL,), ("en",), (), Sex.MALE, 6),
    _PractitionerSpec(NORTH_PRACTITIONER, PROVIDER_NORTH, APPROVED,
                      ("west_midlands", "north_west", "greater_manchester"),
                      (_S.MENTORING, _S.PRACTICAL, _S.FAMILY, _S.IDEOLOGICAL),
                      ("en", "pa", "ur"), (FaithTradition.SIKHISM,), Sex.FEMALE, 12),
    _PractitionerSpec("practitioner.north.2", PROVIDER_NORTH, APPROVED,
                      ("north_west", "greater_manchester", "yorkshire_humber"),
                      (_S.THEOLOGICAL, _S.IDEOLOGICAL), ("en", "ur", "ps", "fa"),
                      (FaithTradition.ISLAM_SUNNI, FaithTradition.ISLAM_SHIA), Sex.MALE, 10,
                      VettingLevel.SC),
    _PractitionerSpec("practitioner.north.3", PROVIDER_NORTH, APPROVED,
                      ("west_midlands", "east_midlands", "north_east"),
                      (_S.PSYCHOLOGICAL, _S.MENTORING), ("en", "so", "ar"), (), Sex.MALE, 10),
    _PractitionerSpec("practitioner.north.4", PROVIDER_NORTH, APPROVED,
                      ("yorkshire_humber", "north_east", "northern_ireland"),
                      (_S.MENTORING, _S.PRACTICAL, _S.FAMILY), ("en", "pl"),
                      (FaithTradition.CHRISTIANITY,), Sex.FEMALE, 8),
)  # fmt: skip

# How each standing reads in the closing lines of `desist demo-data`.
STANDING_TEXT = {
    APPROVED: "approved",
    EXPIRING: "approved; vetting expires within 30 days",
    SUSPENDED: "suspended, so sees no participants",
    VETTING: "being vetted, so sees no participants",
    APPLIED: "applied, so sees no participants",
}


@dataclass(frozen=True)
class PractitionerLogin:
    username: str
    provider: str
    standing: str


def practitioner_logins() -> list[PractitionerLogin]:
    """Every practitioner sign-in the demo makes (they all share the demo password), with how
    each stands, so the demo can say which ones see participants."""
    return [
        PractitionerLogin(spec.username, spec.provider, STANDING_TEXT[spec.standing])
        for spec in PRACTITIONERS
    ]


# Contracts: (provider, reference, starts this many days ago, years, capacity).
CONTRACTS = (
    (PROVIDER_SOUTH, "DDP/IP/2022/01", 3 * 365 + 420, 3, 25),
    (PROVIDER_SOUTH, "DDP/IP/2025/01", 420, 3, 36),
    (PROVIDER_NORTH, "DDP/IP/2025/02", 420, 3, 32),
)

# Made-up practitioner names (the named sign-ins get theirs from the main demo builder).
_GIVEN = {
    Sex.MALE: ("Imran", "Daniel", "Yusuf", "Tomasz", "Kwame", "Hassan", "Owen", "Rhys", "Adil"),
    Sex.FEMALE: ("Amina", "Sarah", "Priya", "Fatima", "Joanne", "Leila", "Megan", "Nadia"),
}
_FAMILY = ("Rahman", "Okafor", "Hughes", "Kowalski", "Ahmed", "Mensah", "Patel", "Clarke",
           "Haddad", "Evans", "Begum", "Murray", "Siddiqui", "Doyle")  # fmt: skip


# Kinds of case, each a referral in a different state or an intervention at a different stage.
ONGOING = "ongoing"  # allocated, plan approved, sessions held, next one booked
PLAN_WAITING = "plan_waiting"  # plan proposed a few days ago, waiting for the officer
PLAN_OVERDUE = "plan_overdue"  # plan proposed weeks ago and still not approved
NO_CONTACT = "no_contact"  # allocated two weeks ago, no contact yet (overdue)
NEW_ALLOCATION = "new_allocation"  # allocated this week, first session booked
END_REPORT_DUE = "end_report_due"  # planned sessions delivered weeks ago, no report yet
COMPLETED = "completed"  # end report: completed
ENDED_EARLY = "ended_early"  # end report: ended early (moved away)
REALLOCATED = "reallocated"  # first practitioner suspended, case moved on
SUBMITTED = "submitted"
RESUBMITTED = "resubmitted"  # more information asked for and given
INFORMATION_REQUESTED = "information_requested"
ACCEPTED = "accepted"  # waiting for allocation: "Allocate the queue" has work
DECLINED = "declined"
WITHDRAWN = "withdrawn"

ALLOCATED_KINDS = frozenset(
    {ONGOING, PLAN_WAITING, PLAN_OVERDUE, NO_CONTACT, NEW_ALLOCATION, END_REPORT_DUE,
     COMPLETED, ENDED_EARLY, REALLOCATED}
)  # fmt: skip
# When the participant's intervention started (days ago), for each allocated kind.
WINDOWS: dict[str, tuple[int, int]] = {
    ONGOING: (35, 200),
    PLAN_WAITING: (21, 45),
    PLAN_OVERDUE: (45, 110),
    END_REPORT_DUE: (80, 200),
    COMPLETED: (150, 330),
    ENDED_EARLY: (150, 330),
    REALLOCATED: (70, 160),
}

# Flags on a case.
LONDON_CASE = "london_case"  # supervised by Probation Service London, ideally officer.london's
MANDATORY = "mandatory"  # attendance is mandatory
COMPLIANCE_AWAITING = "compliance_awaiting"  # second unacceptable absence, decision due
COMPLIANCE_OVERDUE = "compliance_overdue"  # unacceptable absence, decision overdue
PAST_ABSENCE = "past_absence"  # an unacceptable absence some weeks ago, decided
URGENT_CONCERN = "urgent_concern"  # urgent concern raised today, awaiting acknowledgement
ESCALATED_CONCERN = "escalated_concern"  # urgent concern not acknowledged in time
PAST_CONCERN = "past_concern"  # a concern some weeks ago, acknowledged
PLAN_REVISED = "plan_revised"  # a second version of the plan replaced the first
PLAN_RETURNED = "plan_returned"  # the first version was returned for changes
RESCHEDULE = "reschedule"  # the next session has been moved
FAR_REGION = "far_region"  # a region no cleared practitioner can take for the whole period


@dataclass(frozen=True)
class _Slot:
    kind: str
    practitioner: str = ""
    flags: frozenset[str] = frozenset()


def _slot(kind: str, practitioner: str = "", *flags: str) -> _Slot:
    return _Slot(kind, practitioner, frozenset(flags))


P1, P2 = NAMED_PRACTITIONER, NORTH_PRACTITIONER
S2, S3, S4, S5 = (f"practitioner.south.{n}" for n in (2, 3, 4, 5))
N2, N3, N4 = (f"practitioner.north.{n}" for n in (2, 3, 4))
# In the order they are filled, so that when participants run short the cases that put
# something on each demo sign-in's dashboard come first. Ended cases are made before the rest,
# which frees their places again.
SLOTS: tuple[_Slot, ...] = (
    _slot(ONGOING, P1, LONDON_CASE, MANDATORY, COMPLIANCE_AWAITING, PAST_ABSENCE),
    _slot(ONGOING, P1, LONDON_CASE, URGENT_CONCERN, PLAN_RETURNED),
    _slot(PLAN_OVERDUE, P1, LONDON_CASE),
    _slot(NO_CONTACT, P1, LONDON_CASE),
    _slot(ONGOING, P2, MANDATORY, COMPLIANCE_OVERDUE),
    _slot(ONGOING, P2, ESCALATED_CONCERN, PLAN_REVISED),
    _slot(NO_CONTACT, P2),
    _slot(ACCEPTED, "", FAR_REGION),
    *(_slot(ACCEPTED) for _ in range(7)),
    *(_slot(SUBMITTED) for _ in range(3)),
    _slot(RESUBMITTED),
    *(_slot(INFORMATION_REQUESTED) for _ in range(2)),
    *(_slot(DECLINED) for _ in range(3)),
    _slot(WITHDRAWN),
    _slot(COMPLETED, P1),
    _slot(ENDED_EARLY, P2),
    _slot(REALLOCATED, S5, LONDON_CASE),
    _slot(END_REPORT_DUE, P1),
    _slot(ONGOING, P1, LONDON_CASE, PAST_CONCERN, RESCHEDULE),
    _slot(ONGOING, P1, MANDATORY, PAST_ABSENCE, PLAN_REVISED),
    _slot(ONGOING, P2, PAST_CONCERN),
    _slot(ONGOING, P2, MANDATORY, PAST_ABSENCE, RESCHEDULE),
    _slot(PLAN_WAITING, S2),
    _slot(NEW_ALLOCATION, N3),
    _slot(ONGOING, S4),
    _slot(ONGOING, N2, PAST_CONCERN),
)
assert len(SLOTS) <= MAX_REFERRALS  # noqa: S101 - a constant checked at import

# Texts. None holds a name or anything else that identifies a person.
REASONS = (
    "Licence conditions require engagement with the programme following release.",
    "Convicted of a terrorism-connected offence; assessed as suitable for one-to-one support.",
    "Continued interest in extremist material online; support to disengage is needed.",
    "Recently released and struggling to settle; at risk of returning to old networks.",
    "Supervision has identified ideological views that need specialist challenge.",
    "Asked for support to rebuild family relationships and find work.",
)
RISK_SUMMARIES = (
    (
        "Assessed as high risk of serious harm to the public (MAPPA level 2). Intelligence "
        "indicates intermittent contact with former associates; police are monitoring.",
        "Assessed as high risk of serious harm. Meet in provider premises or by video; no "
        "lone home visits.",
    ),
    (
        "Medium risk of serious harm. History of sharing extremist material online; devices "
        "are subject to licence monitoring.",
        "Medium risk of serious harm. Do not discuss online activity outside sessions.",
    ),
    (
        "High risk of serious harm to known adults. Exclusion zone applies; details held by "
        "the supervising officer and counter-terrorism police.",
        "High risk of serious harm to known adults. Sessions in provider premises only.",
    ),
)
NEEDS_DETAIL = (
    "Needs help to challenge the ideology that led to offending.",
    "Would benefit from a mentor to build routine and trust.",
    "Has asked to talk through religious questions with a qualified scholar.",
    "Practical support with housing, benefits and employment is a priority.",
)
ACCESSIBILITY = (
    "Needs written material in plain English.",
    "Uses a wheelchair: ground-floor rooms only.",
    "Hearing impaired: needs a quiet room, no phone sessions.",
)
OBJECTIVES: dict[str, tuple[str, ...]] = {
    Specialism.MENTORING: (
        "Build a stable weekly routine with structured activity.",
        "Identify trusted people to turn to when under pressure.",
    ),
    Specialism.THEOLOGICAL: (
        "Explore mainstream interpretations of contested texts with a qualified scholar.",
        "Reconnect with a local faith community that supports desistance.",
    ),
    Specialism.IDEOLOGICAL: (
        "Examine the narratives that drew them towards extremist groups.",
        "Develop critical thinking about online content and its sources.",
    ),
    Specialism.PRACTICAL: (
        "Secure settled accommodation.",
        "Start a training course or work placement.",
    ),
    Specialism.PSYCHOLOGICAL: (
        "Learn ways to manage anger and frustration.",
        "Understand personal triggers and plan how to respond to them.",
    ),
    Specialism.FAMILY: (
        "Rebuild contact with family in a safe, supported way.",
        "Take up parenting support offered locally.",
    ),
}
SESSION_NOTES = (
    "Reviewed the week and agreed next steps.",
    "Discussed reactions to recent news coverage; challenged some assumptions.",
    "Worked through an exercise on identity and belonging.",
    "Talked about family contact and plans for the coming month.",
    "Looked at job adverts together and drafted a CV.",
    "Open and reflective session; raised questions to pick up next time.",
    "Quieter than usual; checked in on wellbeing.",
)
PROGRESS_NOTES = ("", "", "", "Clear step forward this week.", "Some resistance today.")
ACCEPTABLE_ABSENCES = (
    "Unwell; told the provider in advance.",
    "Hospital appointment, letter seen by the supervising officer.",
    "Family funeral.",
    "Job interview agreed in advance.",
)
UNACCEPTABLE_ABSENCES = (
    "Did not attend and did not answer calls; no reason given.",
    "Said they forgot; second reminder had been sent the day before.",
    "Chose to go to work shift instead without telling anyone.",
)
COMPLIANCE_DECISIONS = (
    (ComplianceDecision.WARNING, "Written warning given; reminded of the licence condition."),
    (ComplianceDecision.NO_ACTION, "Family emergency later confirmed; no action needed."),
)
INFORMATION_QUESTIONS = (
    "Please share the latest risk assessment and the MAPPA meeting minutes.",
    "Is there a current exclusion zone? The provider needs to know where sessions can be held.",
    "Please confirm the licence end date and any conditions about contact with others.",
)
INFORMATION_ANSWERS = (
    "Risk assessment attached to the case record; MAPPA minutes shared by secure e-mail.",
    "Confirmed: exclusion zone covers the town centre; provider office is outside it.",
)
DECLINES = (
    (DeclineReason.ALREADY_SUPPORTED, ""),
    (DeclineReason.TOO_LITTLE_TIME, "Licence ends in six weeks; not enough time for the work."),
    (DeclineReason.OUTSIDE_CRITERIA, ""),
    (DeclineReason.OTHER, "Participant is to be transferred to a specialist mental health unit."),
    (DeclineReason.DUPLICATE, "Same referral already made by the prison offender manager."),
)
WITHDRAWALS = (
    "Recalled to custody; the referral will be made again on release.",
    "Moved out of the area; the new supervising officer will refer again if needed.",
)
CONCERNS = (
    (ConcernCategory.SAFEGUARDING, False,
     "Said a younger sibling is being approached by the same group online."),
    (ConcernCategory.OTHER, False,
     "Has lost their job and is under financial pressure; may affect engagement."),
    (ConcernCategory.RISK_TO_OTHERS, True,
     "Made threatening remarks about a former associate during the session."),
)  # fmt: skip
URGENT_CONCERN_TEXT = (
    "Said during today's video call that they had stopped taking prescribed medication and "
    "talked about feeling there is no way forward. Agreed to see their GP; needs a welfare check."
)
ESCALATED_CONCERN_TEXT = (
    "Shared a link to extremist propaganda in a group chat with other participants of a "
    "community project and spoke approvingly of a recent attack."
)
END_SUMMARIES = {
    Conclusion.COMPLETED: (
        "Engaged well throughout. Has settled accommodation and a regular routine, and can "
        "explain how their views have changed.",
        "Continue contact with the local mentoring scheme; review at the next MAPPA meeting.",
    ),
    Conclusion.ENDED_EARLY: (
        "Moved to another part of the country for work; support ended before the plan was "
        "complete. Made progress on routine; less on the ideological work.",
        "The new supervising officer should consider a fresh referral in the new area.",
    ),
}


def demo_delivery_create(*, seed: int, today: dt.date) -> dict[str, int]:
    """Add practitioners, contracts and the cases above to the demo programme; returns counts.

    Needs the demo organisations and named sign-ins (`desist.demo.demo_data_create` makes them
    first) and runs in its transaction."""
    return _Builder(seed=seed, today=today).build()


def demo_delivery_delete(organisation_names: Sequence[str]) -> dict[str, int]:
    """Delete every delivery record about any participant, and the practitioners and contracts
    of the demo organisations, so participants, users and organisations can go next. Children
    first, each in one DELETE."""
    counts: dict[str, int] = {}
    demo_practitioners = Practitioner.objects.filter(organisation__name__in=organisation_names)
    steps: list[tuple[str, Any]] = [
        ("objective_achievements", ObjectiveAchievement.objects.all()),
        ("end_reports", EndReport.objects.all()),
        ("objective_progress", ObjectiveProgress.objects.all()),
        ("compliance_records", ComplianceRecord.objects.all()),
        ("concerns", Concern.objects.all()),
    ]
    for label, queryset in steps:
        counts[label] = queryset.delete()[0]
    # A rescheduled session is protected by the one it moved to: delete the newest links first.
    sessions = 0
    while Session.objects.exists():
        sessions += Session.objects.filter(
            ~Exists(Session.objects.filter(rescheduled_from=OuterRef("pk")))
        ).delete()[0]
    counts["sessions"] = sessions
    more: list[tuple[str, Any]] = [
        ("plan_objectives", PlanObjective.objects.all()),
        ("intervention_plans", InterventionPlan.objects.all()),
        ("deadlines", Deadline.objects.all()),
        ("allocations", Allocation.objects.all()),
        ("referral_status_changes", ReferralStatusChange.objects.all()),
        ("referrals", Referral.objects.all()),
        (
            "notifications",
            Notification.objects.filter(
                Q(participant__isnull=False)
                | Q(recipient__organisation__name__in=organisation_names)
            ),
        ),
        ("expiry_reminders", ExpiryReminder.objects.filter(practitioner__in=demo_practitioners)),
        ("training", TrainingCompletion.objects.filter(practitioner__in=demo_practitioners)),
        (
            "practitioner_status_changes",
            PractitionerStatusChange.objects.filter(practitioner__in=demo_practitioners),
        ),
        (
            "practitioner_regions",
            Practitioner.regions.through.objects.filter(practitioner__in=demo_practitioners),
        ),
        ("practitioners", demo_practitioners),
        (
            "contract_regions",
            Contract.regions.through.objects.filter(
                contract__organisation__name__in=organisation_names
            ),
        ),
        ("contracts", Contract.objects.filter(organisation__name__in=organisation_names)),
    ]
    for label, queryset in more:
        counts[label] = queryset.delete()[0]
    return {label: count for label, count in counts.items() if count}


# The clock ---------------------------------------------------------------------------------

# Per model: the timestamp fields its services set to "now" when they create a row.
_CREATED_STAMPS: dict[type[Model], tuple[str, ...]] = {
    Referral: ("referred_at", "created_at"),
    ReferralStatusChange: ("changed_at",),
    Allocation: ("allocated_at",),
    InterventionPlan: ("proposed_at",),
    Session: ("created_at",),
    ComplianceRecord: ("opened_at",),
    Concern: ("raised_at",),
    EndReport: ("submitted_at",),
    Deadline: (),
    Notification: ("created_at",),
    StatusChange: ("recorded_at",),
    Practitioner: ("created_at",),
    PractitionerStatusChange: ("changed_at",),
    TrainingCompletion: ("recorded_at",),
    Contract: ("created_at",),
}
# Timestamps services set to "now" on rows they change. All on the small delivery tables.
_CHANGED_STAMPS: tuple[tuple[type[Model], str], ...] = (
    (Allocation, "ended_at"),
    (InterventionPlan, "decided_at"),
    (Session, "outcome_recorded_at"),
    (ComplianceRecord, "decided_at"),
    (Concern, "acknowledged_at"),
    (Concern, "escalated_at"),
    (Deadline, "met_at"),
    (Deadline, "cancelled_at"),
)


class _Clock:
    """Moves what a step's services stamped with "now" back to when the step happened in the
    made-up history. Demo only: real records are never back-dated. Audit events are not
    touched (append-only, and they keep the real time they were written).

    Two queries a step find what it made and changed: the highest id of each table before and
    after, and whether any "changed" timestamp was set during the step.
    """

    def __init__(self) -> None:
        # The day the services take as today (they count working-day deadlines from it).
        self._service_today = timezone.localdate()
        quote = connection.ops.quote_name
        # Names from model metadata, not input.
        marks = [
            f"(SELECT MAX({quote('id')}) FROM {quote(model._meta.db_table)})"  # noqa: S608
            for model in _CREATED_STAMPS
        ]
        changed = [
            f"EXISTS(SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(name)} >= %s)"  # these fields' columns have their names
            for model, name in _CHANGED_STAMPS
        ]
        self._before_sql = "SELECT " + ", ".join(marks)
        self._after_sql = "SELECT " + ", ".join(marks + changed)

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchone())

    @contextmanager
    def at(self, moment: dt.datetime) -> Iterator[None]:
        started = timezone.now()
        before = [value or 0 for value in self._query(self._before_sql, [])]
        yield
        since = connection.ops.adapt_datetimefield_value(started)
        after = self._query(self._after_sql, [since] * len(_CHANGED_STAMPS))
        for model, low, high in zip(_CREATED_STAMPS, before, after, strict=False):
            if (high or 0) > low:
                self._created(model, low, moment, started)
        for (model, name), changed in zip(_CHANGED_STAMPS, after[len(before) :], strict=True):
            if changed:
                model._default_manager.filter(**{f"{name}__gte": started}).update(**{name: moment})

    def _created(
        self, model: type[Model], after_pk: int, moment: dt.datetime, started: dt.datetime
    ) -> None:
        rows = model._default_manager.filter(pk__gt=after_pk)
        day = timezone.localtime(moment).date()
        stamps: dict[str, Any] = {name: moment for name in _CREATED_STAMPS[model]}
        if model is Deadline:
            for pk, starts_on, due_on in rows.values_list("pk", "starts_on", "due_on"):
                days = working_days_between(starts_on, due_on)
                Deadline.objects.filter(pk=pk).update(
                    starts_on=day, due_on=add_working_days(day, max(days, 0))
                )
            return
        if model is ComplianceRecord:
            for pk, due_on in rows.values_list("pk", "due_on"):
                ComplianceRecord.objects.filter(pk=pk).update(
                    due_on=self._shift_date(due_on, day), **stamps
                )
            return
        if model is Concern:
            for pk, raised_at, acknowledge_by in rows.values_list(
                "pk", "raised_at", "acknowledge_by"
            ):
                later = None if acknowledge_by is None else moment + (acknowledge_by - raised_at)
                Concern.objects.filter(pk=pk).update(acknowledge_by=later, **stamps)
            return
        if model is Notification:
            rows.update(**stamps)
            # Dates in the text that the service worked out from now move with it. One notice
            # often goes to several people: each distinct text once.
            for subject, body in rows.values_list("subject", "body").distinct():
                moved = (
                    self._shift_text(subject, moment, started),
                    self._shift_text(body, moment, started),
                )
                if moved != (subject, body):
                    rows.filter(subject=subject, body=body).update(subject=moved[0], body=moved[1])
            return
        if model is StatusChange:
            stamps["effective_date"] = day
        rows.update(**stamps)

    def _shift_date(self, value: dt.date, day: dt.date) -> dt.date:
        """A date the services counted in working days from today, counted from `day`."""
        if value < self._service_today:
            return value
        return add_working_days(day, working_days_between(self._service_today, value))

    def _shift_text(self, text: str, moment: dt.datetime, started: dt.datetime) -> str:
        day = timezone.localtime(moment).date()

        def shift_time(match: re.Match[str]) -> str:
            hour, minute, date = int(match[1]), int(match[2]), _parse_date(match[3])
            value = timezone.make_aware(dt.datetime.combine(date, dt.time(hour, minute)))
            if value < started - dt.timedelta(minutes=1):
                return match[0]
            moved = timezone.localtime(value + (moment - started))
            return f"{moved:%H:%M} on {_format_date(moved.date())}"

        def shift_date(match: re.Match[str]) -> str:
            return _format_date(self._shift_date(_parse_date(match[0]), day))

        return _DATE.sub(shift_date, _TIME.sub(shift_time, text))


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DATE_PATTERN = rf"\b\d{{1,2}} (?:{'|'.join(_MONTHS)}) \d{{4}}\b"
_TIME = re.compile(rf"(\d\d):(\d\d) on ({_DATE_PATTERN})")
_DATE = re.compile(rf"(?<!\d\d:\d\d on ){_DATE_PATTERN}")


def _parse_date(text: str) -> dt.date:
    day, month, year = text.split()
    return dt.date(int(year), _MONTHS.index(month) + 1, int(day))


def _format_date(value: dt.date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


# Dates -------------------------------------------------------------------------------------


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _working_on_or_after(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _working_days_before(day: dt.date, days: int) -> dt.date:
    while days:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


# The builder -------------------------------------------------------------------------------


@dataclass
class _Candidate:
    pk: int
    region: str
    strand: str
    status: str
    organisation_id: int
    officer_id: int | None
    started: dt.date | None

    @property
    def mandatory(self) -> bool:
        return self.strand in MANDATORY_STRANDS


@dataclass
class _Case:
    slot: _Slot
    participant: Participant
    officer: User
    needs: list[str]
    referral: Referral | None = None
    allocation: Allocation | None = None
    practitioner: Practitioner | None = None
    user: User | None = None
    allocated_on: dt.date | None = None
    events: list[tuple[dt.datetime, int, Callable[[], None]]] = field(default_factory=list)

    def add(self, moment: dt.datetime, step: Callable[[], None]) -> None:
        self.events.append((moment, len(self.events), step))


@dataclass
class _Visit:
    """One planned past session: when, and what happened."""

    start: dt.datetime
    minutes: int
    outcome: str
    absence: str = ""
    decide: bool = False
    session: Session | None = None

    @property
    def recorded(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes + 25)


class _Builder:
    def __init__(self, *, seed: int, today: dt.date) -> None:
        self.dice = _Dice(seed * 7919 + 17)
        self.today = today
        self.clock = _Clock()
        self.regions = {region.code: region for region in Region.objects.all()}
        self.region_names = {code: region.name for code, region in self.regions.items()}
        self.organisations = {
            org.name: org for org in Organisation.objects.filter(name__in=list(PROVIDERS))
        }
        self.busy: dict[int, set[tuple[dt.date, int]]] = {}
        self.used: set[int] = set()
        self.suspended = False
        # Each kind of decline, withdrawal and past concern in turn.
        self.declines = cycle(DECLINES)
        self.withdrawals = cycle(WITHDRAWALS)
        self.concerns = cycle(CONCERNS)

    # Entry ---------------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True)
        notification_mark = first_notification.first() or 0
        restore = _quiet_task_log()
        self._load_staff()
        self.practitioners = self._onboard_all()
        self._contracts()
        cases = self._choose_cases()
        # Ended cases first: they free their practitioners' places for the rest.
        order = {COMPLETED: 0, ENDED_EARLY: 0, REALLOCATED: 1}
        for case in sorted(cases, key=lambda c: order.get(c.slot.kind, 2)):
            self._run(case)
        if not self.suspended:  # no participant for the reallocated case
            with self.clock.at(_at(_working_days_before(self.today, 15), 9, 15)):
                self._suspension()
        self._todays_concerns(cases)
        expiry_reminders_send(today=self.today)
        self._settle_notifications(notification_mark)
        transaction.on_commit(restore)
        return self._count()

    # People --------------------------------------------------------------------------------

    def _load_staff(self) -> None:
        named = User.objects.get(username=NAMED_PRACTITIONER)
        organisations = self.organisations
        new = []
        for spec in PRACTITIONERS:
            if spec.username in (NAMED_PRACTITIONER, NORTH_PRACTITIONER):
                continue
            given = self.dice.pick(_GIVEN[Sex(spec.sex)])
            family = self.dice.pick(_FAMILY)
            new.append(
                User(
                    username=spec.username,
                    password=named.password,  # the demo password, already hashed
                    first_name=given,
                    last_name=family,
                    email=f"{spec.username}@example.org",
                    organisation_id=organisations[spec.provider].pk,
                )
            )
        User.objects.bulk_create(new)
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=Role.PRACTITIONER) for user in new]
        )
        staff = (
            User.objects.filter(
                role_grants__role__in=[
                    Role.PROGRAMME_MANAGER,
                    Role.SUPERVISING_OFFICER,
                    Role.PRISON_OFFENDER_MANAGER,
                    Role.POLICE_LIAISON,
                    Role.PRACTITIONER,
                ]
            )
            .filter(is_active=True)
            .distinct()
            .select_related("organisation")
            .prefetch_related("role_grants")
            .order_by("pk")
        )
        self.users = {user.pk: user for user in staff}
        self.by_name = {user.username: user for user in staff}
        self.manager = self.by_name[MANAGER]
        self.officers: dict[int, list[User]] = {}
        for user in staff:
            if user.has_role(Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER):
                self.officers.setdefault(user.organisation_id or 0, []).append(user)

    def _onboard_all(self) -> dict[str, Practitioner]:
        courses = list(TrainingCourse.objects.filter(required=True).order_by("code"))
        return {spec.username: self._onboard(spec, courses) for spec in PRACTITIONERS}

    def _onboard(self, spec: _PractitionerSpec, courses: list[TrainingCourse]) -> Practitioner:
        dice, today, manager = self.dice, self.today, self.manager
        if spec.standing == APPLIED:
            applied = today - dt.timedelta(days=dice.between(4, 12))
        elif spec.standing == VETTING:
            applied = today - dt.timedelta(days=dice.between(30, 60))
        else:
            if spec.standing == EXPIRING:
                expires = today + dt.timedelta(days=dice.between(12, 26))
                granted = expires - dt.timedelta(days=VETTING_YEARS_IN_DAYS)
            else:
                granted = today - dt.timedelta(days=dice.between(200, 500))
                expires = granted + dt.timedelta(days=VETTING_YEARS_IN_DAYS)
            approved = _working_on_or_after(granted + dt.timedelta(days=dice.between(3, 10)))
            applied = granted - dt.timedelta(days=dice.between(50, 90))
        applied = _working_on_or_after(applied)
        with self.clock.at(_at(applied, 10)):
            practitioner = practitioner_create(
                actor=manager,
                user=self.by_name[spec.username],
                specialisms=spec.specialisms,
                languages=spec.languages,
                faith_traditions=spec.faith_traditions,
                sex=spec.sex,
                regions=[self.regions[code] for code in spec.regions],
                max_caseload=spec.max_caseload,
            )
        if spec.standing == APPLIED:
            return practitioner
        started = _working_on_or_after(applied + dt.timedelta(days=dice.between(5, 15)))
        with self.clock.at(_at(started, 11)):
            practitioner_change_status(
                actor=manager,
                practitioner=practitioner,
                to_status=PractitionerStatus.VETTING,
                reason="Vetting application sent to the vetting authority.",
            )
        if spec.standing == VETTING:
            done = _working_on_or_after(started + dt.timedelta(days=dice.between(3, 10)))
            with self.clock.at(_at(done, 16)):
                training_record_completion(
                    actor=manager, practitioner=practitioner, course=courses[0], completed_on=done
                )
            return practitioner
        with self.clock.at(_at(_working_on_or_after(granted), 15)):
            practitioner_record_vetting(
                actor=manager,
                practitioner=practitioner,
                level=spec.vetting_level,
                granted_on=granted,
                expires_on=expires,
            )
        for course in courses:
            first = approved - dt.timedelta(days=dice.between(10, 40))
            for completed_on in self._completions(first, course.valid_for_months):
                with self.clock.at(_at(completed_on, 16, 30)):
                    training_record_completion(
                        actor=manager,
                        practitioner=practitioner,
                        course=course,
                        completed_on=completed_on,
                    )
        with self.clock.at(_at(approved, 9, 30)):
            practitioner_change_status(
                actor=manager,
                practitioner=practitioner,
                to_status=PractitionerStatus.APPROVED,
                reason="Vetting granted and required training complete.",
            )
        return practitioner

    def _completions(self, first: dt.date, months: int | None) -> list[dt.date]:
        """The first completion and the renewals since, keeping it in date for a while yet."""
        dates = [first]
        while months is not None:
            expires = add_months(dates[-1], months)
            if expires >= self.today + dt.timedelta(days=TRAINING_MARGIN_DAYS):
                break
            renewed = min(
                expires - dt.timedelta(days=self.dice.between(10, 40)),
                self.today - dt.timedelta(days=self.dice.between(10, 60)),
            )
            dates.append(renewed)
        return dates

    def _contracts(self) -> None:
        for provider, reference, days_ago, years, capacity in CONTRACTS:
            start = self.today - dt.timedelta(days=days_ago)
            end = add_months(start, 12 * years) - dt.timedelta(days=1)
            made = _working_days_before(start, 10)
            with self.clock.at(_at(made, 12)):
                contract_create(
                    actor=self.manager,
                    organisation=self.organisations[provider],
                    reference=reference,
                    start_date=start,
                    end_date=end,
                    regions=[self.regions[code] for code in PROVIDERS[provider]],
                    capacity=capacity,
                )

    def _suspension(self) -> None:
        practitioner_change_status(
            actor=self.manager,
            practitioner=self.practitioners[S5],
            to_status=PractitionerStatus.SUSPENDED,
            reason="Suspended while a complaint about their conduct is investigated.",
        )
        self.suspended = True

    # Choosing participants -----------------------------------------------------------------

    def _candidates(self) -> list[_Candidate]:
        started = (
            StatusChange.objects.filter(participant=OuterRef("pk"), status=Status.ACTIVE)
            .order_by("-effective_date", "-id")
            .values("effective_date")[:1]
        )
        rows = (
            Participant.objects.filter(status__in=[Status.ACTIVE, Status.REFERRED])
            .order_by("pk")
            .annotate(started=Subquery(started))
            .values_list(
                "pk",
                "region__code",
                "strand",
                "status",
                "supervising_organisation_id",
                "supervising_officer_id",
                "started",
            )[:CANDIDATE_LIMIT]
        )
        return [_Candidate(*row) for row in rows]

    def _choose_cases(self) -> list[_Case]:
        candidates = self._candidates()
        london_probation = Organisation.objects.filter(
            name=PROBATION_BY_REGION["london"]
        ).values_list("pk", flat=True)
        london_id = london_probation.first() or 0
        london_officer = self.by_name[LONDON_OFFICER].pk
        chosen: list[tuple[_Slot, _Candidate]] = []
        for slot in SLOTS:
            candidate = self._pick(slot, candidates, london_id, london_officer)
            if candidate is not None:
                chosen.append((slot, candidate))
        participants = (
            Participant.objects.filter(pk__in=[c.pk for _, c in chosen])
            .select_related("region", "supervising_organisation", "supervising_officer")
            .prefetch_related("legal_bases", "agencies")
            .in_bulk()
        )
        cases = []
        for slot, candidate in chosen:
            participant = participants[candidate.pk]
            cases.append(
                _Case(
                    slot=slot,
                    participant=participant,
                    officer=self._officer_for(participant),
                    needs=self._needs(slot),
                )
            )
        return cases

    def _pick(
        self, slot: _Slot, candidates: list[_Candidate], london_id: int, london_officer: int
    ) -> _Candidate | None:
        """A participant for the slot: what it must have, then what it should have, dropping
        the least important wish until someone fits."""
        today = self.today
        must: list[Callable[[_Candidate], bool]] = []
        wishes: list[Callable[[_Candidate], bool]] = []
        if slot.practitioner:
            regions = set(self._spec(slot.practitioner).regions)
            must.append(lambda c: c.region in regions)
        if LONDON_CASE in slot.flags:
            wishes.append(lambda c: c.organisation_id == london_id)
        if MANDATORY in slot.flags:
            wishes.append(lambda c: c.mandatory and c.strand != Strand.CUSTODY)
        if LONDON_CASE in slot.flags:
            wishes.append(lambda c: c.officer_id == london_officer)
        if FAR_REGION in slot.flags:
            wishes.append(lambda c: c.region in ("south_west", "wales"))
        if slot.kind in ALLOCATED_KINDS:
            # Already active on the programme: allocation changes nobody's status, so their
            # status history stays in order.
            must.append(lambda c: c.status == Status.ACTIVE and c.started is not None)
        if slot.kind in WINDOWS:
            low, high = WINDOWS[slot.kind]
            earliest, latest = today - dt.timedelta(days=high), today - dt.timedelta(days=low)
            wishes.append(lambda c: c.started is not None and earliest <= c.started <= latest)
        elif slot.kind in ALLOCATED_KINDS:
            month_ago = today - dt.timedelta(days=30)
            wishes.append(lambda c: c.started is not None and c.started < month_ago)
        else:
            # New referrals: people recently referred, then those long on the programme.
            long_ago = today - dt.timedelta(days=330)
            wishes.append(
                lambda c: (
                    c.status == Status.REFERRED or (c.started is not None and c.started < long_ago)
                )
            )
            wishes.append(lambda c: c.status == Status.REFERRED)
        free = [c for c in candidates if c.pk not in self.used and all(m(c) for m in must)]
        for keep in range(len(wishes), -1, -1):
            matches = [c for c in free if all(w(c) for w in wishes[:keep])]
            if matches:
                chosen = self.dice.pick(matches)
                self.used.add(chosen.pk)
                return chosen
        return None

    def _officer_for(self, participant: Participant) -> User:
        officer = self.users.get(participant.supervising_officer_id or 0)
        if (
            officer is not None
            and officer.organisation_id == participant.supervising_organisation_id
        ):
            return officer
        return self.officers[participant.supervising_organisation_id][0]

    def _spec(self, username: str) -> _PractitionerSpec:
        return next(spec for spec in PRACTITIONERS if spec.username == username)

    def _needs(self, slot: _Slot) -> list[str]:
        dice = self.dice
        if slot.practitioner:
            offered = list(self._spec(slot.practitioner).specialisms)
            needs = [dice.pick(offered)]
            if dice.random() < 0.5:
                needs.append(dice.pick(Specialism.values))
        else:
            needs = [dice.pick(Specialism.values) for _ in range(dice.between(1, 3))]
        return list(dict.fromkeys(needs))

    # Referrals -----------------------------------------------------------------------------

    def _refer(self, case: _Case, day: dt.date, *, expected_end: dt.date | None) -> Referral:
        dice, participant = self.dice, case.participant
        basis = next(iter(participant.legal_bases.all()), None)
        full, redacted = dice.pick(RISK_SUMMARIES)
        spec = self._spec(case.slot.practitioner) if case.slot.practitioner else None
        language = sex = faith = ""
        if dice.random() < 0.25:
            spoken = [
                code
                for code in (spec.languages if spec else ("ur", "ar", "so", "pa"))
                if code != "en"
            ]
            language = dice.pick(spoken) if spoken else ""
        if dice.random() < 0.15:
            sex = spec.sex if spec else dice.pick((Sex.MALE, Sex.FEMALE))
        if dice.random() < 0.15 and spec and spec.faith_traditions:
            faith = dice.pick(spec.faith_traditions)
        access = dice.pick(ACCESSIBILITY) if dice.random() < 0.12 else ""
        reason = dice.pick(REASONS)
        detail = dice.pick(NEEDS_DETAIL)
        with self.clock.at(_at(day, 10, dice.below(50))):
            referral = referral_create(
                actor=case.officer,
                participant=participant,
                reason=reason,
                needs=case.needs,
                risk_summary=full,
                risk_summary_for_provider=redacted,
                legal_basis=basis,
                needs_detail=detail,
                expected_end_date=expected_end,
                preferred_practitioner_sex=sex,
                preferred_language=language,
                preferred_faith_tradition=faith,
                accessibility_needs=access,
            )
        case.referral = referral
        return referral

    def _triage(self, case: _Case) -> None:
        """Cases that stop before allocation."""
        dice, today, kind = self.dice, self.today, case.slot.kind
        ends = today + dt.timedelta(days=dice.between(150, 400))
        if FAR_REGION in case.slot.flags:
            ends = today + dt.timedelta(days=dice.between(300, 400))
        # Calendar days since the referral, and the working days its story needs.
        days_ago, needs = {
            SUBMITTED: ((1, 7), 1),
            RESUBMITTED: ((12, 18), 7),
            INFORMATION_REQUESTED: ((6, 15), 5),
            ACCEPTED: ((8, 28), 5),
            DECLINED: ((20, 90), 5),
            WITHDRAWN: ((15, 60), 11),
        }[kind]
        referred = _working_days_before(today, dice.between(*days_ago) * 5 // 7 + 1)
        received = case.participant.referral_date
        if case.participant.status == Status.REFERRED and received is not None:
            # Recently referred: the referral is the one their status records, if its story
            # fits in the days since.
            received = _working_on_or_after(received)
            if working_days_between(received, today) > needs:
                referred = received
        referral = self._refer(case, referred, expected_end=ends)
        manager = self.manager
        decided = add_working_days(referred, dice.between(1, 4))
        if decided >= today:
            decided = _working_days_before(today, 1)
        decided_at = _at(decided, 14, dice.below(50))
        if kind in (RESUBMITTED, INFORMATION_REQUESTED):
            question = dice.pick(INFORMATION_QUESTIONS)
            with self.clock.at(decided_at):
                referral_request_information(actor=manager, referral=referral, question=question)
        if kind == RESUBMITTED:
            answered = add_working_days(decided, 2)
            answer = dice.pick(INFORMATION_ANSWERS)
            with self.clock.at(_at(min(answered, today - dt.timedelta(days=1)), 16)):
                referral_provide_information(actor=case.officer, referral=referral, answer=answer)
        elif kind == ACCEPTED:
            with self.clock.at(decided_at):
                referral_accept(
                    actor=manager, referral=referral, note="Suitable for the programme."
                )
        elif kind == DECLINED:
            reason, note = next(self.declines)
            with self.clock.at(decided_at):
                referral_decline(actor=manager, referral=referral, reason=reason, note=note)
        elif kind == WITHDRAWN:
            why = next(self.withdrawals)
            with self.clock.at(decided_at):
                referral_accept(
                    actor=manager, referral=referral, note="Suitable for the programme."
                )
            closed = min(
                add_working_days(decided, dice.between(2, 6)), today - dt.timedelta(days=1)
            )
            with self.clock.at(_at(closed, 11, 40)):
                referral_close(actor=case.officer, referral=referral, reason=why)

    def _allocate(self, case: _Case, day: dt.date, username: str) -> None:
        """Refer some days before `day`, accept, then allocate to the practitioner on `day`."""
        dice = self.dice
        historic = case.slot.kind in (COMPLETED, ENDED_EARLY, END_REPORT_DUE)
        # The expected end cannot be in the past when the referral is made (today, for real);
        # and the expiring practitioner's vetting must last it.
        expected = None
        if not historic and self._spec(username).standing != EXPIRING:
            expected = self.today + dt.timedelta(days=dice.between(120, 360))
        referred = _working_days_before(day, dice.between(6, 20))
        received = case.participant.referral_date
        if received is not None:
            # Not before the referral their status history records; on it when it is recent.
            referred = max(referred, _working_on_or_after(received))
            referred = min(referred, _working_days_before(day, 1))
        referral = self._refer(case, referred, expected_end=expected)
        accepted = add_working_days(referred, dice.between(1, 4))
        accepted = min(accepted, _working_days_before(day, 1))
        with self.clock.at(_at(accepted, 14, dice.below(50))):
            referral_accept(
                actor=self.manager, referral=referral, note="Suitable for the programme."
            )
        practitioner = self.practitioners[username]
        with self.clock.at(_at(day, 11, dice.below(50))):
            case.allocation = allocation_confirm(
                actor=self.manager, referral=referral, practitioner=practitioner
            )
        case.practitioner = practitioner
        case.user = self.by_name[username]
        case.allocated_on = day

    # Running a case ------------------------------------------------------------------------

    def _run(self, case: _Case) -> None:
        kind = case.slot.kind
        if kind not in ALLOCATED_KINDS:
            self._triage(case)
            return
        today, dice = self.today, self.dice
        history = case.participant.status_history.first()  # the latest change: active
        started = history.effective_date if history else today - dt.timedelta(days=60)
        if kind in WINDOWS:
            low, high = WINDOWS[kind]
            # Long-running cases start their current allocation some time in the window.
            earliest = today - dt.timedelta(days=high - dice.below(45))
            day = min(max(started, earliest), today - dt.timedelta(days=low))
            day = _working_on_or_after(day)
        elif kind == NO_CONTACT:
            day = _working_days_before(today, dice.between(9, 13))
        else:
            day = _working_days_before(today, dice.between(1, 3))
        # Never before what the participant's history already holds (only with few people to
        # choose from does this move a case's story later than planned).
        day = min(
            max(day, _working_on_or_after(started + dt.timedelta(days=1))),
            _working_days_before(today, 1),
        )
        self._allocate(case, day, case.slot.practitioner)
        if kind in (ONGOING, PLAN_WAITING, PLAN_OVERDUE):
            self._ongoing(case)
        elif kind in (END_REPORT_DUE, COMPLETED, ENDED_EARLY):
            self._finished(case)
        elif kind == REALLOCATED:
            self._reallocated(case)
        elif kind == NEW_ALLOCATION:
            self._new_allocation(case)
        # NO_CONTACT: nothing has happened since the allocation; first contact is overdue.
        events = sorted(case.events, key=lambda event: event[:2])
        for moment, steps in groupby(events, key=lambda event: event[0]):
            with self.clock.at(moment):
                for _, _, step in steps:
                    step()

    def _cadence(self, first: dt.date, last: dt.date) -> int:
        """Weekly, or less often over a long span (at most every four weeks)."""
        weeks = (last - first).days // 7
        return 7 * max(1, min(4, -(-weeks // MAX_PAST_SESSIONS)))

    def _visits(
        self,
        case: _Case,
        practitioner: Practitioner,
        *,
        first: dt.date,
        upcoming: dt.date,
        cadence: int,
    ) -> list[_Visit]:
        """Past sessions every `cadence` days back from the one booked on `upcoming`, with
        what happened at each."""
        most = MAX_PAST_SESSIONS
        if practitioner.user_id not in (self.by_name[P1].pk, self.by_name[P2].pk):
            most = MAX_PAST_SESSIONS_OTHERS
        days: list[dt.date] = []
        day = upcoming - dt.timedelta(days=cadence)
        while day >= first and len(days) < most:
            days.append(day)
            day -= dt.timedelta(days=cadence)
        visits = []
        for planned in reversed(days):
            start = self._book_slot(practitioner.pk, _working_on_or_after(planned))
            minutes = 90 if self.dice.random() < 0.2 else 60
            if start.date() < self.today:
                visits.append(_Visit(start=start, minutes=minutes, outcome=""))
        mandatory = self._mandatory(case)
        for index, visit in enumerate(visits):
            visit.outcome, visit.absence = self._outcome(first=index == 0, mandatory=mandatory)
        return visits

    def _book_slot(self, practitioner_id: int, day: dt.date) -> dt.datetime:
        """A free slot on that working day (or the next with one): no two of a practitioner's
        sessions overlap."""
        busy = self.busy.setdefault(practitioner_id, set())
        offset = self.dice.below(len(SESSION_SLOTS))
        while True:
            for step in range(len(SESSION_SLOTS)):
                slot = (offset + step) % len(SESSION_SLOTS)
                if (day, slot) not in busy:
                    busy.add((day, slot))
                    return _at(day, *SESSION_SLOTS[slot])
            day = _working_on_or_after(day + dt.timedelta(days=1))

    def _outcome(self, *, first: bool, mandatory: bool) -> tuple[str, str]:
        roll = self.dice.random()
        if first or roll < 0.74:
            return SessionOutcome.ATTENDED, ""
        if roll < 0.82:
            return SessionOutcome.LATE, ""
        if roll < 0.89:
            return SessionOutcome.DID_NOT_ATTEND, Absence.ACCEPTABLE
        if roll < 0.93:
            # Unacceptable absences where attendance is mandatory are placed by the flags, so
            # that each compliance record has its story (decided, due, overdue).
            absence = Absence.ACCEPTABLE if mandatory else Absence.UNACCEPTABLE
            return SessionOutcome.DID_NOT_ATTEND, absence
        if roll < 0.97:
            return SessionOutcome.CANCELLED_BY_PARTICIPANT, ""
        return SessionOutcome.CANCELLED_BY_PROVIDER, ""

    def _mandatory(self, case: _Case) -> bool:
        referral = case.referral
        return bool(referral and referral.attendance_mandatory) or (
            case.participant.has_mandatory_attendance
        )

    def _ongoing(self, case: _Case) -> None:
        dice, today, flags, kind = self.dice, self.today, case.slot.flags, case.slot.kind
        practitioner = case.practitioner
        assert case.allocated_on is not None and practitioner is not None  # noqa: S101
        first = case.allocated_on + dt.timedelta(days=dice.between(3, 8))
        cadence = self._cadence(first, today)
        if COMPLIANCE_AWAITING in flags:
            # The last session, missed, was on the last working day: the decision is not due yet.
            upcoming = _working_days_before(today, 1) + dt.timedelta(days=cadence)
        elif case.slot.practitioner in (P1, P2):
            upcoming = self._this_week(cadence)
        else:
            upcoming = today + dt.timedelta(days=dice.between(1, min(cadence, 7) + 1))
        visits = self._visits(case, practitioner, first=first, upcoming=upcoming, cadence=cadence)
        mandatory = self._mandatory(case)
        if visits and mandatory:
            if COMPLIANCE_AWAITING in flags:
                _miss(visits[-1], decide=False)
            elif COMPLIANCE_OVERDUE in flags and len(visits) >= 3:
                _miss(visits[-3], decide=False)
            if PAST_ABSENCE in flags and len(visits) >= 4:
                _miss(visits[len(visits) // 2], decide=True)
        if visits and kind == PLAN_WAITING:
            proposed = _working_days_before(today, dice.between(2, 6))
            self._plan(case, _at(proposed, 12), decision="wait", visits=visits)
        elif visits and kind == PLAN_OVERDUE:
            proposed = _working_on_or_after(visits[0].start.date() + dt.timedelta(days=2))
            self._plan(case, _at(proposed, 12), decision="wait", visits=visits)
        elif visits:
            approved_on = self._plan(
                case,
                self._after(visits[min(1, len(visits) - 1)], dice.between(1, 3)),
                decision="return" if PLAN_RETURNED in flags else "approve",
                visits=visits,
            )
            if PLAN_REVISED in flags and approved_on is not None and len(visits) >= 4:
                later = max(visits[-2].start.date(), approved_on) + dt.timedelta(days=1)
                revised = _working_on_or_after(later)
                if revised < today:
                    self._plan(
                        case,
                        _at(revised, 12, 30),
                        decision="approve",
                        visits=visits,
                        version=2,
                        decide_in=(1, 3),
                    )
        self._sessions(case, visits, practitioner)
        if PAST_CONCERN in flags and len(visits) >= 3:
            self._past_concern(case, visits[len(visits) // 2 + 1])
        booked_at = visits[-1].recorded if visits else _at(case.allocated_on, 15)
        self._book_upcoming(case, practitioner, upcoming, booked_at, reschedule=RESCHEDULE in flags)

    def _this_week(self, cadence: int) -> dt.date:
        """The day of the next session, such that this week has a session in it for the named
        practitioners' dashboards: later this week if a working day is left, else one
        `cadence` after a day earlier this week."""
        today = self.today
        monday = today - dt.timedelta(days=today.weekday())
        week = [monday + dt.timedelta(days=n) for n in range(5)]
        later = [day for day in week if day > today and is_working_day(day)]
        if later:
            return self.dice.pick(later)
        earlier = [day for day in week if day < today and is_working_day(day)]
        if earlier:
            return self.dice.pick(earlier) + dt.timedelta(days=cadence)
        return today + dt.timedelta(days=self.dice.between(1, 8))

    def _after(self, visit: _Visit, days: int) -> dt.datetime:
        """Noon on the working day `days` after the visit."""
        return _at(_working_on_or_after(visit.start.date() + dt.timedelta(days=days)), 12)

    def _finished(self, case: _Case) -> None:
        """Every planned session held; then (unless the report is overdue) the end report."""
        dice, today, kind = self.dice, self.today, case.slot.kind
        practitioner = case.practitioner
        assert case.allocated_on is not None and practitioner is not None  # noqa: S101
        first = case.allocated_on + dt.timedelta(days=dice.between(3, 8))
        if kind == END_REPORT_DUE:
            last = today - dt.timedelta(days=dice.between(18, 26))
        else:
            last = min(
                first + dt.timedelta(days=dice.between(80, 120)),
                today - dt.timedelta(days=20),
            )
        cadence = self._cadence(first, last)
        upcoming = last + dt.timedelta(days=cadence)
        visits = self._visits(case, practitioner, first=first, upcoming=upcoming, cadence=cadence)
        if not visits:
            return
        visits[-1].outcome, visits[-1].absence = SessionOutcome.ATTENDED, ""
        held = sum(v.outcome in (SessionOutcome.ATTENDED, SessionOutcome.LATE) for v in visits)
        # The end report falls due once the planned sessions are held: here, at the last one.
        planned = held if kind != ENDED_EARLY else held + 5
        self._plan(
            case,
            self._after(visits[min(1, len(visits) - 1)], 1),
            decision="approve",
            visits=visits,
            planned=planned,
        )
        self._sessions(case, visits, practitioner)
        if kind == END_REPORT_DUE:
            return
        reported = add_working_days(visits[-1].start.date(), dice.between(3, 7))
        conclusion = Conclusion.COMPLETED if kind == COMPLETED else Conclusion.ENDED_EARLY
        case.add(_at(reported, 15), lambda: self._end_report(case, conclusion))

    def _reallocated(self, case: _Case) -> None:
        """Sessions with a practitioner who is then suspended; the programme manager moves the
        case to a colleague, and sessions go on with them."""
        dice, today = self.dice, self.today
        first_practitioner = case.practitioner
        assert case.allocated_on is not None and first_practitioner is not None  # noqa: S101
        first = case.allocated_on + dt.timedelta(days=dice.between(3, 8))
        moved = _working_days_before(today, dice.between(22, 28))
        visits = self._visits(case, first_practitioner, first=first, upcoming=moved, cadence=7)
        if visits:
            self._plan(
                case, self._after(visits[min(1, len(visits) - 1)], 1), decision="approve",
                visits=visits,
            )  # fmt: skip
            self._sessions(case, visits, first_practitioner)
        case.add(_at(_working_days_before(moved, 1), 9, 15), self._suspension)
        successor = self.practitioners[S2]

        def reallocate() -> None:
            assert case.allocation is not None  # noqa: S101 - allocated before
            case.allocation = allocation_reallocate(
                actor=self.manager,
                allocation=case.allocation,
                practitioner=successor,
                reason="The practitioner is suspended; moved so that support carries on.",
            )
            case.practitioner = successor
            case.user = self.by_name[S2]

        case.add(_at(moved, 10), reallocate)
        upcoming = today + dt.timedelta(days=dice.between(1, 8))
        later = self._visits(
            case, successor, first=moved + dt.timedelta(days=5), upcoming=upcoming, cadence=7
        )
        self._sessions(case, later, successor, first_booking=_at(moved, 15))
        booked_at = later[-1].recorded if later else _at(moved, 15)
        self._book_upcoming(case, successor, upcoming, booked_at, reschedule=False)

    def _new_allocation(self, case: _Case) -> None:
        assert case.allocated_on is not None and case.practitioner is not None  # noqa: S101
        upcoming = add_working_days(self.today, self.dice.between(1, 4))
        booked_at = _at(case.allocated_on, 15, 30)
        self._book_upcoming(case, case.practitioner, upcoming, booked_at, reschedule=False)

    # Steps ---------------------------------------------------------------------------------

    def _plan(
        self,
        case: _Case,
        proposed: dt.datetime,
        *,
        decision: str,
        visits: list[_Visit],
        planned: int | None = None,
        version: int = 1,
        decide_in: tuple[int, int] = (2, 7),
    ) -> dt.date | None:
        """Propose a version of the plan; the officer approves it, returns it (and approves
        the next) or has not decided yet. Returns the day it was approved, if it was."""
        dice = self.dice
        assert case.practitioner is not None  # noqa: S101 - allocated before
        offered = set(case.practitioner.specialisms)
        types = [need for need in case.needs if need in offered] or [
            case.practitioner.specialisms[0]
        ]
        objectives = [text for kind in types for text in OBJECTIVES[kind]][: 2 + dice.below(2)]
        if version > 1:
            objectives.append("Keep up the progress made and plan for life after the programme.")
        sessions = planned if planned is not None else len(visits) + dice.between(5, 10)
        weeks = (visits[1].start - visits[0].start).days // 7 if len(visits) > 1 else 1
        every = "every week" if weeks <= 1 else f"every {weeks} weeks"
        summary = f"Sessions {every}, reviewed with the supervising officer every three months."
        decided = add_working_days(proposed.date(), dice.between(*decide_in))
        user = case.user
        holder: dict[str, InterventionPlan] = {}

        def propose() -> None:
            assert case.allocation is not None and user is not None  # noqa: S101
            holder["plan"] = plan_propose(
                actor=user,
                allocation=case.allocation,
                objectives=objectives,
                intervention_types=types,
                planned_sessions=sessions,
                summary=summary,
            )

        case.add(proposed, propose)
        if decision == "wait" or decided >= self.today:
            return None
        if decision == "return":
            note = "Please make the objectives measurable and add the practical support agreed."

            def send_back() -> None:
                plan_return(actor=case.officer, plan=holder["plan"], note=note)

            case.add(_at(decided, 15), send_back)
            again = add_working_days(decided, 2)

            def propose_again() -> None:
                assert case.allocation is not None and user is not None  # noqa: S101
                holder["plan"] = plan_propose(
                    actor=user,
                    allocation=case.allocation,
                    objectives=[f"{text} (reviewed every four weeks)" for text in objectives],
                    intervention_types=types,
                    planned_sessions=sessions,
                    summary=summary,
                )

            case.add(_at(again, 11), propose_again)
            decided = add_working_days(again, 2)
            if decided >= self.today:
                return None

        def approve() -> None:
            plan_approve(actor=case.officer, plan=holder["plan"])

        case.add(_at(decided, 14, 30), approve)
        return decided

    def _sessions(
        self,
        case: _Case,
        visits: list[_Visit],
        practitioner: Practitioner,
        *,
        first_booking: dt.datetime | None = None,
    ) -> None:
        """Book each visit when the one before ends, record it after it, and decide on an
        unacceptable absence where the visit says so."""
        dice, participant = self.dice, case.participant
        offered = practitioner.specialisms
        types = [need for need in case.needs if need in offered] or [offered[0]]
        region = self.region_names[participant.region.code]
        office = f"{practitioner.organisation.name}, {region} office"
        booked = first_booking or _at(case.allocated_on or self.today, 15)
        for visit in visits:
            mode: str
            if _in_custody(participant):
                mode, location = SessionMode.PRISON_VISIT, participant.custody_establishment
            else:
                mode = _mode(dice.random())
                location = office if mode == SessionMode.IN_PERSON else ""
            session_type = dice.pick(types)
            details = self._details(visit)
            case.add(booked, self._booking(case, visit, mode, location, session_type))
            case.add(visit.recorded, self._recording(case, visit, details))
            if visit.decide:
                decided = add_working_days(visit.start.date(), dice.between(1, 3))
                decision, reason = dice.pick(COMPLIANCE_DECISIONS)
                case.add(_at(decided, 11, 30), self._deciding(case, visit, decision, reason))
            booked = visit.recorded  # the next one is booked as this one ends

    def _booking(
        self, case: _Case, visit: _Visit, mode: str, location: str, session_type: str
    ) -> Callable[[], None]:
        def book() -> None:
            assert case.allocation is not None and case.user is not None  # noqa: S101
            visit.session = session_schedule(
                actor=case.user,
                allocation=case.allocation,
                scheduled_start=visit.start,
                planned_minutes=visit.minutes,
                mode=mode,
                location=location,
                session_type=session_type,
            )

        return book

    def _details(self, visit: _Visit) -> dict[str, Any]:
        """What the practitioner writes down, drawn now so the draws never depend on timing."""
        dice = self.dice
        details: dict[str, Any] = {"ratings": [dice.random() for _ in range(4)]}
        if visit.outcome in (SessionOutcome.ATTENDED, SessionOutcome.LATE):
            late = visit.outcome == SessionOutcome.LATE
            details["actual_minutes"] = visit.minutes - (
                dice.between(15, 30) if late else dice.below(10)
            )
            details["engagement"] = int(dice.triangular(2, 6, 4 if not late else 3))
            details["notes"] = dice.pick(SESSION_NOTES)
            details["progress_notes"] = [dice.pick(PROGRESS_NOTES) for _ in range(4)]
        elif visit.outcome == SessionOutcome.DID_NOT_ATTEND:
            reasons = (
                ACCEPTABLE_ABSENCES
                if visit.absence == Absence.ACCEPTABLE
                else UNACCEPTABLE_ABSENCES
            )
            details["absence_reason"] = dice.pick(reasons)
        return details

    def _recording(self, case: _Case, visit: _Visit, details: dict[str, Any]) -> Callable[[], None]:
        def record() -> None:
            assert case.user is not None and visit.session is not None  # noqa: S101
            progress: dict[int, tuple[str, str]] = {}
            attended = "actual_minutes" in details
            if attended:
                plan = approved_plan(case.participant)
                objectives = list(plan.objectives.all()) if plan else []
                for objective, roll, note in zip(
                    objectives, details["ratings"], details["progress_notes"], strict=False
                ):
                    progress[objective.pk] = (_rating(roll), note)
            session_record_outcome(
                actor=case.user,
                session=visit.session,
                outcome=visit.outcome,
                absence=visit.absence,
                absence_reason=details.get("absence_reason", ""),
                actual_minutes=details.get("actual_minutes"),
                engagement=min(details["engagement"], 5) if attended else None,
                notes=details.get("notes", ""),
                progress=progress,
            )

        return record

    def _deciding(
        self, case: _Case, visit: _Visit, decision: str, reason: str
    ) -> Callable[[], None]:
        def decide() -> None:
            record = ComplianceRecord.objects.filter(session=visit.session).first()
            if record is not None:
                compliance_decide(
                    actor=case.officer, record=record, decision=decision, reason=reason
                )

        return decide

    def _book_upcoming(
        self,
        case: _Case,
        practitioner: Practitioner,
        day: dt.date,
        booked_at: dt.datetime,
        *,
        reschedule: bool,
    ) -> None:
        """The next session, booked at the end of the last one; perhaps moved since."""
        participant = case.participant
        start = self._book_slot(practitioner.pk, _working_on_or_after(day))
        custody = _in_custody(participant)
        mode = SessionMode.PRISON_VISIT if custody else SessionMode.VIDEO
        location = participant.custody_establishment if custody else ""
        visit = _Visit(start=start, minutes=60, outcome="")
        booking = self._booking(case, visit, mode, location, practitioner.specialisms[0])
        case.add(booked_at, booking)
        if not reschedule:
            return
        moved = self._book_slot(practitioner.pk, add_working_days(start.date(), 2))

        def move() -> None:
            assert case.user is not None and visit.session is not None  # noqa: S101
            if moved > timezone.now():  # only ever false when `today` is not the real day
                session_reschedule(
                    actor=case.user,
                    session=visit.session,
                    new_start=moved,
                    reason="Participant has a hospital appointment at that time.",
                )

        case.add(booked_at + dt.timedelta(hours=2), move)

    def _past_concern(self, case: _Case, visit: _Visit) -> None:
        category, urgent, text = next(self.concerns)
        raised = visit.recorded + dt.timedelta(minutes=20)
        holder: dict[str, Concern] = {}

        def raise_it() -> None:
            assert case.user is not None  # noqa: S101 - allocated before
            holder["concern"] = concern_raise(
                actor=case.user,
                participant=case.participant,
                category=category,
                urgent=urgent,
                description=text,
            )

        case.add(raised, raise_it)
        police = self.by_name.get(LONDON_POLICE)
        london = case.participant.region.code == "london"
        by = police if urgent and london and police is not None else case.officer
        when = (
            raised + dt.timedelta(minutes=75)
            if urgent
            else _at(add_working_days(raised.date(), 1), 10, 30)
        )
        note = "Discussed with the police liaison; safety plan updated."

        def acknowledge() -> None:
            concern_acknowledge(actor=by, concern=holder["concern"], note=note)

        case.add(when, acknowledge)

    def _end_report(self, case: _Case, conclusion: str) -> None:
        assert case.allocation is not None and case.user is not None  # noqa: S101
        plan = approved_plan(case.participant)
        objectives = list(plan.objectives.all()) if plan else []
        levels: tuple[str, ...]
        if conclusion == Conclusion.COMPLETED:
            levels = (Achievement.ACHIEVED, Achievement.ACHIEVED, Achievement.PARTLY)
        else:
            levels = (Achievement.PARTLY, Achievement.NOT_ACHIEVED)
        achievements = {
            objective.pk: (levels[index % len(levels)], "")
            for index, objective in enumerate(objectives)
        }
        summary, recommendations = END_SUMMARIES[Conclusion(conclusion)]
        end_report_submit(
            actor=case.user,
            allocation=case.allocation,
            conclusion=conclusion,
            ended_early_reason=EndedEarlyReason.MOVED
            if conclusion == Conclusion.ENDED_EARLY
            else "",
            summary=summary,
            recommendations=recommendations,
            achievements=achievements,
        )

    def _todays_concerns(self, cases: list[_Case]) -> None:
        """An urgent concern raised this afternoon, waiting to be acknowledged, and one from
        earlier today that nobody acknowledged in time, escalated by the scheduled job."""
        now = timezone.now()
        for case in cases:
            if case.allocation is None or case.user is None:
                continue
            if ESCALATED_CONCERN in case.slot.flags:
                raised = now - dt.timedelta(hours=7, minutes=10)
                with self.clock.at(raised):
                    concern_raise(
                        actor=case.user,
                        participant=case.participant,
                        category=ConcernCategory.IDEOLOGICAL,
                        urgent=True,
                        description=ESCALATED_CONCERN_TEXT,
                    )
                with self.clock.at(raised + dt.timedelta(hours=4, minutes=5)):
                    concerns_escalate_overdue(now=timezone.now())
        for case in cases:
            if case.allocation is None or case.user is None:
                continue
            if URGENT_CONCERN in case.slot.flags:
                with self.clock.at(now - dt.timedelta(minutes=35)):
                    concern_raise(
                        actor=case.user,
                        participant=case.participant,
                        category=ConcernCategory.RISK_TO_SELF,
                        urgent=True,
                        description=URGENT_CONCERN_TEXT,
                    )

    def _settle_notifications(self, after_pk: int) -> None:
        """Demo only. The e-mails of notifications from the made-up past went at the time, so
        they are recorded as sent then, and building the demo sends only today's; and people
        have read what they were sent more than two weeks ago."""
        made = Notification.objects.filter(pk__gt=after_pk)
        start_of_today = _at(self.today, 0)
        made.filter(created_at__lt=start_of_today, email_status=EmailStatus.PENDING).update(
            email_status=EmailStatus.SENT, emailed_at=F("created_at")
        )
        made.filter(
            created_at__lt=start_of_today - dt.timedelta(days=14), read_at__isnull=True
        ).update(read_at=F("created_at") + dt.timedelta(hours=2))

    def _count(self) -> dict[str, int]:
        return {
            "practitioners": Practitioner.objects.count(),
            "contracts": Contract.objects.count(),
            "referrals": Referral.objects.count(),
            "allocations": Allocation.objects.count(),
            "intervention_plans": InterventionPlan.objects.count(),
            "sessions": Session.objects.count(),
            "compliance_records": ComplianceRecord.objects.count(),
            "concerns": Concern.objects.count(),
            "end_reports": EndReport.objects.count(),
        }


def _quiet_task_log() -> Callable[[], None]:
    """Every notification queues its e-mail task when the demo's transaction commits; the
    made-up past's are already recorded as sent and skip, but each would log two lines. Keep
    the task log to warnings while they run (the callbacks run in the order they were added),
    and return the callback that puts it back after them."""
    logger = logging.getLogger("django_tasks")
    level = logger.level
    transaction.on_commit(lambda: logger.setLevel(max(level, logging.WARNING)))
    return lambda: logger.setLevel(level)


def _miss(visit: _Visit, *, decide: bool) -> None:
    """An unacceptable absence; `decide`: the officer's decision follows some days later."""
    visit.outcome, visit.absence, visit.decide = (
        SessionOutcome.DID_NOT_ATTEND,
        Absence.UNACCEPTABLE,
        decide,
    )


def _in_custody(participant: Participant) -> bool:
    return participant.strand == Strand.CUSTODY and bool(participant.custody_establishment)


def _mode(roll: float) -> str:
    if roll < 0.55:
        return SessionMode.IN_PERSON
    if roll < 0.8:
        return SessionMode.VIDEO
    return SessionMode.PHONE


def _rating(roll: float) -> str:
    if roll < 0.45:
        return ObjectiveProgressRating.SOME
    if roll < 0.75:
        return ObjectiveProgressRating.GOOD
    if roll < 0.9:
        return ObjectiveProgressRating.NONE
    return ObjectiveProgressRating.SETBACK
