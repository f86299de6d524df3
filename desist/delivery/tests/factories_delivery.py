"""The scene most delivery tests need: `world.case` on a licence with mandatory attendance,
referred and allocated to `world.personas["practitioner"]` (cleared), with the first-contact
and first-session deadlines open. Tests freeze time at NOW (Monday 2 March 2026, 09:00 GMT)
before the scene is built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conftest import World
from desist.accounts.models import User
from desist.delivery import services
from desist.delivery.constants import DeadlineKind, SessionMode
from desist.delivery.deadlines import deadline_open
from desist.delivery.models import InterventionPlan, Session
from desist.people.constants import LegalBasisKind
from desist.people.models import LegalBasis
from desist.providers.constants import Specialism
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_practitioner
from desist.referrals.models import Allocation, Referral
from desist.referrals.tests.factories import make_allocation, make_referral

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3, year: int = 2026) -> dt.datetime:
    """A moment in March 2026 by default (GMT until 29 March, so UTC is local time)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


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


def make_scene(
    world: World,
    *,
    mandatory: bool = True,
    kind: str = LegalBasisKind.LICENCE,
) -> Scene:
    case = world.case
    legal_basis = LegalBasis.objects.create(
        participant=case,
        kind=kind,
        start_date=TODAY - dt.timedelta(days=400),
        attendance_mandatory=mandatory,
    )
    practitioner = make_practitioner(world.personas["practitioner"], regions=[world.london])
    other = make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    referral = make_referral(
        case,
        world.personas["supervising_officer"],
        legal_basis=legal_basis,
        attendance_mandatory=mandatory,
    )
    allocation = make_allocation(referral, practitioner, world.personas["programme_manager"])
    for deadline in (DeadlineKind.FIRST_CONTACT, DeadlineKind.FIRST_SESSION):
        deadline_open(
            participant=case,
            kind=deadline,
            starts_on=TODAY,
            referral=referral,
            allocation=allocation,
        )
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
    return services.plan_propose(**(fields | extra))


def approved(scene: Scene, **extra: Any) -> InterventionPlan:
    plan = propose(scene, **extra)
    return services.plan_approve(
        actor=scene.persona("supervising_officer"), plan=plan, note="Agreed."
    )


def book(
    scene: Scene,
    start: dt.datetime,
    minutes: int = 60,
    *,
    allocation: Allocation | None = None,
    actor: User | None = None,
) -> Session:
    return services.session_schedule(
        actor=actor or scene.user,
        allocation=allocation or scene.allocation,
        scheduled_start=start,
        planned_minutes=minutes,
        mode=SessionMode.IN_PERSON,
        location="",
        session_type=Specialism.MENTORING,
    )


def objective_ids(plan: InterventionPlan) -> Sequence[int]:
    return [objective.pk for objective in plan.objectives.order_by("position")]
