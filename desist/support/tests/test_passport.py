"""The exit passport: what it holds (passport_for), the page, the PDF rendered for real by
WeasyPrint and read back with pypdf, and its words ready for translation.

The scene seeds restricted values into the participant's records (MAPPA, identifiers, a
concern, session notes, the referral's risk summaries, the assessment's need notes, legal
basis notes) so that the checks for their absence can fail. Time is frozen at 09:00 on
2 March 2026; the release is four weeks later, on 30 March.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from conftest import World
from desist.audit.models import AuditEvent
from desist.delivery.models import Concern, Session
from desist.people.constants import LegalBasisKind
from desist.people.models import LegalBasis, Participant
from desist.people.services import participant_update
from desist.referrals.models import Referral
from desist.support import passport as passport_module
from desist.support import services_release as services
from desist.support.constants import ChecklistItem, GoalStatus, Owner, ServiceLink
from desist.support.models import Goal, GoalAction, ReleasePlan
from desist.support.passport import (
    APPOINTMENT_WINDOW,
    page_counter_css,
    passport_for,
    passport_pdf,
)
from desist.support.tests.factories_release import (
    NOW,
    at,
    days,
    fresh_custody,
    make_assessment,
    make_plan,
    make_service,
    set_first_name,
)

RELEASE = days(28)  # Monday 30 March 2026
PNC = "2019/0123456E"
RESTRICTED = {
    "MAPPA": "MAPPA",
    "MAPPA category": "Category 4",
    "PNC number": PNC,
    "prison number": "A1234BC",
    "probation case reference": "X123456",
    "concern description": "CONCERN-MARKER seen with propaganda",
    "session notes": "SESSION-NOTE-MARKER talked about the offence",
    "referral risk summary": "RISK-SUMMARY-MARKER",
    "provider risk summary": "PROVIDER-RISK-MARKER",
    "referral reason": "REFERRAL-REASON-MARKER",
    "need notes": "NEED-NOTE-MARKER",
    "strengths": "STRENGTH-NOTE-MARKER",
    "legal basis notes": "LICENCE-NOTE-MARKER",
    "participant's address": "ADDRESS-MARKER",
    "participant's phone": "07700 900123",
}


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@dataclass
class Scene:
    world: World
    case: Participant
    plan: ReleasePlan

    def client(self, persona: str) -> Client:
        client = self.world.client_for(persona)
        session = client.session
        session["access_purposes"] = {str(self.case.uuid): "case_management"}
        session.save()
        return client

    def url(self, name: str) -> str:
        return reverse(f"support:{name}", kwargs={"participant_uuid": self.case.uuid})


def _seed_restricted(world: World, case: Participant) -> None:
    participant_update(
        actor=None,
        participant=case,
        data={
            "mappa_category": "4",
            "mappa_level": "3",
            "pnc_number": PNC,
            "prison_number": "A1234BC",
            "probation_crn": "X123456",
            "address": "1 ADDRESS-MARKER Road",
            "phone": "07700 900123",
            "sex": "male",
        },
    )
    Concern.objects.filter(participant=case).update(description=RESTRICTED["concern description"])
    Session.objects.filter(participant=case).update(notes=RESTRICTED["session notes"])
    Referral.objects.filter(participant=case).update(
        risk_summary=RESTRICTED["referral risk summary"],
        risk_summary_for_provider=RESTRICTED["provider risk summary"],
        reason=RESTRICTED["referral reason"],
    )
    LegalBasis.objects.create(
        participant=case,
        kind=LegalBasisKind.LICENCE,
        start_date=RELEASE,
        notes=RESTRICTED["legal basis notes"],
    )


@pytest.fixture
def scene(allocated_world: World) -> Scene:
    """world.case (male, born 17 May 1990, London) in custody until 30 March, allocated to
    the practitioner Maya at Mentors Ltd, with a release plan: community officer Sam at
    Probation London, contacts, appointments, conditions, a latest assessment with needs in
    accommodation (high) and finance (low), none in mental health, and a development-plan
    action that signposts a job club."""
    world = allocated_world
    case = fresh_custody(world.case, RELEASE)
    _seed_restricted(world, case)
    officer = set_first_name(world.personas["supervising_officer"], "Sam")
    set_first_name(world.personas["practitioner"], "Maya")
    manager = world.personas["programme_manager"]
    plan = make_plan(
        case,
        manager,
        release_address_area="Croydon",
        community_organisation=world.probation_london,
        community_officer=officer,
        conditions_plain="Live at the address agreed with your officer\nBe home by 7pm each night",
    )
    services.release_contact_create(
        actor=manager,
        plan=plan,
        name="Housing Advice Line",
        role="Help with housing",
        phone="020 7946 0000",
    )
    for starts_at, who in (
        (at(RELEASE, 14), "Duty officer at Croydon"),  # first day of the window
        (at(RELEASE + APPOINTMENT_WINDOW, 11), "Job centre work coach"),  # last day
        (at(RELEASE + APPOINTMENT_WINDOW + dt.timedelta(days=1), 9), "LATE-APPOINTMENT-MARKER"),
    ):
        services.release_appointment_create(
            actor=manager, plan=plan, starts_at=starts_at, with_whom=who, place="Croydon"
        )
    entry = plan.checklist.get(item=ChecklistItem.IDENTITY_DOCUMENTS)
    services.release_checklist_update(
        actor=manager,
        entry=entry,
        data={
            "status": "in_progress",
            "owner": Owner.PARTICIPANT,
            "note": "Birth certificate ordered",
        },
    )
    # An older assessment with a mental health need; the latest one has none there.
    make_assessment(case, manager, {"mental_health": "high"}, assessed_on=days(-60))
    make_assessment(
        case,
        manager,
        {"accommodation": "high", "finance": "low", "mental_health": "none"},
        notes=RESTRICTED["need notes"],
    )
    from desist.support.models import PathwayAssessment

    PathwayAssessment.objects.update(strengths=RESTRICTED["strengths"])
    make_service(
        "safe-homes", name="Safe Homes London", pathways=["accommodation"], regions=[world.london]
    )
    make_service("money-help", name="Money Help UK", pathways=["finance"], national=True)
    make_service(
        "nw-homes", name="North West Homes", pathways=["accommodation"], regions=[world.north_west]
    )
    make_service(
        "womens-centre",
        name="Womens Centre",
        pathways=["accommodation"],
        regions=[world.london],
        eligible_sex="female",
    )
    make_service(
        "young-homes",
        name="Young Peoples Homes",
        pathways=["accommodation"],
        regions=[world.london],
        max_age=25,
    )
    make_service("mind-ok", name="Mind OK", pathways=["mental_health"], national=True)
    make_service(
        "closed", name="Closed Service", pathways=["accommodation"], national=True, active=False
    )
    job_club = make_service("job-club", name="Job Club Croydon", pathways=["education_employment"])
    goal = Goal.objects.create(
        participant=case,
        pathway="education_employment",
        description="Find work",
        status=GoalStatus.IN_PROGRESS,
        created_by=manager,
        created_at=NOW,
        updated_at=NOW,
    )
    GoalAction.objects.create(
        goal=goal,
        description="Go to the job club",
        owner=Owner.PARTICIPANT,
        service=job_club,
        service_link=ServiceLink.SIGNPOST,
        created_by=manager,
        created_at=NOW,
        updated_at=NOW,
    )
    return Scene(world=world, case=case, plan=plan)


# What it holds -------------------------------------------------------------------------------


def test_passport_holds_the_contacts_officer_practitioner_and_plan_contacts(scene: Scene) -> None:
    contacts = passport_for(scene.case).contacts

    assert [(c.name, c.organisation) for c in contacts] == [
        ("Sam", "Probation London"),
        ("Maya", "Mentors Ltd"),
        ("Housing Advice Line", ""),
    ]
    assert contacts[0].role == "Your probation officer"
    assert contacts[2].phone == "020 7946 0000"


def test_appointments_run_from_the_release_date_to_six_weeks_after(scene: Scene) -> None:
    passport = passport_for(scene.case)

    assert [a.with_whom for a in passport.appointments] == [
        "Duty officer at Croydon",
        "Job centre work coach",
    ]
    assert (passport.appointments_from, passport.appointments_until) == (
        RELEASE,
        RELEASE + APPOINTMENT_WINDOW,
    )


def test_services_are_signposted_for_each_need_in_the_latest_assessment(scene: Scene) -> None:
    needs = {n.pathway: [s.name for s in n.services] for n in passport_for(scene.case).needs}

    assert needs == {
        "Accommodation": ["Safe Homes London"],
        "Education, training and employment": ["Job Club Croydon"],
        "Finance, benefits and debt": ["Money Help UK"],
    }


def test_release_region_decides_the_local_services(scene: Scene) -> None:
    services.release_plan_update(
        actor=scene.world.personas["programme_manager"],
        plan=scene.plan,
        data={"release_region": scene.world.north_west},
    )

    needs = {n.pathway: [s.name for s in n.services] for n in passport_for(scene.case).needs}

    assert needs["Accommodation"] == ["North West Homes"]


def test_checklist_lines_carry_status_owner_and_note(scene: Scene) -> None:
    lines = passport_for(scene.case).checklist

    assert len(lines) == 7
    documents = lines[1]
    assert (documents.item, documents.status_label, documents.owner, documents.note) == (
        "Identity documents",
        "In progress",
        "You",
        "Birth certificate ordered",
    )


def test_passport_without_a_plan_still_has_the_officer_and_services(world: World) -> None:
    passport = passport_for(world.case)

    assert [c.organisation for c in passport.contacts] == ["Probation London"]
    assert passport.checklist == ()
    assert passport.appointments == ()


# The page ------------------------------------------------------------------------------------


def test_page_shows_the_passport_and_records_the_view(scene: Scene) -> None:
    response = scene.client("supervising_officer").get(scene.url("passport"))

    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Sam", "Housing Advice Line", "Safe Homes London", "Be home by 7pm each night"):
        assert text in body
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.purpose, event.changes) == ("case_management", {"shown": "exit_passport_page"})


def test_page_holds_none_of_the_restricted_values(scene: Scene) -> None:
    body = scene.client("programme_manager").get(scene.url("passport")).content.decode()
    content = body[body.index('<div class="app-passport">') :]

    for what, value in RESTRICTED.items():
        assert value not in content, what


def test_page_asks_for_a_purpose_first(scene: Scene) -> None:
    client = scene.world.client_for("supervising_officer")

    response = client.get(scene.url("passport"))

    assert response.status_code == 302
    assert response["Location"].startswith(f"/participants/{scene.case.uuid}/purpose/")


@pytest.mark.parametrize("persona", ["officer_other_area", "police_other_region", "analyst"])
def test_passport_is_not_found_for_those_the_gate_does_not_show(scene: Scene, persona: str) -> None:
    for name in ("passport", "passport_pdf"):
        assert scene.client(persona).get(scene.url(name)).status_code == 404


# The PDF -------------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return reader, " ".join(text.split())


@pytest.fixture
def pdf(scene: Scene) -> Any:
    response = scene.client("supervising_officer").get(scene.url("passport_pdf"))
    assert response.status_code == 200
    return response


def test_pdf_is_an_attachment_named_by_reference_and_not_stored(pdf: Any) -> None:
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="exit-passport-CASE-1.pdf"'
    assert pdf["Cache-Control"] == "no-store"
    assert pdf.content.startswith(b"%PDF-")


def test_pdf_holds_the_contacts_appointments_conditions_services_and_checklist(
    pdf: Any,
) -> None:
    _, text = _pdf_text(pdf.content)

    for expected in (
        "Exit passport",
        "Monday 30 March 2026",
        "Sam",
        "Your probation officer",
        "Probation London",
        "Maya",
        "Mentors Ltd",
        "Housing Advice Line",
        "020 7946 0000",
        "Duty officer at Croydon",
        "Job centre work coach",
        "Live at the address agreed with your officer",
        "Be home by 7pm each night",
        "Safe Homes London",
        "Money Help UK",
        "Job Club Croydon",
        "Identity documents",
        "Birth certificate ordered",
    ):
        assert expected in text, expected
    for absent in (
        "LATE-APPOINTMENT-MARKER",
        "North West Homes",
        "Womens Centre",
        "Young Peoples Homes",
        "Mind OK",
        "Closed Service",
    ):
        assert absent not in text, absent


def test_pdf_holds_none_of_the_restricted_values(pdf: Any) -> None:
    _, text = _pdf_text(pdf.content)

    for what, value in RESTRICTED.items():
        assert value not in text, what
    assert "Zebedee" in text  # the participant's own name is there: the text was read


def test_pdf_is_a4_with_page_numbers(pdf: Any) -> None:
    reader, text = _pdf_text(pdf.content)

    pages = len(reader.pages)
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595  # 210 mm in points
        assert round(float(page.mediabox.height)) == 842  # 297 mm in points
    assert pages >= 2
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in text


def test_pdf_download_is_recorded_with_its_purpose(scene: Scene, pdf: Any) -> None:
    event = AuditEvent.objects.filter(action="view").latest("seq")

    assert event.actor_id == scene.world.personas["supervising_officer"].pk
    assert event.participant_ref == str(scene.case.uuid)
    assert event.purpose == "case_management"
    assert event.changes == {"shown": "exit_passport_pdf"}


def test_practitioner_may_download_it_police_too(scene: Scene) -> None:
    for persona in ("practitioner", "police_london"):
        response = scene.client(persona).get(scene.url("passport_pdf"))
        assert response.status_code == 200, persona


def test_pdf_uses_the_house_fonts(scene: Scene) -> None:
    html = passport_module.passport_html(passport_for(scene.case))

    assert 'font-family: Arial, "Liberation Sans", sans-serif' in html
    assert "size: A4" in html
    assert 'content: "Page " counter(page) " of " counter(pages);' in html


def test_pdf_fetches_nothing_a_typed_value_points_at(scene: Scene) -> None:
    services.release_contact_create(
        actor=scene.world.personas["programme_manager"],
        plan=scene.plan,
        name='<img src="http://example.invalid/x.png">',
        role="Trying to load",
        phone="1",
    )

    _, text = _pdf_text(passport_pdf(passport_for(scene.case)))

    assert '<img src="http://example.invalid/x.png">' in text  # shown as text, not loaded


# Ready for translation -----------------------------------------------------------------------

SUPPORT = Path(passport_module.__file__).parent


def _copy_passport_sources(root: Path) -> None:
    (root / "locale").mkdir()
    shutil.copy(SUPPORT / "passport.py", root / "passport.py")
    templates = root / "templates"
    templates.mkdir()
    for template in (SUPPORT / "templates" / "support").glob("passport*.html"):
        shutil.copy(template, templates / template.name)


def test_passport_words_are_in_the_message_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_passport_sources(tmp_path)
    monkeypatch.chdir(tmp_path)

    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]):
        call_command("makemessages", locale=["cy"], verbosity=0)

    catalogue = (tmp_path / "locale" / "cy" / "LC_MESSAGES" / "django.po").read_text()
    for msgid in (
        'msgid "Who to contact"',
        'msgid "Your appointments"',
        'msgid "Conditions you must keep"',
        'msgid "Services that can help you"',
        'msgid "Getting ready for release"',
        'msgid "Your probation officer"',
        'msgid "Page %(page)s of %(pages)s"',
        "This exit passport is for %(name)s.",
    ):
        assert msgid in catalogue, msgid


def test_a_translation_reaches_the_page_and_the_page_numbers(scene: Scene, tmp_path: Path) -> None:
    messages = tmp_path / "locale" / "cy" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Who to contact"\nmsgstr "Pwy i gysylltu â nhw"\n\n'
        'msgid "Page %(page)s of %(pages)s"\nmsgstr "Tudalen %(page)s o %(pages)s"\n',
        encoding="utf-8",
    )
    msgfmt = shutil.which("msgfmt")
    assert msgfmt is not None, "gettext is needed (see the Makefile)"
    subprocess.run(
        [msgfmt, "-o", str(messages / "django.mo"), str(messages / "django.po")], check=True
    )

    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]), translation.override("cy"):
        html = passport_module.passport_html(passport_for(scene.case))
        counter = page_counter_css()

    assert "Pwy i gysylltu â nhw" in html
    assert counter == '"Tudalen " counter(page) " o " counter(pages)'
    assert re.search(r'<html lang="cy">', html)
