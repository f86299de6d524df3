"""Small factories for release planning tests. Tests freeze time at NOW (Monday 2 March 2026,
09:00 GMT) before building anything; release dates are counted from TODAY."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from conftest import World, make_participant
from desist.accounts.models import Region, User
from desist.people.models import Participant
from desist.people.services import participant_update
from desist.support import services_release as services
from desist.support.constants import InstrumentKind, NeedLevel
from desist.support.models import (
    Assessment,
    Instrument,
    PathwayAssessment,
    ReleasePlan,
    Service,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
PURPOSE = {"X-Access-Purpose": "case_management"}


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in UK time on that day."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def put_in_custody(
    participant: Participant, release_date: dt.date | None, establishment: str = "HMP Wandsworth"
) -> Participant:
    participant_update(
        actor=None,
        participant=participant,
        data={"custody_establishment": establishment, "expected_release_date": release_date},
    )
    return participant


def fresh_custody(participant: Participant, release_date: dt.date | None) -> Participant:
    """In custody with no release plan yet. The shared `allocated_world` may give world.case a
    plan (so the route walker reaches real release records); tests that build their own start
    from none."""
    ReleasePlan.objects.filter(participant=participant).delete()
    return put_in_custody(participant, release_date)


def make_custody_case(
    world: World,
    *,
    reference: str,
    release_date: dt.date | None,
    family_name: str = "Custody-Case",
    region: Region | None = None,
    prison_supervises: bool = True,
    **extra: Any,
) -> Participant:
    """Someone in custody in London, supervised by the prison (its offender manager) or, with
    `prison_supervises=False`, by Probation London."""
    if prison_supervises:
        organisation, officer = world.prison, world.personas["prison_offender_manager"]
    else:
        organisation, officer = world.probation_london, world.personas["supervising_officer"]
    extra.setdefault("custody_establishment", "HMP Wandsworth")
    return make_participant(
        reference=reference,
        family_name=family_name,
        organisation=organisation,
        region=region or world.london,
        officer=officer,
        strand="custody",
        expected_release_date=release_date,
        **extra,
    )


def make_plan(participant: Participant, actor: User, **fields: Any) -> ReleasePlan:
    fields.setdefault("expected_release_date", participant.expected_release_date)
    return services.release_plan_create(actor=actor, participant=participant, **fields)


def set_first_name(user: User, first_name: str) -> User:
    User.objects.filter(pk=user.pk).update(first_name=first_name)
    user.first_name = first_name
    return user


def make_instrument() -> Instrument:
    instrument, _ = Instrument.objects.get_or_create(
        key="release-test-needs",
        version=1,
        defaults={
            "kind": InstrumentKind.NEEDS_ASSESSMENT,
            "title": "Needs (test)",
            "definition": {},
            "sha256": "0" * 64,
            "loaded_at": timezone.now(),
        },
    )
    return instrument


def make_assessment(
    participant: Participant,
    recorded_by: User,
    needs: dict[str, str],
    *,
    assessed_on: dt.date = TODAY,
    notes: str = "",
) -> Assessment:
    """An assessment with one entry per pathway in `needs` ({pathway: need level})."""
    assessment = Assessment.objects.create(
        participant=participant,
        instrument=make_instrument(),
        assessed_on=assessed_on,
        recorded_by=recorded_by,
        recorded_at=timezone.now(),
    )
    for pathway, level in needs.items():
        NeedLevel(level)
        PathwayAssessment.objects.create(
            assessment=assessment, pathway=pathway, need_level=level, notes=notes
        )
    return assessment


def make_service(
    code: str,
    *,
    pathways: list[str],
    regions: list[Region] = (),  # type: ignore[assignment]
    national: bool = False,
    **extra: Any,
) -> Service:
    service = Service.objects.create(
        code=code,
        name=extra.pop("name", code.replace("-", " ").title()),
        pathways=pathways,
        national=national,
        **extra,
    )
    service.regions.set(list(regions))
    return service
