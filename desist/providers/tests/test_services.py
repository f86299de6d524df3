from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import World, make_user
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import Sex
from desist.providers import services
from desist.providers.constants import (
    FaithTradition,
    Language,
    PractitionerStatus,
    Specialism,
    VettingLevel,
)
from desist.providers.models import (
    Contract,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)
from desist.providers.tests.factories import make_practitioner
from desist.referrals.tests.factories import make_allocation, make_referral

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)


@pytest.fixture
def pm(world: World) -> User:
    return world.personas["programme_manager"]


def events(obj: Any, action: str | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(entity=obj._meta.label_lower, entity_id=str(obj.pk)).order_by(
        "seq"
    )
    if action:
        found = found.filter(action=action)
    return list(found)


def field_error(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def profile(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "specialisms": [Specialism.MENTORING, Specialism.THEOLOGICAL],
        "languages": [Language.ENGLISH, Language.URDU],
        "faith_traditions": [FaithTradition.ISLAM_SUNNI],
        "sex": Sex.FEMALE,
        "regions": [world.london],
        "max_caseload": 8,
    }
    return data | overrides


def create(world: World, **overrides: Any) -> Practitioner:
    return services.practitioner_create(
        actor=world.personas["programme_manager"],
        user=world.personas["practitioner"],
        **profile(world, **overrides),
    )


def record_everything(world: World, practitioner: Practitioner) -> None:
    """Vetting and every required course, in date."""
    pm = world.personas["programme_manager"]
    services.practitioner_record_vetting(
        actor=pm,
        practitioner=practitioner,
        level=VettingLevel.CTC,
        granted_on=TODAY - dt.timedelta(days=10),
        expires_on=TODAY + dt.timedelta(days=700),
    )
    for course in TrainingCourse.objects.filter(required=True):
        services.training_record_completion(
            actor=pm, practitioner=practitioner, course=course, completed_on=TODAY
        )


def move(world: World, practitioner: Practitioner, *statuses: str) -> None:
    for status in statuses:
        services.practitioner_change_status(
            actor=world.personas["programme_manager"],
            practitioner=practitioner,
            to_status=status,
            reason=f"Moved to {status}",
        )


# practitioner_create ------------------------------------------------------------------------


def test_creating_a_practitioner_starts_them_as_applied_with_history_and_audit(
    world: World, pm: User
) -> None:
    practitioner = create(world)
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPLIED
    assert practitioner.organisation == world.provider
    assert practitioner.specialisms == ["mentoring", "theological"]
    assert practitioner.languages == ["en", "ur"]
    assert practitioner.faith_traditions == ["islam_sunni"]
    assert practitioner.sex == Sex.FEMALE
    assert list(practitioner.regions.all()) == [world.london]
    assert practitioner.max_caseload == 8
    history = list(practitioner.status_history.all())
    assert [(h.from_status, h.to_status, h.changed_by) for h in history] == [
        ("", PractitionerStatus.APPLIED, pm)
    ]
    [event] = events(practitioner)
    assert event.action == Action.CREATE
    assert event.actor_id == pm.pk
    assert event.changes["status"] == [None, "applied"]
    assert event.changes["regions"] == [None, [world.london.pk]]


def test_repeated_codes_are_kept_once(world: World) -> None:
    practitioner = create(world, specialisms=["mentoring", "mentoring"], languages=["en", "en"])
    assert practitioner.specialisms == ["mentoring"]
    assert practitioner.languages == ["en"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"specialisms": []}, "specialisms", "Select at least one specialism"),
        ({"specialisms": ["astrology"]}, "specialisms", "Select only the specialisms listed"),
        ({"languages": []}, "languages", "Select the languages they can work in"),
        ({"languages": ["xx"]}, "languages", "Select only the languages listed"),
        (
            {"faith_traditions": ["pastafarian"]},
            "faith_traditions",
            "Select only the faith traditions listed",
        ),
        ({"sex": "x"}, "sex", "Select the practitioner's sex from the list"),
        ({"regions": []}, "regions", "Select the regions they cover"),
        ({"max_caseload": 0}, "max_caseload", "Maximum caseload must be at least 1"),
        ({"max_caseload": 101}, "max_caseload", "Maximum caseload must be 100 or fewer"),
    ],
)
def test_bad_profile_is_refused_naming_the_field(
    world: World, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        create(world, **overrides)
    assert field_error(error) == {field: [message]}
    assert not Practitioner.objects.exists()


def test_faith_traditions_may_be_empty(world: World) -> None:
    assert create(world, faith_traditions=[]).faith_traditions == []


@pytest.mark.parametrize("persona", ["supervising_officer", "analyst", "no_roles"])
def test_users_without_the_practitioner_role_at_a_provider_cannot_be_added(
    world: World, pm: User, persona: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.practitioner_create(actor=pm, user=world.personas[persona], **profile(world))
    assert list(field_error(error)) == ["user"]


def test_practitioner_role_outside_a_provider_counts_for_nothing(world: World, pm: User) -> None:
    odd = make_user("odd", world.probation_london, Role.PRACTITIONER)
    with pytest.raises(ValidationError) as error:
        services.practitioner_create(actor=pm, user=odd, **profile(world))
    assert list(field_error(error)) == ["user"]


def test_an_inactive_user_cannot_be_added(world: World, pm: User) -> None:
    user = world.personas["practitioner"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as error:
        services.practitioner_create(actor=pm, user=User.objects.get(pk=user.pk), **profile(world))
    assert list(field_error(error)) == ["user"]


def test_a_user_has_one_practitioner_record(world: World) -> None:
    create(world)
    with pytest.raises(ValidationError) as error:
        create(world)
    assert field_error(error) == {"user": ["This user already has a practitioner record"]}


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "administrator"])
def test_only_the_programme_team_can_add_practitioners(world: World, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.practitioner_create(
            actor=world.personas[persona], user=world.personas["practitioner"], **profile(world)
        )


# practitioner_update ------------------------------------------------------------------------


def test_updating_a_practitioner_audits_only_what_changed(world: World, pm: User) -> None:
    practitioner = create(world)
    changes = services.practitioner_update(
        actor=pm,
        practitioner=practitioner,
        **profile(world, max_caseload=12, regions=[world.london, world.north_west]),
    )
    assert changes == {
        "max_caseload": [8, 12],
        "regions": [[world.london.pk], sorted([world.london.pk, world.north_west.pk])],
    }
    practitioner.refresh_from_db()
    assert practitioner.max_caseload == 12
    assert set(practitioner.regions.all()) == {world.london, world.north_west}
    update = events(practitioner, Action.UPDATE)
    assert [e.changes for e in update] == [changes]


def test_an_update_that_changes_nothing_writes_no_audit(world: World, pm: User) -> None:
    practitioner = create(world)
    assert services.practitioner_update(actor=pm, practitioner=practitioner, **profile(world)) == {}
    assert events(practitioner, Action.UPDATE) == []


def test_an_update_with_bad_codes_changes_nothing(world: World, pm: User) -> None:
    practitioner = create(world)
    with pytest.raises(ValidationError) as error:
        services.practitioner_update(
            actor=pm,
            practitioner=practitioner,
            **profile(world, languages=["xx"], max_caseload=20),
        )
    assert list(field_error(error)) == ["languages"]
    practitioner.refresh_from_db()
    assert practitioner.max_caseload == 8


# practitioner_record_vetting ----------------------------------------------------------------


def test_recording_vetting_sets_level_and_dates_with_audit(world: World, pm: User) -> None:
    practitioner = create(world)
    services.practitioner_record_vetting(
        actor=pm,
        practitioner=practitioner,
        level=VettingLevel.SC,
        granted_on=dt.date(2026, 2, 1),
        expires_on=dt.date(2031, 2, 1),
    )
    practitioner.refresh_from_db()
    assert practitioner.vetting_level == VettingLevel.SC
    assert practitioner.vetting_granted_on == dt.date(2026, 2, 1)
    assert practitioner.vetting_expires_on == dt.date(2031, 2, 1)
    [event] = events(practitioner, Action.UPDATE)
    assert event.changes == {
        "vetting_level": ["", "sc"],
        "vetting_granted_on": [None, "2026-02-01"],
        "vetting_expires_on": [None, "2031-02-01"],
    }


@pytest.mark.parametrize(
    ("level", "granted_on", "expires_on", "field"),
    [
        ("top_secret", dt.date(2026, 2, 1), dt.date(2031, 2, 1), "level"),
        (VettingLevel.CTC, dt.date(2026, 3, 3), dt.date(2031, 2, 1), "granted_on"),
        (VettingLevel.CTC, dt.date(2026, 2, 1), dt.date(2026, 2, 1), "expires_on"),
        (VettingLevel.CTC, dt.date(2026, 2, 1), dt.date(2026, 1, 1), "expires_on"),
    ],
)
def test_impossible_vetting_is_refused_naming_the_field(
    world: World, pm: User, level: str, granted_on: dt.date, expires_on: dt.date, field: str
) -> None:
    practitioner = create(world)
    with pytest.raises(ValidationError) as error:
        services.practitioner_record_vetting(
            actor=pm,
            practitioner=practitioner,
            level=level,
            granted_on=granted_on,
            expires_on=expires_on,
        )
    assert list(field_error(error)) == [field]
    practitioner.refresh_from_db()
    assert practitioner.vetting_expires_on is None


# training_record_completion -----------------------------------------------------------------


def test_training_expires_its_valid_months_after_completion(world: World, pm: User) -> None:
    practitioner = create(world)
    course = TrainingCourse.objects.get(code="information_security")  # 12 months
    completion = services.training_record_completion(
        actor=pm, practitioner=practitioner, course=course, completed_on=dt.date(2026, 1, 31)
    )
    assert completion.expires_on == dt.date(2027, 1, 31)
    [event] = events(completion)
    assert event.action == Action.CREATE
    assert event.changes["expires_on"] == [None, "2027-01-31"]


def test_training_that_never_needs_renewing_never_expires(world: World, pm: User) -> None:
    practitioner = create(world)
    course = TrainingCourse.objects.create(code="induction", name="Induction", required=False)
    completion = services.training_record_completion(
        actor=pm, practitioner=practitioner, course=course, completed_on=TODAY
    )
    assert completion.expires_on is None


def test_training_completed_in_the_future_is_refused(world: World, pm: User) -> None:
    practitioner = create(world)
    with pytest.raises(ValidationError) as error:
        services.training_record_completion(
            actor=pm,
            practitioner=practitioner,
            course=TrainingCourse.objects.get(code="desistance"),
            completed_on=TODAY + dt.timedelta(days=1),
        )
    assert list(field_error(error)) == ["completed_on"]
    assert not TrainingCompletion.objects.exists()


def test_the_same_course_on_the_same_day_is_refused(world: World, pm: User) -> None:
    practitioner = create(world)
    course = TrainingCourse.objects.get(code="desistance")
    services.training_record_completion(
        actor=pm, practitioner=practitioner, course=course, completed_on=TODAY
    )
    with pytest.raises(ValidationError) as error:
        services.training_record_completion(
            actor=pm, practitioner=practitioner, course=course, completed_on=TODAY
        )
    assert field_error(error) == {
        "completed_on": ["This course is already recorded as completed on that date"]
    }


# practitioner_change_status -----------------------------------------------------------------


def test_starting_vetting_records_history_and_audit(world: World, pm: User) -> None:
    practitioner = create(world)
    change = services.practitioner_change_status(
        actor=pm,
        practitioner=practitioner,
        to_status=PractitionerStatus.VETTING,
        reason="Application complete",
    )
    assert (change.from_status, change.to_status, change.changed_by) == ("applied", "vetting", pm)
    assert change.changed_at == START
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.VETTING
    [event] = events(practitioner, Action.UPDATE)
    assert event.changes == {
        "status": ["applied", "vetting"],
        "status_reason": [None, "Application complete"],
    }


def test_a_refused_transition_changes_nothing(world: World, pm: User) -> None:
    practitioner = create(world)
    with pytest.raises(ValidationError) as error:
        move(world, practitioner, PractitionerStatus.SUSPENDED)
    assert list(field_error(error)) == ["status"]
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPLIED
    assert practitioner.status_history.count() == 1


def test_the_transition_is_checked_against_the_stored_status(world: World, pm: User) -> None:
    practitioner = create(world)
    stale = Practitioner.objects.get(pk=practitioner.pk)
    move(world, practitioner, PractitionerStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        move(world, stale, PractitionerStatus.VETTING)


def test_approval_without_vetting_or_training_is_refused_with_every_reason(
    world: World, pm: User
) -> None:
    practitioner = create(world)
    move(world, practitioner, PractitionerStatus.VETTING)
    with pytest.raises(ValidationError) as error:
        move(world, practitioner, PractitionerStatus.APPROVED)
    messages = field_error(error)["to_status"]
    assert messages[0].startswith("They cannot be approved until")
    assert "No vetting has been recorded." in messages
    assert "Desistance and disengagement training has not been completed." in messages
    assert len(messages) == 1 + 1 + TrainingCourse.objects.filter(required=True).count()
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.VETTING


def test_approval_with_vetting_and_training_in_date_succeeds(world: World, pm: User) -> None:
    practitioner = create(world)
    move(world, practitioner, PractitionerStatus.VETTING)
    record_everything(world, practitioner)
    move(world, practitioner, PractitionerStatus.APPROVED)
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPROVED


def test_reinstatement_also_needs_clearance(world: World, pm: User, time_machine: Any) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], vetting_expires_on=TODAY + dt.timedelta(days=5)
    )
    move(world, practitioner, PractitionerStatus.SUSPENDED)
    time_machine.move_to(START + dt.timedelta(days=6), tick=False)
    with pytest.raises(ValidationError) as error:
        move(world, practitioner, PractitionerStatus.APPROVED)
    assert "Vetting expired on 7 March 2026." in field_error(error)["to_status"]


@pytest.mark.parametrize(
    "to_status",
    [PractitionerStatus.SUSPENDED, PractitionerStatus.WITHDRAWN, PractitionerStatus.EXPIRED],
)
def test_ending_access_tells_the_practitioner_without_naming_anyone(
    world: World, pm: User, to_status: str
) -> None:
    practitioner = make_practitioner(world.personas["practitioner"])
    move(world, practitioner, to_status)
    [note] = Notification.objects.all()
    assert note.recipient == world.personas["practitioner"]
    assert note.kind == NotificationKind.ACCESS_REMOVED
    assert note.subject == "Your access to participants has ended"
    assert PractitionerStatus(to_status).label.lower() in note.body
    assert "Moved to" not in note.body  # the reason stays in the record
    # Their own page: the practitioner's page in the list is for the programme team only.
    assert note.link == reverse("providers:me")


def test_other_status_changes_notify_no_one(world: World, pm: User) -> None:
    practitioner = create(world)
    move(world, practitioner, PractitionerStatus.VETTING)
    record_everything(world, practitioner)
    move(world, practitioner, PractitionerStatus.APPROVED)
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("to_status", "reason", "field"),
    [
        ("retired", "A reason", "to_status"),
        (PractitionerStatus.VETTING, "   ", "reason"),
        (PractitionerStatus.VETTING, "x" * 301, "reason"),
    ],
)
def test_bad_status_input_is_refused_naming_the_field(
    world: World, pm: User, to_status: str, reason: str, field: str
) -> None:
    practitioner = create(world)
    with pytest.raises(ValidationError) as error:
        services.practitioner_change_status(
            actor=pm, practitioner=practitioner, to_status=to_status, reason=reason
        )
    assert list(field_error(error)) == [field]


def test_only_the_programme_team_can_change_status(world: World) -> None:
    practitioner = create(world)
    with pytest.raises(PermissionDenied):
        services.practitioner_change_status(
            actor=world.personas["practitioner"],
            practitioner=practitioner,
            to_status=PractitionerStatus.WITHDRAWN,
            reason="I am leaving",
        )


# contract_create ----------------------------------------------------------------------------


def contract(world: World, **overrides: Any) -> Contract:
    data: dict[str, Any] = {
        "organisation": world.provider,
        "reference": "DDP-2026-01",
        "start_date": dt.date(2026, 4, 1),
        "end_date": dt.date(2029, 3, 31),
        "regions": [world.london],
        "capacity": 40,
    }
    return services.contract_create(actor=world.personas["programme_manager"], **data | overrides)


def test_creating_a_contract_saves_it_with_audit(world: World, pm: User) -> None:
    created = contract(world)
    created.refresh_from_db()
    assert created.capacity == 40
    assert list(created.regions.all()) == [world.london]
    [event] = events(created)
    assert event.action == Action.CREATE
    assert event.changes["reference"] == [None, "DDP-2026-01"]
    assert event.changes["regions"] == [None, [world.london.pk]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reference": "  "}, "reference"),
        ({"end_date": dt.date(2026, 3, 31)}, "end_date"),
        ({"regions": []}, "regions"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_bad_contracts_are_refused_naming_the_field(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        contract(world, **overrides)
    assert list(field_error(error)) == [field]
    assert not Contract.objects.exists()


def test_contracts_are_only_with_providers(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        contract(world, organisation=world.probation_london)
    assert field_error(error) == {"organisation": ["Select an intervention provider"]}


def test_contract_references_are_unique_whatever_the_case(world: World) -> None:
    contract(world)
    with pytest.raises(ValidationError) as error:
        contract(world, reference="ddp-2026-01")
    assert field_error(error) == {"reference": ["A contract with this reference already exists"]}


# practitioners_expire_lapsed ----------------------------------------------------------------


def test_lapsed_practitioners_expire_and_cleared_ones_do_not(
    world: World, pm: User, time_machine: Any
) -> None:
    lapsing = make_practitioner(
        world.personas["practitioner"], vetting_expires_on=TODAY + dt.timedelta(days=3)
    )
    cleared = make_practitioner(world.personas["other_provider_practitioner"])
    suspended = make_practitioner(
        make_user("suspended", world.provider, Role.PRACTITIONER),
        status=PractitionerStatus.SUSPENDED,
        vetting_expires_on=TODAY + dt.timedelta(days=3),
    )
    assert services.practitioners_expire_lapsed(today=TODAY + dt.timedelta(days=3)) == 0
    time_machine.move_to(START + dt.timedelta(days=4), tick=False)
    assert services.practitioners_expire_lapsed(today=TODAY + dt.timedelta(days=4)) == 1
    for practitioner in (lapsing, cleared, suspended):
        practitioner.refresh_from_db()
    assert lapsing.status == PractitionerStatus.EXPIRED
    assert cleared.status == PractitionerStatus.APPROVED
    assert suspended.status == PractitionerStatus.SUSPENDED
    change = PractitionerStatusChange.objects.get(practitioner=lapsing)
    assert change.changed_by is None
    assert change.reason == "Vetting or required training lapsed. Vetting expired on 5 March 2026."
    [event] = events(lapsing, Action.UPDATE)
    assert event.actor_id is None
    assert event.actor_label == "system"
    # Running again finds nothing more to do.
    assert services.practitioners_expire_lapsed(today=TODAY + dt.timedelta(days=4)) == 0


def test_lapsed_training_expires_a_practitioner(world: World, time_machine: Any) -> None:
    practitioner = make_practitioner(world.personas["practitioner"])
    completion = practitioner.training.get(course__code="information_security")
    assert completion.expires_on is not None
    day_after = completion.expires_on + dt.timedelta(days=1)
    assert services.practitioners_expire_lapsed(today=completion.expires_on) == 0
    assert services.practitioners_expire_lapsed(today=day_after) == 1
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.EXPIRED


def test_expiry_tells_the_practitioner_and_the_programme_team_about_their_cases(
    world: World, pm: User
) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], vetting_expires_on=TODAY - dt.timedelta(days=1)
    )
    referral = make_referral(world.case, world.personas["supervising_officer"])
    make_allocation(referral, practitioner, pm)
    assert services.practitioners_expire_lapsed(today=TODAY) == 1
    to_practitioner = Notification.objects.get(recipient=world.personas["practitioner"])
    assert to_practitioner.kind == NotificationKind.ACCESS_REMOVED
    assert to_practitioner.link == reverse("providers:me")
    to_pm = Notification.objects.get(recipient=pm)
    assert to_pm.kind == NotificationKind.ACCESS_REMOVED
    assert to_pm.link == reverse(
        "providers:detail", kwargs={"practitioner_uuid": practitioner.uuid}
    )
    assert "1 current allocation to reallocate" in to_pm.body
    for note in (to_practitioner, to_pm):
        assert "Zebedee" not in note.subject + note.body
        assert "CASE-1" not in note.subject + note.body


def test_expiry_without_cases_does_not_trouble_the_programme_team(world: World, pm: User) -> None:
    make_practitioner(
        world.personas["practitioner"], vetting_expires_on=TODAY - dt.timedelta(days=1)
    )
    services.practitioners_expire_lapsed(today=TODAY)
    assert not Notification.objects.filter(recipient=pm).exists()


def test_the_job_judges_the_day_it_is_given(world: World) -> None:
    # The job is given the day to judge, as `desist run-scheduled` does.
    make_practitioner(world.personas["practitioner"])
    assert services.practitioners_expire_lapsed(today=timezone.localdate()) == 0
    assert services.practitioners_expire_lapsed(today=TODAY + dt.timedelta(days=3650)) == 1
