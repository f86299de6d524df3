"""/api/v1/concerns/: raised by the practitioner or supervision, acknowledged by supervision,
police or the programme team; practitioners see only the concerns they raised."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    Scene,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import ConcernStatus
from desist.delivery.models import Concern
from desist.notifications.models import Notification

LIST = "/api/v1/concerns/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def detail(concern: Concern, verb: str = "") -> str:
    return f"{LIST}{concern.uuid}/" + (f"{verb}/" if verb else "")


def concern_body(scene: Scene, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "participant": str(scene.world.case.uuid),
        "category": "risk_to_others",
        "urgent": True,
        "description": "Spoke of meeting former associates this weekend.",
    }
    data.update(overrides)
    return data


def raised(scene: Scene, persona: str = "practitioner", **extra: Any) -> Concern:
    fields: dict[str, Any] = {
        "actor": scene.persona(persona),
        "participant": scene.world.case,
        "category": "safeguarding",
        "urgent": False,
        "description": f"Raised by {persona}.",
    }
    return services.concern_raise(**(fields | extra))


def writes() -> tuple[int, int, int]:
    return (
        Concern.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.exclude(action__in=["view", "list"]).count(),
    )


def test_practitioner_raises_an_urgent_concern_that_reaches_officer_and_police(
    scene: Scene,
) -> None:
    response = scene.client("practitioner").post(LIST, concern_body(scene), format="json")

    assert response.status_code == 201, response.content
    concern = Concern.objects.get()
    data = response.json()
    assert data["id"] == str(concern.uuid)
    assert (data["status"], data["urgent"]) == (ConcernStatus.AWAITING, True)
    assert data["acknowledge_by"] is not None
    assert concern.raised_by == scene.user
    notified = set(
        Notification.objects.filter(kind="urgent_concern").values_list("recipient", flat=True)
    )
    assert notified == {scene.persona("supervising_officer").pk, scene.persona("police_london").pk}
    event = AuditEvent.objects.get(entity="delivery.concern", action="create")
    assert event.participant_ref == str(scene.world.case.uuid)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "gossip"}, "category"),
        ({"description": " "}, "description"),
        ({"urgent": "maybe"}, "urgent"),
    ],
)
def test_bad_concern_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, overrides: dict[str, Any], field: str
) -> None:
    before = writes()
    response = scene.client("practitioner").post(
        LIST, concern_body(scene, **overrides), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


@pytest.mark.parametrize(
    "persona",
    ["other_provider_practitioner", "officer_other_area", "police_london", "analyst", "no_roles"],
)
def test_who_may_not_raise_a_concern_gets_404_and_nothing_is_written(
    scene: Scene, persona: str
) -> None:
    before = writes()
    response = scene.client(persona).post(LIST, concern_body(scene), format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert writes() == before


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "colleague_same_org", "police_london", "programme_manager"]
)
def test_concern_is_acknowledged_and_the_raiser_told(scene: Scene, persona: str) -> None:
    concern = raised(scene, urgent=True)
    response = scene.client(persona).post(
        detail(concern, "acknowledge"), {"note": "Passed to the MAPPA meeting."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ConcernStatus.ACKNOWLEDGED
    concern.refresh_from_db()
    assert concern.acknowledged_by == scene.persona(persona)
    assert Notification.objects.filter(recipient=scene.user, kind="concern").exists()
    event = AuditEvent.objects.filter(entity="delivery.concern", action="update").latest("seq")
    assert event.changes["status"] == ["awaiting", "acknowledged"]


@pytest.mark.parametrize("persona", ["practitioner", "officer_other_area", "police_other_region"])
def test_acknowledging_by_the_wrong_persona_is_a_404(scene: Scene, persona: str) -> None:
    concern = raised(scene, urgent=True)
    before = writes()
    missing_and_forbidden_match(scene.client(persona), "post", detail(concern, "acknowledge"))
    assert writes() == before


def test_acknowledging_twice_is_a_400_on_status(scene: Scene) -> None:
    concern = raised(scene)
    client = scene.client("supervising_officer")
    assert client.post(detail(concern, "acknowledge"), {}, format="json").status_code == 200
    again = client.post(detail(concern, "acknowledge"), {}, format="json")
    assert again.status_code == 400
    assert list(again.json()) == ["status"]


def test_practitioner_sees_only_the_concerns_they_raised(scene: Scene) -> None:
    mine = raised(scene)
    theirs = raised(scene, "supervising_officer")
    assert ids(scene.client("practitioner").get(LIST)) == {str(mine.uuid)}
    assert ids(scene.client("police_london").get(LIST)) == {str(mine.uuid), str(theirs.uuid)}
    assert results(scene.client("other_provider_practitioner").get(LIST)) == []
    missing_and_forbidden_match(
        scene.client("practitioner"), "get", detail(theirs), headers=PURPOSE
    )


def test_list_filters_and_is_audited(scene: Scene) -> None:
    urgent = raised(scene, urgent=True)
    raised(scene)
    client = scene.client("supervising_officer")
    assert ids(client.get(LIST, {"urgent": "true"})) == {str(urgent.uuid)}
    assert ids(client.get(LIST, {"status": "acknowledged"})) == set()
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert event.purpose == "api:concerns"
    assert event.changes == {"shown": [str(scene.world.case.uuid)]}


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    concern = raised(scene)
    client = scene.client("police_london")
    assert client.get(detail(concern)).status_code == 400
    response = client.get(detail(concern), headers=PURPOSE)
    assert response.status_code == 200
    assert response.json()["description"] == "Raised by practitioner."
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))


def test_list_query_count_does_not_grow_with_the_page(scene: Scene) -> None:
    for _ in range(10):
        raised(scene)
    one, ten = query_counts(scene.client("supervising_officer"), LIST)
    assert one == ten
