"""/api/v1/allocations/: who is allocated, the history of reallocations, and reallocating."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World, make_participant
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
from desist.referrals.models import Allocation
from desist.referrals.tests.factories import make_allocation, make_referral

LIST = "/api/v1/allocations/"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def reallocate(allocation: Allocation) -> str:
    return f"{LIST}{allocation.uuid}/reallocate/"


def writes() -> tuple[int, int]:
    return Allocation.objects.count(), AuditEvent.objects.exclude(
        action__in=["view", "list"]
    ).count()


def test_programme_manager_reallocates_and_the_history_is_kept(scene: Scene) -> None:
    response = scene.client("programme_manager").post(
        reallocate(scene.allocation),
        {"practitioner": str(scene.other_practitioner.uuid), "reason": "Needs a female mentor."},
        format="json",
    )
    assert response.status_code == 201, response.content
    new = Allocation.objects.get(ended_at__isnull=True)
    assert response.json()["id"] == str(new.uuid)
    assert new.practitioner == scene.other_practitioner
    scene.allocation.refresh_from_db()
    assert scene.allocation.end_reason == "Needs a female mentor."
    client = scene.client("programme_manager")
    assert ids(client.get(LIST, {"referral": str(scene.referral.uuid)})) == {
        str(scene.allocation.uuid),
        str(new.uuid),
    }
    assert ids(client.get(LIST, {"current": "true"})) == {str(new.uuid)}
    # Access moves with the allocation.
    assert results(scene.client("practitioner").get(LIST)) == []
    assert ids(scene.client("other_provider_practitioner").get(LIST)) == {str(new.uuid)}
    assert AuditEvent.objects.filter(entity="referrals.allocation", action="create").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "x"}, "practitioner"),
        ({"practitioner": "not-a-uuid", "reason": "x"}, "practitioner"),
        ({"practitioner": "00000000-0000-4000-8000-000000000000", "reason": "x"}, "practitioner"),
        ({"practitioner": "same", "reason": "x"}, "practitioner"),
        ({"practitioner": "other", "reason": " "}, "reason"),
    ],
)
def test_bad_reallocation_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, data: dict[str, Any], field: str
) -> None:
    keys = {"same": scene.practitioner.uuid, "other": scene.other_practitioner.uuid}
    if data.get("practitioner") in keys:
        data = {**data, "practitioner": str(keys[data["practitioner"]])}
    before = writes()
    response = scene.client("programme_manager").post(
        reallocate(scene.allocation), data, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "police_london"])
def test_only_the_programme_team_reallocates(scene: Scene, persona: str) -> None:
    before = writes()
    missing_and_forbidden_match(
        scene.client(persona),
        "post",
        reallocate(scene.allocation),
        data={"practitioner": str(scene.other_practitioner.uuid), "reason": "x"},
    )
    assert writes() == before


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("practitioner", True),
        ("supervising_officer", True),
        ("police_london", True),
        ("programme_manager", True),
        ("other_provider_practitioner", False),
        ("officer_other_area", False),
    ],
)
def test_allocations_are_shown_through_the_gate(scene: Scene, persona: str, sees: bool) -> None:
    expected = {str(scene.allocation.uuid)} if sees else set()
    assert ids(scene.client(persona).get(LIST)) == expected


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    path = f"{LIST}{scene.allocation.uuid}/"
    client = scene.client("practitioner")
    assert client.get(path).status_code == 400
    response = client.get(path, headers=PURPOSE)
    assert response.status_code == 200
    assert response.json()["practitioner"]["id"] == str(scene.practitioner.uuid)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))
    missing_and_forbidden_match(
        scene.client("other_provider_practitioner"), "get", path, headers=PURPOSE
    )


def test_list_query_count_does_not_grow_with_the_page(scene: Scene) -> None:
    for n in range(10):
        person = make_participant(
            reference=f"BULK-{n}",
            family_name=f"Bulk-{n}",
            organisation=scene.world.probation_london,
            region=scene.world.london,
        )
        referral = make_referral(person, scene.persona("supervising_officer"))
        make_allocation(referral, scene.practitioner, scene.persona("programme_manager"))
    for persona in ("programme_manager", "practitioner"):
        one, ten = query_counts(scene.client(persona), LIST)
        assert one == ten
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert event.purpose == "api:allocations"
