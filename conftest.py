"""Shared personas for permission tests: one of each kind of user the access rules distinguish."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, RoleGrant, User
from desist.people import services
from desist.people.models import Participant

PASSWORD = "correct-Horse-battery-9"


@pytest.fixture
def keep_db_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """`desist ...` (Django's run_from_argv) closes every connection when it ends; inside a
    test that would drop the test transaction on PostgreSQL."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength costs ~0.3 s a user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(
    username: str, organisation: Organisation | None, *roles: str, totp: bool = True, **extra: Any
) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, organisation=organisation, **extra
    )
    for role in roles:
        RoleGrant.objects.create(user=user, role=role)
    if totp:
        # A TOTP device on record: the MFA middleware lets the user through once signed in.
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": "not-used-in-tests"}
        )
    return user


def make_participant(
    *,
    reference: str,
    family_name: str,
    organisation: Organisation,
    region: Region,
    officer: User | None = None,
    agencies: tuple[Organisation, ...] = (),
    **extra: Any,
) -> Participant:
    data: dict[str, Any] = {
        "reference": reference,
        "given_name": "Test",
        "family_name": family_name,
        "date_of_birth": dt.date(1990, 5, 17),
        "strand": "probation_licence",
        "region": region,
        "supervising_organisation": organisation,
        "supervising_officer": officer,
        **extra,
    }
    return services.participant_create(actor=None, data=data, agencies=agencies)


@dataclass
class World:
    london: Region
    north_west: Region
    programme_team: Organisation
    probation_london: Organisation
    probation_nw: Organisation
    prison: Organisation
    police_london: Organisation
    police_nw: Organisation
    provider: Organisation
    personas: dict[str, User]
    case: Participant  # supervised by probation London, region London
    other_case: Participant  # supervised by probation North West, region North West
    # uuids of other records about `case`, by URL keyword (e.g. "session_uuid"), for the walker.
    objects: dict[str, Any] = field(default_factory=dict)

    def client_for(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(self.personas[persona])
        return client


# Who may read `world.case` (London, supervised by Probation London).
CASE_READERS = {"supervising_officer", "colleague_same_org", "programme_manager", "police_london"}
CASE_WRITERS = {"supervising_officer", "colleague_same_org", "programme_manager"}
PERSONAS = [
    "supervising_officer",
    "colleague_same_org",
    "officer_other_area",
    "prison_offender_manager",
    "police_london",
    "police_other_region",
    "practitioner",
    "other_provider_practitioner",
    "analyst",
    "programme_manager",
    "administrator",
    "no_roles",
    "anonymous",
]


@pytest.fixture
def world(db: Any) -> World:
    london = Region.objects.get(code="london")
    north_west = Region.objects.get(code="north_west")
    programme_team = Organisation.objects.create(
        name="Programme Team", kind=OrganisationKind.PROGRAMME_TEAM
    )
    programme_team.regions.set(Region.objects.all())
    probation_london = Organisation.objects.create(
        name="Probation London", kind=OrganisationKind.PROBATION
    )
    probation_london.regions.set([london])
    probation_nw = Organisation.objects.create(
        name="Probation North West", kind=OrganisationKind.PROBATION
    )
    probation_nw.regions.set([north_west])
    prison = Organisation.objects.create(name="Prison Service", kind=OrganisationKind.PRISON)
    police_london = Organisation.objects.create(name="CTP London", kind=OrganisationKind.CT_POLICE)
    police_london.regions.set([london])
    police_nw = Organisation.objects.create(name="CTP North West", kind=OrganisationKind.CT_POLICE)
    police_nw.regions.set([north_west])
    provider = Organisation.objects.create(name="Mentors Ltd", kind=OrganisationKind.PROVIDER)
    other_provider = Organisation.objects.create(
        name="Other Mentors", kind=OrganisationKind.PROVIDER
    )

    personas = {
        "supervising_officer": make_user(
            "so", probation_london, Role.SUPERVISING_OFFICER, email="so@example.org"
        ),
        "colleague_same_org": make_user("colleague", probation_london, Role.SUPERVISING_OFFICER),
        "officer_other_area": make_user("so_nw", probation_nw, Role.SUPERVISING_OFFICER),
        "prison_offender_manager": make_user("pom", prison, Role.PRISON_OFFENDER_MANAGER),
        "police_london": make_user("police", police_london, Role.POLICE_LIAISON),
        "police_other_region": make_user("police_nw", police_nw, Role.POLICE_LIAISON),
        "practitioner": make_user("mentor", provider, Role.PRACTITIONER),
        "other_provider_practitioner": make_user("other_mentor", other_provider, Role.PRACTITIONER),
        "analyst": make_user("analyst", programme_team, Role.ANALYST),
        "programme_manager": make_user("pm", programme_team, Role.PROGRAMME_MANAGER),
        "administrator": make_user(
            "admin", programme_team, Role.ADMINISTRATOR, is_staff=True, is_superuser=True
        ),
        "no_roles": make_user("nobody", probation_london),
    }
    case = make_participant(
        reference="CASE-1",
        family_name="Zebedee-Marker",
        organisation=probation_london,
        region=london,
        officer=personas["supervising_officer"],
    )
    other_case = make_participant(
        reference="CASE-2",
        family_name="Quillfeather-Marker",
        organisation=probation_nw,
        region=north_west,
        officer=personas["officer_other_area"],
    )
    return World(
        london=london,
        north_west=north_west,
        programme_team=programme_team,
        probation_london=probation_london,
        probation_nw=probation_nw,
        prison=prison,
        police_london=police_london,
        police_nw=police_nw,
        provider=provider,
        personas=personas,
        case=case,
        other_case=other_case,
    )


@dataclass
class SMTPInbox:
    """Messages a real SMTP server on loopback received (aiosmtpd)."""

    messages: list[EmailMessage]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[SMTPInbox]:
    """Start an SMTP server on a free loopback port and point Django's SMTP backend at it
    (pytest-django otherwise swaps in the in-memory backend)."""
    from aiosmtpd.controller import Controller

    inbox = SMTPInbox(messages=[])

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            inbox.messages.append(message_from_bytes(envelope.content, policy=default_policy))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def allocated_world(world: World) -> World:
    """`world` with the practitioner persona allocated to `case` (cleared to work), the other
    provider's practitioner cleared but not allocated, and the records about `case` that the
    pages link to, by URL keyword, in `world.objects`."""
    from desist.providers.tests.factories import make_contract, make_practitioner
    from desist.referrals.tests.factories import make_allocation, make_referral

    personas = world.personas
    mine = make_practitioner(personas["practitioner"], regions=[world.london])
    make_practitioner(personas["other_provider_practitioner"], regions=[world.london])
    make_contract(world.provider, regions=[world.london])
    from django.utils import timezone

    from desist.delivery import services as delivery
    from desist.delivery.models import EndReport
    from desist.referrals.constants import ReferralStatus

    now = timezone.now()
    # An earlier, finished intervention with its end report.
    earlier = make_referral(world.case, personas["supervising_officer"])
    ended = make_allocation(earlier, mine, personas["programme_manager"], ended_at=now)
    earlier.status = ReferralStatus.CLOSED
    earlier.save(update_fields=["status"])
    report = EndReport.objects.create(
        allocation=ended,
        participant=world.case,
        conclusion="completed",
        summary="Completed.",
        submitted_by=personas["practitioner"],
        submitted_at=now,
    )
    referral = make_referral(world.case, personas["supervising_officer"], attendance_mandatory=True)
    allocation = make_allocation(referral, mine, personas["programme_manager"])
    practitioner = personas["practitioner"]
    plan = delivery.plan_propose(
        actor=practitioner,
        allocation=allocation,
        objectives=["Find stable work"],
        intervention_types=["mentoring"],
        planned_sessions=6,
        summary="",
    )
    session = delivery.session_schedule(
        actor=practitioner,
        allocation=allocation,
        scheduled_start=now - dt.timedelta(days=2),
        planned_minutes=60,
        mode="in_person",
        location="Probation office",
        session_type="mentoring",
    )
    delivery.session_record_outcome(
        actor=practitioner,
        session=session,
        outcome="did_not_attend",
        absence="unacceptable",
        absence_reason="No reason given.",
    )
    concern = delivery.concern_raise(
        actor=practitioner,
        participant=world.case,
        category="safeguarding",
        urgent=True,
        description="Described.",
    )
    support = _support_records(world, personas, now)
    from desist.statistics import releases
    from desist.statistics.models import StatisticsRelease

    # A draft statistics release with no tables (building real ones would cost every test here
    # the whole set of statistics queries); its pages and API read it all the same.
    release = StatisticsRelease.objects.create(
        title="Walked release",
        as_at=now.date(),
        tables=[],
        checksum=releases.checksum(now.date(), []),
        created_by=personas["programme_manager"],
        created_at=now,
    )
    world.objects.update(
        **support,
        release_uuid=release.uuid,
        practitioner_uuid=mine.uuid,
        referral_uuid=referral.uuid,
        allocation_uuid=allocation.uuid,
        plan_uuid=plan.uuid,
        session_uuid=session.uuid,
        concern_uuid=concern.uuid,
        record_uuid=session.compliance.uuid,
        report_uuid=report.uuid,
    )
    return world


def _support_records(world: World, personas: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """One of each person-centred support record about `case`, for the route walker."""
    from desist.support import services_assessments
    from desist.support.instruments import pathway_definitions
    from desist.support.models import Instrument
    from desist.support.tests.factories_plan import make_action, make_goal, make_service

    officer = personas["supervising_officer"]
    needs = Instrument.objects.get(key="needs-assessment", active=True)

    def answer(question: dict[str, Any]) -> str:
        if question["type"] == "yes_no":
            return "yes"
        if question["type"] == "choice":
            return str(question["options"][0]["value"])
        return "x"

    assessment = services_assessments.assessment_record(
        actor=officer,
        participant=world.case,
        instrument=needs,
        assessed_on=now.date(),
        summary="",
        pathways=[
            {
                "pathway": code,
                "need_level": "low",
                "answers": {
                    q["key"]: answer(q) for q in pathway.get("questions", []) if q.get("required")
                },
            }
            for code, pathway in pathway_definitions(needs.definition).items()
        ],
    )
    response = services_assessments.measure_response_record(
        actor=officer,
        participant=world.case,
        instrument=Instrument.objects.get(key="ons4", active=True),
        completed_on=now.date(),
        scores={"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": 5},
    )
    from desist.people.services import participant_update
    from desist.support import services_release

    participant_update(
        actor=None,
        participant=world.case,
        data={
            "custody_establishment": "HMP Wandsworth",
            "expected_release_date": now.date() + dt.timedelta(days=28),
        },
    )
    release_plan = services_release.release_plan_create(
        actor=officer,
        participant=world.case,
        expected_release_date=world.case.expected_release_date,
        community_organisation=world.probation_london,
    )
    appointment = services_release.release_appointment_create(
        actor=officer,
        plan=release_plan,
        starts_at=now + dt.timedelta(days=29),
        with_whom="Duty officer",
        place="Probation office",
    )
    # For people of 99 and over only, so no test's participant is offered it.
    service = make_service("walker-service", regions=[world.london], min_age=99)
    goal = make_goal(world.case, officer)
    action = make_action(goal, officer)
    return {
        "assessment_uuid": assessment.uuid,
        "measure_response_uuid": response.uuid,
        "goal_uuid": goal.uuid,
        "action_uuid": action.uuid,
        "service_uuid": service.uuid,
        "release_plan_uuid": release_plan.uuid,
        "appointment_uuid": appointment.uuid,
    }
