"""Writes for providers: practitioners, their vetting, training and status, and contracts.

Each function is atomic and audits itself in the same transaction; notifications go out only
if it commits. People act here as the programme team: `actor` must be a programme manager, or
None for the scheduled jobs (`desist run-scheduled`).

Access to participants is never granted or removed here directly: the access gate asks
`cleared_practitioners` on every request, so a status change, or vetting or training lapsing,
takes effect at once. The jobs below only bring the recorded status in line and tell people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from desist.accounts.access import forget_cached_access
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, Region, User
from desist.audit.constants import Action
from desist.audit.services import audit_change, diff, snapshot
from desist.notifications.constants import NotificationKind
from desist.notifications.recipients import programme_managers
from desist.notifications.services import notify
from desist.people.constants import Sex
from desist.providers import rules, selectors
from desist.providers.constants import (
    FaithTradition,
    Language,
    PractitionerStatus,
    Specialism,
    VettingLevel,
)
from desist.providers.models import (
    Contract,
    ExpiryReminder,
    Practitioner,
    PractitionerStatusChange,
    TrainingCompletion,
    TrainingCourse,
)
from desist.referrals.models import Allocation

PRACTITIONER_FIELDS = (
    "user",
    "organisation",
    "specialisms",
    "languages",
    "faith_traditions",
    "sex",
    "max_caseload",
    "status",
)
PROFILE_FIELDS = ("specialisms", "languages", "faith_traditions", "sex", "max_caseload")
VETTING_FIELDS = ("vetting_level", "vetting_granted_on", "vetting_expires_on")
CONTRACT_FIELDS = ("organisation", "reference", "start_date", "end_date", "capacity")
MAX_CASELOAD = 100
REASON_MAX_LENGTH = 300
VETTING_SUBJECT = "vetting"


# Permissions and helpers ------------------------------------------------------------------


def _require_programme_team(actor: User | None) -> None:
    """People act as the programme team; None is the system (scheduled jobs)."""
    if actor is not None and not actor.has_role(Role.PROGRAMME_MANAGER):
        raise PermissionDenied("Only the programme team can do this.")


def _link(name: str, **kwargs: Any) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _practitioner_link(practitioner: Practitioner) -> str:
    return _link("providers:detail", practitioner_uuid=practitioner.uuid)


def _forget_access(practitioner: Practitioner) -> None:
    """Drop the gate's per-user cache if this process holds the practitioner's user object, so
    a change shows even to code that goes on using the same object."""
    if Practitioner.user.is_cached(practitioner):
        forget_cached_access(practitioner.user)


def _codes(field: str, values: Iterable[str], allowed: Sequence[str], *, noun: str) -> list[str]:
    """Known codes, without repeats, in the order given."""
    codes = list(dict.fromkeys(values))
    if any(code not in allowed for code in codes):
        raise ValidationError({field: f"Select only the {noun} listed"})
    return codes


def _check_profile(
    *,
    specialisms: Iterable[str],
    languages: Iterable[str],
    faith_traditions: Iterable[str],
    sex: str,
    regions: Iterable[Region],
    max_caseload: int,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "specialisms": _codes("specialisms", specialisms, Specialism.values, noun="specialisms"),
        "languages": _codes("languages", languages, Language.values, noun="languages"),
        "faith_traditions": _codes(
            "faith_traditions", faith_traditions, FaithTradition.values, noun="faith traditions"
        ),
    }
    if not data["specialisms"]:
        raise ValidationError({"specialisms": "Select at least one specialism"})
    if not data["languages"]:
        raise ValidationError({"languages": "Select the languages they can work in"})
    if sex not in Sex.values:
        raise ValidationError({"sex": "Select the practitioner's sex from the list"})
    data["sex"] = sex
    region_list = list(dict.fromkeys(regions))
    if not region_list:
        raise ValidationError({"regions": "Select the regions they cover"})
    data["regions"] = region_list
    if max_caseload < 1:
        raise ValidationError({"max_caseload": "Maximum caseload must be at least 1"})
    if max_caseload > MAX_CASELOAD:
        raise ValidationError({"max_caseload": f"Maximum caseload must be {MAX_CASELOAD} or fewer"})
    data["max_caseload"] = max_caseload
    return data


def _lock(practitioner: Practitioner) -> None:
    """Lock the row and re-read what rules depend on, so two people cannot move it at once."""
    list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk"))
    practitioner.refresh_from_db(fields=["status", *VETTING_FIELDS])


# Practitioners -------------------------------------------------------------------------------


@transaction.atomic
def practitioner_create(
    *,
    actor: User | None,
    user: User,
    specialisms: Iterable[str],
    languages: Iterable[str],
    faith_traditions: Iterable[str],
    sex: str,
    regions: Iterable[Region],
    max_caseload: int,
) -> Practitioner:
    """Add a practitioner (status 'applied') for a user with the practitioner role at an
    intervention provider."""
    _require_programme_team(actor)
    organisation = user.organisation
    if not user.is_active or organisation is None or not user.has_role(Role.PRACTITIONER):
        raise ValidationError(
            {"user": "Select a user with the practitioner role at an intervention provider"}
        )
    if Practitioner.objects.filter(user=user).exists():
        raise ValidationError({"user": "This user already has a practitioner record"})
    data = _check_profile(
        specialisms=specialisms,
        languages=languages,
        faith_traditions=faith_traditions,
        sex=sex,
        regions=regions,
        max_caseload=max_caseload,
    )
    region_list = data.pop("regions")
    practitioner = Practitioner.objects.create(
        user=user,
        organisation=organisation,
        status=PractitionerStatus.APPLIED,
        **data,
    )
    practitioner.regions.set(region_list)
    PractitionerStatusChange.objects.create(
        practitioner=practitioner,
        from_status="",
        to_status=PractitionerStatus.APPLIED,
        reason="Record created",
        changed_at=timezone.now(),
        changed_by=actor,
    )
    after = snapshot(practitioner, PRACTITIONER_FIELDS)
    after["regions"] = sorted(r.pk for r in region_list)
    audit_change(
        actor=actor,
        obj=practitioner,
        action=Action.CREATE,
        changes={name: [None, value] for name, value in after.items()},
    )
    return practitioner


@transaction.atomic
def practitioner_update(
    *,
    actor: User | None,
    practitioner: Practitioner,
    specialisms: Iterable[str],
    languages: Iterable[str],
    faith_traditions: Iterable[str],
    sex: str,
    regions: Iterable[Region],
    max_caseload: int,
) -> dict[str, list[Any]]:
    """Change what the practitioner offers; returns {field: [old, new]} for what changed."""
    _require_programme_team(actor)
    data = _check_profile(
        specialisms=specialisms,
        languages=languages,
        faith_traditions=faith_traditions,
        sex=sex,
        regions=regions,
        max_caseload=max_caseload,
    )
    region_list = data.pop("regions")
    before = snapshot(practitioner, PROFILE_FIELDS)
    for name, value in data.items():
        setattr(practitioner, name, value)
    changes = diff(before, snapshot(practitioner, PROFILE_FIELDS))
    if changes:
        practitioner.save(update_fields=[*changes, "updated_at"])
    old_regions = sorted(practitioner.regions.values_list("pk", flat=True))
    new_regions = sorted(r.pk for r in region_list)
    if old_regions != new_regions:
        practitioner.regions.set(region_list)
        changes["regions"] = [old_regions, new_regions]
    if changes:
        audit_change(actor=actor, obj=practitioner, action=Action.UPDATE, changes=changes)
    return changes


@transaction.atomic
def practitioner_record_vetting(
    *,
    actor: User | None,
    practitioner: Practitioner,
    level: str,
    granted_on: dt.date,
    expires_on: dt.date,
) -> Practitioner:
    """Record the practitioner's vetting (a renewal replaces the previous one)."""
    _require_programme_team(actor)
    if level not in VettingLevel.values:
        raise ValidationError({"level": "Select the vetting level from the list"})
    if granted_on > timezone.localdate():
        raise ValidationError({"granted_on": "The date vetting was granted must be in the past"})
    if expires_on <= granted_on:
        raise ValidationError(
            {"expires_on": "Expiry date must be after the date vetting was granted"}
        )
    _lock(practitioner)
    before = snapshot(practitioner, VETTING_FIELDS)
    practitioner.vetting_level = level
    practitioner.vetting_granted_on = granted_on
    practitioner.vetting_expires_on = expires_on
    changes = diff(before, snapshot(practitioner, VETTING_FIELDS))
    if changes:
        practitioner.save(update_fields=[*changes, "updated_at"])
        audit_change(actor=actor, obj=practitioner, action=Action.UPDATE, changes=changes)
        _forget_access(practitioner)
    return practitioner


@transaction.atomic
def training_record_completion(
    *,
    actor: User | None,
    practitioner: Practitioner,
    course: TrainingCourse,
    completed_on: dt.date,
) -> TrainingCompletion:
    """Record a completed course; it expires `valid_for_months` later (or never)."""
    _require_programme_team(actor)
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The date it was completed must be in the past"})
    already = TrainingCompletion.objects.filter(
        practitioner=practitioner, course=course, completed_on=completed_on
    )
    if already.exists():
        raise ValidationError(
            {"completed_on": "This course is already recorded as completed on that date"}
        )
    completion = TrainingCompletion.objects.create(
        practitioner=practitioner,
        course=course,
        completed_on=completed_on,
        expires_on=rules.training_expires_on(completed_on, course.valid_for_months),
    )
    after = snapshot(completion, ("practitioner", "course", "completed_on", "expires_on"))
    audit_change(
        actor=actor,
        obj=completion,
        action=Action.CREATE,
        changes={name: [None, value] for name, value in after.items()},
    )
    _forget_access(practitioner)
    return completion


@transaction.atomic
def practitioner_change_status(
    *,
    actor: User | None,
    practitioner: Practitioner,
    to_status: str,
    reason: str,
) -> PractitionerStatusChange:
    """Move the practitioner through onboarding. Approval (including reinstatement) needs
    vetting and every required course in date; suspension, withdrawal and expiry end their
    access to participants at once and tell them so."""
    _require_programme_team(actor)
    if to_status not in PractitionerStatus.values:
        raise ValidationError({"to_status": "Select the new status from the list"})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for the change"})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Reason must be {REASON_MAX_LENGTH} characters or fewer"})
    _lock(practitioner)
    old = practitioner.status
    rules.check_transition(old, to_status)
    now = timezone.now()
    today = timezone.localdate(now)
    if to_status == PractitionerStatus.APPROVED:
        problems = rules.clearance_problems(
            status=PractitionerStatus.APPROVED,
            vetting_expires_on=practitioner.vetting_expires_on,
            training=selectors.training_held(practitioner),
            required_courses=selectors.required_courses(),
            on=today,
        )
        if problems:
            raise ValidationError(
                {
                    "to_status": [
                        "They cannot be approved until their vetting and required training "
                        "are recorded and in date.",
                        *problems,
                    ]
                }
            )
    change = PractitionerStatusChange.objects.create(
        practitioner=practitioner,
        from_status=old,
        to_status=to_status,
        reason=reason,
        changed_at=now,
        changed_by=actor,
    )
    practitioner.status = to_status
    practitioner.save(update_fields=["status", "updated_at"])
    audit_change(
        actor=actor,
        obj=practitioner,
        action=Action.UPDATE,
        changes={"status": [old, to_status], "status_reason": [None, reason]},
    )
    _forget_access(practitioner)
    if to_status in rules.ACCESS_ENDING_STATUSES:
        label = PractitionerStatus(to_status).label.lower()
        notify(
            recipients=[practitioner.user],
            kind=NotificationKind.ACCESS_REMOVED,
            subject="Your access to participants has ended",
            body=(
                f"Your practitioner status changed to {label} on {rules.format_date(today)}. "
                "You cannot see participants' records or record sessions until the "
                "programme team approves you again. Contact the programme team to find out "
                "more."
            ),
            link=_link("providers:me"),
        )
    return change


# Contracts ---------------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    organisation: Organisation,
    reference: str,
    start_date: dt.date,
    end_date: dt.date,
    regions: Iterable[Region],
    capacity: int,
) -> Contract:
    _require_programme_team(actor)
    if organisation.kind != OrganisationKind.PROVIDER:
        raise ValidationError({"organisation": "Select an intervention provider"})
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": "Enter the contract reference"})
    if Contract.objects.filter(reference__iexact=reference).exists():
        raise ValidationError({"reference": "A contract with this reference already exists"})
    if end_date < start_date:
        raise ValidationError({"end_date": "End date must be on or after the start date"})
    region_list = list(dict.fromkeys(regions))
    if not region_list:
        raise ValidationError({"regions": "Select the regions the contract covers"})
    if capacity < 1:
        raise ValidationError({"capacity": "Capacity must be at least 1"})
    contract = Contract.objects.create(
        organisation=organisation,
        reference=reference,
        start_date=start_date,
        end_date=end_date,
        capacity=capacity,
    )
    contract.regions.set(region_list)
    after = snapshot(contract, CONTRACT_FIELDS)
    after["regions"] = sorted(r.pk for r in region_list)
    audit_change(
        actor=actor,
        obj=contract,
        action=Action.CREATE,
        changes={name: [None, value] for name, value in after.items()},
    )
    return contract


# Scheduled jobs ----------------------------------------------------------------------------


def practitioners_expire_lapsed(*, today: dt.date) -> int:
    """Mark approved practitioners whose vetting or required training has lapsed as expired,
    and tell them and the programme team (who must reallocate their cases). Returns how many.
    Their access already ended at the lapse; this brings the recorded status in line."""
    lapsed = list(
        Practitioner.objects.filter(status=PractitionerStatus.APPROVED)
        .exclude(pk__in=selectors.cleared_practitioners(on=today).values("pk"))
        .select_related("user")
        .order_by("id")
    )
    for practitioner in lapsed:
        # One transaction each, so one failure does not hold back the rest.
        _expire_one(practitioner, today=today)
    return len(lapsed)


@transaction.atomic
def _expire_one(practitioner: Practitioner, *, today: dt.date) -> None:
    problems = selectors.practitioner_clearance(practitioner, on=today)
    reason = " ".join(["Vetting or required training lapsed.", *problems])
    practitioner_change_status(
        actor=None,
        practitioner=practitioner,
        to_status=PractitionerStatus.EXPIRED,
        reason=reason[:REASON_MAX_LENGTH],
    )
    cases = Allocation.objects.filter(practitioner=practitioner, ended_at__isnull=True).count()
    if cases:
        noun = "allocation" if cases == 1 else "allocations"
        notify(
            recipients=programme_managers(),
            kind=NotificationKind.ACCESS_REMOVED,
            subject="A practitioner has expired and has cases to reallocate",
            body=(
                "A practitioner's vetting or required training lapsed, so their status is now "
                f"expired and they can no longer see participants. They have {cases} current "
                f"{noun} to reallocate."
            ),
            link=_practitioner_link(practitioner),
        )


def expiry_reminders_send(*, today: dt.date) -> int:
    """Remind approved practitioners, and the programme team, before vetting or training
    expires: once at each lead time in settings.DESIST_EXPIRY_REMINDER_DAYS (e.g. 60, 30 and
    7 days before). Each reminder is recorded, so running this again sends nothing new; when
    several lead times are reached at once (a late run, or a short first expiry), one
    reminder goes, for the nearest. Returns the number of reminders sent."""
    leads = list(settings.DESIST_EXPIRY_REMINDER_DAYS)
    if not leads:
        return 0
    latest = today + dt.timedelta(days=max(leads))
    practitioners = (
        Practitioner.objects.filter(status=PractitionerStatus.APPROVED)
        .select_related("user")
        .order_by("id")
    )
    courses = dict(TrainingCourse.objects.values_list("code", "name"))
    training: dict[int, dict[str, dt.date | None]] = {}
    for practitioner_id, code, expires_on in TrainingCompletion.objects.filter(
        practitioner__status=PractitionerStatus.APPROVED
    ).values_list("practitioner_id", "course__code", "expires_on"):
        held = training.setdefault(practitioner_id, {})
        best = held.get(code, expires_on)
        held[code] = None if best is None or expires_on is None else max(best, expires_on)
    managers = programme_managers()
    sent = 0
    for practitioner in practitioners:
        subjects: dict[str, dt.date] = {}
        if practitioner.vetting_expires_on is not None:
            subjects[VETTING_SUBJECT] = practitioner.vetting_expires_on
        for code, expires_on in training.get(practitioner.pk, {}).items():
            if expires_on is not None:
                subjects[code] = expires_on
        for subject, expires_on in subjects.items():
            if expires_on < today or expires_on > latest:
                continue
            due = rules.reminder_leads_due(expires_on=expires_on, today=today, leads=leads)
            what = courses.get(subject, subject)
            if _remind(
                practitioner,
                subject=subject,
                what=what,
                expires_on=expires_on,
                due=due,
                today=today,
                managers=managers,
            ):
                sent += 1
    return sent


@transaction.atomic
def _remind(
    practitioner: Practitioner,
    *,
    subject: str,
    what: str,
    expires_on: dt.date,
    due: list[int],
    today: dt.date,
    managers: list[User],
) -> bool:
    """Record every lead time reached and not yet reminded; send one reminder if any."""
    now = timezone.now()
    new: list[int] = []
    for lead in due:
        try:
            with transaction.atomic():
                ExpiryReminder.objects.create(
                    practitioner=practitioner,
                    subject=subject,
                    expires_on=expires_on,
                    days_before=lead,
                    sent_at=now,
                )
        except IntegrityError:
            continue  # already sent, perhaps by an overlapping run
        new.append(lead)
    if not new:
        return False
    days_left = (expires_on - today).days
    when = f"on {rules.format_date(expires_on)}"
    in_days = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
    is_vetting = subject == VETTING_SUBJECT
    thing = "vetting" if is_vetting else f"'{what}' course"
    renew = (
        "Ask the programme team to start your vetting renewal now."
        if is_vetting
        else "Book the course again before then."
    )
    notify(
        recipients=[practitioner.user],
        kind=NotificationKind.EXPIRY_REMINDER,
        subject=f"Your {thing} expires {when}",
        body=(
            f"Your {thing} expires {when} ({in_days}). {renew} Without it in date you cannot "
            "see participants' records or record sessions."
        ),
        link=_link("providers:me"),
    )
    notify(
        recipients=managers,
        kind=NotificationKind.EXPIRY_REMINDER,
        subject=f"A practitioner's {thing} expires {when}",
        body=(
            f"A practitioner's {thing} expires {when} ({in_days}). Open their record to see "
            "what they need to renew."
        ),
        link=_practitioner_link(practitioner),
    )
    return True
