"""Expiry reminders: `expiry_reminders_send`, run daily by `desist run-scheduled`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import World, make_user
from desist.accounts.constants import Role
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus
from desist.providers.models import ExpiryReminder, Practitioner, TrainingCompletion
from desist.providers.services import expiry_reminders_send
from desist.providers.tests.factories import make_practitioner

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
# make_practitioner's training lasts to TODAY + 330 days at the earliest, outside these tests'
# windows unless a test moves it.
VETTING_EXPIRES = TODAY + dt.timedelta(days=90)  # 31 May 2026


@pytest.fixture(autouse=True)
def _setup(time_machine: Any, settings: Any) -> None:
    time_machine.move_to(START, tick=False)
    settings.DESIST_EXPIRY_REMINDER_DAYS = [60, 30, 7]


@pytest.fixture
def mentor(world: World) -> Practitioner:
    return make_practitioner(world.personas["practitioner"], vetting_expires_on=VETTING_EXPIRES)


def run_on(time_machine: Any, day: dt.date) -> int:
    time_machine.move_to(dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC), tick=False)
    return expiry_reminders_send(today=day)


def days_before(expires_on: dt.date, days: int) -> dt.date:
    return expires_on - dt.timedelta(days=days)


def test_vetting_reminders_go_60_30_and_7_days_before_and_on_no_other_day(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    sent_on = {}
    for offset in range(0, 100):
        day = TODAY + dt.timedelta(days=offset)
        count = run_on(time_machine, day)
        if count:
            sent_on[(VETTING_EXPIRES - day).days] = count
    assert sent_on == {60: 1, 30: 1, 7: 1}
    assert set(ExpiryReminder.objects.values_list("subject", "expires_on", "days_before")) == {
        ("vetting", VETTING_EXPIRES, 60),
        ("vetting", VETTING_EXPIRES, 30),
        ("vetting", VETTING_EXPIRES, 7),
    }


def test_running_twice_on_the_same_day_sends_nothing_new(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    day = days_before(VETTING_EXPIRES, 60)
    assert run_on(time_machine, day) == 1
    notes = Notification.objects.count()
    assert run_on(time_machine, day) == 0
    assert run_on(time_machine, day + dt.timedelta(days=1)) == 0
    assert Notification.objects.count() == notes


def test_a_reminder_goes_to_the_practitioner_and_the_programme_team_without_names(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    run_on(time_machine, days_before(VETTING_EXPIRES, 30))
    practitioner_user = world.personas["practitioner"]
    pm = world.personas["programme_manager"]
    to_them = Notification.objects.get(recipient=practitioner_user)
    to_pm = Notification.objects.get(recipient=pm)
    assert Notification.objects.count() == 2
    assert to_them.kind == to_pm.kind == NotificationKind.EXPIRY_REMINDER
    assert to_them.subject == "Your vetting expires on 31 May 2026"
    assert "(in 30 days)" in to_them.body
    assert to_pm.subject == "A practitioner's vetting expires on 31 May 2026"
    for note in (to_them, to_pm):
        text = note.subject + note.body + note.link
        assert practitioner_user.username not in text
        assert practitioner_user.last_name == "" or practitioner_user.last_name not in text


def test_a_late_first_run_sends_one_reminder_for_the_nearest_lead_time(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 20)) == 1
    assert Notification.objects.filter(recipient=world.personas["practitioner"]).count() == 1
    assert set(ExpiryReminder.objects.values_list("days_before", flat=True)) == {30, 60}
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 10)) == 0
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 7)) == 1


def test_no_reminder_once_it_has_expired(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    assert run_on(time_machine, VETTING_EXPIRES + dt.timedelta(days=1)) == 0
    assert not ExpiryReminder.objects.exists()


def test_training_reminders_name_the_course_and_use_the_latest_completion(
    world: World, time_machine: Any
) -> None:
    mentor = make_practitioner(world.personas["practitioner"])
    safeguarding = mentor.training.get(course__code="safeguarding")
    safeguarding.expires_on = TODAY + dt.timedelta(days=60)
    safeguarding.save(update_fields=["expires_on"])
    assert run_on(time_machine, TODAY) == 1
    note = Notification.objects.get(recipient=world.personas["practitioner"])
    assert note.subject == ("Your 'Safeguarding adults and children' course expires on 1 May 2026")
    assert ExpiryReminder.objects.get().subject == "safeguarding"
    # Renewed: the old completion still "expires" in 30 days, but the course is in date.
    TrainingCompletion.objects.create(
        practitioner=mentor,
        course=safeguarding.course,
        completed_on=TODAY + dt.timedelta(days=1),
        expires_on=TODAY + dt.timedelta(days=731),
    )
    assert run_on(time_machine, TODAY + dt.timedelta(days=30)) == 0


def test_renewed_vetting_is_reminded_afresh_before_its_new_expiry(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 60)) == 1
    renewed = VETTING_EXPIRES + dt.timedelta(days=365)
    Practitioner.objects.filter(pk=mentor.pk).update(vetting_expires_on=renewed)
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 30)) == 0
    assert run_on(time_machine, days_before(renewed, 60)) == 1
    assert ExpiryReminder.objects.filter(expires_on=renewed).count() == 1


@pytest.mark.parametrize(
    "status",
    [
        PractitionerStatus.SUSPENDED,
        PractitionerStatus.WITHDRAWN,
        PractitionerStatus.EXPIRED,
        PractitionerStatus.VETTING,
    ],
)
def test_practitioners_who_are_not_approved_are_not_reminded(
    world: World, time_machine: Any, status: str
) -> None:
    make_practitioner(
        world.personas["practitioner"], status=status, vetting_expires_on=VETTING_EXPIRES
    )
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 60)) == 0
    assert not Notification.objects.exists()


def test_only_the_practitioner_whose_expiry_is_near_is_reminded(
    world: World, mentor: Practitioner, time_machine: Any
) -> None:
    make_practitioner(world.personas["other_provider_practitioner"])
    make_practitioner(
        make_user("later", world.provider, Role.PRACTITIONER),
        vetting_expires_on=VETTING_EXPIRES + dt.timedelta(days=1),
    )
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 60)) == 1
    reminded = set(ExpiryReminder.objects.values_list("practitioner_id", flat=True))
    assert reminded == {mentor.pk}
    practitioners = Notification.objects.exclude(recipient=world.personas["programme_manager"])
    assert {n.recipient for n in practitioners} == {world.personas["practitioner"]}


def test_no_lead_times_configured_sends_nothing(
    world: World, mentor: Practitioner, time_machine: Any, settings: Any
) -> None:
    settings.DESIST_EXPIRY_REMINDER_DAYS = []
    assert run_on(time_machine, days_before(VETTING_EXPIRES, 7)) == 0
