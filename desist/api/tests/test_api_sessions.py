"""/api/v1/sessions/: booking, outcomes and rescheduling by the allocated practitioner, and who
may read sessions and their notes."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    Scene,
    approved_plan,
    at,
    book,
    ids,
    make_scene,
    missing_and_forbidden_match,
    query_counts,
    results,
)
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.constants import SessionOutcome
from desist.delivery.models import ComplianceRecord, ObjectiveProgress, Session
from desist.notifications.models import Notification

LIST = "/api/v1/sessions/"
NOTES = "Talked about work; asked about his brother."


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def detail(session: Session, verb: str = "") -> str:
    return f"{LIST}{session.uuid}/" + (f"{verb}/" if verb else "")


def booking(scene: Scene, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "allocation": str(scene.allocation.uuid),
        "scheduled_start": "2026-03-04T10:00:00Z",
        "planned_minutes": 60,
        "mode": "in_person",
        "location": "Provider office",
        "session_type": "mentoring",
    }
    data.update(overrides)
    return data


def writes() -> tuple[int, int]:
    return Session.objects.count(), AuditEvent.objects.exclude(action__in=["view", "list"]).count()


def attended(scene: Scene, session: Session, **extra: Any) -> Session:
    return services.session_record_outcome(
        actor=scene.user, session=session, outcome="attended", notes=NOTES, **extra
    )


# Booking -------------------------------------------------------------------------------------


def test_practitioner_books_a_session_and_it_is_audited(scene: Scene) -> None:
    response = scene.client("practitioner").post(LIST, booking(scene), format="json")

    assert response.status_code == 201, response.content
    session = Session.objects.get()
    data = response.json()
    assert data["id"] == str(session.uuid)
    assert data["participant"] == {"id": str(scene.world.case.uuid), "reference": "CASE-1"}
    assert data["allocation"] == str(scene.allocation.uuid)
    assert data["scheduled_start"] == "2026-03-04T10:00:00Z"
    assert data["outcome"] == SessionOutcome.SCHEDULED
    assert session.practitioner == scene.practitioner
    assert session.created_by == scene.user
    event = AuditEvent.objects.get(entity="delivery.session", action="create")
    assert event.participant_ref == str(scene.world.case.uuid)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mode": "carrier_pigeon"}, "mode"),
        ({"scheduled_start": "next tuesday"}, "scheduled_start"),
        ({"planned_minutes": 0}, "planned_minutes"),
        ({"planned_minutes": 600}, "planned_minutes"),
        ({"mode": "prison_visit", "location": ""}, "location"),
        ({"session_type": None}, "session_type"),
    ],
)
def test_bad_booking_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, overrides: dict[str, Any], field: str
) -> None:
    data = {k: v for k, v in booking(scene, **overrides).items() if v is not None}
    before = writes()
    response = scene.client("practitioner").post(LIST, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before


def test_overlapping_session_is_refused_on_the_start_time(scene: Scene) -> None:
    book(scene, at(4, 9, 30), 90)
    before = writes()
    response = scene.client("practitioner").post(LIST, booking(scene), format="json")
    assert response.status_code == 400
    assert "You already have a session from 09:30" in response.json()["scheduled_start"][0]
    assert writes() == before


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "programme_manager", "police_london", "analyst"]
)
def test_only_practitioners_may_book(scene: Scene, persona: str) -> None:
    before = writes()
    assert scene.client(persona).post(LIST, booking(scene), format="json").status_code == 404
    assert writes() == before


def test_another_practitioner_cannot_book_on_this_allocation(scene: Scene) -> None:
    before = writes()
    client = scene.client("other_provider_practitioner")
    forbidden = client.post(LIST, booking(scene), format="json")
    missing = client.post(
        LIST, booking(scene, allocation="00000000-0000-4000-8000-000000000000"), format="json"
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert writes() == before


def test_practitioner_who_is_suspended_cannot_book(scene: Scene) -> None:
    scene.practitioner.status = "suspended"
    scene.practitioner.save(update_fields=["status"])
    before = writes()
    response = scene.client("practitioner").post(LIST, booking(scene), format="json")
    assert response.status_code == 404
    assert writes() == before


# Outcomes ------------------------------------------------------------------------------------


def test_practitioner_records_attendance_with_progress_and_notes(scene: Scene) -> None:
    plan = approved_plan(scene)
    first, second = plan.objectives.order_by("position")
    session = book(scene, at(1, 10))
    response = scene.client("practitioner").post(
        detail(session, "outcome"),
        {
            "outcome": "attended",
            "actual_minutes": 55,
            "engagement": 4,
            "notes": NOTES,
            "progress": [{"objective": first.pk, "rating": "good", "note": "Applied for a job."}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "attended"
    assert data["notes"] == NOTES
    assert data["progress"] == [
        {"objective": first.pk, "position": 1, "rating": "good", "note": "Applied for a job."}
    ]
    session.refresh_from_db()
    assert (session.outcome, session.actual_minutes, session.engagement) == ("attended", 55, 4)
    assert ObjectiveProgress.objects.filter(session=session, objective=second).count() == 0
    event = AuditEvent.objects.filter(entity="delivery.session", action="update").latest("seq")
    assert event.changes["outcome"] == ["", "attended"]
    assert event.actor_id == scene.user.pk


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "attended"}, "outcome"),  # the session is in the future
        ({"outcome": "rescheduled"}, "outcome"),
        ({"outcome": "did_not_attend", "absence": "unacceptable"}, "absence_reason"),
        ({"outcome": "did_not_attend", "absence_reason": "Ill"}, "absence"),
        ({"outcome": "cancelled_by_participant", "engagement": 3}, "engagement"),
        ({"outcome": "attended", "engagement": "very"}, "engagement"),
    ],
)
def test_impossible_outcome_is_a_400_naming_the_field_and_writes_nothing(
    scene: Scene, data: dict[str, Any], field: str
) -> None:
    # The first case books in the future; the others in the past.
    start = at(5, 10) if data == {"outcome": "attended"} else at(1, 10)
    session = book(scene, start)
    before = writes()
    response = scene.client("practitioner").post(detail(session, "outcome"), data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert writes() == before
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.SCHEDULED


def test_progress_on_an_objective_outside_the_plan_is_refused(scene: Scene) -> None:
    approved_plan(scene)
    session = book(scene, at(1, 10))
    response = scene.client("practitioner").post(
        detail(session, "outcome"),
        {"outcome": "attended", "progress": [{"objective": 999999, "rating": "good"}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["progress"]


def test_unacceptable_absence_reaches_the_supervising_officer_at_once(scene: Scene) -> None:
    session = book(scene, at(1, 10))
    response = scene.client("practitioner").post(
        detail(session, "outcome"),
        {"outcome": "did_not_attend", "absence": "unacceptable", "absence_reason": "No reason"},
        format="json",
    )
    assert response.status_code == 200, response.content
    record = ComplianceRecord.objects.get(session=session)
    assert record.participant == scene.world.case
    notice = Notification.objects.get(kind="unacceptable_absence")
    assert notice.recipient == scene.persona("supervising_officer")
    assert notice.urgent is True
    assert "Zebedee" not in notice.subject + notice.body


@pytest.mark.parametrize(
    "persona", ["supervising_officer", "programme_manager", "other_provider_practitioner"]
)
def test_outcome_by_anyone_but_the_practitioner_is_a_404(scene: Scene, persona: str) -> None:
    session = book(scene, at(1, 10))
    before = writes()
    missing_and_forbidden_match(
        scene.client(persona), "post", detail(session, "outcome"), data={"outcome": "attended"}
    )
    assert writes() == before


def test_reschedule_keeps_the_chain(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    response = scene.client("practitioner").post(
        detail(session, "reschedule"),
        {"new_start": "2026-03-05T14:00:00Z", "reason": "Participant at a job interview."},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    new = Session.objects.get(uuid=data["id"])
    assert data["rescheduled_from"] == str(session.uuid)
    assert new.rescheduled_from == session
    session.refresh_from_db()
    assert session.outcome == SessionOutcome.RESCHEDULED
    assert session.reschedule_reason == "Participant at a job interview."


def test_reschedule_into_the_past_is_refused(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    before = writes()
    response = scene.client("practitioner").post(
        detail(session, "reschedule"),
        {"new_start": "2026-03-01T14:00:00Z", "reason": "Oops"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["new_start"]
    assert writes() == before


# Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("practitioner", True),
        ("supervising_officer", True),
        ("police_london", True),
        ("programme_manager", True),
        ("other_provider_practitioner", False),
        ("officer_other_area", False),
        ("police_other_region", False),
    ],
)
def test_list_shows_sessions_only_through_the_gate(scene: Scene, persona: str, sees: bool) -> None:
    session = book(scene, at(4, 10))
    assert ids(scene.client(persona).get(LIST)) == ({str(session.uuid)} if sees else set())


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_list_is_404_for_roles_without_cases(scene: Scene, persona: str) -> None:
    assert scene.client(persona).get(LIST).status_code == 404


def test_practitioner_no_longer_allocated_sees_no_sessions(scene: Scene) -> None:
    book(scene, at(4, 10))
    scene.allocation.ended_at = NOW
    scene.allocation.save(update_fields=["ended_at"])
    assert results(scene.client("practitioner").get(LIST)) == []


def test_list_rows_have_no_notes(scene: Scene) -> None:
    attended(scene, book(scene, at(1, 10)))
    response = scene.client("supervising_officer").get(LIST)
    (row,) = results(response)
    assert "notes" not in row
    assert NOTES not in response.content.decode()


def test_list_filters_by_outcome_and_time(scene: Scene) -> None:
    past = attended(scene, book(scene, at(1, 10)))
    future = book(scene, at(6, 10))
    client = scene.client("practitioner")
    assert ids(client.get(LIST, {"awaiting_outcome": "true"})) == {str(future.uuid)}
    assert ids(client.get(LIST, {"outcome": "attended"})) == {str(past.uuid)}
    assert ids(client.get(LIST, {"starts_after": "2026-03-02T00:00:00Z"})) == {str(future.uuid)}
    assert client.get(LIST, {"outcome": "nonsense"}).status_code == 400


def test_list_writes_one_event_naming_the_participant_once(scene: Scene) -> None:
    book(scene, at(4, 10))
    book(scene, at(5, 10))
    before = AuditEvent.objects.count()
    scene.client("police_london").get(LIST)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.purpose) == ("list", "api:sessions")
    assert event.changes == {"shown": [str(scene.world.case.uuid)]}


@pytest.mark.parametrize("persona", ["practitioner", "police_london", "supervising_officer"])
def test_list_query_count_does_not_grow_with_the_page(scene: Scene, persona: str) -> None:
    for day in range(3, 13):
        book(scene, at(day, 10))
    one, ten = query_counts(scene.client(persona), LIST)
    assert one == ten


@pytest.mark.parametrize(
    ("persona", "notes_visible"),
    [
        ("practitioner", True),
        ("supervising_officer", True),
        ("programme_manager", True),
        ("police_london", False),
    ],
)
def test_notes_are_only_for_provider_supervision_and_programme_team(
    scene: Scene, persona: str, notes_visible: bool
) -> None:
    plan = approved_plan(scene)
    objective = plan.objectives.first()
    assert objective is not None
    session = attended(scene, book(scene, at(1, 10)), progress={objective.pk: ("good", "Secret")})
    response = scene.client(persona).get(detail(session), headers=PURPOSE)
    assert response.status_code == 200
    data = response.json()
    assert ("notes" in data) is notes_visible
    assert ("absence_reason" in data) is notes_visible
    assert (NOTES in response.content.decode()) is notes_visible
    assert ("Secret" in response.content.decode()) is notes_visible
    assert data["progress"][0]["rating"] == "good"


def test_reading_one_needs_a_purpose_and_records_the_view(scene: Scene) -> None:
    session = book(scene, at(4, 10))
    client = scene.client("supervising_officer")
    assert client.get(detail(session)).status_code == 400
    before = AuditEvent.objects.count()
    assert client.get(detail(session), headers=PURPOSE).status_code == 200
    event = AuditEvent.objects.latest("seq")
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.participant_ref) == ("view", str(scene.world.case.uuid))


@pytest.mark.parametrize("persona", ["other_provider_practitioner", "officer_other_area"])
def test_unrelated_persona_gets_the_same_404_as_a_missing_session(
    scene: Scene, persona: str
) -> None:
    session = book(scene, at(4, 10))
    missing_and_forbidden_match(scene.client(persona), "get", detail(session), headers=PURPOSE)
