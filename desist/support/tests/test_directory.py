"""The service directory: who a service is for (region or national, sex, age), the search,
the programme manager's changes (audited) and the pages.

Time is frozen at 09:00 UTC on Monday 2 March 2026.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import World
from desist.audit.models import AuditEvent
from desist.people.constants import Sex
from desist.support import services_directory as services
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service
from desist.support.selectors_directory import (
    DirectoryFilter,
    age_on,
    directory_search,
    services_for_participant,
)
from desist.support.tests.factories_plan import NOW, make_service


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def _codes(rows: Any) -> list[str]:
    return sorted(service.code for service in rows)


# Eligibility -------------------------------------------------------------------------------


def test_age_counts_whole_years_and_turns_on_the_birthday() -> None:
    born = dt.date(1990, 5, 17)
    assert age_on(born, dt.date(2026, 5, 16)) == 35
    assert age_on(born, dt.date(2026, 5, 17)) == 36
    # Born on 29 February: a year older on 1 March in other years.
    assert age_on(dt.date(2004, 2, 29), dt.date(2026, 2, 28)) == 21
    assert age_on(dt.date(2004, 2, 29), dt.date(2026, 3, 1)) == 22


def test_a_participant_is_offered_services_in_their_region_and_national_ones(world: World) -> None:
    make_service("london", regions=[world.london])
    make_service("national", national=True)
    make_service("north-west", regions=[world.north_west])
    make_service("both", regions=[world.london, world.north_west])

    assert _codes(services_for_participant(world.case)) == ["both", "london", "national"]
    assert _codes(services_for_participant(world.other_case)) == ["both", "national", "north-west"]


def test_services_can_be_looked_up_in_the_region_a_participant_is_moving_to(
    world: World,
) -> None:
    make_service("london", regions=[world.london])
    make_service("north-west", regions=[world.north_west])
    found = services_for_participant(world.case, region_id=world.north_west.pk)
    assert _codes(found) == ["north-west"]


def test_services_for_one_sex_need_the_participants_sex_recorded_as_that(world: World) -> None:
    make_service("anyone", eligible_sex=EligibleSex.ANY)
    make_service("women", eligible_sex=EligibleSex.FEMALE)
    make_service("men", eligible_sex=EligibleSex.MALE)
    case = world.case

    assert _codes(services_for_participant(case)) == ["anyone"]  # sex not known
    case.sex = Sex.FEMALE
    assert _codes(services_for_participant(case)) == ["anyone", "women"]
    case.sex = Sex.MALE
    assert _codes(services_for_participant(case)) == ["anyone", "men"]


@pytest.mark.parametrize(
    ("today", "eligible"),
    [
        # world.case was born on 17 May 1990.
        (dt.date(2008, 5, 16), ["any-age", "under-18"]),  # 17, the day before turning 18
        (dt.date(2008, 5, 17), ["18-to-25", "any-age"]),  # 18 on the day
        (dt.date(2016, 5, 16), ["18-to-25", "any-age"]),  # 25, the last day of the range
        (dt.date(2016, 5, 17), ["any-age", "over-26"]),  # 26
    ],
)
def test_age_limits_include_both_ends(world: World, today: dt.date, eligible: list[str]) -> None:
    make_service("any-age")
    make_service("under-18", max_age=17)
    make_service("18-to-25", min_age=18, max_age=25)
    make_service("over-26", min_age=26)

    assert _codes(services_for_participant(world.case, today=today)) == eligible


def test_services_are_offered_by_pathway_and_only_while_active(world: World) -> None:
    make_service("housing", pathways=[Pathway.ACCOMMODATION])
    make_service("money-and-housing", pathways=[Pathway.FINANCE, Pathway.ACCOMMODATION])
    make_service("health", pathways=[Pathway.MENTAL_HEALTH])
    make_service("physical", pathways=[Pathway.PHYSICAL_HEALTH])
    make_service("closed", pathways=[Pathway.ACCOMMODATION], active=False)

    assert _codes(services_for_participant(world.case, Pathway.ACCOMMODATION)) == [
        "housing",
        "money-and-housing",
    ]
    # "mental_health" does not match "physical_health" although both end in "health".
    assert _codes(services_for_participant(world.case, Pathway.MENTAL_HEALTH)) == ["health"]


def test_the_directory_search_combines_every_filter(world: World) -> None:
    make_service("match", regions=[world.london], eligible_sex=EligibleSex.FEMALE, min_age=18)
    make_service("wrong-area", regions=[world.north_west], eligible_sex=EligibleSex.FEMALE)
    make_service("men-only", national=True, eligible_sex=EligibleSex.MALE)
    make_service("too-old", national=True, min_age=50)
    make_service(
        "wrong-pathway", national=True, pathways=[Pathway.FINANCE], description="Debt help"
    )

    found = directory_search(
        DirectoryFilter(
            pathway=Pathway.ACCOMMODATION, region_id=world.london.pk, sex="female", age=30
        )
    )
    assert _codes(found) == ["match"]
    assert _codes(directory_search(DirectoryFilter(text="debt"))) == ["wrong-pathway"]


# Changing the directory --------------------------------------------------------------------


def _details(**changes: Any) -> dict[str, Any]:
    return {
        "code": "shelter-london",
        "name": "Shelter London",
        "description": "Housing advice",
        "pathways": [Pathway.FINANCE, Pathway.ACCOMMODATION],
        "regions": [],
        "national": True,
        "eligible_sex": EligibleSex.ANY,
        "min_age": None,
        "max_age": None,
        "phone": "0808 800 4444",
        "email": "help@example.org",
        "website": "https://example.org/housing",
        "address": "",
        "opening_hours": "Monday to Friday, 9am to 5pm",
        **changes,
    }


def test_a_programme_manager_adds_a_service_and_it_is_audited(world: World) -> None:
    manager = world.personas["programme_manager"]
    service = services.service_create(
        actor=manager, **_details(code="Shelter-London", national=False, regions=[world.london])
    )

    assert (service.code, service.pathways, service.active) == (
        "shelter-london",
        ["accommodation", "finance"],  # in the pathways' usual order
        True,
    )
    event = AuditEvent.objects.get(entity="support.service")
    assert (event.action, event.actor_id, event.participant_ref) == ("create", manager.pk, "")
    assert event.changes["regions"] == [None, ["london"]]


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("code", {"code": "shelter london"}, "lower-case letters, numbers"),
        ("name", {"name": ""}, "Enter the name of the service"),
        ("pathways", {"pathways": []}, "Choose at least one pathway"),
        ("pathways", {"pathways": ["housing"]}, '"housing" is not a pathway'),
        ("regions", {"national": False}, "Choose the regions the service covers"),
        ("eligible_sex", {"eligible_sex": "women"}, "Say who the service is for"),
        ("min_age", {"min_age": 121}, "from 0 to 120"),
        ("max_age", {"min_age": 25, "max_age": 18}, "the same as or more than the minimum"),
        ("email", {"email": "not an address"}, "Enter an email address like"),
        ("website", {"website": "example.org"}, "starting https://"),
        ("phone", {"phone": "call us"}, "Enter a phone number"),
        (
            "phone",
            {"phone": "", "email": "", "website": "", "address": ""},
            "at least one way to contact",
        ),
    ],
)
def test_a_bad_service_is_refused_naming_the_field(
    world: World, field: str, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.service_create(actor=world.personas["programme_manager"], **_details(**changes))
    assert message in excinfo.value.message_dict[field][0]
    assert not Service.objects.exists()
    assert not AuditEvent.objects.filter(entity="support.service").exists()


def test_a_national_service_cannot_also_name_regions(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.service_create(
            actor=world.personas["programme_manager"], **_details(regions=[world.london])
        )
    assert list(excinfo.value.message_dict) == ["regions"]


def test_two_services_cannot_share_a_code(world: World) -> None:
    make_service("shelter-london")
    with pytest.raises(ValidationError) as excinfo:
        services.service_create(actor=world.personas["programme_manager"], **_details())
    assert "already has the code" in excinfo.value.message_dict["code"][0]


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "police_london"])
def test_only_programme_managers_change_the_directory(world: World, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.service_create(actor=world.personas[persona], **_details())


def test_a_change_is_audited_with_old_and_new_values(world: World) -> None:
    manager = world.personas["programme_manager"]
    service = services.service_create(actor=manager, **_details())

    changes = services.service_update(
        actor=manager,
        service=service,
        **_details(phone="0300 123 4567", national=False, regions=[world.north_west]),
        active=False,
    )

    assert changes == {
        "phone": ["0808 800 4444", "0300 123 4567"],
        "national": [True, False],
        "active": [True, False],
        "regions": [[], ["north_west"]],
    }
    event = AuditEvent.objects.filter(entity="support.service").latest("seq")
    assert (event.action, event.changes) == ("update", changes)


# Pages -------------------------------------------------------------------------------------


STAFF = [
    "supervising_officer",
    "prison_offender_manager",
    "police_london",
    "practitioner",
    "programme_manager",
]


@pytest.mark.parametrize("persona", STAFF)
def test_staff_who_work_with_participants_read_the_directory(world: World, persona: str) -> None:
    service = make_service(name="Shelter London", regions=[world.london])
    client = world.client_for(persona)
    assert "Shelter London" in client.get(reverse("support:directory")).content.decode()
    detail = client.get(reverse("support:service_detail", args=[service.uuid]))
    assert detail.status_code == 200
    assert "020 7946 0000" in detail.content.decode()


@pytest.mark.parametrize("persona", ["analyst", "administrator", "no_roles"])
def test_others_do_not_find_the_directory(world: World, persona: str) -> None:
    service = make_service()
    client = world.client_for(persona)
    assert client.get(reverse("support:directory")).status_code == 404
    assert client.get(reverse("support:service_detail", args=[service.uuid])).status_code == 404


def test_the_directory_page_filters_by_pathway_area_sex_and_age(world: World) -> None:
    make_service(
        "london",
        name="London Women's Centre",
        regions=[world.london],
        eligible_sex=EligibleSex.FEMALE,
    )
    make_service("nw", name="North West Housing", regions=[world.north_west])
    make_service("young", name="Youth Housing", national=True, max_age=24)
    client = world.client_for("practitioner")

    body = client.get(
        reverse("support:directory"),
        {"pathway": "accommodation", "region": "london", "sex": "female", "age": "30"},
    ).content.decode()

    assert "London Women&#x27;s Centre" in body
    assert "North West Housing" not in body
    assert "Youth Housing" not in body
    assert "1 service<" in body


def test_a_bad_age_in_the_search_is_shown_on_its_field(world: World) -> None:
    response = world.client_for("practitioner").get(reverse("support:directory"), {"age": "old"})
    assert response.status_code == 400
    assert '<a href="#id_age">The age must be a whole number</a>' in response.content.decode()


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "police_london"])
def test_only_programme_managers_reach_the_forms(world: World, persona: str) -> None:
    service = make_service()
    client = world.client_for(persona)
    assert client.get(reverse("support:service_create")).status_code == 404
    assert client.post(reverse("support:service_create"), _form()).status_code == 404
    assert client.get(reverse("support:service_edit", args=[service.uuid])).status_code == 404
    assert Service.objects.count() == 1


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "shelter-london",
        "name": "Shelter London",
        "pathways": ["accommodation"],
        "regions": [],
        "national": "on",
        "eligible_sex": "any",
        "phone": "0808 800 4444",
    }
    return {**data, **changes}


def test_a_programme_manager_adds_a_service_on_the_page(world: World) -> None:
    client = world.client_for("programme_manager")
    response = client.post(reverse("support:service_create"), _form())
    service = Service.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:service_detail", args=[service.uuid])
    assert AuditEvent.objects.filter(entity="support.service", action="create").count() == 1


def test_the_service_form_shows_the_services_errors_on_their_fields(world: World) -> None:
    response = world.client_for("programme_manager").post(
        reverse("support:service_create"),
        _form(national="", email="nobody", min_age="30", max_age="20"),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose the regions the service covers, or say that it is national" in body
    assert '<a href="#id_email">Enter an email address like name@example.org</a>' in body
    assert "The maximum age must be the same as or more than the minimum age" in body


def test_a_programme_manager_withdraws_a_service_on_the_page(world: World) -> None:
    service = make_service(name="Closed Hostel", national=True)
    client = world.client_for("programme_manager")
    # The form as shown, with "Offered now" unticked (an unticked box is not sent).
    response = client.post(
        reverse("support:service_edit", args=[service.uuid]),
        _form(code=service.code, name=service.name),
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.active is False  # "active" not ticked: withdrawn
    assert "Closed Hostel" not in client.get(reverse("support:directory")).content.decode()
    listed = client.get(reverse("support:directory"), {"inactive": "on"}).content.decode()
    assert "No longer offered" in listed
