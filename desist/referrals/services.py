"""Writes for referrals and allocations. Each is atomic, records the referral's status history
and audits itself in the same transaction; notifications go out only if it commits.

Who may do what:

- make a referral: a supervising officer or prison offender manager whose organisation
  supervises the participant, or a programme manager;
- triage (accept, decline, ask for more information), allocate, reallocate: programme
  managers only;
- answer a request for more information, or withdraw (close) a referral: the referrer's side
  (anyone who may edit the participant, i.e. the supervising organisation) or a programme
  manager;
- end an allocation (from the end-of-intervention report): a programme manager, the
  supervising organisation or the allocated practitioner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from desist.accounts.access import forget_cached_access, relationships_to
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_change, snapshot
from desist.delivery.constants import DeadlineKind
from desist.delivery.deadlines import deadline_cancel, deadline_open
from desist.notifications.constants import NotificationKind
from desist.notifications.recipients import programme_managers, supervising_officers_for
from desist.notifications.services import notify
from desist.people.constants import Status
from desist.people.models import LegalBasis, Participant
from desist.people.services import participant_change_status
from desist.providers.models import Practitioner
from desist.referrals import ranking, rules
from desist.referrals.constants import AllocationMethod, ReferralStatus
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.ranking import Fit, RankedPractitioner
from desist.referrals.selectors import (
    candidate_practitioner_facts,
    open_referral,
    practitioner_facts_for,
    referral_facts,
    referral_facts_many,
)

# Fields recorded in the audit trail when a referral is made.
REFERRAL_FIELDS = (
    "participant",
    "referred_by",
    "referring_organisation",
    "referred_at",
    "reason",
    "needs",
    "needs_detail",
    "risk_summary",
    "risk_summary_for_provider",
    "legal_basis",
    "attendance_mandatory",
    "expected_end_date",
    "preferred_practitioner_sex",
    "preferred_language",
    "preferred_faith_tradition",
    "accessibility_needs",
    "status",
)
REFERRAL_RELATED_FIELDS = ("participant", "referred_by", "referring_organisation", "legal_basis")
ALLOCATION_FIELDS = (
    "referral",
    "participant",
    "practitioner",
    "method",
    "score",
    "reasons",
    "allocated_at",
    "allocated_by",
)
# Deadlines that belong to getting an allocation started; cancelled when it ends.
START_DEADLINES = (DeadlineKind.FIRST_CONTACT, DeadlineKind.FIRST_SESSION)


# Permissions -------------------------------------------------------------------------------


def _require_programme_manager(actor: User) -> None:
    if not actor.has_role(Role.PROGRAMME_MANAGER):
        raise PermissionDenied("Only the programme team can do this.")


def _require_referrer_side(actor: User, participant: Participant) -> None:
    """The supervising organisation (who may edit the participant) or the programme team."""
    if not rules.is_referrer_side(actor.roles, relationships_to(actor, participant)):
        raise PermissionDenied("Only the supervising organisation can do this.")


# Helpers -----------------------------------------------------------------------------------


def _ref(participant: Participant) -> str:
    return str(participant.uuid)


def _referral_link(referral: Referral) -> str:
    return reverse(
        "referrals:detail",
        kwargs={"participant_uuid": referral.participant.uuid, "referral_uuid": referral.uuid},
    )


def _participant_link(participant: Participant) -> str:
    return reverse("people:detail", args=[participant.uuid])


def _lock_referral(referral: Referral) -> None:
    """Lock the row and re-read its status, so two people cannot move it at once."""
    list(Referral.objects.select_for_update().filter(pk=referral.pk).values_list("pk"))
    referral.refresh_from_db(fields=["status", "decline_reason", "triage_note"])


def _move(
    referral: Referral, to_status: str, *, actor: User, note: str, now: dt.datetime
) -> list[Any]:
    """Change status (if the machine allows it) and add the history row; returns [old, new]."""
    old = referral.status
    rules.check_transition(old, to_status)
    referral.status = to_status
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status=old,
        to_status=to_status,
        note=note,
        changed_at=now,
        changed_by=actor,
    )
    return [old, to_status]


def _referrer_recipients(referral: Referral) -> list[User]:
    if referral.referred_by.is_active:
        return [referral.referred_by]
    return supervising_officers_for(referral.participant)


def _format_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# Referral ----------------------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    actor: User,
    participant: Participant,
    reason: str,
    needs: Sequence[str],
    risk_summary: str,
    risk_summary_for_provider: str,
    legal_basis: LegalBasis | None,
    needs_detail: str = "",
    expected_end_date: dt.date | None = None,
    preferred_practitioner_sex: str = "",
    preferred_language: str = "",
    preferred_faith_tradition: str = "",
    accessibility_needs: str = "",
) -> Referral:
    """Refer a participant to the programme. Attendance is mandatory when the legal basis
    says so. A participant has at most one open referral at a time."""
    _require_referrer_side(actor, participant)
    rules.check_required_text("reason", reason, "Enter why you are making this referral.")
    rules.check_needs(needs)
    rules.check_required_text("risk_summary", risk_summary, "Enter the risk summary.")
    rules.check_required_text(
        "risk_summary_for_provider",
        risk_summary_for_provider,
        "Enter the risk summary to share with the provider.",
    )
    if legal_basis is not None and legal_basis.participant_id != participant.pk:
        raise ValidationError({"legal_basis": "Select one of this participant's legal bases."})
    today = timezone.localdate()
    rules.check_expected_end_date(expected_end_date, today)

    # Lock the participant so two referrals cannot be made for them at the same moment.
    list(Participant.objects.select_for_update().filter(pk=participant.pk).values_list("pk"))
    existing = open_referral(Referral.objects.filter(participant=participant))
    if existing is not None:
        raise ValidationError(
            {
                "participant": (
                    "This participant already has an open referral, made on "
                    f"{_format_date(timezone.localdate(existing.referred_at))} "
                    f"({existing.get_status_display().lower()}). "
                    "Close that referral before making a new one."
                )
            }
        )

    now = timezone.now()
    referral = Referral(
        participant=participant,
        referred_by=actor,
        referring_organisation=actor.organisation,
        referred_at=now,
        reason=reason.strip(),
        needs=list(needs),
        needs_detail=needs_detail.strip(),
        risk_summary=risk_summary.strip(),
        risk_summary_for_provider=risk_summary_for_provider.strip(),
        legal_basis=legal_basis,
        attendance_mandatory=bool(legal_basis and legal_basis.attendance_mandatory),
        expected_end_date=expected_end_date,
        preferred_practitioner_sex=preferred_practitioner_sex,
        preferred_language=preferred_language,
        preferred_faith_tradition=preferred_faith_tradition,
        accessibility_needs=accessibility_needs.strip(),
        status=ReferralStatus.SUBMITTED,
    )
    # Field checks (choices, lengths) only: the related rows were loaded (the participant is
    # locked) and the uuid is new, so the existence and uniqueness queries would be wasted.
    referral.full_clean(exclude=REFERRAL_RELATED_FIELDS, validate_unique=False)
    referral.save()
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status="",
        to_status=ReferralStatus.SUBMITTED,
        note="Referral made",
        changed_at=now,
        changed_by=actor,
    )
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.CREATE,
        changes={
            name: [None, value] for name, value in snapshot(referral, REFERRAL_FIELDS).items()
        },
        participant_ref=_ref(participant),
    )
    notify(
        recipients=programme_managers(),
        kind=NotificationKind.REFERRAL,
        subject=f"New referral for {participant.reference}",
        body=f"A referral for participant {participant.reference} is waiting for triage.",
        participant=participant,
        link=_referral_link(referral),
    )
    return referral


@transaction.atomic
def referral_accept(*, actor: User, referral: Referral, note: str = "") -> Referral:
    """Accept the referral onto the programme; it then waits for allocation."""
    _require_programme_manager(actor)
    _lock_referral(referral)
    status = _move(referral, ReferralStatus.ACCEPTED, actor=actor, note=note.strip(), now=_now())
    referral.save(update_fields=["status", "updated_at"])
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status, "note": [None, note.strip()]},
        participant_ref=_ref(referral.participant),
    )
    reference = referral.participant.reference
    notify(
        recipients=_referrer_recipients(referral),
        kind=NotificationKind.REFERRAL,
        subject=f"Referral accepted for {reference}",
        body=f"The referral for participant {reference} was accepted and is waiting for "
        "allocation to a practitioner.",
        participant=referral.participant,
        link=_referral_link(referral),
        email=False,
    )
    return referral


@transaction.atomic
def referral_decline(*, actor: User, referral: Referral, reason: str, note: str = "") -> Referral:
    """Decline with a coded reason (DeclineReason); "other" needs a note."""
    _require_programme_manager(actor)
    rules.check_decline(reason, note)
    _lock_referral(referral)
    before = snapshot(referral, ("decline_reason", "triage_note"))
    status = _move(referral, ReferralStatus.DECLINED, actor=actor, note=note.strip(), now=_now())
    referral.decline_reason = reason
    referral.triage_note = note.strip()
    referral.save(update_fields=["status", "decline_reason", "triage_note", "updated_at"])
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={
            "status": status,
            "decline_reason": [before["decline_reason"], reason],
            "triage_note": [before["triage_note"], referral.triage_note],
        },
        participant_ref=_ref(referral.participant),
    )
    reference = referral.participant.reference
    notify(
        recipients=_referrer_recipients(referral),
        kind=NotificationKind.REFERRAL,
        subject=f"Referral declined for {reference}",
        body=f"The referral for participant {reference} was declined: "
        f"{referral.get_decline_reason_display()}.",
        participant=referral.participant,
        link=_referral_link(referral),
    )
    return referral


@transaction.atomic
def referral_request_information(*, actor: User, referral: Referral, question: str) -> Referral:
    """Ask the referrer for more information before deciding; they are told at once."""
    _require_programme_manager(actor)
    rules.check_required_text("question", question, "Enter what information you need.")
    _lock_referral(referral)
    before = referral.triage_note
    status = _move(
        referral,
        ReferralStatus.INFORMATION_REQUESTED,
        actor=actor,
        note=question.strip(),
        now=_now(),
    )
    referral.triage_note = question.strip()
    referral.save(update_fields=["status", "triage_note", "updated_at"])
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status, "triage_note": [before, referral.triage_note]},
        participant_ref=_ref(referral.participant),
    )
    reference = referral.participant.reference
    notify(
        recipients=_referrer_recipients(referral),
        kind=NotificationKind.REFERRAL,
        subject=f"More information needed for {reference}",
        body=f"The programme team needs more information about the referral for participant "
        f"{reference}. Open the referral to see the question and answer it.",
        participant=referral.participant,
        link=_referral_link(referral),
    )
    return referral


@transaction.atomic
def referral_provide_information(*, actor: User, referral: Referral, answer: str) -> Referral:
    """The referrer answers the programme team's question; the referral goes back to triage."""
    _require_referrer_side(actor, referral.participant)
    rules.check_required_text(
        "answer", answer, "Enter the information the programme team asked for."
    )
    _lock_referral(referral)
    status = _move(referral, ReferralStatus.SUBMITTED, actor=actor, note=answer.strip(), now=_now())
    referral.save(update_fields=["status", "updated_at"])
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status, "answer": [None, answer.strip()]},
        participant_ref=_ref(referral.participant),
    )
    reference = referral.participant.reference
    notify(
        recipients=programme_managers(),
        kind=NotificationKind.REFERRAL,
        subject=f"Information provided for {reference}",
        body=f"The referrer answered your question about the referral for participant "
        f"{reference}. It is back in the triage queue.",
        participant=referral.participant,
        link=_referral_link(referral),
    )
    return referral


@transaction.atomic
def referral_close(*, actor: User, referral: Referral, reason: str) -> Referral:
    """Close (withdraw) an open referral. A current allocation ends with it, and the deadlines
    for starting work are cancelled."""
    _require_referrer_side(actor, referral.participant)
    rules.check_end_reason("reason", reason)
    _lock_referral(referral)
    now = _now()
    status = _move(referral, ReferralStatus.CLOSED, actor=actor, note=reason.strip(), now=now)
    referral.save(update_fields=["status", "updated_at"])
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status, "close_reason": [None, reason.strip()]},
        participant_ref=_ref(referral.participant),
    )
    current = Allocation.objects.filter(referral=referral, ended_at__isnull=True).first()
    reference = referral.participant.reference
    if current is not None:
        _end(actor=actor, allocation=current, reason=reason.strip(), now=now)
        notify(
            recipients=[current.practitioner.user],
            kind=NotificationKind.ALLOCATION,
            subject=f"Referral closed for {reference}",
            body=f"The referral for participant {reference} was closed. You are no longer "
            "allocated to work with them.",
            participant=referral.participant,
        )
    if not actor.has_role(Role.PROGRAMME_MANAGER):
        notify(
            recipients=programme_managers(),
            kind=NotificationKind.REFERRAL,
            subject=f"Referral withdrawn for {reference}",
            body=f"The referrer withdrew the referral for participant {reference}.",
            participant=referral.participant,
            link=_referral_link(referral),
            email=False,
        )
    return referral


# Ranking and allocation --------------------------------------------------------------------


def referral_rank(referral: Referral, *, on: dt.date) -> list[RankedPractitioner]:
    """Every approved practitioner ranked for this referral on this date, with the reasons.
    A read: the caller has already checked the user may see the referral."""
    return ranking.rank(referral_facts(referral), candidate_practitioner_facts(on=on))


@transaction.atomic
def allocation_confirm(
    *,
    actor: User,
    referral: Referral,
    practitioner: Practitioner,
    method: AllocationMethod | str = AllocationMethod.MANUAL,
) -> Allocation:
    """Allocate an accepted referral to a practitioner, checking eligibility again now (the
    ranking the manager looked at may be out of date)."""
    _require_programme_manager(actor)
    AllocationMethod(method)
    _lock_referral(referral)
    rules.check_transition(referral.status, ReferralStatus.ALLOCATED)
    _lock_practitioner(practitioner)
    fit = _fresh_fit(referral, practitioner)
    return _allocate(
        actor=actor,
        referral=referral,
        practitioner=practitioner,
        fit=fit,
        method=method,
        now=_now(),
    )


@transaction.atomic
def allocate_queue(*, actor: User, on: dt.date) -> list[Allocation]:
    """Allocate every accepted referral that is waiting, at once, by the assignment that
    allocates the most referrals and then fits best (see `ranking.assign_queue`). Referrals
    left waiting: `selectors.unallocated_with_reasons` says why."""
    _require_programme_manager(actor)
    ids = list(
        Referral.objects.select_for_update()
        .filter(status=ReferralStatus.ACCEPTED)
        .order_by("referred_at", "id")
        .values_list("pk", flat=True)
    )
    referrals = list(
        Referral.objects.filter(pk__in=ids)
        .select_related("participant", "referred_by")
        .order_by("referred_at", "id")
    )
    if not referrals:
        return []
    facts = referral_facts_many(referrals)
    practitioners = candidate_practitioner_facts(on=on)
    assignment = ranking.assign_queue(facts, practitioners)
    by_id = {facts_.id: facts_ for facts_ in practitioners}
    models = Practitioner.objects.select_related("user").in_bulk(list(assignment.values()))
    now = _now()
    allocations = []
    for index, practitioner_id in assignment.items():
        allocations.append(
            _allocate(
                actor=actor,
                referral=referrals[index],
                practitioner=models[practitioner_id],
                fit=ranking.score(facts[index], by_id[practitioner_id]),
                method=AllocationMethod.QUEUE,
                now=now,
            )
        )
    return allocations


@transaction.atomic
def allocation_reallocate(
    *, actor: User, allocation: Allocation, practitioner: Practitioner, reason: str
) -> Allocation:
    """Move the referral to another practitioner. The old allocation is ended, not changed,
    so the history shows both; the old practitioner counts as continuity in later rankings.
    The old practitioner's unmet first-contact and first-session deadlines are cancelled and
    the new practitioner gets their own, counted from today."""
    _require_programme_manager(actor)
    rules.check_end_reason("reason", reason)
    list(Allocation.objects.select_for_update().filter(pk=allocation.pk).values_list("pk"))
    allocation.refresh_from_db(fields=["ended_at", "end_reason"])
    if allocation.ended_at is not None:
        raise ValidationError({"allocation": "This allocation has already ended."})
    if practitioner.pk == allocation.practitioner_id:
        raise ValidationError(
            {"practitioner": "The participant is already allocated to this practitioner."}
        )
    referral = allocation.referral
    _lock_practitioner(practitioner)
    fit = _fresh_fit(referral, practitioner)
    now = _now()
    _end(actor=actor, allocation=allocation, reason=reason.strip(), now=now)
    new = _create_allocation(
        actor=actor,
        referral=referral,
        practitioner=practitioner,
        fit=fit,
        method=AllocationMethod.MANUAL,
        now=now,
    )
    _open_start_deadlines(new, timezone.localdate(now))
    reference = referral.participant.reference
    notify(
        recipients=[allocation.practitioner.user],
        kind=NotificationKind.ALLOCATION,
        subject=f"Participant {reference} reallocated",
        body=f"Participant {reference} has been reallocated to another practitioner. You are "
        "no longer allocated to work with them.",
        participant=referral.participant,
    )
    _notify_allocated(new)
    return new


@transaction.atomic
def allocation_end(*, actor: User, allocation: Allocation, reason: str) -> Allocation:
    """End the allocation (the intervention is over) and close its referral. Deadlines for
    starting work that are still open are cancelled. For delivery's end-of-intervention
    report; the participant's own status is the caller's to change."""
    participant = allocation.participant
    is_practitioner = allocation.practitioner.user_id == actor.pk and actor.has_role(
        Role.PRACTITIONER
    )
    if not is_practitioner:
        _require_referrer_side(actor, participant)
    rules.check_end_reason("reason", reason)
    list(Allocation.objects.select_for_update().filter(pk=allocation.pk).values_list("pk"))
    allocation.refresh_from_db(fields=["ended_at", "end_reason"])
    if allocation.ended_at is not None:
        raise ValidationError({"allocation": "This allocation has already ended."})
    referral = allocation.referral
    _lock_referral(referral)
    now = _now()
    status = _move(referral, ReferralStatus.CLOSED, actor=actor, note=reason.strip(), now=now)
    referral.save(update_fields=["status", "updated_at"])
    _end(actor=actor, allocation=allocation, reason=reason.strip(), now=now)
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status, "close_reason": [None, reason.strip()]},
        participant_ref=_ref(participant),
    )
    return allocation


# Allocation internals ----------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _lock_practitioner(practitioner: Practitioner) -> None:
    """Serialise allocations to one practitioner, so two managers cannot both take their last
    place."""
    list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk"))


def _fresh_fit(referral: Referral, practitioner: Practitioner) -> Fit:
    today = timezone.localdate()
    fit = ranking.score(referral_facts(referral), practitioner_facts_for(practitioner, on=today))
    if not fit.eligible:
        why = "; ".join(reason.explanation for reason in fit.exclusions)
        raise ValidationError({"practitioner": f"This practitioner cannot be allocated: {why}."})
    return fit


def _create_allocation(
    *,
    actor: User,
    referral: Referral,
    practitioner: Practitioner,
    fit: Fit,
    method: str,
    now: dt.datetime,
) -> Allocation:
    allocation = Allocation.objects.create(
        referral=referral,
        participant=referral.participant,
        practitioner=practitioner,
        method=method,
        score=fit.total,
        reasons=[reason.as_dict() for reason in fit.reasons],
        allocated_at=now,
        allocated_by=actor,
    )
    # The gate remembers a practitioner's caseload on their user object; let it see this one.
    forget_cached_access(practitioner.user)
    audit_change(
        actor=actor,
        obj=allocation,
        action=Action.CREATE,
        changes={k: [None, v] for k, v in snapshot(allocation, ALLOCATION_FIELDS).items()},
        participant_ref=_ref(referral.participant),
    )
    return allocation


def _allocate(
    *,
    actor: User,
    referral: Referral,
    practitioner: Practitioner,
    fit: Fit,
    method: str,
    now: dt.datetime,
) -> Allocation:
    """First allocation of an accepted referral: status, participant, deadlines, notices."""
    label = AllocationMethod(method).label
    status = _move(referral, ReferralStatus.ALLOCATED, actor=actor, note=label, now=now)
    referral.save(update_fields=["status", "updated_at"])
    allocation = _create_allocation(
        actor=actor, referral=referral, practitioner=practitioner, fit=fit, method=method, now=now
    )
    participant = referral.participant
    audit_change(
        actor=actor,
        obj=referral,
        action=Action.UPDATE,
        changes={"status": status},
        participant_ref=_ref(participant),
    )
    today = timezone.localdate(now)
    participant.refresh_from_db(fields=["status"])
    if participant.status == Status.REFERRED:
        participant_change_status(
            actor=actor,
            participant=participant,
            status=Status.ACTIVE,
            effective_date=today,
            reason="Allocated to a practitioner",
        )
    _open_start_deadlines(allocation, today)
    _notify_allocated(allocation)
    return allocation


def _open_start_deadlines(allocation: Allocation, today: dt.date) -> None:
    for kind in START_DEADLINES:
        deadline_open(
            participant=allocation.participant,
            kind=kind,
            starts_on=today,
            referral=allocation.referral,
            allocation=allocation,
        )


def _notify_allocated(allocation: Allocation) -> None:
    participant = allocation.participant
    reference = participant.reference
    first_contact = (
        allocation.deadlines.filter(kind=DeadlineKind.FIRST_CONTACT, met_at__isnull=True)
        .order_by("due_on")
        .first()
    )
    due = f" Make first contact by {_format_date(first_contact.due_on)}." if first_contact else ""
    notify(
        recipients=[allocation.practitioner.user],
        kind=NotificationKind.ALLOCATION,
        subject=f"New participant allocated: {reference}",
        body=f"You have been allocated participant {reference}.{due}",
        participant=participant,
        link=_participant_link(participant),
    )
    notify(
        recipients=supervising_officers_for(participant),
        kind=NotificationKind.ALLOCATION,
        subject=f"Practitioner allocated for {reference}",
        body=f"Participant {reference} has been allocated to a practitioner.",
        participant=participant,
        link=_participant_link(participant),
    )


def _end(*, actor: User, allocation: Allocation, reason: str, now: dt.datetime) -> None:
    allocation.ended_at = now
    allocation.end_reason = reason
    allocation.save(update_fields=["ended_at", "end_reason"])
    forget_cached_access(allocation.practitioner.user)
    for kind in START_DEADLINES:
        deadline_cancel(participant=allocation.participant, kind=kind, allocation=allocation)
    audit_change(
        actor=actor,
        obj=allocation,
        action=Action.UPDATE,
        changes={"ended_at": [None, now.isoformat()], "end_reason": ["", reason]},
        participant_ref=_ref(allocation.participant),
    )
