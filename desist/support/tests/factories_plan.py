"""Small factories for the development plan and the service directory, built on the models
directly: tests of the services use the services; these only set the scene. Tests freeze time
at NOW (Monday 2 March 2026, 09:00 GMT) before building anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.test import Client
from django.utils import timezone

from conftest import World
from desist.accounts.models import Region, User
from desist.people.models import Participant
from desist.referrals.models import Allocation
from desist.support.constants import EligibleSex, GoalStatus, Owner, Pathway
from desist.support.models import Goal, GoalAction, Service

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
PURPOSE = {"X-Access-Purpose": "case_management"}


def make_service(
    code: str = "housing-advice",
    *,
    name: str | None = None,
    pathways: Iterable[str] = (Pathway.ACCOMMODATION,),
    regions: Iterable[Region] = (),
    national: bool = False,
    eligible_sex: str = EligibleSex.ANY,
    min_age: int | None = None,
    max_age: int | None = None,
    active: bool = True,
    **extra: Any,
) -> Service:
    region_list = list(regions)
    service = Service.objects.create(
        code=code,
        name=name or code.replace("-", " ").title(),
        pathways=list(pathways),
        national=national or not region_list,
        eligible_sex=eligible_sex,
        min_age=min_age,
        max_age=max_age,
        active=active,
        phone=extra.pop("phone", "020 7946 0000"),
        **extra,
    )
    service.regions.set(region_list)
    return service


def make_goal(
    participant: Participant,
    by: User,
    *,
    pathway: str = Pathway.ACCOMMODATION,
    description: str = "Find a settled place to live",
    status: str = GoalStatus.IN_PROGRESS,
    **extra: Any,
) -> Goal:
    now = timezone.now()
    if status == GoalStatus.ACHIEVED:
        extra.setdefault("achieved_on", timezone.localdate())
    return Goal.objects.create(
        participant=participant,
        pathway=pathway,
        description=description,
        status=status,
        created_by=by,
        created_at=now,
        updated_at=now,
        **extra,
    )


def make_action(
    goal: Goal,
    by: User,
    *,
    description: str = "Go to the housing options appointment",
    owner: str = Owner.PARTICIPANT,
    **extra: Any,
) -> GoalAction:
    now = timezone.now()
    return GoalAction.objects.create(
        goal=goal,
        description=description,
        owner=owner,
        created_by=by,
        created_at=now,
        updated_at=now,
        **extra,
    )


def allocate(world: World) -> Allocation:
    """The practitioner persona allocated to world.case (cleared to work, London); the other
    provider's practitioner cleared too but not allocated."""
    from desist.providers.tests.factories import make_practitioner
    from desist.referrals.tests.factories import make_allocation, make_referral

    mine = make_practitioner(world.personas["practitioner"], regions=[world.london])
    make_practitioner(world.personas["other_provider_practitioner"], regions=[world.london])
    referral = make_referral(world.case, world.personas["supervising_officer"])
    return make_allocation(referral, mine, world.personas["programme_manager"])


def client_for(world: World, persona: str, *participants: Participant) -> Client:
    """Signed in, with a purpose already given for these participants (world.case when none
    is named), as the purpose page would have recorded it."""
    client = world.client_for(persona)
    if persona != "anonymous":
        session = client.session
        session["access_purposes"] = {
            str(p.uuid): "case_management" for p in (participants or (world.case,))
        }
        session.save()
    return client
