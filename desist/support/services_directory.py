"""Writes to the service directory: add a service, change one (including withdrawing it from
the directory). Each is atomic and audited in the same transaction. Services hold no personal
data, so the audit events carry no participant reference.

Only programme managers change the directory. `actor=None` is the command line
(`desist import services`), which is run by whoever operates the installation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from desist.accounts.constants import Role
from desist.accounts.models import Region, User
from desist.audit.constants import Action
from desist.audit.services import audit_change, diff, snapshot
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service

# Fields stored as given (regions are audited as their codes).
SERVICE_FIELDS = (
    "code",
    "name",
    "description",
    "pathways",
    "national",
    "eligible_sex",
    "min_age",
    "max_age",
    "phone",
    "email",
    "website",
    "address",
    "opening_hours",
    "active",
)
OLDEST_AGE = 120
_CODE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_PHONE = re.compile(r"^[0-9 +()-]+$")


def _max_length(name: str) -> int:
    length = getattr(Service._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"Service.{name} has no max_length")
    return length


# Rules: each returns the message for a bad value, or None -----------------------------------


def code_error(code: str) -> str | None:
    if not code:
        return "Enter a code for the service"
    if len(code) > _max_length("code"):
        return f"The code must be {_max_length('code')} characters or fewer"
    if not _CODE.match(code):
        return (
            "The code can only hold lower-case letters, numbers, hyphens and underscores, "
            "for example nacro-housing-london"
        )
    return None


def pathways_error(pathways: Sequence[str]) -> str | None:
    if not pathways:
        return "Choose at least one pathway the service helps with"
    unknown = [code for code in pathways if code not in Pathway.values]
    if unknown:
        return f'"{unknown[0]}" is not a pathway; use one of: {", ".join(Pathway.values)}'
    return None


def area_error(*, national: bool, region_count: int) -> str | None:
    if national and region_count:
        return "A national service is available in every region: leave the regions empty"
    if not national and not region_count:
        return "Choose the regions the service covers, or say that it is national"
    return None


def age_errors(min_age: int | None, max_age: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= OLDEST_AGE:
            errors[name] = f"The age must be a whole number from 0 to {OLDEST_AGE}"
    if not errors and min_age is not None and max_age is not None and max_age < min_age:
        errors["max_age"] = "The maximum age must be the same as or more than the minimum age"
    return errors


def contact_errors(*, phone: str, email: str, website: str, address: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (phone or email or website or address):
        errors["phone"] = (
            "Give at least one way to contact the service: phone, email, website or address"
        )
    if phone and (
        not _PHONE.match(phone)
        or not any(c.isdigit() for c in phone)
        or len(phone) > _max_length("phone")
    ):
        errors["phone"] = "Enter a phone number using numbers, spaces, brackets, + and -"
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = "Enter an email address like name@example.org"
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            errors["website"] = "Enter a website address starting https://"
        else:
            if len(website) > _max_length("website"):
                errors["website"] = (
                    f"The website must be {_max_length('website')} characters or fewer"
                )
    return errors


def check_service_details(
    *,
    code: str,
    name: str,
    pathways: Sequence[str],
    national: bool,
    region_count: int,
    eligible_sex: str,
    min_age: int | None,
    max_age: int | None,
    phone: str,
    email: str,
    website: str,
    address: str,
    opening_hours: str,
) -> None:
    """Every problem with a service's details, by field, in one ValidationError."""
    errors: dict[str, str] = {}
    if message := code_error(code):
        errors["code"] = message
    if not name:
        errors["name"] = "Enter the name of the service"
    elif len(name) > _max_length("name"):
        errors["name"] = f"The name must be {_max_length('name')} characters or fewer"
    if message := pathways_error(pathways):
        errors["pathways"] = message
    if message := area_error(national=national, region_count=region_count):
        errors["regions"] = message
    if eligible_sex not in EligibleSex.values:
        errors["eligible_sex"] = f"Say who the service is for: {', '.join(EligibleSex.values)}"
    errors |= age_errors(min_age, max_age)
    errors |= contact_errors(phone=phone, email=email, website=website, address=address)
    if len(opening_hours) > _max_length("opening_hours"):
        errors["opening_hours"] = (
            f"The opening hours must be {_max_length('opening_hours')} characters or fewer"
        )
    if errors:
        raise ValidationError(errors)


# Services -----------------------------------------------------------------------------------


def _require_programme_manager(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.PROGRAMME_MANAGER):
        raise PermissionDenied("Only programme managers can change the service directory.")


def _ordered_pathways(pathways: Iterable[str]) -> list[str]:
    """Each pathway once, in the order the pathways are listed everywhere else."""
    wanted = set(pathways)
    return [code for code in Pathway.values if code in wanted] + sorted(
        wanted - set(Pathway.values)
    )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Text trimmed, the code lower-cased, pathways in their usual order."""
    cleaned = dict(values)
    for name in ("code", "name", "description", "phone", "email", "website", "address"):
        cleaned[name] = str(cleaned[name] or "").strip()
    cleaned["opening_hours"] = str(cleaned["opening_hours"] or "").strip()
    cleaned["code"] = cleaned["code"].lower()
    cleaned["pathways"] = _ordered_pathways(cleaned["pathways"])
    return cleaned


def _check(values: dict[str, Any], regions: Sequence[Region], *, service: Service | None) -> None:
    check_service_details(
        code=values["code"],
        name=values["name"],
        pathways=values["pathways"],
        national=values["national"],
        region_count=len(regions),
        eligible_sex=values["eligible_sex"],
        min_age=values["min_age"],
        max_age=values["max_age"],
        phone=values["phone"],
        email=values["email"],
        website=values["website"],
        address=values["address"],
        opening_hours=values["opening_hours"],
    )
    taken = Service.objects.filter(code=values["code"])
    if service is not None:
        taken = taken.exclude(pk=service.pk)
    if taken.exists():
        raise ValidationError(
            {"code": f'Another service already has the code "{values["code"]}"; choose another'}
        )


def _region_codes(regions: Iterable[Region]) -> list[str]:
    return sorted(region.code for region in regions)


@transaction.atomic
def service_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    pathways: Sequence[str],
    regions: Sequence[Region] = (),
    national: bool = False,
    eligible_sex: str = EligibleSex.ANY,
    min_age: int | None = None,
    max_age: int | None = None,
    description: str = "",
    phone: str = "",
    email: str = "",
    website: str = "",
    address: str = "",
    opening_hours: str = "",
) -> Service:
    """Add a service to the directory."""
    _require_programme_manager(actor)
    values = _clean(
        {
            "code": code,
            "name": name,
            "description": description,
            "pathways": pathways,
            "national": national,
            "eligible_sex": eligible_sex,
            "min_age": min_age,
            "max_age": max_age,
            "phone": phone,
            "email": email,
            "website": website,
            "address": address,
            "opening_hours": opening_hours,
        }
    )
    region_list = list(dict.fromkeys(regions))
    _check(values, region_list, service=None)
    service = Service.objects.create(**values, active=True)
    service.regions.set(region_list)
    changes: dict[str, list[Any]] = {
        field: [None, value] for field, value in snapshot(service, SERVICE_FIELDS).items()
    }
    changes["regions"] = [None, _region_codes(region_list)]
    audit_change(actor=actor, obj=service, action=Action.CREATE, changes=changes)
    return service


@transaction.atomic
def service_update(
    *,
    actor: User | None,
    service: Service,
    code: str,
    name: str,
    pathways: Sequence[str],
    regions: Sequence[Region],
    national: bool,
    eligible_sex: str,
    min_age: int | None,
    max_age: int | None,
    description: str,
    phone: str,
    email: str,
    website: str,
    address: str,
    opening_hours: str,
    active: bool,
) -> dict[str, list[Any]]:
    """Change a service's details; `active=False` withdraws it from the directory (plan actions
    that point to it keep the link). Returns {field: [old, new]} for what changed."""
    _require_programme_manager(actor)
    list(Service.objects.filter(pk=service.pk).select_for_update().values_list("pk"))
    values = _clean(
        {
            "code": code,
            "name": name,
            "description": description,
            "pathways": pathways,
            "national": national,
            "eligible_sex": eligible_sex,
            "min_age": min_age,
            "max_age": max_age,
            "phone": phone,
            "email": email,
            "website": website,
            "address": address,
            "opening_hours": opening_hours,
        }
    )
    region_list = list(dict.fromkeys(regions))
    _check(values, region_list, service=service)
    before = snapshot(service, SERVICE_FIELDS)
    old_regions = _region_codes(service.regions.all())
    for field, value in values.items():
        setattr(service, field, value)
    service.active = active
    changes = diff(before, snapshot(service, SERVICE_FIELDS))
    new_regions = _region_codes(region_list)
    if new_regions != old_regions:
        service.regions.set(region_list)
        changes["regions"] = [old_regions, new_regions]
    if changes:
        fields = [name for name in changes if name != "regions"]
        service.save(update_fields=[*fields, "updated_at"])
        audit_change(actor=actor, obj=service, action=Action.UPDATE, changes=changes)
    return changes
