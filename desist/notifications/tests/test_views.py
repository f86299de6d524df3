from __future__ import annotations

from django.urls import reverse

from conftest import World
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.notifications.services import notify


def _one(world: World, persona: str = "supervising_officer", link: str = "") -> Notification:
    [row] = notify(
        recipients=[world.personas[persona]],
        kind=NotificationKind.CONCERN,
        subject="Concern raised: case CASE-1",
        body="A concern was raised about case CASE-1.",
        participant=world.case,
        link=link or f"/participants/{world.case.uuid}/",
        email=False,
    )
    return row


def test_user_sees_their_own_notifications_and_the_unread_count(world: World) -> None:
    _one(world)
    _one(world, persona="colleague_same_org")
    client = world.client_for("supervising_officer")
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert response.content.decode().count("Concern raised: case CASE-1") == 2  # row + hidden
    assert response.context["unread_notifications"] == 1
    assert list(response.context["page"].object_list) == list(
        Notification.objects.filter(recipient=world.personas["supervising_officer"])
    )


def test_opening_marks_read_and_follows_the_link(world: World) -> None:
    row = _one(world)
    client = world.client_for("supervising_officer")
    response = client.post(reverse("notifications:open", kwargs={"notification_uuid": row.uuid}))
    assert response.status_code == 302
    assert response["Location"] == f"/participants/{world.case.uuid}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_someone_elses_notification_is_not_found(world: World) -> None:
    row = _one(world)
    client = world.client_for("colleague_same_org")
    response = client.post(reverse("notifications:open", kwargs={"notification_uuid": row.uuid}))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_a_link_off_the_site_is_never_followed(world: World) -> None:
    row = _one(world, link="https://evil.example/phish")
    client = world.client_for("supervising_officer")
    response = client.post(reverse("notifications:open", kwargs={"notification_uuid": row.uuid}))
    assert response["Location"] == reverse("notifications:list")


def test_mark_all_read(world: World) -> None:
    _one(world)
    _one(world)
    client = world.client_for("supervising_officer")
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
