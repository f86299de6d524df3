"""Demo person-centred support, on top of the demo participants and their allocations.

A directory of (fictional) services imported through the real CSV importer; for people with a
current allocation, a first needs and strengths assessment and a reassessment, monthly ONS
personal well-being scores, and a development plan with goals and actions (some achieved);
for people in custody due out within the next weeks, a release plan with a checklist part
done, appointments after release, contacts and conditions in plain words, so the countdown,
the progress charts and the exit passport all have something to show.

Everything goes through the services, acting as the demo users. Dates in the past are the
records' own dates (assessed on, completed on, achieved on), which the services take as
arguments; nothing is backdated and the audit trail is the real one. Deterministic for a seed
and a day; bounded (at most MAX_PEOPLE people and MAX_RELEASES release plans).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils import timezone

from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import User
from desist.people.models import Participant
from desist.referrals.models import Allocation
from desist.support.constants import (
    NEED_SCORE,
    ActionStatus,
    ChecklistItem,
    ChecklistStatus,
    GoalStatus,
    NeedLevel,
    Owner,
    Pathway,
    ServiceLink,
)
from desist.support.importer_services import services_import
from desist.support.instruments import item_definitions, pathway_definitions
from desist.support.models import (
    Appointment,
    Assessment,
    Goal,
    GoalAction,
    Instrument,
    MeasureResponse,
    PassportContact,
    PathwayAssessment,
    ReleaseChecklistEntry,
    ReleasePlan,
    Service,
)
from desist.support.selectors_directory import services_for_participant
from desist.support.services_assessments import assessment_record, measure_response_record
from desist.support.services_plan import action_create, action_update, goal_achieve, goal_create
from desist.support.services_release import (
    release_appointment_create,
    release_checklist_update,
    release_contact_create,
    release_plan_create,
)

DEMO_SERVICES = Path(__file__).with_name("demo_services.csv")
MAX_PEOPLE = 60
MAX_RELEASES = 12
RELEASE_WINDOW_DAYS = 12 * 7

LEVELS = [NeedLevel.NONE, NeedLevel.LOW, NeedLevel.MEDIUM, NeedLevel.HIGH]

GOALS: dict[str, tuple[str, str, str]] = {
    # pathway: (goal, first action, celebration when achieved)
    Pathway.ACCOMMODATION: (
        "Find a settled home for at least the next year",
        "Meet the housing adviser and fill in the housing application",
        "Moved into a flat of their own and has the keys.",
    ),
    Pathway.DRUGS_ALCOHOL: (
        "Cut down drinking to within safe limits",
        "Go to the first recovery group",
        "Three months without a drink: said it was the first time in years.",
    ),
    Pathway.MENTAL_HEALTH: (
        "Get regular support for low mood",
        "Book an appointment with the GP to talk about mood",
        "Started counselling and says the weeks feel lighter.",
    ),
    Pathway.PHYSICAL_HEALTH: (
        "Register with a GP and a dentist",
        "Register with the local GP practice",
        "Registered with a GP and had a first health check.",
    ),
    Pathway.ATTITUDES: (
        "Talk through difficult views with the mentor before acting on them",
        "Keep a diary of moments of anger to talk about in sessions",
        "Walked away from an argument online and talked it through instead.",
    ),
    Pathway.EDUCATION_EMPLOYMENT: (
        "Gain a qualification that leads to work",
        "Enrol on the English and maths course",
        "Passed the level 1 maths exam.",
    ),
    Pathway.FINANCE: (
        "Have a bank account and a plan for debts",
        "Apply for a basic bank account",
        "Opened a bank account and agreed a debt repayment plan.",
    ),
    Pathway.FAMILIES: (
        "Rebuild contact with their children",
        "Write a letter to the children's mother to ask about contact",
        "Had the first supervised visit with their daughter.",
    ),
    Pathway.IDENTITY: (
        "Find a group where they feel they belong",
        "Go along to the community football session",
        "Joined the football team and was made vice-captain.",
    ),
}

CONDITIONS = (
    "Live at the address your probation officer approves, and stay there overnight.",
    "Go to every appointment with your probation officer and your mentor.",
    "Ask your probation officer before you travel outside your area.",
    "Tell your probation officer about any phone, computer or internet use they ask about.",
    "Do not contact the people your probation officer has named.",
)


class _Demo:
    def __init__(self, *, seed: int, today: dt.date) -> None:
        self.dice = random.Random(seed * 7919 + 4)  # noqa: S311 - made-up demo data
        self.today = today
        self.counts: dict[str, int] = {}
        self.needs = Instrument.objects.get(key="needs-assessment", active=True)
        self.ons4 = Instrument.objects.get(key="ons4", active=True)
        self.manager = User.objects.filter(username="programme.manager").first()

    def build(self) -> dict[str, int]:
        result = services_import(path=DEMO_SERVICES, actor=self.manager, dry_run=False)
        self.counts["services"] = Service.objects.count()
        del result
        allocations = (
            Allocation.objects.filter(ended_at__isnull=True)
            .select_related("participant", "practitioner__user")
            .order_by("allocated_at", "id")[:MAX_PEOPLE]
        )
        for allocation in allocations:
            self._support(allocation)
        self._releases()
        self.counts["assessments"] = Assessment.objects.count()
        self.counts["measure_responses"] = MeasureResponse.objects.count()
        self.counts["goals"] = Goal.objects.count()
        self.counts["goal_actions"] = GoalAction.objects.count()
        self.counts["release_plans"] = ReleasePlan.objects.count()
        return self.counts

    # Assessments, measures and the development plan --------------------------------------

    def _writer(self, allocation: Allocation) -> User:
        """The allocated practitioner records the support work; where they are not cleared
        today (the demo has a suspended one), the supervising officer does."""
        from desist.accounts.access import SUPPORT_WRITERS, has_relationship

        participant = allocation.participant
        for user in (allocation.practitioner.user, participant.supervising_officer, self.manager):
            if user is not None and has_relationship(user, participant, SUPPORT_WRITERS):
                return user
        raise LookupError("no demo user may write this participant's support records")

    def _support(self, allocation: Allocation) -> None:
        participant = allocation.participant
        writer = self._writer(allocation)
        started = max(timezone.localdate(allocation.allocated_at), self.today - dt.timedelta(360))
        # At least nine weeks of history, so reassessment and the charts have something to show.
        first = min(started + dt.timedelta(days=7), self.today - dt.timedelta(days=63))
        levels = {code: self.dice.choice(LEVELS) for code in Pathway.values}
        self._assess(writer, participant, first, levels)
        if (self.today - first).days >= 42:
            # Progress on most pathways, a setback on one: desistance is not a straight line.
            better = {
                code: LEVELS[max(0, LEVELS.index(NeedLevel(level)) - self.dice.choice((0, 1, 1)))]
                for code, level in levels.items()
            }
            setback = self.dice.choice(Pathway.values)
            better[setback] = LEVELS[min(3, LEVELS.index(NeedLevel(levels[setback])) + 1)]
            self._assess(writer, participant, self.today - dt.timedelta(days=5), better)
        self._measures(writer, participant, first)
        self._plan(writer, participant, levels)

    def _assess(
        self, writer: User, participant: Participant, day: dt.date, levels: Mapping[str, str]
    ) -> None:
        pathways = []
        for code, definition in pathway_definitions(self.needs.definition).items():
            answers: dict[str, Any] = {}
            for question in definition.get("questions", []):
                if question["type"] == "yes_no":
                    answers[question["key"]] = self.dice.choice(("yes", "no"))
                elif question["type"] == "choice":
                    answers[question["key"]] = self.dice.choice(question["options"])["value"]
            need = levels[code]
            pathways.append(
                {
                    "pathway": code,
                    "need_level": need,
                    "strengths": "Wants to change and keeps appointments."
                    if NEED_SCORE[need] < 2
                    else "Family support; says they want to make this work.",
                    "answers": answers,
                }
            )
        assessment_record(
            actor=writer,
            participant=participant,
            instrument=self.needs,
            assessed_on=day,
            summary="Agreed with the participant in session.",
            pathways=pathways,
        )

    def _measures(self, writer: User, participant: Participant, first: dt.date) -> None:
        items = item_definitions(self.ons4.definition)
        base = {key: self.dice.randint(2, 6) for key in items}
        day, step = first, 0
        while day <= self.today:
            scores = {}
            for key, item in items.items():
                drift = step if item.get("better", "higher") == "higher" else -step
                scores[key] = max(item["min"], min(item["max"], base[key] + drift // 2))
            measure_response_record(
                actor=writer,
                participant=participant,
                instrument=self.ons4,
                completed_on=day,
                scores=scores,
            )
            day += dt.timedelta(days=30)
            step += 1

    def _plan(self, writer: User, participant: Participant, levels: Mapping[str, str]) -> None:
        ranked = sorted(levels, key=lambda code: (-NEED_SCORE[levels[code]], code))
        for index, pathway in enumerate(ranked[:3]):
            text, action_text, celebration = GOALS[pathway]
            goal = goal_create(
                actor=writer,
                participant=participant,
                pathway=pathway,
                description=text,
                review_on=self.today + dt.timedelta(days=28 + 14 * index),
                status=GoalStatus.IN_PROGRESS,
            )
            service = next(iter(services_for_participant(participant, pathway=pathway)), None)
            owner = Owner.PARTNER_SERVICE if service is not None else Owner.PARTICIPANT
            action = action_create(
                actor=writer,
                goal=goal,
                description=action_text,
                owner=owner,
                service=service,
                service_link=ServiceLink.SIGNPOST if service is not None else "",
                due_on=self.today + dt.timedelta(days=7 * (index + 1)),
            )
            if index == 0 and self.dice.random() < 0.6:
                action_update(
                    actor=writer,
                    action=action,
                    description=action.description,
                    owner=action.owner,
                    service=action.service,
                    service_link=action.service_link,
                    due_on=action.due_on,
                    review_on=action.review_on,
                    status=ActionStatus.DONE,
                    completed_on=self.today - dt.timedelta(days=3),
                )
                goal_achieve(
                    actor=writer,
                    goal=goal,
                    achieved_on=self.today - dt.timedelta(days=2),
                    celebration=celebration,
                )

    # Release planning ---------------------------------------------------------------------

    def _releases(self) -> None:
        pom = User.objects.filter(username="pom.prison").first()
        if pom is None:
            return
        due = (
            Participant.objects.filter(
                ~Q(custody_establishment=""),
                expected_release_date__gte=self.today + dt.timedelta(days=1),
                supervising_organisation=pom.organisation,
            )
            .prefetch_related("agencies")
            .order_by("expected_release_date", "id")[:MAX_RELEASES]
        )
        for index, participant in enumerate(due):
            self._release(pom, participant, index)

    def _release(self, pom: User, participant: Participant, index: int) -> None:
        probation = next(
            (a for a in participant.agencies.all() if a.kind == OrganisationKind.PROBATION), None
        )
        officer = (
            User.objects.filter(
                organisation=probation,
                is_active=True,
                role_grants__role=Role.SUPERVISING_OFFICER,
            )
            .order_by("username")
            .first()
            if probation is not None
            else None
        )
        # Release dates confirmed in planning: spread over the countdown's twelve weeks.
        release = participant.expected_release_date
        latest = self.today + dt.timedelta(days=RELEASE_WINDOW_DAYS)
        if release is None or release > latest:
            release = self.today + dt.timedelta(days=10 + 6 * index)
        plan = release_plan_create(
            actor=pom,
            participant=participant,
            expected_release_date=release,
            release_address_area=participant.region.name,
            release_region=participant.region,
            community_organisation=probation,
            community_officer=officer,
            conditions_plain="\n".join(CONDITIONS[: 3 + index % 3]),
        )
        entries = list(plan.checklist.order_by("id"))
        done = min(len(entries), 2 + index % 5)
        owners = {
            ChecklistItem.ACCOMMODATION: Owner.SUPERVISING_OFFICER,
            ChecklistItem.IDENTITY_DOCUMENTS: Owner.PRISON_OFFENDER_MANAGER,
            ChecklistItem.BANK_ACCOUNT: Owner.PRISON_OFFENDER_MANAGER,
            ChecklistItem.GP_REGISTRATION: Owner.PARTICIPANT,
            ChecklistItem.BENEFITS_CLAIM: Owner.PARTNER_SERVICE,
            ChecklistItem.FIRST_PROBATION_APPOINTMENT: Owner.SUPERVISING_OFFICER,
            ChecklistItem.PROVIDER_CONTINUITY: Owner.PRACTITIONER,
        }
        for position, entry in enumerate(entries):
            status = (
                ChecklistStatus.DONE
                if position < done
                else ChecklistStatus.IN_PROGRESS
                if position == done
                else ChecklistStatus.NOT_STARTED
            )
            release_checklist_update(
                actor=pom,
                entry=entry,
                data={
                    "owner": owners.get(ChecklistItem(entry.item), Owner.PRISON_OFFENDER_MANAGER),
                    "status": status,
                    "due_on": release - dt.timedelta(days=14),
                    "note": "Done before release." if status == ChecklistStatus.DONE else "",
                },
            )
        first_day = timezone.make_aware(dt.datetime.combine(release, dt.time(14, 0)))
        release_appointment_create(
            actor=pom,
            plan=plan,
            starts_at=first_day,
            with_whom="Your probation officer",
            place=f"{probation.name if probation else 'Probation'} office",
            purpose="First appointment after release: bring this passport and your licence.",
        )
        release_appointment_create(
            actor=pom,
            plan=plan,
            starts_at=first_day + dt.timedelta(days=3, hours=-3),
            with_whom="Your mentor",
            place="The community centre agreed with your mentor",
            purpose="First mentoring session outside prison.",
        )
        release_contact_create(
            actor=pom,
            plan=plan,
            name="Approved premises staff team",
            role="Help with where you live for the first weeks",
            phone="020 7946 0999",
        )


def demo_support_create(*, seed: int, today: dt.date) -> dict[str, int]:
    return _Demo(seed=seed, today=today).build()


def demo_support_delete() -> dict[str, int]:
    """Delete every support record (before participants, users and organisations go)."""
    counts: dict[str, int] = {}
    steps: Sequence[tuple[str, Any]] = (
        ("appointments", Appointment.objects.all()),
        ("passport_contacts", PassportContact.objects.all()),
        ("release_checklist", ReleaseChecklistEntry.objects.all()),
        ("release_plans", ReleasePlan.objects.all()),
        ("goal_actions", GoalAction.objects.all()),
        ("goals", Goal.objects.all()),
        ("measure_responses", MeasureResponse.objects.all()),
        ("pathway_assessments", PathwayAssessment.objects.all()),
        ("assessments", Assessment.objects.all()),
        ("services", Service.objects.all()),
    )
    for label, queryset in steps:
        counts[label] = queryset.delete()[0]
    return counts
