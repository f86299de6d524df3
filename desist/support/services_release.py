"""Writes for release planning: the release plan and its pre-release checklist, appointments
after release and key contacts for the exit passport, and the handover to the community
supervising officer. Each is atomic and audits itself in the same transaction.

The release date is the participant's own `expected_release_date` (one source): the plan's
services change it through `desist.people.services.participant_update`, which audits it.

Who may do what: the supervising organisation and the programme team write
(`RELEASE_WRITERS`); everyone else the gate shows the participant to may read, and gets
`PermissionDenied` here; someone the gate would not show the participant to gets the gate's
`ParticipantNotFound`, so the answer never says whether the record exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from desist.accounts.access import (
    RELEASE_WRITERS,
    ParticipantNotFound,
    participants_for,
    relationships_to,
)
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.audit.constants import Action
from desist.audit.services import audit_change, audit_record, diff, snapshot
from desist.notifications.constants import NotificationKind
from desist.notifications.recipients import supervising_officers_for
from desist.notifications.services import notify
from desist.people.models import Participant
from desist.people.services import participant_update
from desist.support.constants import ChecklistItem, ChecklistStatus, Owner
from desist.support.models import (
    Appointment,
    PassportContact,
    ReleaseChecklistEntry,
    ReleasePlan,
    Service,
)

PLAN_FIELDS = (
    "participant",
    "release_address_area",
    "release_region",
    "community_organisation",
    "community_officer",
    "conditions_plain",
)
# What release_plan_update may change; the release date is the participant's own field.
PLAN_EDITABLE = (
    "release_address_area",
    "release_region",
    "community_organisation",
    "community_officer",
    "conditions_plain",
)
RELEASE_DATE = "expected_release_date"
CHECKLIST_FIELDS = ("owner", "status", "due_on", "note")
APPOINTMENT_FIELDS = ("plan", "starts_at", "with_whom", "place", "purpose", "service")
CONTACT_FIELDS = ("plan", "name", "role", "phone", "email", "address")

MAX_CONDITIONS = 30
MAX_CONDITION_LENGTH = 300
MAX_NOTE_LENGTH = 300

# The kind used for the handover notification. There is no release kind yet; a case newly
# supervised by the officer's organisation is the closest existing one.
HANDOVER_KIND = NotificationKind.RELEASE_HANDOVER


# Rules (pure) ------------------------------------------------------------------------------


def condition_lines(text: str) -> list[str]:
    """Conditions in plain words, one a line, without blank lines."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def conditions_error(text: str) -> str | None:
    lines = condition_lines(text)
    if len(lines) > MAX_CONDITIONS:
        return f"Write at most {MAX_CONDITIONS} conditions, one a line"
    if any(len(line) > MAX_CONDITION_LENGTH for line in lines):
        return (
            f"Each condition must be {MAX_CONDITION_LENGTH} characters or fewer: "
            "split a long one into shorter lines"
        )
    return None


def release_date_error(new: dt.date | None, old: dt.date | None, today: dt.date) -> str | None:
    """A release date being set or changed must not be in the past (an old one may stay)."""
    if new is None or new == old:
        return None
    if new < today:
        return "The expected release date must be today or in the future"
    return None


def community_errors(organisation: Organisation | None, officer: User | None) -> dict[str, str]:
    """The community side must be a probation service, and the officer a supervising officer
    who works there."""
    errors: dict[str, str] = {}
    if organisation is not None and organisation.kind != OrganisationKind.PROBATION:
        errors["community_organisation"] = "Choose a probation service"
    if officer is None:
        return errors
    if organisation is None:
        errors["community_organisation"] = "Choose the probation service the officer works for"
    elif officer.organisation_id != organisation.pk:
        errors["community_officer"] = "The community officer must work for that probation service"
    elif not officer.is_active or not officer.has_role(Role.SUPERVISING_OFFICER):
        errors["community_officer"] = "Choose an active supervising officer"
    return errors


def appointment_errors(
    *,
    starts_at: dt.datetime | None,
    with_whom: str,
    place: str,
    release_date: dt.date | None,
    now: dt.datetime,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if starts_at is None:
        errors["starts_at"] = "Enter the date and time of the appointment"
    elif release_date is not None and timezone.localdate(starts_at) < release_date:
        errors["starts_at"] = "The appointment must be on or after the release date"
    elif release_date is None and starts_at < now:
        errors["starts_at"] = "The appointment must be in the future"
    if not with_whom.strip():
        errors["with_whom"] = "Enter who the appointment is with"
    if not place.strip():
        errors["place"] = "Enter where the appointment is"
    return errors


def checklist_errors(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    status = data.get("status", "")
    owner = data.get("owner", "")
    if status not in ChecklistStatus.values:
        errors["status"] = "Choose a status from the list"
    if owner and owner not in Owner.values:
        errors["owner"] = "Choose who owns this item from the list"
    elif status == ChecklistStatus.IN_PROGRESS and not owner:
        errors["owner"] = "Say who is working on this item"
    if len(data.get("note", "")) > MAX_NOTE_LENGTH:
        errors["note"] = f"The note must be {MAX_NOTE_LENGTH} characters or fewer"
    return errors


def contact_errors(*, name: str, role: str, phone: str, email: str, address: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the contact's name"
    if not role.strip():
        errors["role"] = "Say what they help with"
    if not (phone.strip() or email.strip() or address.strip()):
        errors["phone"] = "Give a phone number, e-mail address or address for the contact"
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError:
            errors["email"] = "Enter an e-mail address in the right format, like name@example.org"
    return errors


# Helpers -----------------------------------------------------------------------------------


def _ref(participant: Participant) -> str:
    return str(participant.uuid)


def _refuse(actor: User, participant: Participant) -> NoReturn:
    if not participants_for(actor).filter(pk=participant.pk).exists():
        raise ParticipantNotFound()
    raise PermissionDenied(
        "Only the supervising organisation or the programme team can change release planning."
    )


def _require_writer(actor: User, participant: Participant) -> None:
    if not relationships_to(actor, participant) & RELEASE_WRITERS:
        _refuse(actor, participant)


def _lock(participant: Participant) -> None:
    """Serialise writers of one participant's release planning until the transaction ends."""
    list(Participant.objects.filter(pk=participant.pk).select_for_update().values_list("pk"))


def _created(obj: Any, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: [None, value] for name, value in snapshot(obj, fields).items()}


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _set_release_date(actor: User, participant: Participant, release_date: dt.date | None) -> None:
    if participant.expected_release_date != release_date:
        participant_update(actor=actor, participant=participant, data={RELEASE_DATE: release_date})


def _raise(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationError(dict(errors))


# The plan ----------------------------------------------------------------------------------


@transaction.atomic
def release_plan_create(
    *,
    actor: User,
    participant: Participant,
    expected_release_date: dt.date | None,
    release_address_area: str = "",
    release_region: Region | None = None,
    community_organisation: Organisation | None = None,
    community_officer: User | None = None,
    conditions_plain: str = "",
) -> ReleasePlan:
    """Start release planning for someone in custody: the plan, with its checklist holding
    one entry for every pre-release item (not started). Sets the participant's expected
    release date."""
    _require_writer(actor, participant)
    _lock(participant)
    participant.refresh_from_db()
    now = timezone.now()
    errors: dict[str, str] = {}
    if not participant.custody_establishment:
        errors["participant"] = (
            "Release plans are for people in custody. Record the custody establishment on "
            "the participant's record first."
        )
    if ReleasePlan.objects.filter(participant=participant).exists():
        errors["participant"] = "This participant already has a release plan."
    error = release_date_error(
        expected_release_date, participant.expected_release_date, timezone.localdate(now)
    )
    if error:
        errors[RELEASE_DATE] = error
    if error := conditions_error(conditions_plain):
        errors["conditions_plain"] = error
    errors |= community_errors(community_organisation, community_officer)
    _raise(errors)
    _set_release_date(actor, participant, expected_release_date)
    plan = ReleasePlan.objects.create(
        participant=participant,
        release_address_area=release_address_area.strip(),
        release_region=release_region,
        community_organisation=community_organisation,
        community_officer=community_officer,
        conditions_plain="\n".join(condition_lines(conditions_plain)),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    ReleaseChecklistEntry.objects.bulk_create(
        ReleaseChecklistEntry(plan=plan, item=item, updated_at=now) for item in ChecklistItem
    )
    changes = _created(plan, PLAN_FIELDS)
    changes["checklist"] = [None, list(ChecklistItem.values)]
    audit_change(
        actor=actor,
        obj=plan,
        action=Action.CREATE,
        changes=changes,
        participant_ref=_ref(participant),
    )
    return plan


@transaction.atomic
def release_plan_update(
    *, actor: User, plan: ReleasePlan, data: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """Change what the plan holds (and the participant's expected release date when
    `expected_release_date` is given). Returns {field: [old, new]} for what changed."""
    participant = plan.participant
    _require_writer(actor, participant)
    _lock(participant)
    participant.refresh_from_db()
    plan.refresh_from_db()
    fields = [name for name in data if name in PLAN_EDITABLE]
    merged = {name: data[name] if name in data else getattr(plan, name) for name in PLAN_EDITABLE}
    errors: dict[str, str] = {}
    if RELEASE_DATE in data:
        error = release_date_error(
            data[RELEASE_DATE], participant.expected_release_date, timezone.localdate()
        )
        if error:
            errors[RELEASE_DATE] = error
    if "conditions_plain" in data and (error := conditions_error(data["conditions_plain"])):
        errors["conditions_plain"] = error
    if "community_organisation" in data or "community_officer" in data:
        errors |= community_errors(merged["community_organisation"], merged["community_officer"])
    if plan.handed_over_at is not None:
        for name in ("community_organisation", "community_officer"):
            if name in data and data[name] != getattr(plan, name):
                errors[name] = (
                    "The plan has been handed over. Change the supervising officer on the "
                    "participant's record instead."
                )
    _raise(errors)
    changes: dict[str, list[Any]] = {}
    if RELEASE_DATE in data:
        before = participant.expected_release_date
        _set_release_date(actor, participant, data[RELEASE_DATE])
        if before != participant.expected_release_date:
            changes[RELEASE_DATE] = [
                before.isoformat() if before else None,
                data[RELEASE_DATE].isoformat() if data[RELEASE_DATE] else None,
            ]
    before_plan = snapshot(plan, fields)
    for name in fields:
        value = data[name]
        if name == "release_address_area":
            value = value.strip()
        elif name == "conditions_plain":
            value = "\n".join(condition_lines(value))
        setattr(plan, name, value)
    plan_changes = diff(before_plan, snapshot(plan, fields))
    if plan_changes:
        plan.updated_at = timezone.now()
        plan.save(update_fields=[*plan_changes, "updated_at"])
        audit_change(
            actor=actor,
            obj=plan,
            action=Action.UPDATE,
            changes=plan_changes,
            participant_ref=_ref(participant),
        )
    return changes | plan_changes


@transaction.atomic
def release_checklist_update(
    *, actor: User, entry: ReleaseChecklistEntry, data: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """Change a checklist item's owner, status, due date or note (the note is shown to the
    participant in the exit passport). Fields not in `data` stay as they are."""
    participant = entry.plan.participant
    _require_writer(actor, participant)
    _lock(participant)
    entry.refresh_from_db()
    fields = [name for name in CHECKLIST_FIELDS if name in data]
    values = {name: getattr(entry, name) for name in CHECKLIST_FIELDS}
    values |= {name: data[name] for name in fields}
    values["owner"] = values["owner"] or ""
    values["note"] = (values["note"] or "").strip()
    _raise(checklist_errors(values))
    before = snapshot(entry, fields)
    for name in fields:
        setattr(entry, name, values[name])
    changes = diff(before, snapshot(entry, fields))
    if changes:
        entry.updated_by = actor
        entry.updated_at = timezone.now()
        entry.save(update_fields=[*changes, "updated_by", "updated_at"])
        changes["item"] = [entry.item, entry.item]
        audit_change(
            actor=actor,
            obj=entry,
            action=Action.UPDATE,
            changes=changes,
            participant_ref=_ref(participant),
        )
    return changes


# Appointments and contacts -----------------------------------------------------------------


@transaction.atomic
def release_appointment_create(
    *,
    actor: User,
    plan: ReleasePlan,
    starts_at: dt.datetime | None,
    with_whom: str,
    place: str,
    purpose: str = "",
    service: Service | None = None,
) -> Appointment:
    """An appointment after release, for the exit passport."""
    participant = plan.participant
    _require_writer(actor, participant)
    _lock(participant)
    participant.refresh_from_db(fields=[RELEASE_DATE])
    errors = appointment_errors(
        starts_at=starts_at,
        with_whom=with_whom,
        place=place,
        release_date=participant.expected_release_date,
        now=timezone.now(),
    )
    if service is not None and not service.active:
        errors["service"] = "That service is no longer in the directory"
    if starts_at is None or errors:
        raise ValidationError(errors)
    appointment = Appointment.objects.create(
        plan=plan,
        starts_at=starts_at,
        with_whom=with_whom.strip(),
        place=place.strip(),
        purpose=purpose.strip(),
        service=service,
    )
    audit_change(
        actor=actor,
        obj=appointment,
        action=Action.CREATE,
        changes=_created(appointment, APPOINTMENT_FIELDS),
        participant_ref=_ref(participant),
    )
    return appointment


@transaction.atomic
def release_appointment_delete(*, actor: User, appointment: Appointment) -> None:
    participant = appointment.plan.participant
    _require_writer(actor, participant)
    audit_change(
        actor=actor,
        obj=appointment,
        action=Action.DELETE,
        changes={
            name: [value, None] for name, value in snapshot(appointment, APPOINTMENT_FIELDS).items()
        },
        participant_ref=_ref(participant),
    )
    appointment.delete()


@transaction.atomic
def release_contact_create(
    *,
    actor: User,
    plan: ReleasePlan,
    name: str,
    role: str,
    phone: str = "",
    email: str = "",
    address: str = "",
) -> PassportContact:
    """A key contact for the exit passport beyond those the system knows."""
    participant = plan.participant
    _require_writer(actor, participant)
    _raise(contact_errors(name=name, role=role, phone=phone, email=email, address=address))
    contact = PassportContact.objects.create(
        plan=plan,
        name=name.strip(),
        role=role.strip(),
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
    )
    audit_change(
        actor=actor,
        obj=contact,
        action=Action.CREATE,
        changes=_created(contact, CONTACT_FIELDS),
        participant_ref=_ref(participant),
    )
    return contact


@transaction.atomic
def release_contact_delete(*, actor: User, contact: PassportContact) -> None:
    participant = contact.plan.participant
    _require_writer(actor, participant)
    audit_change(
        actor=actor,
        obj=contact,
        action=Action.DELETE,
        changes={name: [value, None] for name, value in snapshot(contact, CONTACT_FIELDS).items()},
        participant_ref=_ref(participant),
    )
    contact.delete()


# Handover ----------------------------------------------------------------------------------


@transaction.atomic
def release_plan_handover(*, actor: User, plan: ReleasePlan) -> ReleasePlan:
    """Hand supervision over to the community: the participant's supervising organisation and
    officer become the plan's community ones (through `participant_update`, which audits it),
    the organisation that supervised until now stays involved as an agency (continuity
    through the gate), the plan records who handed over and when, and the new officer (or,
    with no officer named, everyone supervising in the community organisation) is told."""
    participant = plan.participant
    _require_writer(actor, participant)
    _lock(participant)
    participant.refresh_from_db()
    plan.refresh_from_db()
    errors: dict[str, str] = {}
    if plan.handed_over_at is not None:
        on = _date(timezone.localdate(plan.handed_over_at))
        errors["handed_over_at"] = f"This plan was already handed over on {on}."
    organisation = plan.community_organisation
    officer = plan.community_officer
    if organisation is None:
        errors["community_organisation"] = (
            "Choose the community probation service in the release plan before handing over"
        )
    errors |= community_errors(organisation, officer)
    if organisation is None or errors:
        raise ValidationError(errors)
    previous = participant.supervising_organisation
    agencies = list(participant.agencies.all())
    if previous.pk != organisation.pk and all(a.pk != previous.pk for a in agencies):
        agencies.append(previous)
    # The community organisation supervises now, so it is no longer an involved agency.
    agencies = [a for a in agencies if a.pk != organisation.pk]
    participant_update(
        actor=actor,
        participant=participant,
        data={"supervising_organisation": organisation, "supervising_officer": officer},
        agencies=agencies,
    )
    now = timezone.now()
    plan.handed_over_at = now
    plan.handed_over_by = actor
    plan.updated_at = now
    plan.save(update_fields=["handed_over_at", "handed_over_by", "updated_at"])
    audit_change(
        actor=actor,
        obj=plan,
        action=Action.UPDATE,
        changes={
            "handed_over_at": [None, now.isoformat()],
            "handed_over_by": [None, actor.pk],
            "supervising_organisation": [previous.pk, organisation.pk],
        },
        participant_ref=_ref(participant),
    )
    reference = participant.reference
    release = participant.expected_release_date
    when = f" The expected release date is {_date(release)}." if release else ""
    recipients = [officer] if officer is not None else supervising_officers_for(participant)
    notify(
        recipients=[user for user in recipients if user.pk != actor.pk],
        kind=HANDOVER_KIND,
        subject=f"Release handover: participant {reference} is now supervised by you",
        body=f"Supervision of participant {reference} has been handed over to "
        f"{organisation.name} for release into the community.{when} Open the release plan "
        "to see the checklist, appointments and conditions.",
        participant=participant,
        link=reverse("support:release", kwargs={"participant_uuid": participant.uuid}),
    )
    return plan


# Views ---------------------------------------------------------------------------------------


def release_record_view(
    *, actor: User, participant: Participant, purpose: str, document: str
) -> None:
    """Record that this user viewed the participant's release planning, and why, saying what
    was shown: "release_plan", "exit_passport_page", "exit_passport_pdf" (downloaded) or
    "exit_passport_api". The same event as desist.people.services.participant_record_view,
    with what was shown added."""
    audit_record(
        actor=actor,
        action=Action.VIEW,
        entity=Participant._meta.label_lower,
        entity_id=str(participant.pk),
        participant_ref=_ref(participant),
        changes={"shown": document},
        purpose=purpose,
    )
