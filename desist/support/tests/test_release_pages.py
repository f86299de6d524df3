"""Release planning pages through the Django test client, with the shared personas. world.case
(London, supervised by Probation London, allocated to the practitioner) is put in custody
with a release four weeks away. Time is frozen at 09:00 on 2 March 2026."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import World
from desist.audit.models import AuditEvent
from desist.people.services import participant_update
from desist.support.constants import ChecklistItem
from desist.support.models import Appointment, PassportContact, ReleasePlan
from desist.support.tests.factories_release import NOW, days, fresh_custody, make_plan

READERS = ["supervising_officer", "colleague_same_org", "programme_manager", "police_london"]
WRITERS = ["supervising_officer", "colleague_same_org", "programme_manager"]
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


@pytest.fixture(autouse=True)
def _in_custody(allocated_world: World) -> None:
    """Every test gets the allocated world (as `world`), with world.case in custody."""
    fresh_custody(allocated_world.case, days(28))


def client(world: World, persona: str) -> Client:
    """Signed in, with a purpose already given for the case (as the purpose page does)."""
    signed_in = world.client_for(persona)
    session = signed_in.session
    session["access_purposes"] = {str(world.case.uuid): "case_management"}
    session.save()
    return signed_in


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"support:{name}", kwargs={"participant_uuid": world.case.uuid, **kwargs})


def _plan(world: World) -> ReleasePlan:
    return make_plan(
        world.case,
        world.personas["supervising_officer"],
        community_organisation=world.probation_london,
        conditions_plain="Live at the address agreed",
    )


def _writes() -> int:
    return AuditEvent.objects.exclude(action__in=["view", "list"]).count()


# Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*READERS, "practitioner"])
def test_everyone_with_a_relationship_reads_the_release_plan(world: World, persona: str) -> None:
    _plan(world)

    response = client(world, persona).get(url(world, "release"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "30 March 2026 (28 days to go)" in body
    assert "Live at the address agreed" in body
    assert "0 of 7 done" in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_others_get_not_found_for_every_release_page(world: World, persona: str) -> None:
    plan = _plan(world)
    appointment = Appointment.objects.create(
        plan=plan, starts_at=NOW, with_whom="GP", place="Surgery"
    )
    signed_in = client(world, persona)

    for name, kwargs in [
        ("release", {}),
        ("release_edit", {}),
        ("release_checklist", {"item": "bank_account"}),
        ("release_handover", {}),
        ("passport", {}),
        ("passport_pdf", {}),
    ]:
        assert signed_in.get(url(world, name, **kwargs)).status_code == 404, name
    before = _writes()
    assert signed_in.post(url(world, "release_handover")).status_code == 404
    delete = url(world, "release_appointment_delete", appointment_uuid=appointment.uuid)
    assert signed_in.post(delete).status_code == 404
    assert _writes() == before


def test_viewing_the_plan_is_recorded_with_the_purpose(world: World) -> None:
    _plan(world)

    client(world, "police_london").get(url(world, "release"))

    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert event.actor_id == world.personas["police_london"].pk
    assert (event.purpose, event.participant_ref) == ("case_management", str(world.case.uuid))


def test_page_without_a_purpose_asks_for_one(world: World) -> None:
    response = world.client_for("supervising_officer").get(url(world, "release"))

    assert response.status_code == 302
    assert "/purpose/" in response["Location"]


def test_readers_who_cannot_write_see_no_buttons_and_pages_are_not_found(world: World) -> None:
    _plan(world)
    for persona in ("police_london", "practitioner"):
        signed_in = client(world, persona)
        body = signed_in.get(url(world, "release")).content.decode()
        assert "Change the release plan" not in body
        assert "Hand over" not in body
        assert signed_in.get(url(world, "release_edit")).status_code == 404
        before = _writes()
        response = signed_in.post(url(world, "release_edit"), {"conditions_plain": "Changed"})
        assert response.status_code == 404
        assert _writes() == before


def test_other_area_officer_gets_the_same_page_as_a_missing_participant(world: World) -> None:
    _plan(world)
    signed_in = client(world, "officer_other_area")
    missing = reverse(
        "support:release", kwargs={"participant_uuid": "00000000-0000-4000-8000-000000000000"}
    )

    forbidden = signed_in.get(url(world, "release"))
    absent = signed_in.get(missing)

    assert (forbidden.status_code, forbidden.content) == (absent.status_code, absent.content)


# Writing -------------------------------------------------------------------------------------


def test_officer_starts_a_plan_from_the_page(world: World) -> None:
    signed_in = client(world, "supervising_officer")
    assert "Start a release plan" in signed_in.get(url(world, "release")).content.decode()

    response = signed_in.post(
        url(world, "release_create"),
        {
            "expected_release_date": "2026-04-06",
            "release_address_area": "Croydon",
            "community_organisation": world.probation_london.pk,
            "community_officer": world.personas["supervising_officer"].pk,
            "conditions_plain": "Live at the address agreed",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url(world, "release")
    plan = ReleasePlan.objects.get()
    assert plan.checklist.count() == 7
    world.case.refresh_from_db()
    assert str(world.case.expected_release_date) == "2026-04-06"


def test_form_errors_name_the_field_and_link_to_it(world: World) -> None:
    response = client(world, "supervising_officer").post(
        url(world, "release_create"),
        {
            "expected_release_date": "2026-03-01",
            "community_organisation": world.probation_london.pk,
            "community_officer": world.personas["officer_other_area"].pk,
        },
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_expected_release_date">The expected release date must be today' in body
    assert 'href="#id_community_officer">The community officer must work for' in body
    assert not ReleasePlan.objects.exists()


def test_someone_not_in_custody_cannot_start_a_plan(world: World) -> None:
    participant_update(actor=None, participant=world.case, data={"custody_establishment": ""})
    signed_in = client(world, "supervising_officer")

    assert "Start a release plan" not in signed_in.get(url(world, "release")).content.decode()
    response = signed_in.post(url(world, "release_create"), {"expected_release_date": ""})

    assert response.status_code == 400
    assert "Release plans are for people in custody" in response.content.decode()


def test_checklist_item_is_changed_from_its_page(world: World) -> None:
    plan = _plan(world)
    signed_in = client(world, "colleague_same_org")
    page = url(world, "release_checklist", item=ChecklistItem.GP_REGISTRATION)
    assert signed_in.get(page).status_code == 200

    response = signed_in.post(
        page,
        {"status": "in_progress", "owner": "", "due_on": "2026-03-01", "note": "Surgery chosen"},
    )
    assert response.status_code == 400
    assert 'href="#id_owner">Say who is working on this item' in response.content.decode()

    response = signed_in.post(
        page,
        {
            "status": "in_progress",
            "owner": "participant",
            "due_on": "2026-03-01",
            "note": "Surgery chosen",
        },
    )
    assert response.status_code == 302
    entry = plan.checklist.get(item="gp_registration")
    assert (entry.status, entry.note) == ("in_progress", "Surgery chosen")
    body = signed_in.get(url(world, "release")).content.decode()
    assert "1 item overdue" in body
    assert "Overdue" in body


def test_unknown_checklist_item_is_not_found(world: World) -> None:
    _plan(world)

    response = client(world, "supervising_officer").get(
        url(world, "release_checklist", item="moon_landing")
    )

    assert response.status_code == 404


def test_appointment_and_contact_are_added_and_removed_from_the_pages(world: World) -> None:
    _plan(world)
    signed_in = client(world, "supervising_officer")

    response = signed_in.post(
        url(world, "release_appointment_create"),
        {"starts_at": "2026-03-30T14:00", "with_whom": "Duty officer", "place": "Croydon office"},
    )
    assert response.status_code == 302
    response = signed_in.post(
        url(world, "release_contact_create"),
        {"name": "Jo", "role": "Housing officer", "phone": "020 7946 0000"},
    )
    assert response.status_code == 302
    body = signed_in.get(url(world, "release")).content.decode()
    assert "Duty officer" in body
    assert "Housing officer" in body

    appointment = Appointment.objects.get()
    signed_in.post(url(world, "release_appointment_delete", appointment_uuid=appointment.uuid))
    contact = PassportContact.objects.get()
    signed_in.post(url(world, "release_contact_delete"), {"contact": str(contact.pk)})
    assert not Appointment.objects.exists()
    assert not PassportContact.objects.exists()


def test_appointment_form_shows_the_services_rule(world: World) -> None:
    _plan(world)

    response = client(world, "supervising_officer").post(
        url(world, "release_appointment_create"),
        {"starts_at": "2026-03-20T14:00", "with_whom": "Duty officer", "place": "Office"},
    )

    assert response.status_code == 400
    assert "on or after the release date" in response.content.decode()


def test_contact_of_another_plan_cannot_be_removed(world: World) -> None:
    _plan(world)
    from desist.support.tests.factories_release import make_custody_case

    other = make_custody_case(world, reference="REL-9", release_date=days(5))
    other_plan = make_plan(other, world.personas["programme_manager"])
    contact = PassportContact.objects.create(plan=other_plan, name="X", role="Y", phone="1")

    response = client(world, "supervising_officer").post(
        url(world, "release_contact_delete"), {"contact": str(contact.pk)}
    )

    assert response.status_code == 404
    assert PassportContact.objects.filter(pk=contact.pk).exists()


def test_handover_from_the_page(world: World) -> None:
    _plan(world)
    signed_in = client(world, "programme_manager")
    assert "Hand over supervision" in signed_in.get(url(world, "release_handover")).content.decode()

    response = signed_in.post(url(world, "release_handover"))

    assert response.status_code == 302
    assert ReleasePlan.objects.get().handed_over_at == NOW
    body = signed_in.get(url(world, "release")).content.decode()
    assert "Handed over 2 March 2026" in body
    assert "Hand over to the community officer" not in body
