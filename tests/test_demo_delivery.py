"""`desist demo-data` also fills in the programme's daily work, through the services, so every
demo sign-in's dashboard has something on it.

One demo programme is built for the whole module (it takes some seconds), on a fixed day, inside
a transaction that is rolled back at the end; each test runs in its own savepoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from desist.accounts.models import User
from desist.audit.models import AuditEvent
from desist.delivery.constants import (
    Absence,
    ConcernStatus,
    DeadlineKind,
    PlanStatus,
    SessionOutcome,
)
from desist.delivery.deadlines import overdue
from desist.delivery.models import ComplianceRecord, Concern, Deadline, EndReport, Session
from desist.demo import NAMED_LOGINS, PROBATION_BY_REGION, PROVIDER_NORTH, demo_data_create
from desist.demo_delivery import MAX_REFERRALS
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.people.models import Participant
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner
from desist.providers.selectors import cleared_practitioners
from desist.referrals.constants import ReferralStatus
from desist.referrals.models import Allocation, Referral
from desist.referrals.selectors import unallocated_with_reasons
from desist.referrals.services import allocate_queue

PARTICIPANTS = 300
SEED = 1
# A Wednesday in term time: this week has days before and after today.
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 4)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with time_machine.travel(NOW), django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        result = demo_data_create(participants=PARTICIPANTS, seed=SEED)
        yield {"counts": result.counts, "started": started, "rows": _rows()}
        transaction.set_rollback(True)


@pytest.fixture
def client_for(demo: dict[str, Any], settings: Any) -> Any:
    settings.DESIST_MFA_REQUIRED = False  # demo users have no TOTP device

    def make(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


def _rows() -> list[tuple[object, ...]]:
    """What the same seed must give again: states, people and the made-up dates (not the
    uuids the services draw, nor anything stamped with the real time)."""
    referrals = Referral.objects.order_by("participant__reference").values_list(
        "participant__reference", "status", "decline_reason", "needs", "referred_at"
    )
    allocations = Allocation.objects.order_by("participant__reference", "allocated_at").values_list(
        "participant__reference", "practitioner__user__username", "allocated_at", "ended_at"
    )
    sessions = Session.objects.order_by("participant__reference", "scheduled_start").values_list(
        "participant__reference", "scheduled_start", "outcome", "absence", "engagement"
    )
    deadlines = Deadline.objects.order_by("participant__reference", "kind", "due_on").values_list(
        "participant__reference", "kind", "starts_on", "due_on"
    )
    practitioners = Practitioner.objects.order_by("user__username").values_list(
        "user__username", "status", "vetting_expires_on"
    )
    return [*referrals, *allocations, *sessions, *deadlines, *practitioners]


# Dashboards -------------------------------------------------------------------------------

DASHBOARDS = {
    "programme.manager": (
        "triage_count",
        "waiting_count",
        "concerns_count",
        "compliance_count",
        "overdue_count",
        "sessions_count",
    ),
    "officer.london": (
        "caseload",
        "concerns_count",
        "compliance_count",
        "overdue_count",
        "sessions_count",
    ),
    "police.london": ("caseload", "concerns_count", "overdue_count", "sessions_count"),
    "practitioner": ("caseload", "concerns_count", "overdue_count", "sessions_count"),
    "practitioner.north": ("caseload", "concerns_count", "overdue_count", "sessions_count"),
}


@pytest.mark.parametrize("username", list(DASHBOARDS))
def test_each_demo_login_has_something_on_their_dashboard(client_for: Any, username: str) -> None:
    with time_machine.travel(NOW + dt.timedelta(minutes=30)):
        response = client_for(username).get("/")
    assert response.status_code == 200
    empty = [name for name in DASHBOARDS[username] if not response.context[name]]
    assert empty == [], f"{username}'s dashboard has nothing for {empty}"
    assert "DDP-" in response.content.decode()


def test_a_second_practitioner_login_is_printed_with_the_others() -> None:
    login = next(x for x in NAMED_LOGINS if x.username == "practitioner.north")
    assert login.organisation == PROVIDER_NORTH


def test_every_named_practitioner_is_cleared_and_has_a_caseload(demo: dict[str, Any]) -> None:
    cleared = cleared_practitioners(on=TODAY)
    for username in ("practitioner", "practitioner.north"):
        assert cleared.filter(user__username=username).exists()
        assert (
            Allocation.objects.filter(
                practitioner__user__username=username, ended_at__isnull=True
            ).count()
            >= 5
        )


# Providers ---------------------------------------------------------------------------------


def test_practitioners_include_each_problem(demo: dict[str, Any]) -> None:
    statuses = set(Practitioner.objects.values_list("status", flat=True))
    assert {
        PractitionerStatus.APPROVED,
        PractitionerStatus.SUSPENDED,
        PractitionerStatus.VETTING,
        PractitionerStatus.APPLIED,
    } <= statuses
    soon = Practitioner.objects.filter(
        status=PractitionerStatus.APPROVED,
        vetting_expires_on__gte=TODAY,
        vetting_expires_on__lte=TODAY + dt.timedelta(days=30),
    )
    assert soon.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.EXPIRY_REMINDER).exists()
    # Everyone else approved is cleared to work: vetting and every required course in date.
    approved = Practitioner.objects.filter(status=PractitionerStatus.APPROVED)
    assert cleared_practitioners(on=TODAY).count() == approved.count()


def test_providers_have_contracts_with_places_left(demo: dict[str, Any]) -> None:
    from desist.providers.selectors import contract_capacity_left

    places = contract_capacity_left(on=TODAY)
    assert places
    assert all(left > 0 for left in places.values())


# Referrals ---------------------------------------------------------------------------------


def test_referrals_are_in_every_state(demo: dict[str, Any]) -> None:
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    declined = Referral.objects.filter(status=ReferralStatus.DECLINED)
    assert not declined.filter(decline_reason="").exists()
    assert Referral.objects.count() <= MAX_REFERRALS


def test_allocate_the_queue_has_real_work(demo: dict[str, Any]) -> None:
    manager = User.objects.get(username="programme.manager")
    waiting = Referral.objects.filter(status=ReferralStatus.ACCEPTED).count()
    assert waiting >= 5
    with time_machine.travel(NOW + dt.timedelta(minutes=30)):
        allocated = allocate_queue(actor=manager, on=TODAY)
        left = unallocated_with_reasons(manager, on=TODAY)
    assert len(allocated) >= 4
    assert len(allocated) + len(left) == waiting


# Delivery ----------------------------------------------------------------------------------


def test_sessions_have_outcomes_in_the_past_and_some_are_booked_this_week(
    demo: dict[str, Any],
) -> None:
    start_of_today = timezone.make_aware(dt.datetime.combine(TODAY, dt.time.min))
    past = Session.objects.filter(scheduled_start__lt=start_of_today)
    assert not past.filter(outcome=SessionOutcome.SCHEDULED).exists()
    outcomes = list(past.values_list("outcome", "absence"))
    attended = sum(outcome == SessionOutcome.ATTENDED for outcome, _ in outcomes)
    assert attended > len(outcomes) / 2
    assert (SessionOutcome.LATE, "") in outcomes
    assert (SessionOutcome.DID_NOT_ATTEND, Absence.ACCEPTABLE) in outcomes
    assert (SessionOutcome.DID_NOT_ATTEND, Absence.UNACCEPTABLE) in outcomes
    upcoming = Session.objects.filter(
        scheduled_start__gte=timezone.now(), outcome=SessionOutcome.SCHEDULED
    )
    assert upcoming.filter(scheduled_start__lt=start_of_today + dt.timedelta(days=5)).exists()
    assert Session.objects.filter(outcome=SessionOutcome.RESCHEDULED).exists()


def test_allocated_cases_have_an_approved_plan_with_objectives(demo: dict[str, Any]) -> None:
    from desist.delivery.models import InterventionPlan

    approved = InterventionPlan.objects.filter(status=PlanStatus.APPROVED)
    assert approved.count() >= 10
    assert all(plan.objectives.exists() for plan in approved)
    assert InterventionPlan.objects.filter(status=PlanStatus.PROPOSED).exists()
    assert InterventionPlan.objects.filter(status=PlanStatus.SUPERSEDED).exists()


def test_an_unacceptable_absence_waits_for_the_london_officer(demo: dict[str, Any]) -> None:
    waiting = ComplianceRecord.objects.filter(
        decision="",
        participant__supervising_organisation__name=PROBATION_BY_REGION["london"],
        due_on__gte=TODAY,
    )
    assert waiting.exists()
    record = waiting.select_related("session").first()
    assert record is not None
    assert record.session.absence == Absence.UNACCEPTABLE
    assert ComplianceRecord.objects.exclude(decision="").exists()


def test_one_urgent_concern_awaits_acknowledgement_and_one_is_escalated(
    demo: dict[str, Any],
) -> None:
    awaiting = Concern.objects.filter(urgent=True, status=ConcernStatus.AWAITING)
    assert awaiting.count() == 1
    concern = awaiting.get()
    assert concern.acknowledge_by is not None
    assert concern.acknowledge_by > timezone.now()
    assert concern.participant.region.code == "london"
    escalated = Concern.objects.filter(status=ConcernStatus.ESCALATED)
    assert escalated.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.CONCERN_ESCALATED).exists()
    assert Concern.objects.filter(status=ConcernStatus.ACKNOWLEDGED).exists()


def test_end_reports_and_overdue_deadlines(demo: dict[str, Any]) -> None:
    assert EndReport.objects.count() >= 2
    kinds = set(overdue(today=TODAY).values_list("kind", flat=True))
    assert {
        DeadlineKind.FIRST_CONTACT,
        DeadlineKind.PLAN_APPROVAL,
        DeadlineKind.END_REPORT,
        DeadlineKind.COMPLIANCE_DECISION,
    } <= kinds


# The made-up history -----------------------------------------------------------------------


def test_history_is_dated_in_the_past_and_deadlines_follow_it(demo: dict[str, Any]) -> None:
    now = timezone.now()
    referred = list(Referral.objects.values_list("referred_at", flat=True))
    assert max(referred) < now
    assert min(referred) < now - dt.timedelta(days=90)
    for allocation in Allocation.objects.all():
        assert allocation.allocated_at < now
        for deadline in allocation.deadlines.filter(kind=DeadlineKind.FIRST_CONTACT):
            allocated_on = timezone.localtime(allocation.allocated_at).date()
            if allocation.referral.allocations.count() == 1:
                assert deadline.starts_on == allocated_on


def test_notification_texts_carry_the_made_up_dates(demo: dict[str, Any]) -> None:
    """The allocation notice says when first contact is due; that date moved with the rest."""
    for deadline in Deadline.objects.filter(kind=DeadlineKind.FIRST_CONTACT).select_related(
        "allocation__practitioner"
    )[:10]:
        assert deadline.allocation is not None
        notice = Notification.objects.filter(
            recipient=deadline.allocation.practitioner.user_id,
            participant=deadline.participant_id,
            subject__startswith="New participant allocated",
        ).first()
        assert notice is not None
        due = deadline.due_on
        assert f"Make first contact by {due.day} {due:%B} {due.year}." in notice.body


def test_past_e_mails_are_recorded_as_sent_and_old_notices_as_read(demo: dict[str, Any]) -> None:
    start_of_today = timezone.make_aware(dt.datetime.combine(TODAY, dt.time.min))
    old = Notification.objects.filter(created_at__lt=start_of_today)
    assert old.exists()
    assert not old.filter(email_status=EmailStatus.PENDING).exists()
    assert Notification.objects.filter(
        created_at__gte=start_of_today, email_status=EmailStatus.PENDING
    ).exists()
    stale = Notification.objects.filter(created_at__lt=start_of_today - dt.timedelta(days=14))
    assert stale.exists()
    assert not stale.filter(read_at__isnull=True).exists()


def test_audit_trail_keeps_real_time_and_still_verifies(demo: dict[str, Any]) -> None:
    events = AuditEvent.objects.filter(occurred_at__gte=demo["started"])
    assert events.count() > 300
    assert not AuditEvent.objects.filter(occurred_at__lt=demo["started"]).exists()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit trail verified" in out.getvalue()


def test_same_seed_gives_the_same_rows_and_replace_removes_the_old_ones(
    demo: dict[str, Any],
) -> None:
    with time_machine.travel(NOW + dt.timedelta(minutes=30)):
        result = demo_data_create(participants=PARTICIPANTS, seed=SEED, replace=True)
    assert result.deleted["referrals"] == demo["counts"]["referrals"]
    assert result.deleted["sessions"] == demo["counts"]["sessions"]
    assert result.counts == demo["counts"]
    assert _rows() == demo["rows"]
    assert Participant.objects.count() == PARTICIPANTS


# Person-centred support ---------------------------------------------------------------------


def test_allocated_people_have_assessments_measures_and_a_development_plan(
    demo: dict[str, Any],
) -> None:
    from desist.support.constants import GoalStatus
    from desist.support.models import Assessment, Goal, MeasureResponse
    from desist.support.selectors_assessments import participant_distance

    current = Allocation.objects.filter(ended_at__isnull=True).values("participant")
    assessed = Assessment.objects.filter(participant__in=current)
    assert assessed.values("participant").distinct().count() >= 10
    assert MeasureResponse.objects.filter(participant__in=current).exists()
    achieved = Goal.objects.filter(status=GoalStatus.ACHIEVED)
    assert achieved.exists()
    assert all(goal.celebration and goal.achieved_on <= TODAY for goal in achieved)
    # Someone was reassessed, so their distance travelled has a first and a latest level.
    reassessed = (
        Participant.objects.filter(assessments__isnull=False)
        .annotate(n=Count("assessments"))
        .filter(n__gte=2)
        .first()
    )
    assert reassessed is not None
    assert any(row.assessments >= 2 for row in participant_distance(reassessed))


def test_releases_in_the_next_twelve_weeks_have_plans_and_a_passport(
    demo: dict[str, Any],
) -> None:
    import io

    from pypdf import PdfReader

    from desist.support.models import ReleasePlan
    from desist.support.passport import passport_for, passport_pdf

    plans = ReleasePlan.objects.select_related("participant")
    assert plans.count() >= 5
    for plan in plans:
        assert TODAY < plan.participant.expected_release_date <= TODAY + dt.timedelta(weeks=12)
        assert plan.checklist.count() == 7
    with time_machine.travel(NOW):
        passport = passport_for(plans[0].participant, today=TODAY)
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(passport_pdf(passport))).pages
        )
    assert "Your probation officer" in text
    assert plans[0].participant.pnc_number not in text or not plans[0].participant.pnc_number


def test_the_demo_directory_is_imported_through_the_importer(demo: dict[str, Any]) -> None:
    from desist.support.models import Service

    assert Service.objects.filter(national=True).exists()
    assert Service.objects.filter(regions__code="london").exists()
    assert AuditEvent.objects.filter(entity="support.service").exists()
