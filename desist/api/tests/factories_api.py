"""The scene the delivery API tests share, built with the lead's factories: `world.case` on a
licence with mandatory attendance, referred by its supervising officer and allocated to
`world.personas["practitioner"]` (cleared, London); another provider's practitioner is
cleared too but has no allocation. Tests freeze time at NOW (Monday 2 March 2026, 09:00 GMT)
before building it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import World
from desist.accounts.models import User
from desist.delivery import services as delivery
from desist.delivery.constants import SessionMode
from desist.delivery.models import InterventionPlan, Session
from desist.people.constants import LegalBasisKind
from desist.people.models import LegalBasis
from desist.providers.constants import Specialism
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals.models import Allocation, Referral
from desist.referrals.tests.factories import make_allocation, make_referral

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
PURPOSE = {"X-Access-Purpose": "case_management"}
FULL_RISK = "Full risk summary (restricted)."
PROVIDER_RISK = "Summary written for providers."


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in March 2026 (GMT until 29 March, so UTC is local time)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def api_for(world: World, persona: str) -> APIClient:
    """A signed-in session with TOTP on record, as the pages use; anonymous for "anonymous"."""
    client = APIClient()
    if persona != "anonymous":
        client.force_login(world.personas[persona])
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


def ids(response: Any) -> set[str]:
    return {row["id"] for row in results(response)}


def missing_and_forbidden_match(client: APIClient, method: str, path: str, **kwargs: Any) -> int:
    """Send the request to `path` and to the same path with an unknown uuid; assert the answers
    are identical 404s, and return the status for the caller to check too."""
    first = path.split("/")[4]
    unknown = path.replace(first, str(uuid.uuid4()), 1)
    real = getattr(client, method)(path, format="json", **kwargs)
    fake = getattr(client, method)(unknown, format="json", **kwargs)
    assert real.status_code == fake.status_code == 404, (real.status_code, real.content)
    assert real.content == fake.content
    return int(real.status_code)


def query_counts(client: APIClient, path: str, **params: Any) -> tuple[int, int]:
    """Queries for a page of 1 row and a page of 10 rows of the same list."""
    client.get(path, {"page_size": 1, **params}, headers=PURPOSE)
    with CaptureQueriesContext(connection) as one:
        assert len(results(client.get(path, {"page_size": 1, **params}))) == 1
    with CaptureQueriesContext(connection) as ten:
        assert len(results(client.get(path, {"page_size": 10, **params}))) == 10
    return len(one.captured_queries), len(ten.captured_queries)


@dataclass
class Scene:
    world: World
    practitioner: Practitioner
    other_practitioner: Practitioner
    legal_basis: LegalBasis
    referral: Referral
    allocation: Allocation

    @property
    def user(self) -> User:
        return self.practitioner.user

    def persona(self, name: str) -> User:
        return self.world.personas[name]

    def client(self, persona: str) -> APIClient:
        return api_for(self.world, persona)


def make_scene(world: World, *, mandatory: bool = True) -> Scene:
    legal_basis = LegalBasis.objects.create(
        participant=world.case,
        kind=LegalBasisKind.LICENCE,
        start_date=TODAY - dt.timedelta(days=400),
        attendance_mandatory=mandatory,
    )
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    other = make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    make_contract(world.provider, regions=[world.london])
    make_contract(other.organisation, regions=[world.london])
    referral = make_referral(
        world.case,
        world.personas["supervising_officer"],
        legal_basis=legal_basis,
        attendance_mandatory=mandatory,
        risk_summary=FULL_RISK,
        risk_summary_for_provider=PROVIDER_RISK,
    )
    allocation = make_allocation(referral, practitioner, world.personas["programme_manager"])
    return Scene(
        world=world,
        practitioner=practitioner,
        other_practitioner=other,
        legal_basis=legal_basis,
        referral=referral,
        allocation=allocation,
    )


def propose(scene: Scene, **extra: Any) -> InterventionPlan:
    fields: dict[str, Any] = {
        "actor": scene.user,
        "allocation": scene.allocation,
        "objectives": ["Find stable work", "Rebuild contact with family"],
        "intervention_types": [Specialism.MENTORING],
        "planned_sessions": 2,
        "summary": "Weekly mentoring.",
    }
    return delivery.plan_propose(**(fields | extra))


def approved_plan(scene: Scene) -> InterventionPlan:
    return delivery.plan_approve(
        actor=scene.persona("supervising_officer"), plan=propose(scene), note="Agreed."
    )


def book(scene: Scene, start: dt.datetime, minutes: int = 60) -> Session:
    return delivery.session_schedule(
        actor=scene.user,
        allocation=scene.allocation,
        scheduled_start=start,
        planned_minutes=minutes,
        mode=SessionMode.IN_PERSON,
        location="Provider office",
        session_type=Specialism.MENTORING,
    )
