"""Every route of the delivery API, walked with real records: the policy each route declares
is the one it enforces, sign-in needs MFA as everywhere else, and the OpenAPI schema
generates without warnings."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import PERSONAS, World, make_user
from desist.accounts.constants import CASELOAD_ROLES, Role
from desist.api.tests.factories_api import (
    NOW,
    PURPOSE,
    api_for,
    at,
    book,
    make_scene,
    propose,
)
from desist.audit.models import AuditEvent
from desist.delivery import services
from desist.delivery.models import ComplianceRecord
from desist.notifications.services import notify
from desist.referrals.models import Referral

OUR_BASENAMES = (
    "practitioner",
    "contract",
    "referral",
    "allocation",
    "plan",
    "session",
    "concern",
    "compliance-record",
    "end-report",
    "notification",
    "dashboard",
)


def _api_routes() -> list[tuple[str, tuple[str, ...], Any]]:
    found = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif (
                isinstance(entry, URLPattern)
                and namespace == "v1"
                and (entry.name or "").startswith(OUR_BASENAMES)
            ):
                policy = getattr(entry.callback, "access_policy", None)
                found.append((str(entry.name), tuple(entry.pattern.regex.groupindex), policy))

    walk(get_resolver().url_patterns, "")
    return found


ROUTES = _api_routes()


def _allowed(policy: str, persona: str, world: World) -> bool:
    if persona == "anonymous":
        return False
    roles = world.personas[persona].roles
    if policy == "signed_in":
        return True
    if policy == "participant":
        return bool(set(CASELOAD_ROLES) & roles)
    assert policy.startswith("roles:"), policy
    return bool(set(policy.removeprefix("roles:").split(",")) & roles)


def _writes() -> int:
    return AuditEvent.objects.exclude(action__in=["view", "list"]).count()


@pytest.fixture
def records(world: World, time_machine: Any) -> dict[str, str]:
    """One record of each kind about world.case, by URL keyword."""
    time_machine.move_to(NOW, tick=False)
    scene = make_scene(world)
    session = book(scene, at(1, 10))
    services.session_record_outcome(
        actor=scene.user,
        session=session,
        outcome="did_not_attend",
        absence="unacceptable",
        absence_reason="No answer.",
    )
    concern = services.concern_raise(
        actor=scene.user,
        participant=world.case,
        category="other",
        urgent=False,
        description="A worry.",
    )
    (notification,) = notify(
        recipients=[world.personas["supervising_officer"]],
        kind="referral",
        subject="x",
        body="y",
        email=False,
    )
    return {
        "practitioner_uuid": str(scene.practitioner.uuid),
        "contract_uuid": str(world.provider.contracts.first().uuid),  # type: ignore[union-attr]
        "referral_uuid": str(scene.referral.uuid),
        "allocation_uuid": str(scene.allocation.uuid),
        "plan_uuid": str(propose(scene).uuid),
        "session_uuid": str(session.uuid),
        "concern_uuid": str(concern.uuid),
        "record_uuid": str(ComplianceRecord.objects.get().uuid),
        # The end report would end the allocation; a missing one is still walked.
        "report_uuid": "00000000-0000-4000-8000-000000000000",
        "notification_uuid": str(notification.uuid),
    }


def test_every_route_declares_a_policy_per_method() -> None:
    assert len(ROUTES) > 30
    for name, _, policy in ROUTES:
        assert isinstance(policy, dict) and policy, name
        assert set(policy) <= {"GET", "POST", "PATCH"}, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_route_lets_a_persona_its_policy_does_not_name_in(
    world: World, records: dict[str, str], persona: str
) -> None:
    client = api_for(world, persona)
    failures = []
    for name, kwargs, policy in ROUTES:
        url = reverse(f"v1:{name}", kwargs={key: records[key] for key in kwargs})
        for method, method_policy in policy.items():
            before = _writes()
            response = getattr(client, method.lower())(url, {}, format="json", headers=PURPOSE)
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code}")
            if _allowed(method_policy, persona, world):
                continue
            expected = (401, 403) if persona == "anonymous" else (404,)
            if response.status_code not in expected:
                failures.append(f"{method} {url} ({method_policy}): {response.status_code}")
            if _writes() != before:
                failures.append(f"{method} {url}: {persona} changed data")
            if "Zebedee" in response.content.decode():
                failures.append(f"{method} {url}: showed a name")
        # OPTIONS describes the route: as strict as what the route offers by GET, else POST.
        route_policy = policy.get("GET") or policy["POST"]
        if not _allowed(route_policy, persona, world):
            expected = (401, 403) if persona == "anonymous" else (404,)
            if client.options(url).status_code not in expected:
                failures.append(f"OPTIONS {url} ({route_policy}): let {persona} in")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted({name for name, kwargs, _ in ROUTES if not kwargs}))
def test_a_session_without_mfa_is_refused_everywhere(world: World, name: str) -> None:
    user = make_user("fresh", world.programme_team, Role.PROGRAMME_MANAGER, totp=False)
    client = APIClient()
    client.force_login(user)
    url = reverse(f"v1:{name}")
    before = (_writes(), Referral.objects.count())
    assert client.get(url).status_code in (401, 403)
    assert client.post(url, {}, format="json").status_code in (401, 403)
    assert (_writes(), Referral.objects.count()) == before


def test_service_account_token_reaches_the_delivery_api(world: World) -> None:
    service = make_user(
        "svc", world.probation_london, Role.SUPERVISING_OFFICER, totp=False, is_service_account=True
    )
    token = Token.objects.create(user=service)
    client = APIClient()
    response = client.get("/api/v1/referrals/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_a_persons_token_is_refused(world: World) -> None:
    token = Token.objects.create(user=world.personas["supervising_officer"])
    response = APIClient().get("/api/v1/sessions/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code in (401, 403)


def test_schema_generates_without_warnings(db: Any) -> None:
    out = io.StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=io.StringIO())
    schema = out.getvalue()
    for path in (
        "/api/v1/referrals/{referral_uuid}/ranking/",
        "/api/v1/referrals/allocate-queue/",
        "/api/v1/sessions/{session_uuid}/outcome/",
        "/api/v1/compliance-records/{record_uuid}/decision/",
        "/api/v1/dashboard/",
    ):
        assert path in schema
