"""Intervention delivery pages through the Django test client, with the shared personas.

Time is frozen at 09:00 UTC on Monday 2 March 2026 (GMT, so 09:00 in London too) unless a test
moves it on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import World
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import (
    Absence,
    Achievement,
    ComplianceDecision,
    ComplianceStage,
    ConcernCategory,
    ConcernStatus,
    Conclusion,
    ObjectiveProgressRating,
    PlanStatus,
    SessionMode,
    SessionOutcome,
)
from desist.delivery.models import (
    ComplianceRecord,
    Concern,
    EndReport,
    InterventionPlan,
    ObjectiveAchievement,
    ObjectiveProgress,
    Session,
)
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import LegalBasisKind, Status
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import Specialism
from desist.providers.tests.factories import make_practitioner
from desist.referrals.models import Allocation
from desist.referrals.tests.factories import make_allocation, make_referral

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# Who may read world.case once it is allocated to the world's practitioner.
READERS = ["supervising_officer", "colleague_same_org", "programme_manager", "police_london"]
READERS_AND_PRACTITIONER = [*READERS, "practitioner"]
OUTSIDERS = [
    "officer_other_area",
    "prison_offender_manager",
    "police_other_region",
    "other_provider_practitioner",
    "analyst",
    "administrator",
    "no_roles",
]


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@dataclass
class Delivery:
    world: World
    case: Participant
    allocation: Allocation

    def user(self, persona: str) -> Any:
        return self.world.personas[persona]

    def client(self, persona: str) -> Client:
        """Signed in, with a purpose already given for the case (as the purpose page does)."""
        client = self.world.client_for(persona)
        if persona != "anonymous":
            session = client.session
            session["access_purposes"] = {str(self.case.uuid): "case_management"}
            session.save()
        return client

    def clients(self) -> tuple[Client, Client, Client]:
        """The practitioner, the supervising officer and the police liaison."""
        return (
            self.client("practitioner"),
            self.client("supervising_officer"),
            self.client("police_london"),
        )

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(f"delivery:{name}", kwargs={"participant_uuid": self.case.uuid, **kwargs})


@pytest.fixture
def delivery(world: World) -> Delivery:
    """world.case on a licence with mandatory attendance, referred and allocated to the world's
    practitioner (cleared, in London). The other provider's practitioner is cleared too but
    not allocated."""
    LegalBasis.objects.create(
        participant=world.case,
        kind=LegalBasisKind.LICENCE,
        start_date=dt.date(2025, 6, 1),
        attendance_mandatory=True,
    )
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    referral = make_referral(
        world.case, world.personas["supervising_officer"], attendance_mandatory=True
    )
    allocation = make_allocation(referral, practitioner, world.personas["programme_manager"])
    return Delivery(world=world, case=world.case, allocation=allocation)


def html(response: Any) -> str:
    return str(response.content.decode())


def assert_error_summary(response: Any, field_id: str, message: str) -> None:
    """The GOV.UK error summary links the message to the field."""
    assert response.status_code == 400
    body = html(response)
    assert "govuk-error-summary" in body
    assert re.search(rf'<a href="#{re.escape(field_id)}">{re.escape(message)}', body), message


def writes() -> int:
    return AuditEvent.objects.exclude(action__in=[Action.VIEW, Action.LIST]).count()


# Records made through the services, to set the scene -------------------------------------


def propose(d: Delivery, objectives: tuple[str, ...] = ("Build a routine", "Find work")) -> Any:
    return services.plan_propose(
        actor=d.user("practitioner"),
        allocation=d.allocation,
        objectives=list(objectives),
        intervention_types=[Specialism.MENTORING],
        planned_sessions=6,
        summary="Weekly mentoring.",
    )


def approved_plan(d: Delivery) -> InterventionPlan:
    plan = propose(d)
    return services.plan_approve(actor=d.user("supervising_officer"), plan=plan, note="")


def book(d: Delivery, start: dt.datetime) -> Session:
    return services.session_schedule(
        actor=d.user("practitioner"),
        allocation=d.allocation,
        scheduled_start=start,
        planned_minutes=60,
        mode=SessionMode.IN_PERSON,
        location="Probation office",
        session_type=Specialism.MENTORING,
    )


def missed_session(d: Delivery, time_machine: Any) -> Session:
    """A session at 10:00 on 2 March, missed without good reason, recorded at 12:00."""
    session = book(d, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    return services.session_record_outcome(
        actor=d.user("practitioner"),
        session=session,
        outcome=SessionOutcome.DID_NOT_ATTEND,
        absence=Absence.UNACCEPTABLE,
        absence_reason="No reply to calls.",
    )


def raise_concern(d: Delivery, persona: str = "practitioner", urgent: bool = True) -> Concern:
    return services.concern_raise(
        actor=d.user(persona),
        participant=d.case,
        category=ConcernCategory.RISK_TO_SELF,
        urgent=urgent,
        description="Said something worrying about self-harm.",
    )


# The intervention page ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS_AND_PRACTITIONER)
def test_work_page_shows_the_intervention_to_everyone_with_a_relationship(
    delivery: Delivery, persona: str
) -> None:
    approved_plan(delivery)
    response = delivery.client(persona).get(delivery.url("work"))
    assert response.status_code == 200
    body = html(response)
    assert "Build a routine" in body
    assert "Timeline" in body
    assert delivery.user("practitioner").display_name in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_work_page_is_not_found_for_personas_without_a_relationship(
    delivery: Delivery, persona: str
) -> None:
    response = delivery.client(persona).get(delivery.url("work"))
    assert response.status_code == 404


def test_work_page_asks_for_the_purpose_once_and_records_the_view(delivery: Delivery) -> None:
    client = delivery.world.client_for("supervising_officer")
    work = delivery.url("work")
    response = client.get(work)
    purpose_page = reverse("people:purpose", kwargs={"participant_uuid": delivery.case.uuid})
    assert response.status_code == 302
    assert response["Location"] == f"{purpose_page}?next={work.replace('/', '%2F')}"
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()

    answered = client.post(purpose_page, {"purpose": "case_management", "next": work})
    assert answered["Location"] == work
    assert client.get(work).status_code == 200
    view = AuditEvent.objects.get(action=Action.VIEW)
    assert view.actor_id == delivery.user("supervising_officer").pk
    assert view.purpose == "case_management"
    assert view.participant_ref == str(delivery.case.uuid)


def test_work_page_of_an_unallocated_participant_says_so(world: World) -> None:
    client = world.client_for("supervising_officer")
    session = client.session
    session["access_purposes"] = {str(world.case.uuid): "case_management"}
    session.save()
    response = client.get(reverse("delivery:work", kwargs={"participant_uuid": world.case.uuid}))
    assert response.status_code == 200
    assert "Not allocated to a practitioner" in html(response)
    assert "Book a session" not in html(response)


def test_practitioner_sees_their_buttons_and_not_the_supervising_ones(
    delivery: Delivery,
) -> None:
    propose(delivery)
    raise_concern(delivery)
    body = html(delivery.client("practitioner").get(delivery.url("work")))
    assert "Book a session" in body
    assert "Write the end-of-intervention report" in body
    assert "Raise a concern" in body
    assert "Record decision" not in body  # the plan waits for the supervising officer
    assert ">Acknowledge<" not in body
    # A version is waiting, so no other can be proposed yet.
    assert delivery.url("plan_create") not in body


def test_supervising_officer_sees_the_decision_and_acknowledge_buttons_only(
    delivery: Delivery,
) -> None:
    plan = propose(delivery)
    concern = raise_concern(delivery)
    body = html(delivery.client("supervising_officer").get(delivery.url("work")))
    assert delivery.url("plan_decision", plan_uuid=plan.uuid) in body
    assert delivery.url("concern_acknowledge", concern_uuid=concern.uuid) in body
    assert "Raise a concern" in body
    assert "Book a session" not in body
    assert delivery.url("plan_create") not in body


def test_police_liaison_may_acknowledge_but_not_decide(delivery: Delivery) -> None:
    plan = propose(delivery)
    concern = raise_concern(delivery)
    body = html(delivery.client("police_london").get(delivery.url("work")))
    assert delivery.url("concern_acknowledge", concern_uuid=concern.uuid) in body
    assert delivery.url("plan_decision", plan_uuid=plan.uuid) not in body
    assert "Raise a concern" not in body


def test_practitioner_does_not_see_concerns_raised_by_others_nor_them_on_the_timeline(
    delivery: Delivery,
) -> None:
    raise_concern(delivery, persona="supervising_officer", urgent=False)
    officer_body = html(delivery.client("supervising_officer").get(delivery.url("work")))
    assert "Concern raised: Risk to self" in officer_body
    body = html(delivery.client("practitioner").get(delivery.url("work")))
    assert "Risk to self" not in body
    assert "No concerns raised." in body


def test_session_notes_are_shown_to_supervision_and_not_to_the_police(
    delivery: Delivery, time_machine: Any
) -> None:
    session = book(delivery, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    services.session_record_outcome(
        actor=delivery.user("practitioner"),
        session=session,
        outcome=SessionOutcome.ATTENDED,
        notes="Talked about family contact.",
    )
    detail = delivery.url("session_detail", session_uuid=session.uuid)
    for persona in ("supervising_officer", "programme_manager", "practitioner"):
        assert "Talked about family contact." in html(delivery.client(persona).get(detail))
        assert "Talked about family contact." in html(
            delivery.client(persona).get(delivery.url("work"))
        )
    police = delivery.client("police_london")
    assert police.get(detail).status_code == 200
    assert "Talked about family contact." not in html(police.get(detail))
    assert "Talked about family contact." not in html(police.get(delivery.url("work")))


def test_times_are_shown_in_uk_time(delivery: Delivery) -> None:
    # 09:00 UTC on 1 July is 10:00 in London (British Summer Time).
    book(delivery, dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))
    body = html(delivery.client("supervising_officer").get(delivery.url("work")))
    assert "Wed 1 Jul 2026, 10:00" in body


# Pages about one record --------------------------------------------------------------------


@pytest.fixture
def records(delivery: Delivery, time_machine: Any) -> dict[str, str]:
    """One of each record about the case, by the page's URL name, with its URL keyword."""
    plan = approved_plan(delivery)
    missed = missed_session(delivery, time_machine)
    concern = raise_concern(delivery)
    record = ComplianceRecord.objects.get(session=missed)
    report = services.end_report_submit(
        actor=delivery.user("practitioner"),
        allocation=delivery.allocation,
        conclusion=Conclusion.COMPLETED,
        ended_early_reason="",
        summary="Done.",
        recommendations="",
        achievements={o.pk: (Achievement.ACHIEVED, "") for o in plan.objectives.all()},
    )
    return {
        "plan_detail": delivery.url("plan_detail", plan_uuid=plan.uuid),
        "session_detail": delivery.url("session_detail", session_uuid=missed.uuid),
        "concern_detail": delivery.url("concern_detail", concern_uuid=concern.uuid),
        "compliance_detail": delivery.url("compliance_detail", record_uuid=record.uuid),
        "end_report_detail": delivery.url("end_report_detail", report_uuid=report.uuid),
    }


@pytest.mark.parametrize("persona", ["supervising_officer", "programme_manager"])
@pytest.mark.parametrize(
    "page",
    ["plan_detail", "session_detail", "concern_detail", "compliance_detail", "end_report_detail"],
)
def test_record_pages_render_for_the_case_readers_and_record_the_view(
    records: dict[str, str], delivery: Delivery, persona: str, page: str
) -> None:
    views = AuditEvent.objects.filter(action=Action.VIEW).count()
    response = delivery.client(persona).get(records[page])
    assert response.status_code == 200
    assert delivery.case.reference in html(response)
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == views + 1


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_record_pages_are_not_found_for_personas_without_a_relationship(
    records: dict[str, str], delivery: Delivery, persona: str
) -> None:
    client = delivery.client(persona)
    for url in records.values():
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_forms_are_not_found_and_change_nothing_for_personas_without_a_relationship(
    records: dict[str, str], delivery: Delivery, persona: str
) -> None:
    client = delivery.client(persona)
    base = f"/participants/{delivery.case.uuid}/"
    posts = [
        records["plan_detail"] + "decision/",
        records["session_detail"],
        records["session_detail"] + "reschedule/",
        records["concern_detail"] + "acknowledge/",
        records["compliance_detail"] + "decision/",
        base + "plan/new/",
        base + "sessions/new/",
        base + "concerns/new/",
        base + "end-report/new/",
    ]
    before = writes()
    for url in posts:
        response = client.post(url, {"decision": "approve", "category": "other", "note": "x"})
        assert response.status_code == 404, url
    assert writes() == before


def test_work_page_queries_do_not_grow_with_the_number_of_sessions(
    delivery: Delivery, time_machine: Any
) -> None:
    approved_plan(delivery)

    def held(day: int) -> None:
        time_machine.move_to(dt.datetime(2026, 3, day, 9, 0, tzinfo=dt.UTC), tick=False)
        session = book(delivery, dt.datetime(2026, 3, day, 10, 0, tzinfo=dt.UTC))
        time_machine.move_to(dt.datetime(2026, 3, day, 12, 0, tzinfo=dt.UTC), tick=False)
        services.session_record_outcome(
            actor=delivery.user("practitioner"),
            session=session,
            outcome=SessionOutcome.ATTENDED,
            engagement=3,
            notes="Notes.",
        )

    def queries() -> int:
        client = delivery.client("supervising_officer")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(delivery.url("work")).status_code == 200
        return len(captured)

    held(3)
    one = queries()
    for day in (4, 5, 6, 9):
        held(day)
    assert queries() == one


def test_a_record_looked_up_under_another_participant_is_not_found(
    records: dict[str, str], delivery: Delivery
) -> None:
    other = str(delivery.world.other_case.uuid)
    client = delivery.client("programme_manager")
    for url in records.values():
        moved = url.replace(str(delivery.case.uuid), other)
        assert client.get(moved).status_code == 404, moved


def test_the_allocated_practitioner_opens_sessions_and_their_own_concerns(
    delivery: Delivery,
) -> None:
    approved_plan(delivery)
    session = book(delivery, dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC))
    mine = raise_concern(delivery)
    theirs = raise_concern(delivery, persona="supervising_officer", urgent=False)
    client = delivery.client("practitioner")
    assert client.get(delivery.url("session_detail", session_uuid=session.uuid)).status_code == 200
    assert client.get(delivery.url("concern_detail", concern_uuid=mine.uuid)).status_code == 200
    assert client.get(delivery.url("concern_detail", concern_uuid=theirs.uuid)).status_code == 404


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize("page", ["plan_create", "session_create", "end_report_create"])
def test_practitioner_forms_are_not_found_for_everyone_else(
    delivery: Delivery, persona: str, page: str
) -> None:
    client = delivery.client(persona)
    assert client.get(delivery.url(page)).status_code == 404
    before = writes()
    assert client.post(delivery.url(page), {}).status_code == 404
    assert writes() == before


@pytest.mark.parametrize("page", ["plan_create", "session_create", "end_report_create"])
def test_practitioner_forms_render_for_the_allocated_practitioner(
    delivery: Delivery, page: str
) -> None:
    response = delivery.client("practitioner").get(delivery.url(page))
    assert response.status_code == 200
    assert "govuk-error-summary" not in html(response)


@pytest.mark.parametrize("persona", ["practitioner", "supervising_officer", "programme_manager"])
def test_concern_form_renders_for_those_who_may_raise_one(delivery: Delivery, persona: str) -> None:
    assert delivery.client(persona).get(delivery.url("concern_create")).status_code == 200


@pytest.mark.parametrize("persona", ["police_london", *OUTSIDERS])
def test_concern_form_is_not_found_for_others(delivery: Delivery, persona: str) -> None:
    client = delivery.client(persona)
    assert client.get(delivery.url("concern_create")).status_code == 404
    before = Concern.objects.count()
    response = client.post(
        delivery.url("concern_create"), {"category": "other", "description": "x"}
    )
    assert response.status_code == 404
    assert Concern.objects.count() == before


def test_police_cannot_decide_a_plan_or_compliance(delivery: Delivery, time_machine: Any) -> None:
    plan = propose(delivery)
    record = ComplianceRecord.objects.get(session=missed_session(delivery, time_machine))
    client = delivery.client("police_london")
    before = writes()
    response = client.post(
        delivery.url("plan_decision", plan_uuid=plan.uuid), {"decision": "approve", "note": ""}
    )
    assert response.status_code == 404
    response = client.post(
        delivery.url("compliance_decision", record_uuid=record.uuid),
        {"decision": ComplianceDecision.WARNING, "reason": "Not theirs to give."},
    )
    assert response.status_code == 404
    assert writes() == before
    plan.refresh_from_db()
    record.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED
    assert record.decision == ""


def test_supervising_officer_cannot_record_a_session_outcome(
    delivery: Delivery, time_machine: Any
) -> None:
    session = book(delivery, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    client = delivery.client("supervising_officer")
    detail = delivery.url("session_detail", session_uuid=session.uuid)
    assert "Record the outcome" not in html(client.get(detail))
    response = client.post(detail, {"outcome": SessionOutcome.ATTENDED})
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED
    reschedule = delivery.url("session_reschedule", session_uuid=session.uuid)
    assert client.get(reschedule).status_code == 404


# Bad input: the error summary names the field and nothing is written ----------------------


def test_plan_form_with_nothing_filled_in_names_each_field(delivery: Delivery) -> None:
    before = writes()
    response = delivery.client("practitioner").post(delivery.url("plan_create"), {})
    assert_error_summary(response, "id_objectives", "Enter at least one objective")
    assert_error_summary(
        response, "id_intervention_types_0", "Select at least one type of intervention"
    )
    assert_error_summary(response, "id_planned_sessions", "Enter the number of planned sessions")
    assert writes() == before
    assert not InterventionPlan.objects.exists()


def test_plan_form_shows_the_services_refusal_on_its_field(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(
        delivery.url("plan_create"),
        {"objectives": "Build a routine", "intervention_types": "mentoring", "planned_sessions": 0},
    )
    assert_error_summary(response, "id_planned_sessions", "Planned sessions must be 1 or more.")
    assert not InterventionPlan.objects.exists()


def test_plan_form_with_only_blank_lines_asks_for_an_objective(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(
        delivery.url("plan_create"),
        {"objectives": "  \n \n", "intervention_types": "mentoring", "planned_sessions": 4},
    )
    assert_error_summary(response, "id_objectives", "Enter at least one objective")
    assert not InterventionPlan.objects.exists()


def test_returning_a_plan_without_a_note_asks_what_needs_to_change(delivery: Delivery) -> None:
    plan = propose(delivery)
    before = writes()
    response = delivery.client("supervising_officer").post(
        delivery.url("plan_decision", plan_uuid=plan.uuid), {"decision": "return", "note": " "}
    )
    assert_error_summary(response, "id_note", "Explain what needs to change in the plan.")
    assert writes() == before
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_plan_decision_without_a_decision_names_the_field(delivery: Delivery) -> None:
    plan = propose(delivery)
    response = delivery.client("supervising_officer").post(
        delivery.url("plan_decision", plan_uuid=plan.uuid), {}
    )
    assert_error_summary(response, "id_decision", "Select whether to approve or return the plan")


def test_session_form_with_nothing_filled_in_names_each_field(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(delivery.url("session_create"), {})
    assert_error_summary(response, "id_scheduled_start", "Enter the date and time of the session")
    assert_error_summary(response, "id_mode", "Select how the session takes place")
    assert_error_summary(response, "id_session_type", "Select the type of session")
    assert not Session.objects.exists()


def test_session_form_refuses_a_time_that_overlaps_another_session(delivery: Delivery) -> None:
    book(delivery, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    before = writes()
    response = delivery.client("practitioner").post(
        delivery.url("session_create"),
        {
            "scheduled_start": "2026-03-03T10:30",
            "planned_minutes": 60,
            "mode": SessionMode.VIDEO,
            "session_type": Specialism.MENTORING,
        },
    )
    assert response.status_code == 400
    assert 'href="#id_scheduled_start">You already have a session from 10:00' in html(response)
    assert writes() == before
    assert Session.objects.count() == 1


def test_session_form_needs_the_prison_for_a_prison_visit(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(
        delivery.url("session_create"),
        {
            "scheduled_start": "2026-03-03T10:30",
            "planned_minutes": 60,
            "mode": SessionMode.PRISON_VISIT,
            "session_type": Specialism.MENTORING,
        },
    )
    assert_error_summary(response, "id_location", "Enter the prison for a prison visit.")
    assert not Session.objects.exists()


def test_session_form_reads_the_time_as_uk_time(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(
        delivery.url("session_create"),
        {
            "scheduled_start": "2026-07-01T10:00",
            "planned_minutes": 45,
            "mode": SessionMode.VIDEO,
            "location": "",
            "session_type": Specialism.PRACTICAL,
        },
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.scheduled_start == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    assert session.planned_minutes == 45


def test_outcome_for_a_future_session_is_refused(delivery: Delivery) -> None:
    session = book(delivery, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    before = writes()
    response = delivery.client("practitioner").post(
        delivery.url("session_detail", session_uuid=session.uuid),
        {"outcome": SessionOutcome.ATTENDED},
    )
    assert_error_summary(
        response,
        "id_outcome",
        "You cannot record an outcome for a session in the future. "
        "You can cancel or reschedule it.",
    )
    assert writes() == before
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED


def test_missed_session_without_saying_whether_the_absence_was_acceptable(
    delivery: Delivery, time_machine: Any
) -> None:
    session = book(delivery, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    response = delivery.client("practitioner").post(
        delivery.url("session_detail", session_uuid=session.uuid),
        {"outcome": SessionOutcome.DID_NOT_ATTEND, "absence_reason": "Unwell"},
    )
    assert_error_summary(
        response, "id_absence", "Select whether the absence was acceptable or unacceptable."
    )
    assert not ComplianceRecord.objects.exists()
    assert not Notification.objects.exists()


def test_outcome_form_with_nothing_filled_in_names_the_outcome(
    delivery: Delivery, time_machine: Any
) -> None:
    session = book(delivery, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    response = delivery.client("practitioner").post(
        delivery.url("session_detail", session_uuid=session.uuid), {"engagement": "9"}
    )
    assert_error_summary(response, "id_outcome", "Select what happened at the session")
    assert_error_summary(response, "id_engagement", "Select an engagement rating from 1 to 5")


def test_progress_on_a_cancelled_session_is_shown_on_the_first_objective(
    delivery: Delivery, time_machine: Any
) -> None:
    plan = approved_plan(delivery)
    first = plan.objectives.get(position=1)
    session = book(delivery, dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    response = delivery.client("practitioner").post(
        delivery.url("session_detail", session_uuid=session.uuid),
        {
            "outcome": SessionOutcome.CANCELLED_BY_PARTICIPANT,
            f"progress_{first.pk}": ObjectiveProgressRating.GOOD,
        },
    )
    assert_error_summary(
        response,
        f"id_progress_{first.pk}",
        "Only a session that took place can record progress.",
    )
    assert not ObjectiveProgress.objects.exists()


def test_rescheduling_to_the_past_is_refused(delivery: Delivery) -> None:
    session = book(delivery, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    before = writes()
    response = delivery.client("practitioner").post(
        delivery.url("session_reschedule", session_uuid=session.uuid),
        {"new_start": "2026-03-01T10:00", "reason": "Clash"},
    )
    assert_error_summary(response, "id_new_start", "The new time must be in the future.")
    assert writes() == before
    assert Session.objects.count() == 1


def test_reschedule_form_with_nothing_filled_in_names_each_field(delivery: Delivery) -> None:
    session = book(delivery, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    response = delivery.client("practitioner").post(
        delivery.url("session_reschedule", session_uuid=session.uuid), {}
    )
    assert_error_summary(response, "id_new_start", "Enter the new date and time")
    assert_error_summary(response, "id_reason", "Enter why the session is being rescheduled")


def test_rescheduling_keeps_the_chain(delivery: Delivery) -> None:
    session = book(delivery, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    client = delivery.client("practitioner")
    response = client.post(
        delivery.url("session_reschedule", session_uuid=session.uuid),
        {"new_start": "2026-03-04T11:00", "reason": "Participant has a job interview"},
    )
    new = Session.objects.get(rescheduled_from=session)
    assert response.status_code == 302
    assert response["Location"] == delivery.url("session_detail", session_uuid=new.uuid)
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.RESCHEDULED
    assert new.scheduled_start == dt.datetime(2026, 3, 4, 11, 0, tzinfo=dt.UTC)
    body = html(client.get(response["Location"]))
    assert "Participant has a job interview" in body
    assert delivery.url("session_detail", session_uuid=session.uuid) in body


def test_concern_form_with_nothing_filled_in_names_each_field(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(delivery.url("concern_create"), {})
    assert_error_summary(response, "id_category", "Select the kind of concern")
    assert_error_summary(response, "id_description", "Describe the concern")
    assert not Concern.objects.exists()
    assert not Notification.objects.exists()


def test_acknowledging_twice_says_it_is_already_acknowledged(delivery: Delivery) -> None:
    concern = raise_concern(delivery)
    services.concern_acknowledge(actor=delivery.user("police_london"), concern=concern)
    before = writes()
    response = delivery.client("supervising_officer").post(
        delivery.url("concern_acknowledge", concern_uuid=concern.uuid), {"note": "Seen"}
    )
    assert response.status_code == 400
    assert "This concern has already been acknowledged." in html(response)
    assert writes() == before


def test_compliance_decision_with_nothing_filled_in_names_each_field(
    delivery: Delivery, time_machine: Any
) -> None:
    record = ComplianceRecord.objects.get(session=missed_session(delivery, time_machine))
    before = writes()
    response = delivery.client("supervising_officer").post(
        delivery.url("compliance_decision", record_uuid=record.uuid), {}
    )
    assert_error_summary(response, "id_decision", "Select a compliance decision")
    assert_error_summary(response, "id_reason", "Enter the reason for your decision")
    assert writes() == before
    record.refresh_from_db()
    assert record.decision == ""


def test_end_report_ended_early_needs_a_reason_and_each_objective(delivery: Delivery) -> None:
    plan = approved_plan(delivery)
    first, second = plan.objectives.order_by("position")
    before = writes()
    response = delivery.client("practitioner").post(
        delivery.url("end_report_create"),
        {
            "conclusion": Conclusion.ENDED_EARLY,
            "summary": "Moved to another area.",
            f"achievement_{first.pk}": Achievement.PARTLY,
        },
    )
    assert_error_summary(
        response, f"id_achievement_{second.pk}", "Select how far objective 2 was achieved"
    )
    # The form's own errors first; once each objective is assessed, the service's rule.
    response = delivery.client("practitioner").post(
        delivery.url("end_report_create"),
        {
            "conclusion": Conclusion.ENDED_EARLY,
            "summary": "Moved to another area.",
            f"achievement_{first.pk}": Achievement.PARTLY,
            f"achievement_{second.pk}": Achievement.NOT_ACHIEVED,
        },
    )
    assert_error_summary(
        response, "id_ended_early_reason", "Select why the intervention ended early."
    )
    assert writes() == before
    assert not EndReport.objects.exists()
    delivery.allocation.refresh_from_db()
    assert delivery.allocation.ended_at is None


def test_end_report_form_with_nothing_filled_in_names_each_field(delivery: Delivery) -> None:
    response = delivery.client("practitioner").post(delivery.url("end_report_create"), {})
    assert_error_summary(response, "id_conclusion", "Select how the intervention ended")
    assert_error_summary(response, "id_summary", "Enter a summary of the intervention")
    assert not EndReport.objects.exists()


# The whole journey -------------------------------------------------------------------------


def notified(kind: str) -> list[tuple[str, str]]:
    return sorted(
        (n.recipient.username, n.subject)
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


def test_happy_path_from_plan_to_end_report(delivery: Delivery, time_machine: Any) -> None:
    d = delivery
    case = d.case
    # Web sessions end after 15 idle minutes, so everyone signs in again after time moves on.
    practitioner, officer, police = d.clients()

    # Monday 2 March, 09:00: the practitioner proposes a plan.
    response = practitioner.post(
        d.url("plan_create"),
        {
            "objectives": "Build a daily routine\n\nFind steady work\n",
            "intervention_types": [Specialism.MENTORING, Specialism.PRACTICAL],
            "planned_sessions": "6",
            "summary": "Weekly mentoring, practical help with work.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == d.url("work")
    plan = InterventionPlan.objects.get()
    assert plan.status == PlanStatus.PROPOSED
    assert [o.description for o in plan.objectives.all()] == [
        "Build a daily routine",
        "Find steady work",
    ]
    assert plan.intervention_types == [Specialism.MENTORING, Specialism.PRACTICAL]
    assert notified(NotificationKind.PLAN) == [("so", "Intervention plan to approve for CASE-1")]

    # The supervising officer approves it from the intervention page.
    body = html(officer.get(d.url("work")))
    assert "Waiting for approval" in body
    response = officer.post(
        d.url("plan_decision", plan_uuid=plan.uuid), {"decision": "approve", "note": "Agreed."}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == d.user("supervising_officer")
    assert ("mentor", "Intervention plan approved for CASE-1") in notified(NotificationKind.PLAN)
    first, second = plan.objectives.order_by("position")

    # The practitioner books a session for Tuesday 10:00 and records it at noon.
    response = practitioner.post(
        d.url("session_create"),
        {
            "scheduled_start": "2026-03-03T10:00",
            "planned_minutes": "60",
            "mode": SessionMode.IN_PERSON,
            "location": "Probation office",
            "session_type": Specialism.MENTORING,
        },
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.scheduled_start == dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    time_machine.move_to(dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC), tick=False)
    practitioner, officer, police = d.clients()
    detail = d.url("session_detail", session_uuid=session.uuid)
    assert "Record the outcome" in html(practitioner.get(detail))
    response = practitioner.post(
        detail,
        {
            "outcome": SessionOutcome.ATTENDED,
            "actual_minutes": "55",
            "engagement": "4",
            "notes": "Good conversation about work.",
            f"progress_{first.pk}": ObjectiveProgressRating.GOOD,
            f"progress_note_{first.pk}": "Up at 8 every day.",
            f"progress_{second.pk}": "",
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.ATTENDED
    assert session.actual_minutes == 55
    assert session.engagement == 4
    assert session.outcome_recorded_by == d.user("practitioner")
    assert list(session.progress.values_list("objective_id", "rating", "note")) == [
        (first.pk, ObjectiveProgressRating.GOOD, "Up at 8 every day.")
    ]

    # The practitioner raises an urgent concern; the officer and the police are told.
    response = practitioner.post(
        d.url("concern_create"),
        {
            "category": ConcernCategory.RISK_TO_OTHERS,
            "urgent": "on",
            "description": "Spoke of wanting to hurt a named person.",
        },
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.urgent
    assert concern.status == ConcernStatus.AWAITING
    assert concern.acknowledge_by == dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)
    assert notified(NotificationKind.URGENT_CONCERN) == [
        ("police", "Urgent concern: CASE-1"),
        ("so", "Urgent concern: CASE-1"),
    ]
    assert all(
        n.urgent and n.participant == case
        for n in Notification.objects.filter(kind=NotificationKind.URGENT_CONCERN)
    )

    # The police liaison acknowledges it with the button on the intervention page.
    body = html(police.get(d.url("work")))
    acknowledge = d.url("concern_acknowledge", concern_uuid=concern.uuid)
    assert acknowledge in body
    response = police.post(acknowledge, {})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.ACKNOWLEDGED
    assert concern.acknowledged_by == d.user("police_london")
    assert ("mentor", "Concern acknowledged: CASE-1") in notified(NotificationKind.CONCERN)

    # Thursday: the participant misses a session without good reason. Attendance is mandatory.
    book(d, dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC))
    missed = Session.objects.get(scheduled_start=dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC))
    time_machine.move_to(dt.datetime(2026, 3, 5, 11, 30, tzinfo=dt.UTC), tick=False)
    practitioner, officer, police = d.clients()
    response = practitioner.post(
        d.url("session_detail", session_uuid=missed.uuid),
        {
            "outcome": SessionOutcome.DID_NOT_ATTEND,
            "absence": Absence.UNACCEPTABLE,
            "absence_reason": "Did not answer the door or phone.",
        },
    )
    assert response.status_code == 302
    record = ComplianceRecord.objects.get()
    assert record.session == missed
    assert record.absences_in_window == 1
    assert record.stage == ComplianceStage.WARNING
    assert record.decision == ""
    absence_notes = Notification.objects.filter(kind=NotificationKind.UNACCEPTABLE_ABSENCE)
    assert [(n.recipient.username, n.urgent) for n in absence_notes] == [("so", True)]
    assert absence_notes[0].subject == "Unacceptable absence: CASE-1"

    # The officer records a warning with the form on the intervention page.
    body = html(officer.get(d.url("work")))
    assert d.url("compliance_decision", record_uuid=record.uuid) in body
    response = officer.post(
        d.url("compliance_decision", record_uuid=record.uuid),
        {"decision": ComplianceDecision.WARNING, "reason": "First missed session; warned."},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.decision == ComplianceDecision.WARNING
    assert record.decided_by == d.user("supervising_officer")

    # Friday: the practitioner writes the end-of-intervention report.
    time_machine.move_to(dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC), tick=False)
    practitioner, officer, police = d.clients()
    response = practitioner.post(
        d.url("end_report_create"),
        {
            "conclusion": Conclusion.COMPLETED,
            "ended_early_reason": "",
            "summary": "Engaged well apart from one missed session.",
            "recommendations": "Keep up the routine.",
            f"achievement_{first.pk}": Achievement.ACHIEVED,
            f"achievement_note_{first.pk}": "Routine in place.",
            f"achievement_{second.pk}": Achievement.PARTLY,
        },
    )
    # The allocation has ended, so the practitioner no longer sees the participant.
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    report = EndReport.objects.get()
    assert report.conclusion == Conclusion.COMPLETED
    assert report.submitted_by == d.user("practitioner")
    assert sorted(
        ObjectiveAchievement.objects.values_list("objective_id", "achievement", "note")
    ) == sorted(
        [
            (first.pk, Achievement.ACHIEVED, "Routine in place."),
            (second.pk, Achievement.PARTLY, ""),
        ]
    )
    d.allocation.refresh_from_db()
    assert d.allocation.ended_at is not None
    case.refresh_from_db()
    assert case.status == Status.ENDED
    assert ("so", "End-of-intervention report for CASE-1") in notified(NotificationKind.ALLOCATION)
    assert practitioner.get(d.url("work")).status_code == 404

    # The officer sees it all on the intervention page and its timeline.
    body = html(officer.get(d.url("work")))
    assert "Compliance decision: Warning" in body
    assert "End-of-intervention report: completed" in body
    assert "Urgent concern raised: Risk to others" in body
    assert "Plan version 1 approved" in body
    report_page = officer.get(d.url("end_report_detail", report_uuid=report.uuid))
    assert report_page.status_code == 200
    assert "Routine in place." in html(report_page)

    # Every notification points at a page about this participant, by uuid only.
    for notification in Notification.objects.all():
        assert notification.link.startswith(f"/participants/{case.uuid}/"), notification.link
        assert "Zebedee" not in notification.subject + notification.body + notification.link
