"""Small factories for practitioners. Built directly on the models: tests of the services use
the services; these only set the scene."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from desist.accounts.models import Organisation, Region, User
from desist.providers.constants import PractitionerStatus, Specialism, VettingLevel
from desist.providers.models import Contract, Practitioner, TrainingCompletion, TrainingCourse


def make_practitioner(
    user: User,
    *,
    cleared: bool = True,
    regions: Iterable[Region] = (),
    specialisms: Iterable[str] = (Specialism.MENTORING,),
    languages: Iterable[str] = ("en",),
    today: dt.date | None = None,
    **extra: Any,
) -> Practitioner:
    """A practitioner at the user's organisation. `cleared`: approved, vetting valid for two more
    years and every required course completed last month."""
    today = today or timezone.localdate()
    fields: dict[str, Any] = {
        "user": user,
        "organisation": user.organisation,
        "specialisms": list(specialisms),
        "languages": list(languages),
    }
    if cleared:
        fields |= {
            "status": PractitionerStatus.APPROVED,
            "vetting_level": VettingLevel.CTC,
            "vetting_granted_on": today - dt.timedelta(days=365),
            "vetting_expires_on": today + dt.timedelta(days=730),
        }
    fields |= extra
    practitioner = Practitioner.objects.create(**fields)
    practitioner.regions.set(list(regions))
    if cleared:
        for course in TrainingCourse.objects.filter(required=True):
            completed = today - dt.timedelta(days=30)
            TrainingCompletion.objects.create(
                practitioner=practitioner,
                course=course,
                completed_on=completed,
                expires_on=(
                    completed + dt.timedelta(days=30 * course.valid_for_months)
                    if course.valid_for_months
                    else None
                ),
            )
    return practitioner


def make_contract(
    organisation: Organisation,
    *,
    capacity: int = 50,
    regions: Iterable[Region] = (),
    today: dt.date | None = None,
    reference: str | None = None,
) -> Contract:
    today = today or timezone.localdate()
    contract = Contract.objects.create(
        organisation=organisation,
        reference=reference or f"C-{organisation.pk}-{Contract.objects.count() + 1}",
        start_date=today - dt.timedelta(days=365),
        end_date=today + dt.timedelta(days=730),
        capacity=capacity,
    )
    contract.regions.set(list(regions))
    return contract
