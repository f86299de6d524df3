"""Release planning services: the plan and its checklist, appointments, contacts and the
handover to the community supervising officer. Time is frozen at 09:00 on 2 March 2026."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import World, make_user
from desist.accounts.access import ParticipantNotFound, get_participant_for, relationships_to
from desist.accounts.constants import Role
from desist.audit.models import AuditEvent
from desist.notifications.models import Notification
from desist.people.models import Participant
from desist.support import services_release as services
from desist.support.constants import ChecklistItem, ChecklistStatus, Owner
from desist.support.models import Appointment, PassportContact, ReleaseChecklistEntry, ReleasePlan
from desist.support.tests.factories_release import (
    NOW,
    at,
    days,
    fresh_custody,
    make_custody_case,
    make_plan,
    make_service,
)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def case(world: World) -> Participant:
    """In custody, supervised by the prison's offender manager, out in four weeks."""
    return make_custody_case(world, reference="REL-1", release_date=days(28))


def _pom(world: World) -> Any:
    return world.personas["prison_offender_manager"]


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Creating the plan ---------------------------------------------------------------------------


def test_plan_is_created_with_one_checklist_entry_for_every_item_in_order(
    world: World, case: Participant
) -> None:
    plan = make_plan(case, _pom(world), release_address_area="Croydon")

    entries = list(plan.checklist.order_by("id"))
    assert [e.item for e in entries] == [
        "accommodation",
        "identity_documents",
        "bank_account",
        "gp_registration",
        "benefits_claim",
        "first_probation_appointment",
        "provider_continuity",
    ]
    assert {e.status for e in entries} == {ChecklistStatus.NOT_STARTED}
    assert plan.created_by == _pom(world)
    assert plan.release_address_area == "Croydon"


def test_creating_a_plan_is_audited_with_its_checklist(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))

    event = AuditEvent.objects.get(entity="support.releaseplan", action="create")
    assert event.entity_id == str(plan.pk)
    assert event.actor_id == _pom(world).pk
    assert event.participant_ref == str(case.uuid)
    assert event.changes["checklist"] == [None, list(ChecklistItem.values)]


def test_release_date_given_with_the_plan_changes_the_participants_own_date(
    world: World, case: Participant
) -> None:
    make_plan(case, _pom(world), expected_release_date=days(40))

    case.refresh_from_db()
    assert case.expected_release_date == days(40)
    event = AuditEvent.objects.get(entity="people.participant", action="update")
    assert event.changes["expected_release_date"] == [days(28).isoformat(), days(40).isoformat()]


def test_plan_is_refused_for_someone_not_in_custody(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        make_plan(world.case, world.personas["supervising_officer"])

    assert "custody" in _errors(excinfo)["participant"][0]
    assert not ReleasePlan.objects.exists()


def test_second_plan_for_the_same_participant_is_refused(world: World, case: Participant) -> None:
    make_plan(case, _pom(world))

    with pytest.raises(ValidationError) as excinfo:
        make_plan(case, _pom(world))

    assert "already has a release plan" in _errors(excinfo)["participant"][0]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"expected_release_date": days(-1)}, "expected_release_date", "today or in the future"),
        ({"conditions_plain": "x" * 301}, "conditions_plain", "300 characters"),
        ({"conditions_plain": "\n".join(["Keep in touch"] * 31)}, "conditions_plain", "at most"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    world: World, case: Participant, fields: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        make_plan(case, _pom(world), **fields)

    assert words in _errors(excinfo)[field][0]
    assert not ReleasePlan.objects.exists()


def test_community_side_must_be_a_probation_service(world: World, case: Participant) -> None:
    with pytest.raises(ValidationError) as excinfo:
        make_plan(case, _pom(world), community_organisation=world.police_london)

    assert _errors(excinfo)["community_organisation"] == ["Choose a probation service"]


def test_community_officer_must_work_for_the_community_service(
    world: World, case: Participant
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        make_plan(
            case,
            _pom(world),
            community_organisation=world.probation_london,
            community_officer=world.personas["officer_other_area"],
        )

    assert "must work for that probation service" in _errors(excinfo)["community_officer"][0]


def test_an_unchanged_release_date_in_the_past_does_not_stop_other_changes(
    world: World, case: Participant, time_machine: Any
) -> None:
    plan = make_plan(case, _pom(world))
    time_machine.move_to(NOW + dt.timedelta(days=40), tick=False)  # the date has passed

    changes = services.release_plan_update(
        actor=_pom(world),
        plan=plan,
        data={"expected_release_date": days(28), "conditions_plain": "Live where you are told"},
    )

    assert changes == {"conditions_plain": ["", "Live where you are told"]}


def test_update_writes_what_changed_and_audits_it(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))

    changes = services.release_plan_update(
        actor=_pom(world),
        plan=plan,
        data={
            "conditions_plain": "  Live at the address agreed \n\n Meet your officer weekly ",
            "release_address_area": "Croydon",
            "expected_release_date": days(30),
        },
    )

    plan.refresh_from_db()
    case.refresh_from_db()
    assert plan.conditions_plain == "Live at the address agreed\nMeet your officer weekly"
    assert case.expected_release_date == days(30)
    assert set(changes) == {"conditions_plain", "release_address_area", "expected_release_date"}
    event = AuditEvent.objects.get(entity="support.releaseplan", action="update")
    assert event.changes["release_address_area"] == ["", "Croydon"]


# Writers and readers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("police_london", PermissionDenied),
        ("practitioner", PermissionDenied),
        ("officer_other_area", ParticipantNotFound),
        ("analyst", ParticipantNotFound),
    ],
)
def test_only_supervision_and_the_programme_team_write(
    allocated_world: World, persona: str, error: type[Exception]
) -> None:
    world = allocated_world
    fresh_custody(world.case, days(20))

    with pytest.raises(error):
        make_plan(world.case, world.personas[persona])

    assert not ReleasePlan.objects.exists()


@pytest.mark.parametrize("persona", ["supervising_officer", "programme_manager"])
def test_supervising_organisation_and_programme_manager_write(world: World, persona: str) -> None:
    fresh_custody(world.case, days(20))

    plan = make_plan(world.case, world.personas[persona])

    assert plan.participant == world.case


# The checklist -------------------------------------------------------------------------------


def _entry(plan: ReleasePlan, item: str) -> ReleaseChecklistEntry:
    return plan.checklist.get(item=item)


def test_checklist_entry_changes_are_kept_and_audited(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))
    entry = _entry(plan, ChecklistItem.BANK_ACCOUNT)

    changes = services.release_checklist_update(
        actor=_pom(world),
        entry=entry,
        data={
            "status": ChecklistStatus.IN_PROGRESS,
            "owner": Owner.PRISON_OFFENDER_MANAGER,
            "due_on": days(10),
            "note": " Bring your ID to the bank session on Tuesday ",
        },
    )

    entry.refresh_from_db()
    assert (entry.status, entry.owner, entry.due_on) == (
        "in_progress",
        "prison_offender_manager",
        days(10),
    )
    assert entry.note == "Bring your ID to the bank session on Tuesday"
    assert entry.updated_by == _pom(world)
    assert changes["status"] == ["not_started", "in_progress"]
    event = AuditEvent.objects.get(entity="support.releasechecklistentry")
    assert event.changes["item"] == ["bank_account", "bank_account"]
    assert event.participant_ref == str(case.uuid)


def test_partial_checklist_change_keeps_the_other_fields(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))
    entry = _entry(plan, ChecklistItem.GP_REGISTRATION)
    services.release_checklist_update(
        actor=_pom(world), entry=entry, data={"owner": Owner.PARTICIPANT, "note": "Ask reception"}
    )

    services.release_checklist_update(actor=_pom(world), entry=entry, data={"status": "done"})

    entry.refresh_from_db()
    assert (entry.status, entry.owner, entry.note) == ("done", "participant", "Ask reception")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "in_progress"}, "owner"),
        ({"status": "finished"}, "status"),
        ({"owner": "the_moon"}, "owner"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_bad_checklist_values_name_the_field(
    world: World, case: Participant, data: dict[str, Any], field: str
) -> None:
    plan = make_plan(case, _pom(world))

    with pytest.raises(ValidationError) as excinfo:
        services.release_checklist_update(
            actor=_pom(world), entry=_entry(plan, ChecklistItem.ACCOMMODATION), data=data
        )

    assert field in _errors(excinfo)
    assert not AuditEvent.objects.filter(entity="support.releasechecklistentry").exists()


def test_police_cannot_change_the_checklist(allocated_world: World) -> None:
    world = allocated_world
    fresh_custody(world.case, days(20))
    plan = make_plan(world.case, world.personas["supervising_officer"])

    with pytest.raises(PermissionDenied):
        services.release_checklist_update(
            actor=world.personas["police_london"],
            entry=_entry(plan, ChecklistItem.ACCOMMODATION),
            data={"status": "done"},
        )


# Appointments and contacts -------------------------------------------------------------------


def test_appointment_after_release_is_added_and_audited(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))
    service = make_service("job-club", pathways=["education_employment"], national=True)

    appointment = services.release_appointment_create(
        actor=_pom(world),
        plan=plan,
        starts_at=at(days(28), 14),
        with_whom="Duty officer",
        place="Croydon probation office",
        purpose="First appointment",
        service=service,
    )

    assert appointment.plan == plan
    event = AuditEvent.objects.get(entity="support.appointment", action="create")
    assert event.changes["with_whom"] == [None, "Duty officer"]


def test_appointment_before_release_or_without_details_is_refused(
    world: World, case: Participant
) -> None:
    plan = make_plan(case, _pom(world))

    with pytest.raises(ValidationError) as excinfo:
        services.release_appointment_create(
            actor=_pom(world), plan=plan, starts_at=at(days(27), 16), with_whom=" ", place=""
        )

    errors = _errors(excinfo)
    assert errors["starts_at"] == ["The appointment must be on or after the release date"]
    assert errors["with_whom"] == ["Enter who the appointment is with"]
    assert errors["place"] == ["Enter where the appointment is"]
    assert not Appointment.objects.exists()


def test_removing_an_appointment_is_audited(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))
    appointment = services.release_appointment_create(
        actor=_pom(world), plan=plan, starts_at=at(days(29)), with_whom="GP", place="Surgery"
    )

    services.release_appointment_delete(actor=_pom(world), appointment=appointment)

    assert not Appointment.objects.exists()
    event = AuditEvent.objects.get(entity="support.appointment", action="delete")
    assert event.changes["place"] == ["Surgery", None]


def test_contact_needs_a_way_to_reach_them(world: World, case: Participant) -> None:
    plan = make_plan(case, _pom(world))

    with pytest.raises(ValidationError) as excinfo:
        services.release_contact_create(actor=_pom(world), plan=plan, name="Jo", role="Housing")
    assert "phone" in _errors(excinfo)

    contact = services.release_contact_create(
        actor=_pom(world), plan=plan, name="Jo", role="Housing officer", phone="020 7946 0000"
    )
    assert PassportContact.objects.get() == contact
    assert AuditEvent.objects.filter(entity="support.passportcontact", action="create").exists()


# Handover ------------------------------------------------------------------------------------


def _ready(world: World, case: Participant) -> ReleasePlan:
    return make_plan(
        case,
        _pom(world),
        community_organisation=world.probation_london,
        community_officer=world.personas["supervising_officer"],
    )


def test_handover_moves_supervision_and_keeps_the_prison_involved(
    world: World, case: Participant
) -> None:
    plan = _ready(world, case)

    services.release_plan_handover(actor=_pom(world), plan=plan)

    case.refresh_from_db()
    assert case.supervising_organisation == world.probation_london
    assert case.supervising_officer == world.personas["supervising_officer"]
    assert list(case.agencies.all()) == [world.prison]
    plan.refresh_from_db()
    assert plan.handed_over_at == NOW
    assert plan.handed_over_by == _pom(world)


def test_after_handover_the_community_writes_and_the_prison_still_reads(
    world: World, case: Participant
) -> None:
    services.release_plan_handover(actor=_pom(world), plan=_ready(world, case))
    case = Participant.objects.get(pk=case.pk)

    assert get_participant_for(_pom(world), case.uuid) == case
    assert [str(r) for r in relationships_to(_pom(world), case)] == ["involved_agency"]
    with pytest.raises(PermissionDenied):
        services.release_plan_update(
            actor=_pom(world), plan=ReleasePlan.objects.get(), data={"release_address_area": "X"}
        )
    services.release_plan_update(
        actor=world.personas["supervising_officer"],
        plan=ReleasePlan.objects.get(),
        data={"release_address_area": "Croydon"},
    )


def test_handover_tells_the_new_officer_without_the_name(world: World, case: Participant) -> None:
    services.release_plan_handover(actor=_pom(world), plan=_ready(world, case))

    notification = Notification.objects.get()
    assert notification.recipient == world.personas["supervising_officer"]
    assert "REL-1" in notification.subject
    assert "Custody-Case" not in notification.subject + notification.body
    assert "30 March 2026" in notification.body
    assert notification.link == f"/participants/{case.uuid}/release/"


def test_handover_without_a_named_officer_tells_everyone_supervising_there(
    world: World, case: Participant
) -> None:
    plan = make_plan(case, _pom(world), community_organisation=world.probation_london)

    services.release_plan_handover(actor=_pom(world), plan=plan)

    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["colleague", "so"]


def test_handover_is_audited_on_the_participant_and_the_plan(
    world: World, case: Participant
) -> None:
    plan = _ready(world, case)

    services.release_plan_handover(actor=_pom(world), plan=plan)

    moved = AuditEvent.objects.get(entity="people.participant", action="update")
    assert moved.changes["supervising_organisation"] == [world.prison.pk, world.probation_london.pk]
    assert moved.changes["agencies"] == [[], [world.prison.pk]]
    recorded = AuditEvent.objects.get(entity="support.releaseplan", action="update")
    assert recorded.changes["handed_over_by"] == [None, _pom(world).pk]


def test_handover_needs_a_community_service_and_happens_once(
    world: World, case: Participant
) -> None:
    bare = make_plan(case, _pom(world))
    with pytest.raises(ValidationError) as excinfo:
        services.release_plan_handover(actor=_pom(world), plan=bare)
    assert "community_organisation" in _errors(excinfo)

    services.release_plan_update(
        actor=_pom(world), plan=bare, data={"community_organisation": world.probation_london}
    )
    services.release_plan_handover(actor=_pom(world), plan=bare)
    with pytest.raises(ValidationError) as excinfo:
        services.release_plan_handover(actor=world.personas["programme_manager"], plan=bare)
    assert "already handed over on 2 March 2026" in _errors(excinfo)["handed_over_at"][0]


def test_handover_refuses_an_officer_who_has_left(world: World, case: Participant) -> None:
    leaver = make_user("leaver", world.probation_london, Role.SUPERVISING_OFFICER)
    plan = make_plan(
        case, _pom(world), community_organisation=world.probation_london, community_officer=leaver
    )
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    plan.refresh_from_db()

    with pytest.raises(ValidationError) as excinfo:
        services.release_plan_handover(actor=_pom(world), plan=plan)

    assert "community_officer" in _errors(excinfo)
    case.refresh_from_db()
    assert case.supervising_organisation == world.prison


def test_police_cannot_hand_over(world: World) -> None:
    case = make_custody_case(world, reference="REL-2", release_date=days(10))
    plan = _ready(world, case)

    with pytest.raises(PermissionDenied):
        services.release_plan_handover(actor=world.personas["police_london"], plan=plan)

    case.refresh_from_db()
    assert case.supervising_organisation == world.prison
