from __future__ import annotations

from conftest import World
from desist.providers.models import PractitionerStatusChange, TrainingCourse
from desist.providers.tests.factories import make_contract, make_practitioner


def test_admin_shows_practitioners_with_training_and_history_read_only(world: World) -> None:
    mentor = make_practitioner(world.personas["practitioner"], regions=[world.london])
    PractitionerStatusChange.objects.create(
        practitioner=mentor,
        from_status="vetting",
        to_status="approved",
        reason="Reason recorded for the history",
        changed_at=mentor.created_at,
    )
    client = world.client_for("administrator")

    assert client.get("/admin/providers/practitioner/").status_code == 200
    page = client.get(f"/admin/providers/practitioner/{mentor.pk}/change/").content.decode()
    assert "Desistance and disengagement training" in page
    assert "Reason recorded for the history" in page
    assert 'name="max_caseload"' not in page  # shown, not editable

    assert client.get("/admin/providers/practitioner/add/").status_code == 403
    assert client.post(f"/admin/providers/practitioner/{mentor.pk}/delete/").status_code == 403
    response = client.post(
        f"/admin/providers/practitioner/{mentor.pk}/change/", {"max_caseload": "99"}
    )
    assert response.status_code == 403
    mentor.refresh_from_db()
    assert mentor.max_caseload == 10


def test_admin_shows_contracts_read_only(world: World) -> None:
    contract = make_contract(world.provider, reference="C-ADMIN")
    client = world.client_for("administrator")
    assert "C-ADMIN" in client.get("/admin/providers/contract/").content.decode()
    assert client.get(f"/admin/providers/contract/{contract.pk}/change/").status_code == 200
    assert client.get("/admin/providers/contract/add/").status_code == 403


def test_training_courses_can_be_added_in_the_admin_but_not_deleted(world: World) -> None:
    client = world.client_for("administrator")
    response = client.post(
        "/admin/providers/trainingcourse/add/",
        {"code": "first_aid", "name": "First aid", "required": "", "valid_for_months": "36"},
    )
    assert response.status_code == 302
    course = TrainingCourse.objects.get(code="first_aid")
    assert not course.required
    assert client.post(f"/admin/providers/trainingcourse/{course.pk}/delete/").status_code == 403


def test_people_who_are_not_staff_cannot_open_the_provider_admin(world: World) -> None:
    for persona in ("programme_manager", "practitioner"):
        response = world.client_for(persona).get("/admin/providers/practitioner/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
