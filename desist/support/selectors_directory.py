"""Reads for the service directory. Services hold no personal data: any member of staff with a
caseload role may read the directory. Eligibility is worked out here, once, so the directory
search, the plan's action form and the exit passport agree on who a service is for.

A service is for a participant when it is active, available where they live (their region, or
nationally), open to their sex (a service for women or men only needs the participant's sex to
be recorded as that sex) and to their age (between the minimum and maximum, both included).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from desist.people.constants import Sex
from desist.people.models import Participant
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (someone born on 29 February turns a year older on
    1 March in years that have no 29 February)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def _pathway_q(pathway: str) -> Q:
    # `pathways` holds a JSON list of codes. JSON containment is not available on SQLite, so
    # match the quoted code in the JSON text: codes are slugs, so '"finance"' matches only the
    # element "finance", and this works the same on SQLite and PostgreSQL.
    return Q(pathways_text__contains=f'"{pathway}"')


def _region_q(region_id: int) -> Q:
    # A subquery rather than a join, so a service in several regions is never repeated.
    in_region = Service.regions.through.objects.filter(region_id=region_id).values("service_id")
    return Q(national=True) | Q(pk__in=in_region)


def _sex_q(sex: str | None) -> Q:
    if sex in (EligibleSex.FEMALE, EligibleSex.MALE):
        return Q(eligible_sex__in=[EligibleSex.ANY, sex])
    return Q(eligible_sex=EligibleSex.ANY)


def _age_q(age: int | None) -> Q:
    if age is None:
        return Q(min_age__isnull=True, max_age__isnull=True)
    return (Q(min_age__isnull=True) | Q(min_age__lte=age)) & (
        Q(max_age__isnull=True) | Q(max_age__gte=age)
    )


def _services() -> QuerySet[Service]:
    return (
        Service.objects.annotate(pathways_text=Cast("pathways", TextField()))
        .prefetch_related("regions")
        .order_by("name", "id")
    )


@dataclass(frozen=True)
class DirectoryFilter:
    """What the directory is searched for; None (or blank) means any."""

    pathway: str | None = None
    region_id: int | None = None
    sex: str | None = None  # "female" or "male": services open to them
    age: int | None = None  # services open to someone of this age
    text: str = ""  # words in the name or description
    include_inactive: bool = False


def directory_search(criteria: DirectoryFilter) -> QuerySet[Service]:
    """Services matching every given criterion, by name. Withdrawn (inactive) services only
    when asked for."""
    rows = _services()
    if not criteria.include_inactive:
        rows = rows.filter(active=True)
    if criteria.pathway:
        rows = rows.filter(_pathway_q(criteria.pathway))
    if criteria.region_id is not None:
        rows = rows.filter(_region_q(criteria.region_id))
    if criteria.sex:
        rows = rows.filter(_sex_q(criteria.sex))
    if criteria.age is not None:
        rows = rows.filter(_age_q(criteria.age))
    for word in criteria.text.split():
        rows = rows.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return rows


def services_for_participant(
    participant: Participant,
    pathway: str | None = None,
    *,
    today: dt.date | None = None,
    region_id: int | None = None,
) -> QuerySet[Service]:
    """Active services this participant is eligible for (their region or national, their sex,
    their age today), optionally on one pathway. `region_id` looks in another region instead
    (e.g. the one they will be released to). The caller has already passed the gate."""
    day = today or timezone.localdate()
    sex = participant.sex if participant.sex != Sex.NOT_KNOWN else None
    rows = (
        _services()
        .filter(active=True)
        .filter(_region_q(participant.region_id if region_id is None else region_id))
        .filter(_sex_q(sex))
        .filter(_age_q(age_on(participant.date_of_birth, day)))
    )
    if pathway:
        rows = rows.filter(_pathway_q(pathway))
    return rows


def service_is_for(
    participant: Participant, service: Service, *, today: dt.date | None = None
) -> bool:
    """Whether one service is open to the participant (active, area, sex, age)."""
    return services_for_participant(participant, today=today).filter(pk=service.pk).exists()


def get_service(service_uuid: object, *, include_inactive: bool = True) -> Service | None:
    """One service by its uuid, with its regions; None for a uuid that names none."""
    try:
        key = uuid.UUID(str(service_uuid))
    except ValueError:
        return None
    rows = _services() if include_inactive else _services().filter(active=True)
    return rows.filter(uuid=key).first()


def pathway_labels(codes: list[str]) -> str:
    """Pathway codes in words, in the order stored: "Accommodation, Finance, benefits and debt"."""
    labels = []
    for code in codes:
        try:
            labels.append(str(Pathway(code).label))
        except ValueError:
            labels.append(code)
    return ", ".join(labels)


@dataclass(frozen=True)
class ServiceCard:
    """A service as the pages show it."""

    service: Service
    pathways: str


def service_card(service: Service) -> ServiceCard:
    return ServiceCard(service=service, pathways=pathway_labels(list(service.pathways)))
