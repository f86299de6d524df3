"""Referral pages through the Django test client: refer, triage, rank and allocate, allocate the
queue, reallocate and close, checked against the shared personas."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import CASE_READERS, CASE_WRITERS, PERSONAS, World, make_participant, make_user
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.models import AuditEvent
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import LegalBasisKind, Status
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import PractitionerStatus, Specialism
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals import services
from desist.referrals.constants import AllocationMethod, DeclineReason, ReferralStatus
from desist.referrals.models import Allocation, Referral
from desist.referrals.rules import can_transition

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()

QUEUE = reverse("referrals:queue")
ALLOCATE_QUEUE = reverse("referrals:allocate_queue")

FULL_RISK = "Full picture: intelligence from the police, not for providers."
PROVIDER_RISK = "What the provider needs to know to work safely."
# Names of the participants in play; they must never reach a notification.
FAMILY_NAMES = ("Zebedee-Marker", "Quillfeather-Marker", "Third-Marker")


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any, settings: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.DESIST_HOLIDAYS_SUBDIVISION = "ENG"


@dataclass
class Scene:
    world: World
    officer: User
    manager: User
    mentor: Practitioner  # Mentors Ltd, London, speaks English and Urdu
    other: Practitioner  # Other Mentors, North West only
    basis: LegalBasis  # world.case's licence, attendance mandatory

    @property
    def case(self) -> Participant:
        return self.world.case

    def client(self, persona: str, *, purpose: bool = True) -> Client:
        """Signed in; with `purpose`, the access purpose for the case is already given."""
        client = self.world.client_for(persona)
        if purpose and persona != "anonymous":
            session = client.session
            session["access_purposes"] = {str(self.case.uuid): "case_management"}
            session.save()
        return client


@pytest.fixture
def scene(world: World) -> Scene:
    mentor_user = world.personas["practitioner"]
    other_user = world.personas["other_provider_practitioner"]
    _name(mentor_user, "Alex", "Ableton")
    _name(other_user, "Bo", "Northway")
    make_contract(world.provider, capacity=10, regions=[world.london, world.north_west])
    other_provider = other_user.organisation
    assert other_provider is not None
    make_contract(other_provider, capacity=10, regions=[world.north_west])
    mentor = make_practitioner(mentor_user, regions=[world.london], languages=["en", "ur"])
    other = make_practitioner(other_user, regions=[world.north_west])
    basis = LegalBasis.objects.create(
        participant=world.case,
        kind=LegalBasisKind.LICENCE,
        start_date=dt.date(2025, 1, 6),
        attendance_mandatory=True,
    )
    return Scene(
        world=world,
        officer=world.personas["supervising_officer"],
        manager=world.personas["programme_manager"],
        mentor=mentor,
        other=other,
        basis=basis,
    )


# Helpers -----------------------------------------------------------------------------------


def _name(user: User, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def create_url(participant: Participant) -> str:
    return reverse("referrals:create", kwargs={"participant_uuid": participant.uuid})


def url(name: str, referral: Referral) -> str:
    return reverse(
        f"referrals:{name}",
        kwargs={"participant_uuid": referral.participant.uuid, "referral_uuid": referral.uuid},
    )


def participant_url(participant: Participant) -> str:
    return reverse("people:detail", kwargs={"participant_uuid": participant.uuid})


def page(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def summary_errors(response: Any) -> list[tuple[str, str]]:
    """(link target, message) for each entry of the GOV.UK error summary."""
    body = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    assert match, "the page should show the GOV.UK error summary"
    return [
        (target, html.unescape(text))
        for target, text in re.findall(r'<li><a href="([^"]*)">([^<]*)</a></li>', match[0])
    ]


def open_participant(client: Client, participant: Participant) -> Any:
    """The participant's page, after giving a purpose as the purpose page asks."""
    purpose = reverse("people:purpose", kwargs={"participant_uuid": participant.uuid})
    assert client.post(purpose, {"purpose": "case_management"}).status_code == 302
    return client.get(participant_url(participant))


def refer(scene: Scene, participant: Participant | None = None, **extra: Any) -> Referral:
    fields: dict[str, Any] = {
        "actor": scene.officer,
        "participant": participant or scene.case,
        "reason": "Licence condition to engage with the programme.",
        "needs": ["mentoring"],
        "risk_summary": FULL_RISK,
        "risk_summary_for_provider": PROVIDER_RISK,
        "legal_basis": scene.basis if participant is None else None,
    }
    return services.referral_create(**(fields | extra))


def accepted(scene: Scene, participant: Participant | None = None, **extra: Any) -> Referral:
    return services.referral_accept(
        actor=scene.manager, referral=refer(scene, participant, **extra)
    )


def allocated(scene: Scene, practitioner: Practitioner | None = None) -> Allocation:
    return services.allocation_confirm(
        actor=scene.manager, referral=accepted(scene), practitioner=practitioner or scene.mentor
    )


def london_case(scene: Scene, reference: str = "CASE-3", family_name: str = "Third-Marker") -> Any:
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=scene.world.probation_london,
        region=scene.world.london,
        officer=scene.officer,
    )


def london_practitioner(scene: Scene, username: str, **extra: Any) -> Practitioner:
    user = make_user(username, scene.world.provider, Role.PRACTITIONER)
    _name(user, "Chris", username.title())
    return make_practitioner(user, regions=[scene.world.london], **extra)


def referral_form_data(scene: Scene, **change: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reason": "Licence condition to engage with the programme.",
        "needs": ["mentoring", "theological"],
        "needs_detail": "Good with structure.",
        "risk_summary": FULL_RISK,
        "risk_summary_for_provider": PROVIDER_RISK,
        "legal_basis": scene.basis.pk,
        "expected_end_date": "2027-03-01",
        "preferred_practitioner_sex": "male",
        "preferred_language": "ur",
        "preferred_faith_tradition": "",
        "accessibility_needs": "Step-free access.",
    }
    return {k: v for k, v in (data | change).items() if v is not None}


def audit_events(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(entity=obj._meta.label_lower, entity_id=str(obj.pk)).order_by(
            "seq"
        )
    )


def notices(user: User, kind: str = NotificationKind.REFERRAL) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def assert_no_names_in_notifications() -> None:
    for notice in Notification.objects.all():
        for name in FAMILY_NAMES:
            assert name not in notice.subject + notice.body + notice.link, notice.subject


def status_of(referral: Referral) -> str:
    referral.refresh_from_db(fields=["status"])
    return referral.status


# Referring ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_referral_form_is_for_those_who_may_edit_the_case(scene: Scene, persona: str) -> None:
    response = scene.client(persona).get(create_url(scene.case))
    if persona in CASE_WRITERS:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in CASE_WRITERS])
def test_others_cannot_post_a_referral(scene: Scene, persona: str) -> None:
    response = scene.client(persona).post(create_url(scene.case), referral_form_data(scene))
    assert response.status_code in (302, 404)
    if persona != "anonymous":
        assert response.status_code == 404
    assert not Referral.objects.exists()


def test_colleague_in_another_area_cannot_refer_the_case(scene: Scene) -> None:
    client = scene.client("officer_other_area")
    assert client.get(create_url(scene.case)).status_code == 404
    assert client.post(create_url(scene.case), referral_form_data(scene)).status_code == 404
    assert not Referral.objects.exists()


def test_legal_basis_choices_are_only_the_participants_own(scene: Scene) -> None:
    elsewhere = LegalBasis.objects.create(
        participant=scene.world.other_case,
        kind=LegalBasisKind.TPIM_NOTICE,
        start_date=dt.date(2025, 2, 3),
    )
    response = scene.client("supervising_officer").get(create_url(scene.case))
    offered = list(response.context["form"].fields["legal_basis"].queryset)
    assert offered == [scene.basis]
    body = response.content.decode()
    assert f'<option value="{scene.basis.pk}"' in body
    assert f'<option value="{elsewhere.pk}"' not in body


def test_supervising_officer_refers_the_case(scene: Scene) -> None:
    response = scene.client("supervising_officer").post(
        create_url(scene.case), referral_form_data(scene)
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", referral)
    assert referral.participant == scene.case
    assert referral.referred_by == scene.officer
    assert referral.referring_organisation == scene.world.probation_london
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.needs == ["mentoring", "theological"]
    assert referral.legal_basis == scene.basis
    assert referral.attendance_mandatory is True  # carried from the legal basis
    assert referral.expected_end_date == dt.date(2027, 3, 1)
    assert referral.preferred_language == "ur"
    assert referral.risk_summary == FULL_RISK
    assert referral.risk_summary_for_provider == PROVIDER_RISK
    [event] = audit_events(referral)
    assert event.action == "create"
    assert event.actor_id == scene.officer.pk
    assert event.participant_ref == str(scene.case.uuid)
    [notice] = notices(scene.manager)
    assert notice.subject == "New referral for CASE-1"
    assert notice.link == url("detail", referral)
    assert_no_names_in_notifications()


def test_attendance_is_not_mandatory_when_the_legal_basis_does_not_say_so(scene: Scene) -> None:
    scene.basis.attendance_mandatory = False
    scene.basis.save(update_fields=["attendance_mandatory"])
    scene.client("supervising_officer").post(create_url(scene.case), referral_form_data(scene))
    assert Referral.objects.get().attendance_mandatory is False


def test_attendance_is_not_mandatory_without_a_legal_basis(scene: Scene) -> None:
    scene.client("supervising_officer").post(
        create_url(scene.case), referral_form_data(scene, legal_basis="")
    )
    assert Referral.objects.get().attendance_mandatory is False


def test_the_referral_page_shows_attendance_is_mandatory(scene: Scene) -> None:
    response = scene.client("supervising_officer").post(
        create_url(scene.case), referral_form_data(scene), follow=True
    )
    body = page(response)
    assert "Referral sent to the programme team" in body
    assert "Attendance mandatory" in body
    assert "Licence conditions from 6 Jan 2025" in body


def test_legal_basis_of_another_participant_is_refused(scene: Scene) -> None:
    elsewhere = LegalBasis.objects.create(
        participant=scene.world.other_case,
        kind=LegalBasisKind.LICENCE,
        start_date=dt.date(2025, 1, 6),
        attendance_mandatory=True,
    )
    response = scene.client("supervising_officer").post(
        create_url(scene.case), referral_form_data(scene, legal_basis=elsewhere.pk)
    )
    assert response.status_code == 200
    assert "legal_basis" in response.context["form"].errors
    assert [target for target, _ in summary_errors(response)] == ["#id_legal_basis"]
    assert not Referral.objects.exists()


def test_an_empty_referral_names_each_missing_field_and_writes_nothing(scene: Scene) -> None:
    before = AuditEvent.objects.count()
    response = scene.client("supervising_officer").post(create_url(scene.case), {})
    assert response.status_code == 200
    messages = [text for _, text in summary_errors(response)]
    assert messages == [
        "Enter the reason for the referral",
        "Select the support the participant needs",
        "Enter the risk summary",
        "Enter the risk summary for the provider",
    ]
    assert not Referral.objects.exists()
    assert AuditEvent.objects.count() == before
    assert not Notification.objects.exists()


def test_an_expected_end_date_in_the_past_is_refused(scene: Scene) -> None:
    response = scene.client("supervising_officer").post(
        create_url(scene.case), referral_form_data(scene, expected_end_date="2026-03-01")
    )
    assert response.status_code == 200
    assert summary_errors(response) == [
        ("#id_expected_end_date", "The expected end date must be today or in the future.")
    ]
    assert not Referral.objects.exists()


def test_a_second_open_referral_is_refused(scene: Scene) -> None:
    refer(scene)
    response = scene.client("colleague_same_org").post(
        create_url(scene.case), referral_form_data(scene)
    )
    assert response.status_code == 200
    [(_, message)] = summary_errors(response)
    assert message.startswith("This participant already has an open referral, made on 2 March")
    assert Referral.objects.count() == 1


# The participant page ----------------------------------------------------------------------


def test_referral_appears_on_the_participant_page(scene: Scene) -> None:
    client = scene.client("supervising_officer")
    client.post(create_url(scene.case), referral_form_data(scene))
    referral = Referral.objects.get()
    body = page(open_participant(client, scene.case))
    assert f'href="{url("detail", referral)}"' in body
    assert "Referred 2 Mar 2026" in body
    assert "Submitted" in body


@pytest.mark.parametrize("persona", sorted(CASE_READERS))
def test_refer_button_is_shown_only_to_those_who_may_edit(scene: Scene, persona: str) -> None:
    referral = services.referral_close(actor=scene.officer, referral=refer(scene), reason="Moved.")
    body = page(open_participant(scene.client(persona), scene.case))
    assert f'href="{url("detail", referral)}"' in body
    refer_link = f'href="{create_url(scene.case)}"'
    if persona in CASE_WRITERS:
        assert refer_link in body
        assert "Refer to the programme" in body
    else:
        assert refer_link not in body
        assert "Refer to the programme" not in body


@pytest.mark.parametrize(
    "make",
    [refer, accepted, lambda scene: allocated(scene).referral],
    ids=["submitted", "accepted", "allocated"],
)
@pytest.mark.parametrize("persona", sorted(CASE_WRITERS))
def test_with_an_open_referral_the_page_links_to_it_instead_of_offering_another(
    scene: Scene, persona: str, make: Any
) -> None:
    referral = make(scene)
    body = page(open_participant(scene.client(persona), scene.case))
    assert "Refer to the programme" not in body
    assert f'href="{create_url(scene.case)}"' not in body
    assert f'<a class="govuk-link" href="{url("detail", referral)}">View the open referral' in body


def test_the_refer_button_comes_back_once_the_referral_is_declined(scene: Scene) -> None:
    services.referral_decline(
        actor=scene.manager, referral=refer(scene), reason=DeclineReason.TOO_LITTLE_TIME
    )
    body = page(open_participant(scene.client("supervising_officer"), scene.case))
    assert "Refer to the programme" in body
    assert "View the open referral" not in body


def test_allocated_practitioner_sees_the_referral_row_but_no_refer_button(scene: Scene) -> None:
    allocation = allocated(scene)
    response = open_participant(scene.client("practitioner"), scene.case)
    assert response.status_code == 200
    body = page(response)
    assert f'href="{url("detail", allocation.referral)}"' in body
    assert "Refer to the programme" not in body
    assert "View the open referral" not in body


def test_participant_page_says_when_there_is_no_referral(scene: Scene) -> None:
    body = page(open_participant(scene.client("supervising_officer"), scene.case))
    assert "Not referred to the programme." in body
    assert "Refer to the programme" in body


# The referral page -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_referral_page_is_for_those_who_may_read_the_case(scene: Scene, persona: str) -> None:
    referral = refer(scene)
    response = scene.client(persona).get(url("detail", referral))
    if persona in CASE_READERS:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 404


def test_a_referral_is_not_found_under_another_participant(scene: Scene) -> None:
    referral = refer(scene)
    wrong = reverse(
        "referrals:detail",
        kwargs={"participant_uuid": scene.world.other_case.uuid, "referral_uuid": referral.uuid},
    )
    assert scene.client("programme_manager").get(wrong).status_code == 404


def test_viewing_a_referral_is_recorded_with_a_purpose(scene: Scene) -> None:
    referral = refer(scene)
    client = scene.client("police_london", purpose=False)
    first = client.get(url("detail", referral))
    assert first.status_code == 302
    assert first["Location"].startswith(
        reverse("people:purpose", kwargs={"participant_uuid": scene.case.uuid})
    )
    open_participant(client, scene.case)
    views_before = AuditEvent.objects.filter(action="view").count()
    assert client.get(url("detail", referral)).status_code == 200
    assert AuditEvent.objects.filter(action="view").count() == views_before + 1


# Risk summary: providers see only the version written for them ----------------------------


def test_allocated_practitioner_sees_only_the_provider_risk_summary(scene: Scene) -> None:
    allocation = allocated(scene)
    response = scene.client("practitioner").get(url("detail", allocation.referral))
    assert response.status_code == 200
    body = page(response)
    assert PROVIDER_RISK in body
    assert FULL_RISK not in body
    assert "intelligence from the police" not in body


@pytest.mark.parametrize("persona", sorted(CASE_READERS))
def test_case_readers_see_the_full_risk_summary(scene: Scene, persona: str) -> None:
    referral = refer(scene)
    body = page(scene.client(persona).get(url("detail", referral)))
    assert FULL_RISK in body
    assert PROVIDER_RISK not in body


def test_another_providers_practitioner_cannot_open_the_referral(scene: Scene) -> None:
    allocation = allocated(scene)
    response = scene.client("other_provider_practitioner").get(url("detail", allocation.referral))
    assert response.status_code == 404


def test_practitioner_loses_the_referral_page_when_suspended(scene: Scene) -> None:
    allocation = allocated(scene)
    client = scene.client("practitioner")
    assert client.get(url("detail", allocation.referral)).status_code == 200
    scene.mentor.status = PractitionerStatus.SUSPENDED
    scene.mentor.save(update_fields=["status"])
    assert client.get(url("detail", allocation.referral)).status_code == 404


def test_allocated_practitioner_does_not_see_the_triage_conversation(scene: Scene) -> None:
    referral = refer(scene)
    services.referral_request_information(
        actor=scene.manager, referral=referral, question="Any recent intelligence on contacts?"
    )
    services.referral_provide_information(
        actor=scene.officer, referral=referral, answer="Police report contact with a cell member."
    )
    services.referral_accept(actor=scene.manager, referral=referral)
    services.allocation_confirm(actor=scene.manager, referral=referral, practitioner=scene.mentor)
    body = page(scene.client("practitioner").get(url("detail", referral)))
    assert "Any recent intelligence on contacts?" not in body
    assert "cell member" not in body


# Triage ------------------------------------------------------------------------------------


def triage(
    scene: Scene, referral: Referral, persona: str = "programme_manager", **data: str
) -> Any:
    return scene.client(persona).post(
        url("triage", referral), {f"triage-{k}": v for k, v in data.items()}
    )


def test_triage_form_is_shown_only_to_the_programme_manager(scene: Scene) -> None:
    referral = refer(scene)
    triage_action = f'action="{url("triage", referral)}"'
    assert triage_action in page(scene.client("programme_manager").get(url("detail", referral)))
    assert triage_action not in page(
        scene.client("supervising_officer").get(url("detail", referral))
    )


def test_programme_manager_accepts_a_referral(scene: Scene) -> None:
    referral = refer(scene)
    before = len(audit_events(referral))
    response = triage(scene, referral, action="accept", note="Meets the criteria.")
    assert response.status_code == 302
    assert response["Location"] == url("detail", referral)
    assert status_of(referral) == ReferralStatus.ACCEPTED
    change = referral.status_history.first()
    assert change is not None
    assert (change.from_status, change.to_status, change.note) == (
        "submitted",
        "accepted",
        "Meets the criteria.",
    )
    events = audit_events(referral)
    assert len(events) == before + 1
    assert events[-1].changes["status"] == ["submitted", "accepted"]
    [notice] = notices(scene.officer)
    assert notice.subject == "Referral accepted for CASE-1"
    assert_no_names_in_notifications()
    # The page now offers the ranked list.
    body = page(scene.client("programme_manager").get(url("detail", referral)))
    assert f'href="{url("allocate", referral)}"' in body


def test_declining_needs_a_reason(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, action="decline")
    assert response.status_code == 400
    assert summary_errors(response) == [
        ("#id_triage-decline_reason", "Select why the referral is declined")
    ]
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_declining_for_another_reason_needs_a_note(scene: Scene) -> None:
    referral = refer(scene)
    before = AuditEvent.objects.count()
    response = triage(scene, referral, action="decline", decline_reason="other", note="  ")
    assert response.status_code == 400
    assert summary_errors(response) == [
        ("#id_triage-note", "Explain why the referral is declined.")
    ]
    assert status_of(referral) == ReferralStatus.SUBMITTED
    assert AuditEvent.objects.count() == before
    assert not notices(scene.officer)


def test_declining_for_another_reason_with_a_note(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(
        scene, referral, action="decline", decline_reason="other", note="Moving abroad."
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == DeclineReason.OTHER
    assert referral.triage_note == "Moving abroad."
    [notice] = notices(scene.officer)
    assert notice.subject == "Referral declined for CASE-1"
    body = page(scene.client("supervising_officer").get(url("detail", referral)))
    assert "Declined because" in body
    assert "Other (explained in the note)" in body


def test_declining_with_a_coded_reason_needs_no_note(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, action="decline", decline_reason="already_supported")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == DeclineReason.ALREADY_SUPPORTED


def test_triage_needs_a_decision(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, note="Hmm.")
    assert response.status_code == 400
    assert summary_errors(response) == [("#id_triage-action", "Select a decision")]
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_asking_for_information_needs_the_question(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, action="request_information")
    assert response.status_code == 400
    assert summary_errors(response) == [("#id_triage-note", "Enter the question for the referrer")]
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_information_is_requested_and_the_referrer_answers(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, action="request_information", note="Which mosque?")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INFORMATION_REQUESTED
    assert referral.triage_note == "Which mosque?"
    [asked] = notices(scene.officer)
    assert asked.subject == "More information needed for CASE-1"

    officer = scene.client("supervising_officer")
    body = page(officer.get(url("detail", referral)))
    assert "The programme team asked for more information" in body
    assert "Which mosque?" in body

    response = officer.post(url("information", referral), {"info-answer": "East London Mosque."})
    assert response.status_code == 302
    assert response["Location"] == url("detail", referral)
    assert status_of(referral) == ReferralStatus.SUBMITTED
    [answered] = notices(scene.manager)[1:]
    assert answered.subject == "Information provided for CASE-1"
    events = audit_events(referral)
    assert events[-1].changes["answer"] == [None, "East London Mosque."]
    assert events[-1].actor_id == scene.officer.pk
    # Back in triage: the manager sees the answer and the triage form again.
    body = page(scene.client("programme_manager").get(url("detail", referral)))
    assert "East London Mosque." in body
    assert f'action="{url("triage", referral)}"' in body
    assert_no_names_in_notifications()


def test_an_empty_answer_is_refused(scene: Scene) -> None:
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="Q?")
    response = scene.client("supervising_officer").post(url("information", referral), {})
    assert response.status_code == 400
    assert summary_errors(response) == [
        ("#id_info-answer", "Enter the information the programme team asked for")
    ]
    assert status_of(referral) == ReferralStatus.INFORMATION_REQUESTED


@pytest.mark.parametrize("persona", ["police_london", "officer_other_area", "practitioner"])
def test_only_the_referrer_side_may_answer(scene: Scene, persona: str) -> None:
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="Q?")
    response = scene.client(persona).post(url("information", referral), {"info-answer": "A."})
    assert response.status_code == 404
    assert status_of(referral) == ReferralStatus.INFORMATION_REQUESTED


def hand_supervision_to_the_north_west(scene: Scene) -> None:
    """The case moves to Probation North West; London, who referred, stays involved."""
    scene.case.supervising_organisation = scene.world.probation_nw
    scene.case.save(update_fields=["supervising_organisation"])
    scene.case.agencies.add(scene.world.probation_london)


def offers(body: str, referral: Referral) -> dict[str, bool]:
    return {
        "answer": f'action="{url("information", referral)}"' in body,
        "close": f'action="{url("close", referral)}"' in body,
    }


def test_answer_and_close_forms_follow_the_supervising_organisation_not_the_referrer(
    scene: Scene,
) -> None:
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="Q?")
    hand_supervision_to_the_north_west(scene)
    # The referrer's organisation can still read the referral, as an involved agency, but the
    # services no longer let it act for the referrer: the page offers nothing.
    response = scene.client("supervising_officer").get(url("detail", referral))
    assert response.status_code == 200
    assert offers(page(response), referral) == {"answer": False, "close": False}
    response = scene.client("supervising_officer").post(
        url("information", referral), {"info-answer": "A."}
    )
    assert response.status_code == 404
    # The organisation that supervises the case now answers, as the services allow.
    officer = scene.world.client_for("officer_other_area")
    session = officer.session
    session["access_purposes"] = {str(scene.case.uuid): "case_management"}
    session.save()
    body = page(officer.get(url("detail", referral)))
    assert offers(body, referral) == {"answer": True, "close": True}
    response = officer.post(url("information", referral), {"info-answer": "A."})
    assert response.status_code == 302
    assert status_of(referral) == ReferralStatus.SUBMITTED


@pytest.mark.parametrize("persona", sorted(CASE_READERS))
def test_answer_form_is_offered_exactly_to_those_the_service_lets_answer(
    scene: Scene, persona: str
) -> None:
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="Q?")
    client = scene.client(persona)
    offered = offers(page(client.get(url("detail", referral))), referral)["answer"]
    response = client.post(url("information", referral), {"info-answer": "A."})
    assert offered == (response.status_code == 302), response.status_code


TRIAGE_TARGETS = {
    "accept": ReferralStatus.ACCEPTED,
    "decline": ReferralStatus.DECLINED,
    "request_information": ReferralStatus.INFORMATION_REQUESTED,
}


def test_triage_offers_only_decisions_the_referral_can_take(scene: Scene) -> None:
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="Q?")
    response = scene.client("programme_manager").get(url("detail", referral))
    offered = [v for v, _ in response.context["triage_form"].fields["action"].choices if v]
    assert offered
    for action in offered:
        assert can_transition(ReferralStatus.INFORMATION_REQUESTED, TRIAGE_TARGETS[action]), action


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "programme_manager"])
def test_triage_is_not_found_for_anyone_but_the_programme_manager(
    scene: Scene, persona: str
) -> None:
    referral = refer(scene)
    before = AuditEvent.objects.count()
    response = triage(scene, referral, persona, action="accept")
    assert response.status_code == (302 if persona == "anonymous" else 404)
    assert status_of(referral) == ReferralStatus.SUBMITTED
    assert AuditEvent.objects.count() == before


def test_supervising_officer_cannot_accept_their_own_referral(scene: Scene) -> None:
    referral = refer(scene)
    response = triage(scene, referral, "supervising_officer", action="accept")
    assert response.status_code == 404
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_triage_of_a_referral_already_decided_is_refused(scene: Scene) -> None:
    referral = accepted(scene)
    response = triage(scene, referral, action="decline", decline_reason="duplicate")
    assert response.status_code == 400
    [(_, message)] = summary_errors(response)
    # The form offers only the decisions the status allows, so it refuses before the service.
    assert "not one of the available choices" in message
    assert status_of(referral) == ReferralStatus.ACCEPTED


# Ranking and allocating --------------------------------------------------------------------


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "programme_manager"])
def test_allocation_page_is_not_found_for_anyone_but_the_programme_manager(
    scene: Scene, persona: str
) -> None:
    referral = accepted(scene)
    client = scene.client(persona)
    expected = 302 if persona == "anonymous" else 404
    assert client.get(url("allocate", referral)).status_code == expected
    response = client.post(url("allocate", referral), {"practitioner": str(scene.mentor.uuid)})
    assert response.status_code == expected
    assert not Allocation.objects.exists()
    assert status_of(referral) == ReferralStatus.ACCEPTED


def test_ranking_lists_practitioners_with_reasons_and_the_excluded_last(scene: Scene) -> None:
    second = london_practitioner(scene, "mentor_two", specialisms=["family"])
    referral = accepted(scene, preferred_language="ur")
    response = scene.client("programme_manager").get(url("allocate", referral))
    assert response.status_code == 200
    ranked = response.context["ranked"]
    assert [r.practitioner.uuid for r in ranked] == [
        str(scene.mentor.uuid),
        str(second.uuid),
        str(scene.other.uuid),
    ]
    assert [r.position for r in ranked] == [1, 2, None]
    body = page(response)
    assert "1. Alex Ableton" in body
    assert "2. Chris Mentor_Two" in body
    assert "Covers all 1 need: Mentoring (+50)" in body
    assert "Speaks Urdu, the preferred language (+15)" in body
    assert "Covers none of the needs: Mentoring (+0)" in body
    assert "Does not work in the participant's region" in body
    # Eligible ones come first and have a button; the excluded one is last and has none.
    assert body.index("Alex Ableton") < body.index("Chris Mentor_Two") < body.index("Bo Northway")
    excluded = body[body.index("Bo Northway") :]
    assert "Cannot be allocated" in excluded
    assert f'value="{scene.other.uuid}"' not in body
    assert f'value="{scene.mentor.uuid}"' in body
    assert '>Allocate<span class="govuk-visually-hidden"> to Alex Ableton</span>' in body
    assert "A practitioner can be allocated once" not in body


def declined(scene: Scene) -> Referral:
    return services.referral_decline(
        actor=scene.manager, referral=refer(scene), reason=DeclineReason.TOO_LITTLE_TIME
    )


def information_requested(scene: Scene) -> Referral:
    return services.referral_request_information(
        actor=scene.manager, referral=refer(scene), question="Which licence conditions?"
    )


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (refer, "not been accepted yet (status: Submitted). A practitioner can be allocated"),
        (information_requested, "(status: More information requested). A practitioner can"),
        (declined, "This referral is declined, so no one can be allocated to it."),
    ],
    ids=["submitted", "information_requested", "declined"],
)
def test_ranking_a_referral_that_is_not_accepted_offers_no_allocate_button(
    scene: Scene, make: Any, says: str
) -> None:
    referral = make(scene)
    response = scene.client("programme_manager").get(url("allocate", referral))
    assert response.status_code == 200
    body = page(response)
    # The ranking is still there to read, with the reasons...
    assert "1. Alex Ableton" in body
    assert "Covers all 1 need: Mentoring (+50)" in body
    # ...but nothing to press, and the page says why.
    main = body.split("<main", 1)[1]
    assert "<form" not in main
    assert "<button" not in main
    assert f'value="{scene.mentor.uuid}"' not in body
    assert says in body


def test_allocating_a_practitioner_creates_the_allocation_and_notifications(scene: Scene) -> None:
    referral = accepted(scene)
    response = scene.client("programme_manager").post(
        url("allocate", referral), {"practitioner": str(scene.mentor.uuid)}
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", referral)
    allocation = Allocation.objects.get()
    assert allocation.referral == referral
    assert allocation.participant == scene.case
    assert allocation.practitioner == scene.mentor
    assert allocation.method == AllocationMethod.MANUAL
    assert allocation.allocated_by == scene.manager
    assert allocation.ended_at is None
    assert allocation.score > 0
    assert status_of(referral) == ReferralStatus.ALLOCATED
    scene.case.refresh_from_db(fields=["status"])
    assert scene.case.status == Status.ACTIVE
    [event] = audit_events(allocation)
    assert event.action == "create"
    assert event.participant_ref == str(scene.case.uuid)
    [to_practitioner] = notices(scene.mentor.user, NotificationKind.ALLOCATION)
    assert to_practitioner.subject == "New participant allocated: CASE-1"
    [to_officer] = notices(scene.officer, NotificationKind.ALLOCATION)
    assert to_officer.subject == "Practitioner allocated for CASE-1"
    assert_no_names_in_notifications()
    # The referral page shows the allocation; the practitioner can now open the case.
    body = page(scene.client("programme_manager").get(url("detail", referral)))
    assert "Alex Ableton" in body and "Current" in body
    assert open_participant(scene.client("practitioner"), scene.case).status_code == 200


def test_allocating_a_practitioner_who_is_not_eligible_shows_the_error(scene: Scene) -> None:
    referral = accepted(scene)
    before = AuditEvent.objects.count()
    response = scene.client("programme_manager").post(
        url("allocate", referral), {"practitioner": str(scene.other.uuid)}
    )
    assert response.status_code == 400
    assert [text for _, text in summary_errors(response)] == [
        "This practitioner cannot be allocated: Does not work in the participant's region."
    ]
    assert not Allocation.objects.exists()
    assert status_of(referral) == ReferralStatus.ACCEPTED
    assert AuditEvent.objects.count() == before
    assert not Notification.objects.filter(kind=NotificationKind.ALLOCATION).exists()


def test_allocating_a_practitioner_whose_vetting_has_lapsed_is_refused(scene: Scene) -> None:
    referral = accepted(scene)
    scene.mentor.vetting_expires_on = TODAY - dt.timedelta(days=1)
    scene.mentor.save(update_fields=["vetting_expires_on"])
    response = scene.client("programme_manager").post(
        url("allocate", referral), {"practitioner": str(scene.mentor.uuid)}
    )
    assert response.status_code == 400
    [(_, message)] = summary_errors(response)
    assert "vetting expired on 1 March 2026" in message
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Select a practitioner"),
        ({"practitioner": "not-a-uuid"}, "Select a practitioner from the list"),
        (
            {"practitioner": "00000000-0000-4000-8000-000000000000"},
            "Select a practitioner from the list",
        ),
    ],
)
def test_allocating_without_a_known_practitioner_is_refused(
    scene: Scene, posted: dict[str, str], message: str
) -> None:
    referral = accepted(scene)
    response = scene.client("programme_manager").post(url("allocate", referral), posted)
    assert response.status_code == 400
    assert [text for _, text in summary_errors(response)] == [message]
    assert not Allocation.objects.exists()


def test_a_referral_not_yet_accepted_cannot_be_allocated(scene: Scene) -> None:
    referral = refer(scene)
    response = scene.client("programme_manager").post(
        url("allocate", referral), {"practitioner": str(scene.mentor.uuid)}
    )
    assert response.status_code == 400
    assert summary_errors(response)
    assert not Allocation.objects.exists()
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_reallocating_needs_a_reason(scene: Scene) -> None:
    allocation = allocated(scene)
    second = london_practitioner(scene, "mentor_two")
    response = scene.client("programme_manager").post(
        url("allocate", allocation.referral), {"practitioner": str(second.uuid)}
    )
    assert response.status_code == 400
    assert [text for _, text in summary_errors(response)] == ["Enter the reason for reallocating"]
    assert list(Allocation.objects.values_list("practitioner", "ended_at")) == [
        (scene.mentor.pk, None)
    ]


def assert_summary_links_to_the_page(response: Any) -> list[str]:
    body = response.content.decode()
    targets = [target for target, _ in summary_errors(response)]
    assert targets
    for target in targets:
        assert target != "#"
        assert body.count(f'id="{target[1:]}"') == 1, target
    return targets


def test_allocation_page_error_summary_links_to_fields_on_the_page(scene: Scene) -> None:
    allocation = allocated(scene)
    second = london_practitioner(scene, "mentor_two")
    response = scene.client("programme_manager").post(
        url("allocate", allocation.referral), {"practitioner": str(second.uuid)}
    )
    assert assert_summary_links_to_the_page(response) == ["#id_reason"]
    # The reason box with that id is the one in the row of the practitioner chosen.
    body = response.content.decode()
    row = body[body.index(f'value="{second.uuid}"') :]
    assert row.index('id="id_reason"') < row.index("</form>")


def test_allocation_page_error_summary_links_to_the_list_for_an_unknown_practitioner(
    scene: Scene,
) -> None:
    referral = accepted(scene)
    response = scene.client("programme_manager").post(
        url("allocate", referral), {"practitioner": "00000000-0000-4000-8000-000000000000"}
    )
    assert assert_summary_links_to_the_page(response) == ["#id_practitioner"]


def test_reallocating_keeps_the_history(scene: Scene) -> None:
    allocation = allocated(scene)
    referral = allocation.referral
    second = london_practitioner(scene, "mentor_two")
    client = scene.client("programme_manager")
    body = page(client.get(url("allocate", referral)))
    assert "Reallocate to another practitioner" in body
    response = client.post(
        url("allocate", referral),
        {"practitioner": str(second.uuid), "reason": "Practitioner moving away."},
    )
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.ended_at == NOW
    assert allocation.end_reason == "Practitioner moving away."
    current = Allocation.objects.get(ended_at__isnull=True)
    assert current.practitioner == second
    assert current.referral == referral
    assert Allocation.objects.count() == 2
    assert status_of(referral) == ReferralStatus.ALLOCATED
    [goodbye] = notices(scene.mentor.user, NotificationKind.ALLOCATION)[1:]
    assert goodbye.subject == "Participant CASE-1 reallocated"
    [hello] = notices(second.user, NotificationKind.ALLOCATION)
    assert hello.subject == "New participant allocated: CASE-1"
    assert_no_names_in_notifications()
    body = page(client.get(url("detail", referral)))
    assert "Alex Ableton" in body and "(Practitioner moving away.)" in body
    assert "Chris Mentor_Two" in body and "Current" in body
    # The old practitioner no longer sees the case; the new one does.
    assert scene.client("practitioner").get(url("detail", referral)).status_code == 404


def test_reallocation_page_does_not_offer_the_current_practitioner(scene: Scene) -> None:
    allocation = allocated(scene)
    london_practitioner(scene, "mentor_two")
    body = scene.client("programme_manager").get(url("allocate", allocation.referral))
    assert f'value="{scene.mentor.uuid}"' not in body.content.decode()


def test_reallocating_to_the_same_practitioner_is_refused(scene: Scene) -> None:
    allocation = allocated(scene)
    response = scene.client("programme_manager").post(
        url("allocate", allocation.referral),
        {"practitioner": str(scene.mentor.uuid), "reason": "Try again."},
    )
    assert response.status_code == 400
    assert [text for _, text in summary_errors(response)] == [
        "The participant is already allocated to this practitioner."
    ]
    assert Allocation.objects.count() == 1


# The queue ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_queue_pages_are_for_the_programme_manager(scene: Scene, persona: str) -> None:
    accepted(scene)
    client = scene.client(persona)
    get = client.get(QUEUE)
    post = client.post(ALLOCATE_QUEUE)
    if persona == "programme_manager":
        assert get.status_code == 200
        assert post.status_code == 200
        assert Allocation.objects.count() == 1
    else:
        expected = 302 if persona == "anonymous" else 404
        assert (get.status_code, post.status_code) == (expected, expected)
        assert not Allocation.objects.exists()


def test_queue_lists_referrals_to_triage_and_waiting(scene: Scene) -> None:
    to_triage = refer(scene)
    waiting = accepted(scene, london_case(scene))
    response = scene.client("programme_manager").get(QUEUE)
    body = page(response)
    assert "To triage (1)" in body
    assert "Waiting for allocation (1)" in body
    assert f'href="{url("detail", to_triage)}"' in body
    assert "Mandatory" in body  # CASE-1's licence makes attendance mandatory
    assert f'href="{url("allocate", waiting)}"' in body
    assert f'action="{ALLOCATE_QUEUE}"' in body
    for name in FAMILY_NAMES:
        assert name not in body


def test_queue_page_costs_the_same_queries_however_many_referrals(scene: Scene) -> None:
    refer(scene)
    client = scene.client("programme_manager")
    client.get(QUEUE)  # the first request of a session does one-off work

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUEUE).status_code == 200
        return len(captured)

    few = queries()
    for n in range(3):
        refer(scene, london_case(scene, f"CASE-{n + 10}", f"Marker-{n}"))
        accepted(scene, london_case(scene, f"CASE-{n + 20}", f"Marker-{n + 20}"))
    assert queries() == few


def test_queue_offers_no_allocate_button_when_nothing_waits(scene: Scene) -> None:
    refer(scene)
    body = page(scene.client("programme_manager").get(QUEUE))
    assert "Waiting for allocation (0)" in body
    assert f'action="{ALLOCATE_QUEUE}"' not in body


def test_allocating_the_queue_maximises_the_total_fit(scene: Scene) -> None:
    # Alex covers mentoring and theology, Chris only mentoring; one place each. First come,
    # first served would give the older (mentoring) referral to Alex (lower id on a tie) and
    # leave the theology referral with Chris, who covers none of it. The optimal assignment
    # swaps them: 50 + 50 points instead of 50 + 0.
    scene.mentor.specialisms = [Specialism.MENTORING, Specialism.THEOLOGICAL]
    scene.mentor.max_caseload = 1
    scene.mentor.save(update_fields=["specialisms", "max_caseload"])
    chris = london_practitioner(scene, "mentor_two", max_caseload=1)
    older = accepted(scene, legal_basis=None)
    newer = accepted(scene, london_case(scene), needs=["theological"])

    response = scene.client("programme_manager").post(ALLOCATE_QUEUE)
    assert response.status_code == 200
    body = page(response)
    assert "2 referrals allocated" in body
    by_referral = {
        a.referral_id: a for a in Allocation.objects.filter(method=AllocationMethod.QUEUE)
    }
    assert by_referral[older.pk].practitioner == chris
    assert by_referral[newer.pk].practitioner == scene.mentor
    assert status_of(older) == status_of(newer) == ReferralStatus.ALLOCATED
    assert f'href="{url("detail", older)}"' in body
    assert f'href="{url("detail", newer)}"' in body
    assert "Alex Ableton" in body and "Chris Mentor_Two" in body
    assert "Still waiting" not in body
    assert len(notices(chris.user, NotificationKind.ALLOCATION)) == 1
    assert len(notices(scene.mentor.user, NotificationKind.ALLOCATION)) == 1
    assert_no_names_in_notifications()


def test_allocating_the_queue_says_why_a_referral_is_still_waiting(scene: Scene) -> None:
    scene.mentor.max_caseload = 1
    scene.mentor.save(update_fields=["max_caseload"])
    first = accepted(scene, legal_basis=None)
    second = accepted(scene, london_case(scene))
    response = scene.client("programme_manager").post(ALLOCATE_QUEUE)
    body = page(response)
    assert "1 referral allocated" in body
    assert Allocation.objects.get().referral == first
    assert "Still waiting (1)" in body
    assert f'href="{url("allocate", second)}"' in body
    assert "No eligible practitioner: 1 do not work in the participant's region; " in body
    assert "1 have no places left." in body
    assert status_of(second) == ReferralStatus.ACCEPTED


def test_allocating_an_empty_queue_allocates_nothing(scene: Scene) -> None:
    response = scene.client("programme_manager").post(ALLOCATE_QUEUE)
    assert response.status_code == 200
    assert "0 referrals allocated" in page(response)
    assert not Allocation.objects.exists()


# The dashboard -----------------------------------------------------------------------------


def test_dashboards_follow_a_referral_from_triage_to_allocation(scene: Scene) -> None:
    manager = scene.client("programme_manager")
    scene.client("supervising_officer").post(create_url(scene.case), referral_form_data(scene))
    referral = Referral.objects.get()
    response = manager.get("/")
    assert (response.context["triage_count"], response.context["waiting_count"]) == (1, 0)
    assert f'href="{QUEUE}"' in response.content.decode()

    triage(scene, referral, action="accept")
    response = manager.get("/")
    assert (response.context["triage_count"], response.context["waiting_count"]) == (0, 1)

    manager.post(url("allocate", referral), {"practitioner": str(scene.mentor.uuid)})
    response = manager.get("/")
    assert (response.context["triage_count"], response.context["waiting_count"]) == (0, 0)
    mine = scene.client("practitioner").get("/")
    assert mine.status_code == 200
    assert mine.context["caseload"] == 1
    assert "triage_count" not in mine.context
    for name in FAMILY_NAMES:
        assert name not in mine.content.decode()


# Closing -----------------------------------------------------------------------------------


def test_referrer_closes_a_referral(scene: Scene) -> None:
    referral = refer(scene)
    response = scene.client("supervising_officer").post(
        url("close", referral), {"close-reason": "Recalled to prison."}
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", referral)
    assert status_of(referral) == ReferralStatus.CLOSED
    events = audit_events(referral)
    assert events[-1].changes["close_reason"] == [None, "Recalled to prison."]
    [withdrawn] = notices(scene.manager)[1:]
    assert withdrawn.subject == "Referral withdrawn for CASE-1"
    body = page(scene.client("supervising_officer").get(url("detail", referral)))
    assert "Closed" in body
    assert f'action="{url("close", referral)}"' not in body
    assert_no_names_in_notifications()


def test_closing_needs_a_reason(scene: Scene) -> None:
    referral = refer(scene)
    response = scene.client("supervising_officer").post(url("close", referral), {})
    assert response.status_code == 400
    assert summary_errors(response) == [
        ("#id_close-reason", "Enter the reason for closing the referral")
    ]
    assert status_of(referral) == ReferralStatus.SUBMITTED


def test_closing_an_allocated_referral_ends_the_allocation(scene: Scene) -> None:
    allocation = allocated(scene)
    referral = allocation.referral
    response = scene.client("programme_manager").post(
        url("close", referral), {"close-reason": "Order ended."}
    )
    assert response.status_code == 302
    assert status_of(referral) == ReferralStatus.CLOSED
    allocation.refresh_from_db()
    assert allocation.ended_at == NOW
    assert allocation.end_reason == "Order ended."
    closed = notices(scene.mentor.user, NotificationKind.ALLOCATION)[-1]
    assert closed.subject == "Referral closed for CASE-1"
    # The practitioner's access to the case ends with the allocation.
    assert scene.client("practitioner").get(url("detail", referral)).status_code == 404
    assert_no_names_in_notifications()


@pytest.mark.parametrize("persona", ["police_london", "officer_other_area", "practitioner"])
def test_only_the_referrer_side_or_programme_team_may_close(scene: Scene, persona: str) -> None:
    allocation = allocated(scene)
    referral = allocation.referral
    response = scene.client(persona).post(url("close", referral), {"close-reason": "No."})
    assert response.status_code == 404
    assert status_of(referral) == ReferralStatus.ALLOCATED


def test_a_closed_referral_cannot_be_closed_again(scene: Scene) -> None:
    referral = refer(scene)
    services.referral_close(actor=scene.officer, referral=referral, reason="Withdrawn.")
    response = scene.client("supervising_officer").post(
        url("close", referral), {"close-reason": "Again."}
    )
    assert response.status_code == 400
    [(_, message)] = summary_errors(response)
    assert message.startswith("This referral is closed, so it cannot change.")
    assert referral.status_history.count() == 2
