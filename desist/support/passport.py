"""The exit passport: what a participant takes with them on release, in plain English.

`passport_for` is the one place that decides what the passport holds. It copies only values
that are safe for the participant to hold into plain dataclasses, and the web page, the PDF
and the API render those dataclasses, never the records themselves. So nothing else of the
record can reach the passport by accident: no risk or MAPPA detail, concerns, compliance,
session notes, intelligence, offence details, PNC, prison or probation identifiers, referral
risk summaries, or the free-text notes of the needs assessment.

What it holds:

- key contacts: the community supervising officer (first name) and their probation service,
  the allocated practitioner (first name) and their provider, and the plan's own contacts;
- appointments from the release date to `APPOINTMENT_WINDOW` after it;
- the conditions they must keep, in plain words, one a line;
- signposted services for each identified need (low, medium or high in the latest
  assessment): active directory services for that pathway in the release region (or the
  participant's region) that the person is eligible for by sex and age, and the services
  that development-plan actions link to;
- the pre-release checklist with each item's status and note.

All its words are marked for translation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from desist.accounts.constants import OrganisationKind
from desist.accounts.models import Organisation, User
from desist.people.models import Participant
from desist.referrals.models import Allocation
from desist.support.constants import (
    ChecklistItem,
    ChecklistStatus,
    GoalStatus,
    NeedLevel,
    Owner,
    Pathway,
)
from desist.support.models import (
    Assessment,
    GoalAction,
    PathwayAssessment,
    ReleasePlan,
    Service,
)
from desist.support.selectors_directory import services_for_participant
from desist.support.services_release import condition_lines

# Appointments shown: from the release date to six weeks after it (both days included).
APPOINTMENT_WINDOW = dt.timedelta(weeks=6)
# Need levels that are signposted to services.
SIGNPOSTED_NEED_LEVELS = (NeedLevel.LOW, NeedLevel.MEDIUM, NeedLevel.HIGH)


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    organisation: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class PassportAppointment:
    starts_at: dt.datetime
    with_whom: str
    place: str
    purpose: str


@dataclass(frozen=True)
class SignpostedService:
    name: str
    description: str
    phone: str
    email: str
    website: str
    address: str
    opening_hours: str


@dataclass(frozen=True)
class NeedServices:
    """Services for one pathway the person needs help with."""

    pathway: str
    services: tuple[SignpostedService, ...]


@dataclass(frozen=True)
class ChecklistLine:
    item: str
    status: str  # the code, for styling
    status_label: str
    owner: str
    due_on: dt.date | None
    note: str


@dataclass(frozen=True)
class Passport:
    given_name: str
    family_name: str
    release_date: dt.date | None
    release_area: str
    prepared_on: dt.date
    contacts: tuple[Contact, ...]
    appointments: tuple[PassportAppointment, ...]
    appointments_from: dt.date
    appointments_until: dt.date
    conditions: tuple[str, ...]
    needs: tuple[NeedServices, ...]
    checklist: tuple[ChecklistLine, ...]

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


# Rules (pure) ------------------------------------------------------------------------------


def appointment_window(release_date: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the appointments shown: from the release date (today, when
    there is none) to APPOINTMENT_WINDOW after it."""
    start = release_date or today
    return start, start + APPOINTMENT_WINDOW


def page_counter_css() -> str:
    """The CSS `content` value for "Page N of M" in the translated words, with the numbers
    from the page counters (so the translation keeps its own word order)."""
    text = _("Page %(page)s of %(pages)s")
    parts: list[str] = []
    for piece in re.split(r"(%\(pages?\)s)", text):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            escaped = piece.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
            parts.append(f'"{escaped}"')
    return " ".join(parts)


# Building the passport ---------------------------------------------------------------------


def _first_name(user: User | None) -> str:
    return user.first_name.strip() if user is not None else ""


def _community_contact(participant: Participant, plan: ReleasePlan | None) -> Contact | None:
    """The community supervising officer and their probation service: the plan's community
    side, or the supervising organisation itself when that is a probation service."""
    organisation: Organisation | None
    officer: User | None
    if plan is not None and plan.community_organisation is not None:
        organisation, officer = plan.community_organisation, plan.community_officer
    elif participant.supervising_organisation.kind == OrganisationKind.PROBATION:
        organisation, officer = (
            participant.supervising_organisation,
            participant.supervising_officer,
        )
    else:
        return None
    return Contact(
        name=_first_name(officer),
        role=_("Your probation officer") if officer is not None else _("Your probation service"),
        organisation=organisation.name,
    )


def _practitioner_contact(participant: Participant) -> Contact | None:
    allocation = (
        Allocation.objects.filter(participant=participant, ended_at__isnull=True)
        .select_related("practitioner__user", "practitioner__organisation")
        .order_by("-allocated_at", "-id")
        .first()
    )
    if allocation is None:
        return None
    practitioner = allocation.practitioner
    return Contact(
        name=_first_name(practitioner.user),
        role=_("Your mentor from the support provider"),
        organisation=practitioner.organisation.name,
    )


def _contacts(participant: Participant, plan: ReleasePlan | None) -> tuple[Contact, ...]:
    found = [_community_contact(participant, plan), _practitioner_contact(participant)]
    if plan is not None:
        found += [
            Contact(
                name=row.name,
                role=row.role,
                phone=row.phone,
                email=row.email,
                address=row.address,
            )
            for row in plan.contacts.all()
        ]
    return tuple(contact for contact in found if contact is not None)


def _appointments(
    plan: ReleasePlan | None, start: dt.date, end: dt.date
) -> tuple[PassportAppointment, ...]:
    if plan is None:
        return ()
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    after_last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    rows = plan.appointments.filter(starts_at__gte=first, starts_at__lt=after_last).order_by(
        "starts_at", "id"
    )
    return tuple(
        PassportAppointment(
            starts_at=row.starts_at, with_whom=row.with_whom, place=row.place, purpose=row.purpose
        )
        for row in rows
    )


def _signposted(service: Service) -> SignpostedService:
    return SignpostedService(
        name=service.name,
        description=service.description,
        phone=service.phone,
        email=service.email,
        website=service.website,
        address=service.address,
        opening_hours=service.opening_hours,
    )


def _identified_needs(participant: Participant) -> set[str]:
    """Pathways with a need (low, medium or high) in the latest assessment. Only the pathway
    codes are read: never the need notes."""
    latest = (
        Assessment.objects.filter(participant=participant)
        .order_by("-assessed_on", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest is None:
        return set()
    return set(
        PathwayAssessment.objects.filter(
            assessment_id=latest, need_level__in=SIGNPOSTED_NEED_LEVELS
        ).values_list("pathway", flat=True)
    )


def _directory_matches(
    participant: Participant, needs: set[str], region_id: int, on: dt.date
) -> dict[str, list[Service]]:
    """Active directory services for each need that the person is eligible for, in the region
    (or national): the directory's own rule (`services_for_participant`), grouped by need."""
    if not needs:
        return {}
    found: dict[str, list[Service]] = {}
    eligible = services_for_participant(participant, today=on, region_id=region_id)
    for service in eligible.order_by("name", "id"):
        for pathway in service.pathways:
            if pathway in needs:
                found.setdefault(pathway, []).append(service)
    return found


def _linked_from_plan(participant: Participant) -> dict[str, list[Service]]:
    """Services that the development plan's actions signpost or refer to, by the goal's
    pathway (goals that were stopped are left out)."""
    actions = (
        GoalAction.objects.filter(
            goal__participant=participant, service__isnull=False, service__active=True
        )
        .exclude(goal__status=GoalStatus.STOPPED)
        .select_related("service", "goal")
        .order_by("service__name", "id")
    )
    found: dict[str, list[Service]] = {}
    for action in actions:
        if action.service is not None:
            found.setdefault(action.goal.pathway, []).append(action.service)
    return found


def _unique(services: Iterable[Service]) -> tuple[SignpostedService, ...]:
    seen: set[int] = set()
    kept: list[SignpostedService] = []
    for service in services:
        if service.pk not in seen:
            seen.add(service.pk)
            kept.append(_signposted(service))
    return tuple(kept)


def _needs(
    participant: Participant, plan: ReleasePlan | None, on: dt.date
) -> tuple[NeedServices, ...]:
    needs = _identified_needs(participant)
    region_id = (
        plan.release_region_id
        if plan is not None and plan.release_region_id is not None
        else participant.region_id
    )
    directory = _directory_matches(participant, needs, region_id, on)
    linked = _linked_from_plan(participant)
    groups: list[NeedServices] = []
    for pathway in Pathway:
        if pathway not in needs and pathway not in linked:
            continue
        services = _unique([*linked.get(pathway, []), *directory.get(pathway, [])])
        groups.append(NeedServices(pathway=str(pathway.label), services=services))
    return tuple(groups)


def owner_for_participant(owner: str) -> str:
    """Who is doing a checklist item, in words for the participant."""
    words: dict[str, str] = {
        Owner.PARTICIPANT: _("You"),
        Owner.PRACTITIONER: _("Your mentor"),
        Owner.SUPERVISING_OFFICER: _("Your probation officer"),
        Owner.PRISON_OFFENDER_MANAGER: _("Your prison offender manager"),
        Owner.PARTNER_SERVICE: _("A partner service"),
    }
    return words.get(owner, "")


def _checklist(plan: ReleasePlan | None) -> tuple[ChecklistLine, ...]:
    if plan is None:
        return ()
    order = {item: index for index, item in enumerate(ChecklistItem.values)}
    entries = sorted(plan.checklist.all(), key=lambda e: order.get(e.item, len(order)))
    return tuple(
        ChecklistLine(
            item=str(ChecklistItem(e.item).label),
            status=e.status,
            status_label=str(ChecklistStatus(e.status).label),
            owner=owner_for_participant(e.owner),
            due_on=e.due_on,
            note=e.note,
        )
        for e in entries
    )


def passport_for(participant: Participant, *, today: dt.date | None = None) -> Passport:
    """The exit passport of a participant who has already passed the access gate."""
    today = today or timezone.localdate()
    participant = (
        Participant.objects.select_related("supervising_organisation", "supervising_officer")
        .only(
            "pk",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "region_id",
            "expected_release_date",
            "supervising_organisation",
            "supervising_officer",
        )
        .get(pk=participant.pk)
    )
    plan = (
        ReleasePlan.objects.filter(participant=participant)
        .select_related("community_organisation", "community_officer")
        .prefetch_related("contacts", "checklist")
        .first()
    )
    release_date = participant.expected_release_date
    start, end = appointment_window(release_date, today)
    return Passport(
        given_name=participant.given_name,
        family_name=participant.family_name,
        release_date=release_date,
        release_area=plan.release_address_area if plan is not None else "",
        prepared_on=today,
        contacts=_contacts(participant, plan),
        appointments=_appointments(plan, start, end),
        appointments_from=start,
        appointments_until=end,
        conditions=tuple(condition_lines(plan.conditions_plain)) if plan is not None else (),
        needs=_needs(participant, plan, release_date or today),
        checklist=_checklist(plan),
    )


# The PDF -----------------------------------------------------------------------------------


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The PDF is made from the template alone: nothing is fetched, from the network or the
    disk, whatever a typed-in value might say."""
    raise ValueError("The exit passport does not load external resources.")


def passport_html(passport: Passport) -> str:
    return render_to_string(
        "support/passport_pdf.html",
        {
            "passport": passport,
            "page_counter": page_counter_css(),
            "language": get_language() or "en",
        },
    )


def passport_pdf(passport: Passport) -> bytes:
    """The passport as an A4 PDF, with "Page N of M" at the foot of every page."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=passport_html(passport), url_fetcher=_refuse_fetch).write_pdf()
    return pdf
