"""One intervention from referral to end-of-intervention report, in a real browser.

Four people each sign in once in their own browser context and take their turn: the
supervising officer refers, the programme manager triages and allocates, the practitioner
plans, the officer approves, the practitioner records two sessions (one missed, unacceptably)
and raises an urgent concern, the officer decides on compliance and acknowledges the concern,
and the practitioner ends the intervention with the report. E-mail goes through a real SMTP
server on loopback (`smtp_inbox`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, SMTPInbox, make_participant, make_user
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.delivery.constants import (
    Achievement,
    ComplianceDecision,
    ConcernStatus,
    Conclusion,
    ObjectiveProgressRating,
    SessionOutcome,
)
from desist.delivery.models import ComplianceRecord, Concern, EndReport, Session
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import LegalBasisKind, Status
from desist.people.models import Participant
from desist.people.services import legal_basis_add
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals.models import Allocation, Referral
from tests.browser.conftest import sign_in, with_totp

pytestmark = pytest.mark.browser

OBJECTIVES = ["Find stable work", "Rebuild contact with family"]
GIVEN_NAME = "Ysolde"
FAMILY_NAME = "Quennell-Brightwater"


@dataclass
class Person:
    user: User
    secret: str


@dataclass
class Scene:
    officer: Person
    manager: Person
    practitioner: Person
    police: User
    participant: Participant
    basis_label: str


@pytest.fixture
def scene(audit_flushable: None) -> Scene:
    # Regions come from a data migration; an earlier live-server test's flush removes them.
    london, _ = Region.objects.get_or_create(code="london", defaults={"name": "London"})
    programme_team = Organisation.objects.create(
        name="Programme Team", kind=OrganisationKind.PROGRAMME_TEAM
    )
    programme_team.regions.set([london])
    probation = Organisation.objects.create(
        name="Probation London", kind=OrganisationKind.PROBATION
    )
    probation.regions.set([london])
    police_org = Organisation.objects.create(name="CTP London", kind=OrganisationKind.CT_POLICE)
    police_org.regions.set([london])
    provider = Organisation.objects.create(name="Mentors Ltd", kind=OrganisationKind.PROVIDER)
    make_contract(provider, regions=[london])

    def person(username: str, organisation: Organisation, role: str, first: str) -> Person:
        user = make_user(
            username,
            organisation,
            role,
            totp=False,
            email=f"{username}@example.org",
            first_name=first,
            last_name="Example",
        )
        return Person(user=user, secret=with_totp(user))

    officer = person("officer", probation, Role.SUPERVISING_OFFICER, "Olive")
    manager = person("manager", programme_team, Role.PROGRAMME_MANAGER, "Mina")
    practitioner = person("mentor", provider, Role.PRACTITIONER, "Pat")
    police = make_user(
        "police", police_org, Role.POLICE_LIAISON, totp=False, email="police@example.org"
    )
    make_practitioner(practitioner.user, regions=[london])

    participant = make_participant(
        reference="DDP-0042",
        given_name=GIVEN_NAME,
        family_name=FAMILY_NAME,
        organisation=probation,
        region=london,
        officer=officer.user,
    )
    basis = legal_basis_add(
        actor=None,
        participant=participant,
        data={
            "kind": LegalBasisKind.LICENCE,
            "start_date": timezone.localdate() - dt.timedelta(days=60),
            "attendance_mandatory": True,
        },
    )
    return Scene(
        officer=officer,
        manager=manager,
        practitioner=practitioner,
        police=police,
        participant=participant,
        basis_label=str(basis),
    )


def signed_in_page(page: Any, live_server: Any, person: Person) -> Any:
    """A new browser context (its own cookies) signed in as this person. Each person signs in
    once: a TOTP code cannot be used twice."""
    context = page.context.browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    sign_in(tab, person.user.username, PASSWORD, person.secret)
    tab.get_by_role("heading", name="Dashboard").wait_for()
    return tab


def heading(tab: Any, name: str | re.Pattern[str]) -> None:
    tab.get_by_role("heading", name=name, level=1).wait_for()


def confirmed(tab: Any, message: str) -> None:
    """The success banner a completed form leads to."""
    expect(tab.get_by_role("alert", name="Success")).to_contain_text(message)


def give_purpose(tab: Any) -> None:
    heading(tab, "Why are you opening this record?")
    tab.get_by_label("Case management and supervision").check()
    tab.get_by_role("button", name="Continue").click()


def open_intervention(tab: Any, participant: Participant) -> None:
    tab.goto(f"/participants/{participant.uuid}/work/")
    heading(tab, re.compile(r"^Intervention"))


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def book_session(tab: Any, participant: Participant, start: dt.datetime) -> None:
    open_intervention(tab, participant)
    tab.get_by_role("link", name="Book a session").click()
    heading(tab, "Book a session")
    tab.get_by_label("Date and time").fill(local_input(start))
    tab.get_by_label("How the session takes place").select_option(label="In person")
    tab.get_by_role("textbox", name="Place (optional)").fill("Probation office")
    tab.get_by_label("Type of session").select_option(label="Mentoring")
    tab.get_by_role("button", name="Book session").click()
    heading(tab, re.compile(r"^Intervention"))
    confirmed(tab, "Session booked")


def open_session(tab: Any, start: dt.datetime) -> None:
    local = timezone.localtime(start)
    when = f"{local:%a} {local.day} {local:%b %Y, %H:%M}"  # as the intervention page shows it
    tab.get_by_role("link", name=when).click()
    heading(tab, re.compile(r"^Session on"))


def test_referral_to_end_report(
    page: Any, live_server: Any, scene: Scene, smtp_inbox: SMTPInbox
) -> None:
    participant = scene.participant
    reference = participant.reference

    # 1. The supervising officer refers the participant.
    officer = signed_in_page(page, live_server, scene.officer)
    officer.goto(f"/participants/{participant.uuid}/")
    give_purpose(officer)
    heading(officer, re.compile(FAMILY_NAME))
    officer.get_by_role("link", name="Refer to the programme").click()
    heading(officer, "Refer to the programme")
    officer.get_by_label("Reason for referral").fill("Convicted of a terrorism offence.")
    officer.get_by_label("Mentoring").check()
    officer.get_by_label("Risk summary", exact=True).fill("Full risk summary, restricted.")
    officer.get_by_label("Risk summary for the provider").fill("Works well one to one.")
    officer.get_by_label("Legal basis").select_option(label=scene.basis_label)
    officer.get_by_role("button", name="Send referral").click()
    heading(officer, re.compile(r"^Referral"))
    confirmed(officer, "Referral sent to the programme team")
    expect(officer.get_by_role("heading", name=re.compile("Attendance mandatory"))).to_be_visible()

    # 2. The programme manager triages and allocates.
    manager = signed_in_page(page, live_server, scene.manager)
    triage_card = manager.get_by_role("link", name=re.compile(r"^1\s*referrals to triage$"))
    triage_card.click()
    heading(manager, "Referrals")
    manager.get_by_role("link", name=reference).click()
    give_purpose(manager)
    heading(manager, re.compile(r"^Referral"))
    manager.get_by_label("Decision").select_option(label="Accept for allocation")
    manager.get_by_role("button", name="Record decision").click()
    confirmed(manager, "Decision recorded")
    manager.get_by_role("link", name="Choose a practitioner").click()
    heading(manager, "Choose a practitioner")
    card = manager.locator(".govuk-summary-card", has_text="Pat Example")
    expect(card.get_by_role("heading", name=re.compile(r"^1\. Pat Example"))).to_be_visible()
    expect(card.get_by_text("Fit 55")).to_be_visible()
    # Exact, so the case counts: the ranking names the specialism by its label.
    expect(card.get_by_text("Covers all 1 need: Mentoring (+50)", exact=True)).to_be_visible()
    expect(card.get_by_text("Has room for 10 more participants (+5)")).to_be_visible()
    card.get_by_role("button", name="Allocate to Pat Example").click()
    confirmed(manager, "Practitioner allocated")

    # 3. The practitioner finds the participant in their caseload and proposes a plan.
    mentor = signed_in_page(page, live_server, scene.practitioner)
    mentor.get_by_role("link", name="Caseload", exact=True).click()
    heading(mentor, "Caseload")
    mentor.get_by_role("link", name=f"{FAMILY_NAME.upper()}, {GIVEN_NAME}").click()
    give_purpose(mentor)
    heading(mentor, re.compile(FAMILY_NAME))
    mentor.get_by_role("link", name="Intervention: plan, sessions, concerns").click()
    heading(mentor, re.compile(r"^Intervention"))
    mentor.get_by_role("link", name="Propose a plan").click()
    heading(mentor, "Propose an intervention plan")
    mentor.get_by_label("Objectives").fill("\n".join(OBJECTIVES))
    mentor.get_by_label("Mentoring").check()
    mentor.get_by_label("Number of planned sessions").fill("6")
    mentor.get_by_role("button", name="Send for approval").click()
    confirmed(mentor, "Version 1 of the plan sent for approval")

    # 4. The officer approves the plan.
    open_intervention(officer, participant)
    officer.get_by_label("Decision").select_option(label="Approve the plan")
    officer.get_by_role("button", name="Record decision").click()
    confirmed(officer, "Plan approved")

    # 5. The practitioner records a session attended and one missed, and raises a concern.
    now = timezone.now()
    attended_at = (now - dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    missed_at = attended_at + dt.timedelta(days=1)
    book_session(mentor, participant, attended_at)
    open_session(mentor, attended_at)
    mentor.get_by_label("What happened").select_option(label="Attended")
    mentor.get_by_label("How long it lasted").fill("55")
    mentor.get_by_label("Engagement").select_option(label="4")
    mentor.get_by_label(f"Progress on objective 1: {OBJECTIVES[0]}").select_option(
        label="Good progress"
    )
    mentor.get_by_label(f"Progress on objective 2: {OBJECTIVES[1]}").select_option(
        label="Some progress"
    )
    mentor.get_by_role("button", name="Save outcome").click()
    confirmed(mentor, "Outcome recorded")

    book_session(mentor, participant, missed_at)
    open_session(mentor, missed_at)
    mentor.get_by_label("What happened").select_option(label="Did not attend")
    mentor.get_by_label("Was the absence acceptable?").select_option(label="Unacceptable absence")
    mentor.get_by_label("Reason for the absence").fill("No contact and no reason given.")
    mentor.get_by_role("button", name="Save outcome").click()
    confirmed(mentor, "Outcome recorded")

    mentor.get_by_role("link", name="Raise a concern").click()
    heading(mentor, "Raise a concern")
    mentor.get_by_label("Kind of concern").select_option(label="Risk to self")
    mentor.get_by_label("This is urgent").check()
    mentor.get_by_label("Describe the concern").fill("Said something worrying at the last visit.")
    mentor.get_by_role("button", name="Raise concern").click()
    confirmed(mentor, "Urgent concern raised")

    # 6. The officer is told, decides on compliance and acknowledges the concern.
    officer.goto("/")
    heading(officer, "Dashboard")
    unread = Notification.objects.filter(recipient=scene.officer.user, read_at=None)
    assert {NotificationKind.UNACCEPTABLE_ABSENCE, NotificationKind.URGENT_CONCERN} <= set(
        unread.values_list("kind", flat=True)
    )
    header = officer.get_by_role("navigation", name="Menu")
    expect(
        header.get_by_role("link", name=f"Notifications {unread.count()} unread")
    ).to_be_visible()
    expect(officer.get_by_role("heading", name="Compliance decisions due (1)")).to_be_visible()
    due = officer.get_by_role("table").filter(has_text="Decide by")
    expect(
        due.get_by_role("row", name=re.compile(rf"^{reference} Consider a warning"))
    ).to_be_visible()
    expect(
        officer.get_by_role("heading", name="Concerns awaiting acknowledgement (1)")
    ).to_be_visible()
    header.get_by_role("link", name=re.compile(r"^Notifications")).click()
    heading(officer, "Notifications")
    for subject in (f"Unacceptable absence: {reference}", f"Urgent concern: {reference}"):
        expect(officer.get_by_role("button", name=f"Open {subject}")).to_be_visible()

    open_intervention(officer, participant)
    officer.get_by_label("Decision", exact=True).select_option(label="Warning")
    officer.get_by_label("Reason for the decision").fill("First unacceptable absence.")
    officer.get_by_role("button", name="Record decision").click()
    confirmed(officer, "Compliance decision recorded")
    officer.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    confirmed(officer, "Concern acknowledged")

    # 7. The practitioner writes the end-of-intervention report.
    open_intervention(mentor, participant)
    mentor.get_by_role("link", name="Write the end-of-intervention report").click()
    heading(mentor, "End-of-intervention report")
    mentor.get_by_label("How did the intervention end?").select_option(label="Completed")
    mentor.get_by_label("Summary of the intervention").fill("Engaged well after a slow start.")
    mentor.get_by_label(f"Objective 1: {OBJECTIVES[0]}").select_option(label="Achieved")
    mentor.get_by_label(f"Objective 2: {OBJECTIVES[1]}").select_option(label="Partly achieved")
    mentor.get_by_role("button", name="Send report").click()
    heading(mentor, "Dashboard")
    confirmed(mentor, "The intervention has ended")
    # With the allocation ended, the practitioner no longer sees the participant.
    assert mentor.goto(f"/participants/{participant.uuid}/work/").status == 404

    # 8. What the database holds at the end.
    referral = Referral.objects.get(participant=participant)
    assert referral.attendance_mandatory
    allocation = Allocation.objects.get(referral=referral)
    assert allocation.practitioner.user == scene.practitioner.user
    assert allocation.ended_at is not None
    report = EndReport.objects.get(allocation=allocation)
    assert report.conclusion == Conclusion.COMPLETED
    assert sorted(a.achievement for a in report.achievements.all()) == [
        Achievement.ACHIEVED,
        Achievement.PARTLY,
    ]
    attended = Session.objects.get(participant=participant, outcome=SessionOutcome.ATTENDED)
    assert {(p.objective.description, p.rating) for p in attended.progress.all()} == {
        (OBJECTIVES[0], ObjectiveProgressRating.GOOD),
        (OBJECTIVES[1], ObjectiveProgressRating.SOME),
    }
    record = ComplianceRecord.objects.get(participant=participant)
    assert record.session.outcome == SessionOutcome.DID_NOT_ATTEND
    assert record.decision == ComplianceDecision.WARNING
    assert record.decided_by == scene.officer.user
    concern = Concern.objects.get(participant=participant)
    assert concern.status == ConcernStatus.ACKNOWLEDGED
    assert concern.acknowledged_by == scene.officer.user
    participant.refresh_from_db()
    assert participant.status == Status.ENDED

    told = Notification.objects.filter(recipient=scene.officer.user)
    kinds = set(told.values_list("kind", flat=True))
    assert {NotificationKind.UNACCEPTABLE_ABSENCE, NotificationKind.URGENT_CONCERN} <= kinds
    assert Notification.objects.filter(
        recipient=scene.police, kind=NotificationKind.URGENT_CONCERN
    ).exists()
    for subject, body in Notification.objects.values_list("subject", "body"):
        for name in (GIVEN_NAME, FAMILY_NAME):
            assert name not in subject
            assert name not in body

    absence_mail = [
        m for m in smtp_inbox.to(scene.officer.user.email) if "Unacceptable absence" in m["Subject"]
    ]
    assert len(absence_mail) == 1
    assert reference in absence_mail[0]["Subject"]
    assert FAMILY_NAME not in absence_mail[0].get_content()
    assert any(
        f"Urgent concern: {reference}" in m["Subject"] for m in smtp_inbox.to(scene.police.email)
    )
