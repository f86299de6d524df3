"""The dashboard shows each user what needs doing about the cases they may see, and no more."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from conftest import World
from desist.delivery.constants import ConcernCategory, DeadlineKind
from desist.delivery.deadlines import deadline_open
from desist.delivery.models import Concern


def _urgent_concern(world: World) -> Concern:
    now = timezone.now()
    return Concern.objects.create(
        participant=world.case,
        raised_by=world.personas["programme_manager"],
        raised_at=now,
        category=ConcernCategory.RISK_TO_OTHERS,
        urgent=True,
        description="Described here.",
        acknowledge_by=now + dt.timedelta(hours=4),
    )


def test_officer_sees_concerns_and_overdue_items_of_their_cases(world: World) -> None:
    _urgent_concern(world)
    deadline_open(
        participant=world.case,
        kind=DeadlineKind.FIRST_CONTACT,
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        working_days=1,
    )
    response = world.client_for("supervising_officer").get("/")
    assert response.status_code == 200
    assert response.context["caseload"] == 1
    assert response.context["concerns_count"] == 1
    assert response.context["overdue_count"] == 1
    body = response.content.decode()
    assert "CASE-1" in body
    assert "Zebedee-Marker" not in body  # references only, no names on the dashboard


def test_officer_elsewhere_sees_none_of_it(world: World) -> None:
    _urgent_concern(world)
    deadline_open(
        participant=world.case,
        kind=DeadlineKind.FIRST_CONTACT,
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        working_days=1,
    )
    response = world.client_for("officer_other_area").get("/")
    assert response.context["concerns_count"] == 0
    assert response.context["overdue_count"] == 0
    assert "CASE-1" not in response.content.decode()


def test_programme_manager_sees_the_referral_queues(world: World) -> None:
    from desist.referrals.tests.factories import make_referral

    make_referral(world.case, world.personas["supervising_officer"])
    response = world.client_for("programme_manager").get("/")
    assert response.context["triage_count"] == 1
    assert response.context["waiting_count"] == 0


def test_analyst_goes_to_pseudonymised_data(world: World) -> None:
    response = world.client_for("analyst").get("/")
    assert response.status_code == 302
    assert response["Location"] == "/participants/pseudonymised/"
