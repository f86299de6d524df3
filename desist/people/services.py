"""Writes to participant records. Each is atomic and audits itself in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from desist.accounts.models import Organisation, User
from desist.audit.constants import Action
from desist.audit.services import audit_change, audit_record, diff, snapshot
from desist.people.constants import Status
from desist.people.models import Alias, LegalBasis, Participant, StatusChange

# Fields a create/edit form or import may set directly.
EDITABLE_FIELDS = (
    "reference",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "gender_identity",
    "pnc_number",
    "prison_number",
    "probation_crn",
    "phone",
    "email",
    "address",
    "region",
    "strand",
    "referral_date",
    "supervising_organisation",
    "supervising_officer",
    "mappa_category",
    "mappa_level",
    "custody_establishment",
    "expected_release_date",
)


@transaction.atomic
def participant_create(
    *,
    actor: User | None,
    data: Mapping[str, Any],
    agencies: Iterable[Organisation] = (),
    status: str = Status.REFERRED,
    status_date: dt.date | None = None,
) -> Participant:
    """Create a participant with its first status-history row and a create audit event."""
    Status(status)
    participant = Participant(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    participant.status = status
    participant.full_clean(exclude=["supervising_officer"])
    participant.save()
    agency_list = list(agencies)
    if agency_list:
        participant.agencies.set(agency_list)
    StatusChange.objects.create(
        participant=participant,
        status=participant.status,
        effective_date=status_date or participant.referral_date or timezone.localdate(),
        reason="Record created",
        recorded_by=actor,
    )
    after = snapshot(participant, (*EDITABLE_FIELDS, "status"))
    after["agencies"] = sorted(a.pk for a in agency_list)
    audit_change(
        actor=actor,
        obj=participant,
        action=Action.CREATE,
        changes={name: [None, value] for name, value in after.items()},
        participant_ref=str(participant.uuid),
    )
    return participant


@transaction.atomic
def participant_update(
    *,
    actor: User | None,
    participant: Participant,
    data: Mapping[str, Any],
    agencies: Iterable[Organisation] | None = None,
) -> dict[str, list[Any]]:
    """Apply changes; returns {field: [old, new]} for what changed (empty if nothing did)."""
    fields = [name for name in data if name in EDITABLE_FIELDS]
    before = snapshot(participant, fields)
    for name in fields:
        setattr(participant, name, data[name])
    participant.full_clean(exclude=["supervising_officer"])
    changes = diff(before, snapshot(participant, fields))
    if agencies is not None:
        old = sorted(participant.agencies.values_list("pk", flat=True))
        new = sorted(a.pk for a in agencies)
        if old != new:
            participant.agencies.set(list(agencies))
            changes["agencies"] = [old, new]
    if changes:
        participant.save(update_fields=[*(c for c in changes if c != "agencies"), "updated_at"])
        audit_change(
            actor=actor,
            obj=participant,
            action=Action.UPDATE,
            changes=changes,
            participant_ref=str(participant.uuid),
        )
    return changes


@transaction.atomic
def participant_change_status(
    *,
    actor: User | None,
    participant: Participant,
    status: str,
    effective_date: dt.date,
    reason: str = "",
) -> StatusChange:
    Status(status)
    old = participant.status
    change = StatusChange.objects.create(
        participant=participant,
        status=status,
        effective_date=effective_date,
        reason=reason,
        recorded_by=actor,
    )
    participant.status = status
    participant.save(update_fields=["status", "updated_at"])
    audit_change(
        actor=actor,
        obj=participant,
        action=Action.UPDATE,
        changes={
            "status": [old, status],
            "status_effective_date": [None, effective_date.isoformat()],
            "status_reason": [None, reason],
        },
        participant_ref=str(participant.uuid),
    )
    return change


@transaction.atomic
def legal_basis_add(
    *, actor: User | None, participant: Participant, data: Mapping[str, Any]
) -> LegalBasis:
    basis = LegalBasis(participant=participant, **data)
    basis.full_clean()
    basis.save()
    audit_change(
        actor=actor,
        obj=basis,
        action=Action.CREATE,
        changes={
            k: [None, v]
            for k, v in snapshot(
                basis, ("kind", "start_date", "end_date", "attendance_mandatory", "notes")
            ).items()
        },
        participant_ref=str(participant.uuid),
    )
    return basis


@transaction.atomic
def alias_add(
    *, actor: User | None, participant: Participant, given_name: str, family_name: str
) -> Alias:
    alias = Alias(participant=participant, given_name=given_name, family_name=family_name)
    alias.full_clean()
    alias.save()
    audit_change(
        actor=actor,
        obj=alias,
        action=Action.CREATE,
        changes={"given_name": [None, given_name], "family_name": [None, family_name]},
        participant_ref=str(participant.uuid),
    )
    return alias


def participant_record_view(*, actor: User, participant: Participant, purpose: str) -> None:
    """Record that this user viewed this participant's record, and why."""
    audit_record(
        actor=actor,
        action=Action.VIEW,
        entity=Participant._meta.label_lower,
        entity_id=str(participant.pk),
        participant_ref=str(participant.uuid),
        purpose=purpose,
    )


def participants_record_list_view(
    *, actor: User, participants: Iterable[Participant], context: str
) -> None:
    """A list page or API page shows names: record which records were shown, in one event."""
    refs = [str(p.uuid) for p in participants]
    if not refs:
        return
    audit_record(
        actor=actor,
        action=Action.LIST,
        entity=Participant._meta.label_lower,
        entity_id="",
        changes={"shown": refs},
        purpose=context,
    )
