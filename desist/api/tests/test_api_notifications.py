"""/api/v1/notifications/ (the caller's own) and /api/v1/dashboard/ (the home page's counts)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    Scene,
    api_for,
    at,
    book,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.delivery import services
from desist.notifications.models import Notification
from desist.notifications.services import notify
from desist.referrals.tests.factories import make_referral

LIST = "/api/v1/notifications/"
DASHBOARD = "/api/v1/dashboard/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def tell(world: World, persona: str, subject: str = "Referral accepted for CASE-1") -> Notification:
    (notification,) = notify(
        recipients=[world.personas[persona]],
        kind="referral",
        subject=subject,
        body="The referral for participant CASE-1 was accepted.",
        participant=world.case,
        email=False,
    )
    return notification


# Notifications -------------------------------------------------------------------------------


def test_user_sees_only_their_own_notifications(world: World) -> None:
    mine = tell(world, "supervising_officer")
    tell(world, "colleague_same_org")
    response = api_for(world, "supervising_officer").get(LIST)
    assert ids(response) == {str(mine.uuid)}
    (row,) = results(response)
    assert row["subject"] == "Referral accepted for CASE-1"
    assert row["read_at"] is None
    assert "Zebedee" not in response.content.decode()


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_anyone_signed_in_has_a_notification_list(world: World, persona: str) -> None:
    mine = tell(world, persona)
    assert ids(api_for(world, persona).get(LIST)) == {str(mine.uuid)}


def test_anonymous_is_refused(world: World) -> None:
    assert api_for(world, "anonymous").get(LIST).status_code in (401, 403)


def test_marking_read_and_filtering_unread(world: World) -> None:
    first = tell(world, "supervising_officer")
    second = tell(world, "supervising_officer", "Second")
    client = api_for(world, "supervising_officer")
    response = client.post(f"{LIST}{first.uuid}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    first.refresh_from_db()
    assert first.read_at is not None
    assert ids(client.get(LIST, {"unread": "true"})) == {str(second.uuid)}
    assert client.post(f"{LIST}read-all/").status_code == 204
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_someone_elses_notification_is_the_same_404_as_a_missing_one(world: World) -> None:
    theirs = tell(world, "colleague_same_org")
    client = api_for(world, "supervising_officer")
    missing_and_forbidden_match(client, "get", f"{LIST}{theirs.uuid}/")
    missing_and_forbidden_match(client, "post", f"{LIST}{theirs.uuid}/read/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_leaves_other_peoples_notifications_alone(world: World) -> None:
    theirs = tell(world, "colleague_same_org")
    api_for(world, "supervising_officer").post(f"{LIST}read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_list_query_count_does_not_grow_with_the_page(world: World) -> None:
    for n in range(10):
        tell(world, "supervising_officer", f"Message {n}")
    one, ten = query_counts(api_for(world, "supervising_officer"), LIST)
    assert one == ten


# Dashboard -----------------------------------------------------------------------------------


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def test_dashboard_counts_for_the_supervising_officer(scene: Scene) -> None:
    book(scene, at(4, 10))
    missed = book(scene, at(1, 10))
    services.session_record_outcome(
        actor=scene.user,
        session=missed,
        outcome="did_not_attend",
        absence="unacceptable",
        absence_reason="No answer.",
    )
    services.concern_raise(
        actor=scene.user,
        participant=scene.world.case,
        category="safeguarding",
        urgent=True,
        description="Worried.",
    )
    response = scene.client("supervising_officer").get(DASHBOARD)
    assert response.status_code == 200
    assert response.json() == {
        "caseload": 1,
        "sessions_this_week": 1,
        "concerns_awaiting_acknowledgement": 1,
        "compliance_decisions_due": 1,
        "overdue_deadlines": 0,
        "referrals_to_triage": None,
        "referrals_waiting_for_allocation": None,
        # The unacceptable absence and the urgent concern.
        "unread_notifications": 2,
    }


def test_dashboard_counts_the_queues_for_the_programme_manager(scene: Scene) -> None:
    make_referral(scene.world.other_case, scene.persona("officer_other_area"))
    data = scene.client("programme_manager").get(DASHBOARD).json()
    assert data["caseload"] == 2
    assert (data["referrals_to_triage"], data["referrals_waiting_for_allocation"]) == (1, 0)


def test_dashboard_counts_only_the_practitioners_own_work(scene: Scene) -> None:
    book(scene, at(4, 10))
    assert scene.client("practitioner").get(DASHBOARD).json()["sessions_this_week"] == 1
    other = scene.client("other_provider_practitioner").get(DASHBOARD).json()
    assert (other["caseload"], other["sessions_this_week"]) == (0, 0)


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_dashboard_is_404_for_roles_without_cases(scene: Scene, persona: str) -> None:
    assert scene.client(persona).get(DASHBOARD).status_code == 404
