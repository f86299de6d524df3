"""Person-centred support in a real browser: a supervising officer completes a needs and
strengths assessment, then, for a participant due for release, opens the exit passport and
downloads the PDF, which is read back to check it holds the contacts and none of the
restricted fields."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import PASSWORD, make_participant, make_user
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region
from desist.support.constants import NeedLevel
from desist.support.forms_assessments import need_field_name, question_field_name
from desist.support.instruments import load_shipped, pathway_definitions
from desist.support.models import Assessment, Instrument
from desist.support.services_release import (
    release_appointment_create,
    release_contact_create,
    release_plan_create,
)
from tests.browser.conftest import sign_in, with_totp
from tests.browser.test_referral_to_end_report import give_purpose, heading

pytestmark = pytest.mark.browser

PNC = "2019/0012345X"


def _answer_required_questions(tab: Any, code: str, pathway: dict[str, Any]) -> None:
    for question in pathway.get("questions", []):
        if not question.get("required"):
            continue
        field = tab.locator(f'[name="{question_field_name(code, question["key"])}"]')
        kind = field.first.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind == "INPUT:radio":
            field.first.check()
        elif kind.startswith("SELECT"):
            field.select_option(index=1)
        else:
            field.fill("Talked it through together.")


def test_officer_completes_an_assessment_and_prints_the_passport(
    page: Any, live_server: Any, audit_flushable: None
) -> None:
    # Regions and instruments come from data migrations; an earlier live-server test's flush
    # removes them.
    london, _ = Region.objects.get_or_create(code="london", defaults={"name": "London"})
    load_shipped(Instrument)
    prison = Organisation.objects.create(name="HMP Example", kind=OrganisationKind.PRISON)
    probation = Organisation.objects.create(
        name="Probation London", kind=OrganisationKind.PROBATION
    )
    probation.regions.set([london])
    pom = make_user("pom", prison, Role.PRISON_OFFENDER_MANAGER, totp=False, first_name="Priya")
    secret = with_totp(pom)
    officer = make_user(
        "community", probation, Role.SUPERVISING_OFFICER, totp=False, first_name="Cal"
    )
    participant = make_participant(
        reference="DDP-0777",
        given_name="Ottoline",
        family_name="Marchbanks-Ferre",
        organisation=prison,
        region=london,
        officer=pom,
        agencies=(probation,),
        pnc_number=PNC,
        mappa_category="1",
        mappa_level="2",
        custody_establishment="HMP Example",
    )
    release_on = timezone.localdate() + dt.timedelta(days=20)
    plan = release_plan_create(
        actor=pom,
        participant=participant,
        expected_release_date=release_on,
        release_region=london,
        community_organisation=probation,
        community_officer=officer,
        conditions_plain="Live at the address your probation officer approves.",
    )
    release_appointment_create(
        actor=pom,
        plan=plan,
        starts_at=timezone.make_aware(dt.datetime.combine(release_on, dt.time(14, 0))),
        with_whom="Your probation officer",
        place="Probation office, 1 Example Street",
        purpose="First appointment after release",
    )
    release_contact_create(
        actor=pom,
        plan=plan,
        name="Approved premises team",
        role="Help with where you live",
        phone="020 7946 0999",
    )

    # 1. The prison offender manager (supervising while in custody) records an assessment.
    sign_in(page, "pom", PASSWORD, secret)
    heading(page, "Dashboard")
    page.goto(f"/participants/{participant.uuid}/")
    give_purpose(page)
    heading(page, re.compile("Marchbanks-Ferre"))
    page.get_by_role("link", name="Needs and strengths").click()
    heading(page, "Needs and strengths")
    page.get_by_role("link", name="Record an assessment").click()
    heading(page, "Record a needs and strengths assessment")

    needs = Instrument.objects.get(key="needs-assessment", active=True)
    for code, pathway in pathway_definitions(needs.definition).items():
        level = NeedLevel.HIGH if code == "accommodation" else NeedLevel.LOW
        page.locator(f'input[name="{need_field_name(code)}"][value="{level}"]').check()
        _answer_required_questions(page, code, pathway)
    page.get_by_role("button", name="Save the assessment").click()
    heading(page, "Needs and strengths")
    expect(page.locator("main")).to_contain_text("Accommodation")
    saved = Assessment.objects.get(participant=participant)
    assert saved.pathways.get(pathway="accommodation").need_level == NeedLevel.HIGH

    # 2. The exit passport: the page, then the PDF download.
    page.goto(f"/participants/{participant.uuid}/")
    page.get_by_role("link", name="Exit passport").click()
    heading(page, "Exit passport")
    expect(page.locator("main")).to_contain_text("Approved premises team")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download the exit passport")).click()
    download = download_info.value
    assert download.suggested_filename == "exit-passport-DDP-0777.pdf"
    with open(download.path(), "rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    text = " ".join(p.extract_text() for p in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Approved premises team" in text
    assert "Probation office, 1 Example Street" in text
    assert "Live at the address your probation officer approves." in text
    assert PNC not in text
    assert "MAPPA" not in text
