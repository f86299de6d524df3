"""Provider pages through the Django test client: practitioners, vetting, training, contracts
and the practitioner's own page, checked against the shared personas."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PERSONAS, World, make_participant, make_user
from desist.accounts.constants import Role
from desist.audit.models import AuditEvent
from desist.notifications.constants import NotificationKind
from desist.notifications.models import Notification
from desist.providers.constants import PractitionerStatus, Specialism, VettingLevel
from desist.providers.models import (
    Contract,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals.tests.factories import make_allocation, make_referral

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()

LIST = reverse("providers:list")
CREATE = reverse("providers:create")
CONTRACTS = reverse("providers:contracts")
CONTRACT_CREATE = reverse("providers:contract_create")
ME = reverse("providers:me")

NOT_MANAGERS = [p for p in PERSONAS if p not in ("programme_manager", "anonymous")]
PRACTITIONER_PERSONAS = ("practitioner", "other_provider_practitioner")


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


# Helpers -----------------------------------------------------------------------------------


def url(name: str, practitioner: Practitioner) -> str:
    return reverse(f"providers:{name}", kwargs={"practitioner_uuid": practitioner.uuid})


def page(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def summary_errors(response: Any) -> list[tuple[str, str]]:
    """(link target, message) for each entry of the GOV.UK error summary."""
    body = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    assert match, "the page should show the GOV.UK error summary"
    return [
        (target, html.unescape(text))
        for target, text in re.findall(r'<li><a href="([^"]*)">([^<]*)</a></li>', match[0])
    ]


def table_row(response: Any, marker: str) -> str:
    """The <tr> of the page's table that contains `marker` (e.g. a link)."""
    rows: list[str] = re.findall(r"<tr.*?</tr>", str(response.content.decode()), re.S)
    found = [row for row in rows if marker in row]
    assert len(found) == 1, f"one row should contain {marker!r}"
    return html.unescape(found[0])


def audit_events(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(entity=obj._meta.label_lower, entity_id=str(obj.pk)).order_by(
            "seq"
        )
    )


def manager(world: World) -> Any:
    return world.client_for("programme_manager")


def new_practitioner_user(world: World, username: str = "mentor_new") -> Any:
    return make_user(username, world.provider, Role.PRACTITIONER)


def practitioner_form_data(world: World, **change: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": world.personas["practitioner"].pk,
        "specialisms": [Specialism.MENTORING, Specialism.FAMILY],
        "languages": ["en", "ur"],
        "faith_traditions": [],
        "sex": "female",
        "regions": [world.london.pk],
        "max_caseload": "6",
    }
    return {k: v for k, v in (data | change).items() if v is not None}


def london_case(world: World, reference: str, family_name: str) -> Any:
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=world.probation_london,
        region=world.london,
        officer=world.personas["supervising_officer"],
    )


# Who may use the pages ---------------------------------------------------------------------


def _routes(world: World) -> list[tuple[str, str]]:
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    return [
        ("get", LIST),
        ("get", CREATE),
        ("post", CREATE),
        ("get", url("detail", practitioner)),
        ("get", url("edit", practitioner)),
        ("post", url("edit", practitioner)),
        ("post", url("status", practitioner)),
        ("post", url("vetting", practitioner)),
        ("post", url("training", practitioner)),
        ("get", CONTRACTS),
        ("get", CONTRACT_CREATE),
        ("post", CONTRACT_CREATE),
    ]


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_provider_pages_are_not_found_for_anyone_but_the_programme_manager(
    world: World, persona: str
) -> None:
    routes = _routes(world)
    practitioner = Practitioner.objects.get()
    before = AuditEvent.objects.count()
    client = world.client_for(persona)
    for method, address in routes:
        response = getattr(client, method)(
            address,
            {
                "status-to_status": "withdrawn",
                "status-reason": "Testing the door.",
                "max_caseload": "1",
            }
            if method == "post"
            else None,
        )
        assert response.status_code == 404, (persona, method, address)
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPROVED
    assert AuditEvent.objects.count() == before


def test_provider_pages_send_anonymous_visitors_to_sign_in(world: World) -> None:
    client = world.client_for("anonymous")
    for method, address in _routes(world):
        response = getattr(client, method)(address)
        assert response.status_code == 302, (method, address)
        assert response["Location"].startswith(reverse("account_login"))


def test_programme_manager_can_open_every_provider_page(world: World) -> None:
    client = manager(world)
    for method, address in _routes(world):
        if method == "get":
            assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_profile_is_for_practitioners_only(world: World, persona: str) -> None:
    response = world.client_for(persona).get(ME)
    if persona in PRACTITIONER_PERSONAS:
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 404


def test_an_unknown_practitioner_is_not_found(world: World) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    response = manager(world).get(f"/providers/practitioners/{missing}/")
    assert response.status_code == 404


# The list ----------------------------------------------------------------------------------


def test_list_shows_every_practitioner_and_filters_by_status(world: World) -> None:
    approved = make_practitioner(world.personas["practitioner"], regions=[world.london])
    applied = make_practitioner(world.personas["other_provider_practitioner"], cleared=False)
    client = manager(world)

    everyone = page(client.get(LIST))
    assert url("detail", approved) in everyone
    assert url("detail", applied) in everyone

    only_applied = page(client.get(LIST, {"status": "applied"}))
    assert url("detail", applied) in only_applied
    assert url("detail", approved) not in only_applied
    assert '<option value="applied" selected>' in only_applied

    only_approved = page(client.get(LIST, {"status": "approved"}))
    assert url("detail", approved) in only_approved
    assert url("detail", applied) not in only_approved


def test_list_ignores_an_unknown_status_filter(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"])
    body = page(manager(world).get(LIST, {"status": "astronaut"}))
    assert url("detail", practitioner) in body


def test_list_shows_the_caseload_as_n_of_m(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], regions=[world.london], max_caseload=3
    )
    officer = world.personas["supervising_officer"]
    pm = world.personas["programme_manager"]
    make_allocation(make_referral(world.case, officer), practitioner, pm)
    make_allocation(
        make_referral(london_case(world, "CASE-3", "Third-Marker"), officer), practitioner, pm
    )
    # An ended allocation does not count.
    ended = make_allocation(
        make_referral(world.other_case, world.personas["officer_other_area"]), practitioner, pm
    )
    ended.ended_at = NOW
    ended.save(update_fields=["ended_at"])

    row = table_row(manager(world).get(LIST), url("detail", practitioner))
    assert "2 of 3" in row


def test_list_tags_an_approved_practitioner_with_lapsed_vetting_as_not_cleared(
    world: World,
) -> None:
    lapsed = make_practitioner(
        world.personas["practitioner"], vetting_expires_on=TODAY - dt.timedelta(days=1)
    )
    cleared = make_practitioner(world.personas["other_provider_practitioner"])
    response = manager(world).get(LIST)
    lapsed_row = table_row(response, url("detail", lapsed))
    cleared_row = table_row(response, url("detail", cleared))
    assert "Approved" in lapsed_row and "Not cleared" in lapsed_row
    assert "Approved" in cleared_row and "Not cleared" not in cleared_row
    assert "1 Mar 2026" in lapsed_row  # the vetting expiry is shown


def test_list_does_not_tag_a_practitioner_who_is_not_yet_approved(world: World) -> None:
    applied = make_practitioner(world.personas["practitioner"], cleared=False)
    row = table_row(manager(world).get(LIST), url("detail", applied))
    assert "Applied" in row
    assert "Not cleared" not in row


def _queries_for(client: Any, address: str) -> int:
    client.get(address)  # the first request of a session does one-off work (session, messages)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_list_pages_cost_the_same_queries_however_many_rows(world: World) -> None:
    officer = world.personas["supervising_officer"]
    pm = world.personas["programme_manager"]
    first = make_practitioner(world.personas["practitioner"], regions=[world.london])
    make_allocation(make_referral(world.case, officer), first, pm)
    make_contract(world.provider, regions=[world.london])
    client = manager(world)
    few = (_queries_for(client, LIST), _queries_for(client, CONTRACTS))

    for n in range(3):
        user = new_practitioner_user(world, f"mentor_{n}")
        practitioner = make_practitioner(user, regions=[world.london, world.north_west])
        case = london_case(world, f"CASE-{n + 10}", f"Marker-{n}")
        make_allocation(make_referral(case, officer), practitioner, pm)
        make_contract(world.provider, regions=[world.london, world.north_west])
    many = (_queries_for(client, LIST), _queries_for(client, CONTRACTS))
    assert many == few


# Adding a practitioner ---------------------------------------------------------------------


def test_add_form_offers_only_provider_practitioners_without_a_record(world: World) -> None:
    make_practitioner(world.personas["other_provider_practitioner"])
    response = manager(world).get(CREATE)
    offered = set(response.context["form"].fields["user"].queryset)
    assert offered == {world.personas["practitioner"]}


def test_adding_a_practitioner_writes_the_record_history_and_audit_event(world: World) -> None:
    user = world.personas["practitioner"]
    response = manager(world).post(CREATE, practitioner_form_data(world))

    practitioner = Practitioner.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == url("detail", practitioner)
    assert practitioner.organisation == world.provider
    assert practitioner.status == PractitionerStatus.APPLIED
    assert practitioner.specialisms == ["mentoring", "family"]
    assert practitioner.languages == ["en", "ur"]
    assert practitioner.sex == "female"
    assert practitioner.max_caseload == 6
    assert list(practitioner.regions.all()) == [world.london]
    [change] = practitioner.status_history.all()
    assert (change.from_status, change.to_status) == ("", PractitionerStatus.APPLIED)
    assert change.changed_by == world.personas["programme_manager"]
    [event] = audit_events(practitioner)
    assert event.action == "create"
    assert event.actor_id == world.personas["programme_manager"].pk
    assert event.changes["max_caseload"] == [None, 6]
    assert event.changes["regions"] == [None, [world.london.pk]]


def test_after_adding_the_detail_page_says_the_status_is_applied(world: World) -> None:
    response = manager(world).post(CREATE, practitioner_form_data(world), follow=True)
    body = page(response)
    assert "Practitioner added" in body
    assert "Applied" in body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"specialisms": None}, "specialisms", "Select at least one specialism"),
        ({"languages": None}, "languages", "Select the languages they can work in"),
        ({"regions": None}, "regions", "Select the regions they cover"),
        ({"max_caseload": "0"}, "max_caseload", "Maximum caseload must be at least 1"),
        ({"max_caseload": "101"}, "max_caseload", "Maximum caseload must be 100 or fewer"),
        ({"max_caseload": ""}, "max_caseload", "Enter the maximum caseload"),
        ({"user": None}, "user", "Select the practitioner's user account"),
    ],
)
def test_bad_practitioner_input_shows_the_error_summary_and_writes_nothing(
    world: World, change: dict[str, Any], field: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    response = manager(world).post(CREATE, practitioner_form_data(world, **change))
    assert response.status_code == 200
    errors = summary_errors(response)
    assert [text for _, text in errors] == [message]
    # The message is the field's own (checkbox groups' summary links: see the test below).
    assert response.context["form"].errors[field] == [message]
    if field in ("max_caseload", "user"):
        assert errors[0][0] == f"#id_{field}"
    assert not Practitioner.objects.exists()
    assert AuditEvent.objects.count() == before


def test_error_summary_for_a_checkbox_group_links_to_its_first_checkbox(world: World) -> None:
    response = manager(world).post(CREATE, practitioner_form_data(world, specialisms=None))
    [(target, _)] = summary_errors(response)
    # GOV.UK: the summary link moves focus to the first checkbox of the group.
    assert target == "#id_specialisms_0"
    assert 'id="id_specialisms_0"' in response.content.decode()


def test_a_user_without_the_practitioner_role_cannot_be_added(world: World) -> None:
    data = practitioner_form_data(world, user=world.personas["supervising_officer"].pk)
    response = manager(world).post(CREATE, data)
    assert response.status_code == 200
    assert summary_errors(response)
    assert not Practitioner.objects.exists()


# Editing -----------------------------------------------------------------------------------


def test_edit_form_starts_from_the_current_profile(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"],
        regions=[world.london],
        languages=["en", "ur"],
        max_caseload=4,
    )
    response = manager(world).get(url("edit", practitioner))
    form = response.context["form"]
    assert "user" not in form.fields
    assert form["max_caseload"].value() == 4
    assert form["languages"].value() == ["en", "ur"]
    body = response.content.decode()
    assert re.search(r'<input[^>]*value="ur"[^>]*checked', body)


def test_editing_saves_the_changes_and_audits_them(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], regions=[world.london], max_caseload=4
    )
    before = len(audit_events(practitioner))
    data = practitioner_form_data(world, user=None, max_caseload="8", languages=["en", "ar"])
    data["regions"] = [world.london.pk, world.north_west.pk]
    response = manager(world).post(url("edit", practitioner), data)

    assert response.status_code == 302
    assert response["Location"] == url("detail", practitioner)
    practitioner.refresh_from_db()
    assert practitioner.max_caseload == 8
    assert practitioner.languages == ["en", "ar"]
    assert set(practitioner.regions.all()) == {world.london, world.north_west}
    events = audit_events(practitioner)
    assert len(events) == before + 1
    assert events[-1].action == "update"
    assert events[-1].changes["max_caseload"] == [4, 8]
    assert "regions" in events[-1].changes


def test_editing_with_no_specialism_changes_nothing(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], max_caseload=4)
    before = AuditEvent.objects.count()
    data = practitioner_form_data(world, user=None, specialisms=None, max_caseload="9")
    response = manager(world).post(url("edit", practitioner), data)
    assert response.status_code == 200
    assert [text for _, text in summary_errors(response)] == ["Select at least one specialism"]
    practitioner.refresh_from_db()
    assert practitioner.max_caseload == 4
    assert practitioner.specialisms == ["mentoring"]
    assert AuditEvent.objects.count() == before


# The detail page ---------------------------------------------------------------------------


def test_detail_of_a_cleared_practitioner(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], regions=[world.london], max_caseload=5
    )
    make_allocation(
        make_referral(world.case, world.personas["supervising_officer"]),
        practitioner,
        world.personas["programme_manager"],
    )
    body = page(manager(world).get(url("detail", practitioner)))
    assert "Cleared to work with participants" in body
    assert "1 of 5" in body
    assert "London" in body
    assert "Desistance and disengagement training" in body


def test_detail_lists_why_a_practitioner_is_not_cleared(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"],
        cleared=False,
        status=PractitionerStatus.APPROVED,
        vetting_level=VettingLevel.CTC,
        vetting_granted_on=dt.date(2021, 3, 1),
        vetting_expires_on=dt.date(2026, 2, 27),
    )
    body = page(manager(world).get(url("detail", practitioner)))
    assert "Cannot be allocated or record sessions" in body
    assert "Vetting expired on 27 February 2026." in body
    assert "Desistance and disengagement training has not been completed." in body
    assert "Cleared to work with participants" not in body


def test_detail_shows_languages_and_specialisms_by_name(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], languages=["en", "ur"], specialisms=["theological"]
    )
    body = page(manager(world).get(url("detail", practitioner)))
    assert "Urdu" in body
    assert "Theological" in body


def test_status_choices_on_the_detail_page_are_only_the_allowed_moves(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).get(url("detail", practitioner))
    choices = [value for value, _ in response.context["status_form"].fields["to_status"].choices]
    assert choices == ["", "vetting", "withdrawn"]


# Changing status ---------------------------------------------------------------------------


def test_an_allowed_status_change_is_recorded_with_history_and_audit(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "vetting", "status-reason": "Vetting application sent."},
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", practitioner)
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.VETTING
    [change] = PractitionerStatusChange.objects.filter(practitioner=practitioner)
    assert (change.from_status, change.to_status) == ("applied", "vetting")
    assert change.reason == "Vetting application sent."
    [event] = audit_events(practitioner)
    assert event.changes["status"] == ["applied", "vetting"]
    # The history appears on the page.
    body = page(manager(world).get(url("detail", practitioner)))
    assert "Applied → Vetting in progress" in body
    assert "Vetting application sent." in body


def test_suspending_tells_the_practitioner_their_access_has_ended(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"])
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "suspended", "status-reason": "Under review."},
    )
    assert response.status_code == 302
    [notice] = Notification.objects.filter(recipient=world.personas["practitioner"])
    assert notice.kind == NotificationKind.ACCESS_REMOVED
    assert notice.link == ME


def test_a_refused_status_change_shows_the_error_and_changes_nothing(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    before = AuditEvent.objects.count()
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "suspended", "status-reason": "Skipping ahead."},
    )
    assert response.status_code == 400
    [(_, message)] = summary_errors(response)
    assert message == 'A practitioner with the status "Applied" cannot move to "Suspended".'
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPLIED
    assert not PractitionerStatusChange.objects.filter(practitioner=practitioner).exists()
    assert AuditEvent.objects.count() == before


def test_a_refused_status_change_is_shown_on_the_status_field(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "suspended", "status-reason": "Skipping ahead."},
    )
    [(target, _)] = summary_errors(response)
    assert target == "#id_status-to_status"


def test_approval_without_vetting_and_training_is_refused_with_the_reasons(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], cleared=False, status=PractitionerStatus.VETTING
    )
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "approved", "status-reason": "All done."},
    )
    assert response.status_code == 400
    messages = [text for _, text in summary_errors(response)]
    assert messages[0].startswith("They cannot be approved until their vetting")
    assert "No vetting has been recorded." in messages
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.VETTING


def test_a_status_change_needs_a_reason(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).post(url("status", practitioner), {"status-to_status": "vetting"})
    assert response.status_code == 400
    assert summary_errors(response) == [("#id_status-reason", "Enter the reason for the change")]
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.APPLIED


def test_withdrawn_is_final(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"], cleared=False, status=PractitionerStatus.WITHDRAWN
    )
    response = manager(world).post(
        url("status", practitioner),
        {"status-to_status": "vetting", "status-reason": "Came back."},
    )
    assert response.status_code == 400
    assert "their status cannot change" in page(response)
    practitioner.refresh_from_db()
    assert practitioner.status == PractitionerStatus.WITHDRAWN


# Vetting and training ----------------------------------------------------------------------


def test_recording_vetting_saves_it_and_audits_it(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).post(
        url("vetting", practitioner),
        {
            "vetting-level": "sc",
            "vetting-granted_on": "2026-02-02",
            "vetting-expires_on": "2031-02-02",
        },
    )
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.vetting_level == VettingLevel.SC
    assert practitioner.vetting_granted_on == dt.date(2026, 2, 2)
    assert practitioner.vetting_expires_on == dt.date(2031, 2, 2)
    [event] = audit_events(practitioner)
    assert event.changes["vetting_expires_on"] == [None, "2031-02-02"]


@pytest.mark.parametrize(
    ("granted", "expires", "field", "message"),
    [
        (
            "2026-02-02",
            "2026-02-01",
            "expires_on",
            "Expiry date must be after the date vetting was granted",
        ),
        (
            "2026-02-02",
            "2026-02-02",
            "expires_on",
            "Expiry date must be after the date vetting was granted",
        ),
        (
            "2026-03-03",
            "2031-03-03",
            "granted_on",
            "The date vetting was granted must be in the past",
        ),
    ],
)
def test_impossible_vetting_dates_are_refused(
    world: World, granted: str, expires: str, field: str, message: str
) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    before = AuditEvent.objects.count()
    response = manager(world).post(
        url("vetting", practitioner),
        {"vetting-level": "ctc", "vetting-granted_on": granted, "vetting-expires_on": expires},
    )
    assert response.status_code == 400
    assert summary_errors(response) == [(f"#id_vetting-{field}", message)]
    practitioner.refresh_from_db()
    assert practitioner.vetting_level == ""
    assert practitioner.vetting_expires_on is None
    assert AuditEvent.objects.count() == before


def test_recording_training_saves_the_completion_with_its_expiry(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    course = TrainingCourse.objects.get(code="desistance")  # valid for 36 months
    response = manager(world).post(
        url("training", practitioner),
        {"training-course": course.pk, "training-completed_on": "2026-02-10"},
    )
    assert response.status_code == 302
    [completion] = TrainingCompletion.objects.filter(practitioner=practitioner)
    assert completion.course == course
    assert completion.completed_on == dt.date(2026, 2, 10)
    assert completion.expires_on == dt.date(2029, 2, 10)
    [event] = audit_events(completion)
    assert event.action == "create"
    body = page(manager(world).get(url("detail", practitioner)))
    assert "10 Feb 2029" in body


def test_training_completed_in_the_future_is_refused(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    course = TrainingCourse.objects.get(code="desistance")
    response = manager(world).post(
        url("training", practitioner),
        {"training-course": course.pk, "training-completed_on": "2026-03-03"},
    )
    assert response.status_code == 400
    assert summary_errors(response) == [
        ("#id_training-completed_on", "The date it was completed must be in the past")
    ]
    assert not TrainingCompletion.objects.filter(practitioner=practitioner).exists()


def test_training_without_a_course_is_refused(world: World) -> None:
    practitioner = make_practitioner(world.personas["practitioner"], cleared=False)
    response = manager(world).post(
        url("training", practitioner), {"training-completed_on": "2026-02-10"}
    )
    assert response.status_code == 400
    assert summary_errors(response) == [("#id_training-course", "Select the course")]
    assert not TrainingCompletion.objects.filter(practitioner=practitioner).exists()


# Contracts ---------------------------------------------------------------------------------


def test_contract_list_shows_each_contract_and_places_left(world: World) -> None:
    contract = make_contract(world.provider, capacity=3, regions=[world.london], reference="C-77")
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    make_allocation(
        make_referral(world.case, world.personas["supervising_officer"]),
        practitioner,
        world.personas["programme_manager"],
    )
    response = manager(world).get(CONTRACTS)
    row = table_row(response, contract.reference)
    assert "In force" in row
    assert "Mentors Ltd" in row
    assert "London" in row
    assert re.search(r">\s*3\s*<", row)  # capacity
    assert re.search(r">\s*2\s*<", row)  # places left today: 3 - 1 allocation


def test_adding_a_contract_saves_it_and_audits_it(world: World) -> None:
    response = manager(world).post(
        CONTRACT_CREATE,
        {
            "organisation": world.provider.pk,
            "reference": "DDP-2026-01",
            "start_date": "2026-04-01",
            "end_date": "2027-03-31",
            "regions": [world.london.pk, world.north_west.pk],
            "capacity": "25",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == CONTRACTS
    contract = Contract.objects.get(reference="DDP-2026-01")
    assert contract.organisation == world.provider
    assert contract.capacity == 25
    assert (contract.start_date, contract.end_date) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert set(contract.regions.all()) == {world.london, world.north_west}
    [event] = audit_events(contract)
    assert event.action == "create"
    assert event.changes["capacity"] == [None, 25]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end_date": "2026-03-31"}, "end_date", "End date must be on or after the start date"),
        ({"capacity": "0"}, "capacity", "Capacity must be at least 1"),
        ({"regions": []}, "regions", "Select the regions the contract covers"),
        ({"reference": "C-EXISTS"}, "reference", "A contract with this reference already exists"),
    ],
)
def test_bad_contract_input_is_refused_and_writes_nothing(
    world: World, change: dict[str, Any], field: str, message: str
) -> None:
    make_contract(world.provider, reference="C-EXISTS")
    before = AuditEvent.objects.count()
    data = {
        "organisation": world.provider.pk,
        "reference": "DDP-2026-01",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "regions": [world.london.pk],
        "capacity": "25",
    } | change
    response = manager(world).post(CONTRACT_CREATE, data)
    assert response.status_code == 200
    errors = summary_errors(response)
    assert [text for _, text in errors] == [message]
    assert response.context["form"].errors[field] == [message]
    if field != "regions":  # a checkbox group: see the summary link test above
        assert errors[0][0] == f"#id_{field}"
    assert list(Contract.objects.values_list("reference", flat=True)) == ["C-EXISTS"]
    assert AuditEvent.objects.count() == before


def test_a_contract_cannot_be_given_to_an_organisation_that_is_not_a_provider(
    world: World,
) -> None:
    response = manager(world).post(
        CONTRACT_CREATE,
        {
            "organisation": world.probation_london.pk,
            "reference": "DDP-2026-01",
            "start_date": "2026-04-01",
            "end_date": "2027-03-31",
            "regions": [world.london.pk],
            "capacity": "25",
        },
    )
    assert response.status_code == 200
    assert summary_errors(response)
    assert not Contract.objects.exists()


# The practitioner's own page ---------------------------------------------------------------


def test_my_profile_without_a_record_says_it_is_not_set_up(world: World) -> None:
    response = world.client_for("practitioner").get(ME)
    assert response.status_code == 200
    assert "The programme team has not set up your practitioner record yet." in page(response)


def test_my_profile_lists_my_clearance_problems(world: World) -> None:
    practitioner = make_practitioner(
        world.personas["practitioner"],
        cleared=False,
        status=PractitionerStatus.APPROVED,
        vetting_level=VettingLevel.CTC,
        vetting_granted_on=dt.date(2021, 3, 1),
        vetting_expires_on=dt.date(2026, 2, 27),
    )
    TrainingCompletion.objects.create(
        practitioner=practitioner,
        course=TrainingCourse.objects.get(code="safeguarding"),
        completed_on=dt.date(2025, 6, 1),
        expires_on=dt.date(2027, 6, 1),
    )
    body = page(world.client_for("practitioner").get(ME))
    assert "You cannot see participants or record sessions until this is put right" in body
    assert "Vetting expired on 27 February 2026." in body
    assert "Desistance and disengagement training has not been completed." in body
    assert "Safeguarding adults and children" in body
    assert "Completed 1 June 2025, expires 1 June 2027" in body


def test_my_profile_when_cleared_shows_no_warning(world: World) -> None:
    make_practitioner(world.personas["practitioner"])
    body = page(world.client_for("practitioner").get(ME))
    assert "Approved" in body
    assert "until this is put right" not in body
    assert "Counter-Terrorist Check (CTC), expires 1 March 2028" in body


def test_my_profile_shows_only_my_own_record(world: World) -> None:
    make_practitioner(world.personas["practitioner"])
    make_practitioner(
        world.personas["other_provider_practitioner"],
        cleared=False,
        status=PractitionerStatus.SUSPENDED,
    )
    body = page(world.client_for("practitioner").get(ME))
    assert "Suspended" not in body
