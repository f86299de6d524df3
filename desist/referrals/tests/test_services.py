from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import World, make_participant, make_user
from desist.accounts.access import participants_for
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.audit.models import AuditEvent
from desist.delivery.constants import DeadlineKind
from desist.delivery.models import Deadline
from desist.notifications.constants import EmailStatus, NotificationKind
from desist.notifications.models import Notification
from desist.people.constants import LegalBasisKind, Status
from desist.people.models import LegalBasis, Participant
from desist.providers.constants import PractitionerStatus
from desist.providers.models import Practitioner
from desist.providers.tests.factories import make_contract, make_practitioner
from desist.referrals import services
from desist.referrals.constants import AllocationMethod, DeclineReason, ReferralStatus
from desist.referrals.models import Allocation, Referral, ReferralStatusChange
from desist.referrals.selectors import unallocated_with_reasons

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any, settings: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.DESIST_HOLIDAYS_SUBDIVISION = "ENG"
    settings.DESIST_DEADLINE_WORKING_DAYS = {
        "first_contact": 5,
        "first_session": 10,
        "plan_approval": 20,
        "end_report": 10,
    }


@dataclass
class Scene:
    world: World
    officer: User
    manager: User
    mentor: Practitioner  # Mentors Ltd, London, speaks Urdu
    other: Practitioner  # Other Mentors, North West only
    basis: LegalBasis

    @property
    def case(self) -> Participant:
        return self.world.case


@pytest.fixture
def scene(world: World) -> Scene:
    other_user = world.personas["other_provider_practitioner"]
    make_contract(world.provider, capacity=10, regions=[world.london, world.north_west])
    make_contract(other_user.organisation, capacity=10, regions=[world.north_west])
    mentor = make_practitioner(
        world.personas["practitioner"], regions=[world.london], languages=["en", "ur"]
    )
    other = make_practitioner(other_user, regions=[world.north_west])
    basis = LegalBasis.objects.create(
        participant=world.case,
        kind=LegalBasisKind.LICENCE,
        start_date=dt.date(2025, 1, 6),
        attendance_mandatory=True,
    )
    return Scene(
        world=world,
        officer=world.personas["supervising_officer"],
        manager=world.personas["programme_manager"],
        mentor=mentor,
        other=other,
        basis=basis,
    )


def refer(scene: Scene, participant: Participant | None = None, **extra: Any) -> Referral:
    fields: dict[str, Any] = {
        "actor": scene.officer,
        "participant": participant or scene.case,
        "reason": "Licence condition to engage with the programme.",
        "needs": ["mentoring"],
        "risk_summary": "Full picture for statutory partners.",
        "risk_summary_for_provider": "What the provider needs to know.",
        "legal_basis": scene.basis if participant is None else None,
    }
    return services.referral_create(**(fields | extra))


def accepted(scene: Scene, participant: Participant | None = None, **extra: Any) -> Referral:
    referral = refer(scene, participant, **extra)
    return services.referral_accept(actor=scene.manager, referral=referral)


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(entity=obj._meta.label_lower, entity_id=str(obj.pk)).values_list(
            "action", flat=True
        )
    )


def notices(user: User, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


# referral_create -----------------------------------------------------------------------------


def test_supervising_officer_refers_with_history_audit_and_notice(scene: Scene) -> None:
    referral = refer(scene, expected_end_date=dt.date(2027, 3, 1), preferred_language="ur")
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.referred_at == NOW
    assert referral.referring_organisation == scene.world.probation_london
    assert referral.attendance_mandatory is True
    assert [(c.from_status, c.to_status) for c in referral.status_history.all()] == [
        ("", ReferralStatus.SUBMITTED)
    ]
    assert audit_actions(referral) == ["create"]
    event = AuditEvent.objects.get(entity="referrals.referral", entity_id=str(referral.pk))
    assert event.participant_ref == str(scene.case.uuid)
    assert event.changes["risk_summary"] == [None, "Full picture for statutory partners."]
    [notice] = notices(scene.manager, NotificationKind.REFERRAL)
    assert notice.subject == "New referral for CASE-1"
    assert "Zebedee" not in notice.subject + notice.body
    assert notice.link.startswith(f"/participants/{scene.case.uuid}/")


def test_attendance_is_not_mandatory_without_a_mandatory_legal_basis(scene: Scene) -> None:
    scene.basis.attendance_mandatory = False
    scene.basis.save()
    assert refer(scene).attendance_mandatory is False


def test_attendance_is_not_mandatory_without_a_legal_basis(scene: Scene) -> None:
    assert refer(scene, legal_basis=None).attendance_mandatory is False


def test_programme_manager_may_refer(scene: Scene) -> None:
    assert refer(scene, actor=scene.manager).referred_by == scene.manager


@pytest.mark.parametrize(
    "persona",
    [
        "officer_other_area",
        "prison_offender_manager",
        "police_london",
        "practitioner",
        "analyst",
        "administrator",
        "no_roles",
    ],
)
def test_only_the_supervising_organisation_or_programme_team_may_refer(
    scene: Scene, persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        refer(scene, actor=scene.world.personas[persona])
    assert not Referral.objects.exists()


def test_an_involved_agency_may_not_refer(scene: Scene) -> None:
    scene.case.agencies.add(scene.world.prison)
    with pytest.raises(PermissionDenied):
        refer(scene, actor=scene.world.personas["prison_offender_manager"])


def test_legal_basis_of_another_participant_is_refused(scene: Scene) -> None:
    elsewhere = LegalBasis.objects.create(
        participant=scene.world.other_case,
        kind=LegalBasisKind.LICENCE,
        start_date=dt.date(2025, 1, 6),
    )
    with pytest.raises(ValidationError) as error:
        refer(scene, legal_basis=elsewhere)
    assert "legal_basis" in error.value.message_dict
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"needs": []}, "needs"),
        ({"needs": ["astrology"]}, "needs"),
        ({"risk_summary": ""}, "risk_summary"),
        ({"risk_summary_for_provider": ""}, "risk_summary_for_provider"),
        ({"expected_end_date": dt.date(2026, 3, 1)}, "expected_end_date"),
        ({"preferred_language": "xx"}, "preferred_language"),
    ],
)
def test_bad_referral_input_names_the_field_and_writes_nothing(
    scene: Scene, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        refer(scene, **change)
    assert field in error.value.message_dict
    assert not Referral.objects.exists()
    assert not ReferralStatusChange.objects.exists()
    assert not Notification.objects.exists()


def test_a_second_open_referral_is_refused_naming_the_first(scene: Scene) -> None:
    refer(scene)
    with pytest.raises(ValidationError) as error:
        refer(scene)
    assert error.value.message_dict["participant"] == [
        "This participant already has an open referral, made on 2 March 2026 (submitted). "
        "Close that referral before making a new one."
    ]
    assert Referral.objects.count() == 1


def test_a_new_referral_is_allowed_once_the_last_is_declined(scene: Scene) -> None:
    first = refer(scene)
    services.referral_decline(
        actor=scene.manager, referral=first, reason=DeclineReason.TOO_LITTLE_TIME
    )
    assert refer(scene).pk != first.pk


# A referral made on a case with history, with a programme team of several managers: none of
# it may add queries. 15 = savepoint, participant lock, open-referral check, two inserts, the
# audit event (5), the programme managers and their notices (4), release. (The actor's roles
# are already loaded, as they are in a request.)
REFERRAL_CREATE_QUERIES = 15


def test_referral_create_runs_a_fixed_number_of_queries(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    for number in range(3):
        make_user(f"manager_{number}", scene.world.programme_team, Role.PROGRAMME_MANAGER)
    for _ in range(2):
        services.referral_close(actor=scene.officer, referral=refer(scene), reason="Withdrawn.")
    with django_assert_max_num_queries(REFERRAL_CREATE_QUERIES):
        referral = refer(scene)
    assert Notification.objects.filter(link__contains=str(referral.uuid)).count() == 4


# Triage --------------------------------------------------------------------------------------


def test_programme_manager_accepts_and_the_referrer_is_told_in_the_app(scene: Scene) -> None:
    referral = services.referral_accept(actor=scene.manager, referral=refer(scene), note="OK")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    latest = referral.status_history.first()
    assert latest is not None
    assert (latest.from_status, latest.to_status, latest.note, latest.changed_by) == (
        ReferralStatus.SUBMITTED,
        ReferralStatus.ACCEPTED,
        "OK",
        scene.manager,
    )
    assert audit_actions(referral) == ["create", "update"]
    [notice] = notices(scene.officer, NotificationKind.REFERRAL)
    assert notice.email_status == EmailStatus.NOT_SENT


@pytest.mark.parametrize(
    "action",
    [
        lambda s, r: services.referral_accept(actor=s.officer, referral=r),
        lambda s, r: services.referral_decline(
            actor=s.officer, referral=r, reason=DeclineReason.DUPLICATE
        ),
        lambda s, r: services.referral_request_information(
            actor=s.officer, referral=r, question="?"
        ),
    ],
    ids=["accept", "decline", "request_information"],
)
def test_only_programme_managers_triage(scene: Scene, action: Any) -> None:
    referral = refer(scene)
    with pytest.raises(PermissionDenied):
        action(scene, referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED
    assert audit_actions(referral) == ["create"]


def test_decline_records_the_coded_reason_and_tells_the_referrer(scene: Scene) -> None:
    referral = services.referral_decline(
        actor=scene.manager,
        referral=refer(scene),
        reason=DeclineReason.ALREADY_SUPPORTED,
        note="Seeing a local mentor.",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == DeclineReason.ALREADY_SUPPORTED
    assert referral.triage_note == "Seeing a local mentor."
    event = AuditEvent.objects.filter(entity_id=str(referral.pk), action="update").get()
    assert event.changes["decline_reason"] == ["", "already_supported"]
    [notice] = notices(scene.officer, NotificationKind.REFERRAL)
    assert notice.body.endswith("Already receiving equivalent support.")
    assert notice.email_status == EmailStatus.PENDING


def test_decline_for_other_reason_needs_a_note(scene: Scene) -> None:
    referral = refer(scene)
    with pytest.raises(ValidationError) as error:
        services.referral_decline(actor=scene.manager, referral=referral, reason="other", note="")
    assert "note" in error.value.message_dict
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED


def test_asking_for_information_tells_the_referrer_by_email(scene: Scene) -> None:
    referral = services.referral_request_information(
        actor=scene.manager, referral=refer(scene), question="Which mosque does he attend?"
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INFORMATION_REQUESTED
    assert referral.triage_note == "Which mosque does he attend?"
    [notice] = notices(scene.officer, NotificationKind.REFERRAL)
    assert notice.subject == "More information needed for CASE-1"
    assert "mosque" not in notice.body
    assert notice.email_status == EmailStatus.PENDING


def test_the_question_goes_to_the_supervising_officer_when_the_referrer_has_left(
    scene: Scene,
) -> None:
    referral = refer(scene, actor=scene.world.personas["colleague_same_org"])
    scene.world.personas["colleague_same_org"].is_active = False
    scene.world.personas["colleague_same_org"].save()
    services.referral_request_information(actor=scene.manager, referral=referral, question="?")
    assert len(notices(scene.officer, NotificationKind.REFERRAL)) == 1


def test_question_must_not_be_blank(scene: Scene) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_request_information(
            actor=scene.manager, referral=refer(scene), question=" "
        )
    assert "question" in error.value.message_dict


def test_referrer_answers_and_the_referral_returns_to_triage(scene: Scene) -> None:
    referral = services.referral_request_information(
        actor=scene.manager, referral=refer(scene), question="Which mosque?"
    )
    Notification.objects.all().delete()
    services.referral_provide_information(
        actor=scene.officer, referral=referral, answer="None at present."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED
    latest = referral.status_history.first()
    assert latest is not None
    assert latest.note == "None at present."
    assert audit_actions(referral) == ["create", "update", "update"]
    assert len(notices(scene.manager, NotificationKind.REFERRAL)) == 1


@pytest.mark.parametrize("persona", ["officer_other_area", "police_london", "practitioner"])
def test_only_the_referrers_side_may_answer(scene: Scene, persona: str) -> None:
    referral = services.referral_request_information(
        actor=scene.manager, referral=refer(scene), question="?"
    )
    with pytest.raises(PermissionDenied):
        services.referral_provide_information(
            actor=scene.world.personas[persona], referral=referral, answer="x"
        )


def test_answering_when_nothing_was_asked_is_refused(scene: Scene) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_provide_information(
            actor=scene.officer, referral=refer(scene), answer="x"
        )
    assert "status" in error.value.message_dict


def test_a_declined_referral_cannot_then_be_accepted(scene: Scene) -> None:
    referral = services.referral_decline(
        actor=scene.manager, referral=refer(scene), reason=DeclineReason.DUPLICATE
    )
    with pytest.raises(ValidationError) as error:
        services.referral_accept(actor=scene.manager, referral=referral)
    assert "status" in error.value.message_dict


def test_a_stale_copy_cannot_move_a_referral_twice(scene: Scene) -> None:
    referral = refer(scene)
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_decline(actor=scene.manager, referral=referral, reason="duplicate")
    with pytest.raises(ValidationError):
        services.referral_accept(actor=scene.manager, referral=stale)


def test_referrer_withdraws_and_the_programme_team_is_told(scene: Scene) -> None:
    referral = services.referral_close(
        actor=scene.officer, referral=refer(scene), reason="Moved abroad."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    event = AuditEvent.objects.filter(entity_id=str(referral.pk), action="update").get()
    assert event.changes == {
        "status": ["submitted", "closed"],
        "close_reason": [None, "Moved abroad."],
    }
    assert [n.subject for n in notices(scene.manager, NotificationKind.REFERRAL)] == [
        "New referral for CASE-1",
        "Referral withdrawn for CASE-1",
    ]


@pytest.mark.parametrize("persona", ["police_london", "officer_other_area", "practitioner"])
def test_others_may_not_close_a_referral(scene: Scene, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.referral_close(
            actor=scene.world.personas[persona], referral=refer(scene), reason="x"
        )


def test_closing_needs_a_reason(scene: Scene) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_close(actor=scene.officer, referral=refer(scene), reason="")
    assert "reason" in error.value.message_dict


# Ranking and allocation ----------------------------------------------------------------------


def test_rank_lists_approved_practitioners_with_reasons(scene: Scene) -> None:
    suspended_user = make_user("suspended", scene.world.provider, Role.PRACTITIONER)
    make_practitioner(
        suspended_user, regions=[scene.world.london], status=PractitionerStatus.SUSPENDED
    )
    referral = accepted(scene, preferred_language="ur")
    ranked = services.referral_rank(referral, on=TODAY)
    assert [(row.id, row.eligible, row.position) for row in ranked] == [
        (scene.mentor.pk, True, 1),
        (scene.other.pk, False, None),
    ]
    assert "Speaks Urdu, the preferred language (+15)" in [r.explanation for r in ranked[0].reasons]
    assert [r.explanation for r in ranked[1].fit.exclusions] == [
        "Does not work in the participant's region"
    ]
    assert ranked[0].practitioner.uuid == str(scene.mentor.uuid)


def test_confirming_allocates_opens_deadlines_activates_and_tells_people(scene: Scene) -> None:
    referral = accepted(scene)
    allocation = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    referral.refresh_from_db()
    scene.case.refresh_from_db()
    assert referral.status == ReferralStatus.ALLOCATED
    assert allocation.is_current
    assert allocation.method == AllocationMethod.MANUAL
    # 50 for mentoring + 5 for room for 10 more
    assert allocation.score == 55
    assert allocation.reasons[0]["explanation"] == "Covers all 1 need: Mentoring (+50)"
    assert scene.case.status == Status.ACTIVE
    assert scene.case.status_history.first().reason == "Allocated to a practitioner"  # type: ignore[union-attr]
    deadlines = {d.kind: d.due_on for d in Deadline.objects.filter(allocation=allocation)}
    # Monday 2 March 2026 + 5 and + 10 working days.
    assert deadlines == {
        DeadlineKind.FIRST_CONTACT: dt.date(2026, 3, 9),
        DeadlineKind.FIRST_SESSION: dt.date(2026, 3, 16),
    }
    [to_mentor] = notices(scene.mentor.user, NotificationKind.ALLOCATION)
    assert to_mentor.body == (
        "You have been allocated participant CASE-1. Make first contact by 9 March 2026."
    )
    [to_officer] = notices(scene.officer, NotificationKind.ALLOCATION)
    assert to_officer.subject == "Practitioner allocated for CASE-1"
    assert audit_actions(allocation) == ["create"]
    assert audit_actions(referral) == ["create", "update", "update"]


def test_a_participant_already_active_keeps_their_status(scene: Scene) -> None:
    Participant.objects.filter(pk=scene.case.pk).update(status=Status.PAUSED)
    referral = accepted(scene)
    services.allocation_confirm(actor=scene.manager, referral=referral, practitioner=scene.mentor)
    scene.case.refresh_from_db()
    assert scene.case.status == Status.PAUSED


def test_confirming_an_ineligible_practitioner_is_refused_with_the_reasons(scene: Scene) -> None:
    referral = accepted(scene)
    with pytest.raises(ValidationError) as error:
        services.allocation_confirm(
            actor=scene.manager, referral=referral, practitioner=scene.other
        )
    assert error.value.message_dict["practitioner"] == [
        "This practitioner cannot be allocated: Does not work in the participant's region."
    ]
    assert not Allocation.objects.exists()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED


def test_eligibility_is_checked_again_at_confirmation(scene: Scene) -> None:
    referral = accepted(scene)
    ranked = services.referral_rank(referral, on=TODAY)
    assert ranked[0].eligible
    Practitioner.objects.filter(pk=scene.mentor.pk).update(max_caseload=0)
    with pytest.raises(ValidationError) as error:
        services.allocation_confirm(
            actor=scene.manager, referral=referral, practitioner=scene.mentor
        )
    assert "Their caseload is full" in error.value.message_dict["practitioner"][0]


def test_vetting_must_last_the_expected_period_at_confirmation(scene: Scene) -> None:
    referral = accepted(scene, expected_end_date=dt.date(2030, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.allocation_confirm(
            actor=scene.manager, referral=referral, practitioner=scene.mentor
        )
    assert (
        "before the expected end on 1 January 2030" in error.value.message_dict["practitioner"][0]
    )


def test_only_accepted_referrals_can_be_allocated(scene: Scene) -> None:
    referral = refer(scene)
    with pytest.raises(ValidationError) as error:
        services.allocation_confirm(
            actor=scene.manager, referral=referral, practitioner=scene.mentor
        )
    assert "status" in error.value.message_dict


@pytest.mark.parametrize("persona", ["supervising_officer", "practitioner", "police_london"])
def test_only_programme_managers_allocate(scene: Scene, persona: str) -> None:
    referral = accepted(scene)
    with pytest.raises(PermissionDenied):
        services.allocation_confirm(
            actor=scene.world.personas[persona], referral=referral, practitioner=scene.mentor
        )
    with pytest.raises(PermissionDenied):
        services.allocate_queue(actor=scene.world.personas[persona], on=TODAY)


def test_allocating_an_empty_queue_does_nothing(scene: Scene) -> None:
    assert services.allocate_queue(actor=scene.manager, on=TODAY) == []


def test_the_queue_is_allocated_optimally_not_first_come_first_served(scene: Scene) -> None:
    world = scene.world
    # mentor: London and North West, speaks Urdu, one place. second: London only, one place.
    Practitioner.objects.filter(pk=scene.mentor.pk).update(max_caseload=1)
    scene.mentor.regions.add(world.north_west)
    scene.other.regions.clear()  # out of the picture: works nowhere
    second = make_practitioner(
        make_user("mentor2", world.provider, Role.PRACTITIONER),
        regions=[world.london],
        max_caseload=1,
    )
    north = make_participant(
        reference="CASE-3",
        family_name="Northerner",
        organisation=world.probation_london,
        region=world.north_west,
    )
    london = make_participant(
        reference="CASE-4",
        family_name="Londoner",
        organisation=world.probation_london,
        region=world.london,
    )
    older = accepted(scene, preferred_language="ur")
    time_later = [older.referred_at + dt.timedelta(minutes=m) for m in (1, 2)]
    newer = accepted(scene, north)
    third = accepted(scene, london, needs=["mentoring", "theological"])
    Referral.objects.filter(pk=newer.pk).update(referred_at=time_later[0])
    Referral.objects.filter(pk=third.pk).update(referred_at=time_later[1])
    # older: mentor 50+15+1 = 66, second 50+1 = 51.  newer (North West): mentor 51 only.
    # third: mentor 25+1 = 26, second 26.
    # First come first served: older -> mentor (66), newer -> nobody, third -> second (26): 92.
    # Optimal: older -> second (51), newer -> mentor (51): 102, third waits.
    made = services.allocate_queue(actor=scene.manager, on=TODAY)
    assert [(a.referral_id, a.practitioner_id) for a in made] == [
        (older.pk, second.pk),
        (newer.pk, scene.mentor.pk),
    ]
    assert all(a.method == AllocationMethod.QUEUE for a in made)
    assert sum(a.score for a in made) == 102
    assert set(Referral.objects.filter(status="allocated").values_list("pk", flat=True)) == {
        older.pk,
        newer.pk,
    }
    [left] = unallocated_with_reasons(scene.manager, on=TODAY)
    assert left.referral == third
    assert left.eligible_count == 0
    assert left.why == (
        "No eligible practitioner: 1 do not work in the participant's region; "
        "2 have no places left."
    )


def test_queue_respects_the_contract_places_of_an_organisation(scene: Scene) -> None:
    world = scene.world
    world.provider.contracts.update(capacity=1)
    north = make_participant(
        reference="CASE-3",
        family_name="Northerner",
        organisation=world.probation_london,
        region=world.london,
    )
    accepted(scene)
    accepted(scene, north)
    made = services.allocate_queue(actor=scene.manager, on=TODAY)
    assert len(made) == 1


def test_reallocation_keeps_history_and_counts_continuity(scene: Scene) -> None:
    world = scene.world
    second = make_practitioner(
        make_user("mentor2", world.provider, Role.PRACTITIONER), regions=[world.london]
    )
    referral = accepted(scene)
    first = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    Notification.objects.all().delete()
    new = services.allocation_reallocate(
        actor=scene.manager, allocation=first, practitioner=second, reason="Mentor on leave."
    )
    first.refresh_from_db()
    assert first.ended_at == NOW
    assert first.end_reason == "Mentor on leave."
    assert new.is_current and new.referral == referral
    assert list(referral.allocations.order_by("id")) == [first, new]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ALLOCATED
    assert audit_actions(first) == ["create", "update"]
    assert audit_actions(new) == ["create"]
    # The old practitioner's start deadlines are cancelled, the new one has their own.
    assert not Deadline.objects.filter(allocation=first, cancelled_at__isnull=True).exists()
    assert Deadline.objects.filter(allocation=new, cancelled_at__isnull=True).count() == 2
    assert [n.subject for n in notices(scene.mentor.user, NotificationKind.ALLOCATION)] == [
        "Participant CASE-1 reallocated"
    ]
    assert [n.subject for n in notices(second.user, NotificationKind.ALLOCATION)] == [
        "New participant allocated: CASE-1"
    ]
    ranked = services.referral_rank(referral, on=TODAY)
    mentor_row = next(row for row in ranked if row.id == scene.mentor.pk)
    assert "Has worked with this participant before (+20)" in [
        r.explanation for r in mentor_row.reasons
    ]


def test_reallocation_is_refused_to_the_same_practitioner(scene: Scene) -> None:
    referral = accepted(scene)
    first = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    with pytest.raises(ValidationError) as error:
        services.allocation_reallocate(
            actor=scene.manager, allocation=first, practitioner=scene.mentor, reason="x"
        )
    assert "practitioner" in error.value.message_dict


def test_reallocation_of_an_ended_allocation_is_refused(scene: Scene) -> None:
    second = make_practitioner(
        make_user("mentor2", scene.world.provider, Role.PRACTITIONER),
        regions=[scene.world.london],
    )
    referral = accepted(scene)
    first = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    services.allocation_reallocate(
        actor=scene.manager, allocation=first, practitioner=second, reason="x"
    )
    with pytest.raises(ValidationError) as error:
        services.allocation_reallocate(
            actor=scene.manager, allocation=first, practitioner=second, reason="again"
        )
    assert "allocation" in error.value.message_dict


def test_reallocation_needs_a_programme_manager_a_reason_and_an_eligible_practitioner(
    scene: Scene,
) -> None:
    referral = accepted(scene)
    first = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    with pytest.raises(PermissionDenied):
        services.allocation_reallocate(
            actor=scene.officer, allocation=first, practitioner=scene.other, reason="x"
        )
    with pytest.raises(ValidationError) as no_reason:
        services.allocation_reallocate(
            actor=scene.manager, allocation=first, practitioner=scene.other, reason=""
        )
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as ineligible:
        services.allocation_reallocate(
            actor=scene.manager, allocation=first, practitioner=scene.other, reason="x"
        )
    assert "practitioner" in ineligible.value.message_dict
    first.refresh_from_db()
    assert first.is_current


def test_allocated_practitioner_ends_the_allocation_and_the_referral_closes(scene: Scene) -> None:
    referral = accepted(scene)
    allocation = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    services.allocation_end(
        actor=scene.mentor.user, allocation=allocation, reason="Intervention completed."
    )
    allocation.refresh_from_db()
    referral.refresh_from_db()
    assert allocation.ended_at == NOW
    assert referral.status == ReferralStatus.CLOSED
    assert not Deadline.objects.filter(
        allocation=allocation, met_at__isnull=True, cancelled_at__isnull=True
    ).exists()
    assert audit_actions(allocation) == ["create", "update"]
    with pytest.raises(ValidationError):
        services.allocation_end(actor=scene.manager, allocation=allocation, reason="again")


@pytest.mark.parametrize("persona", ["other_provider_practitioner", "police_london"])
def test_others_may_not_end_an_allocation(scene: Scene, persona: str) -> None:
    referral = accepted(scene)
    allocation = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    with pytest.raises(PermissionDenied):
        services.allocation_end(
            actor=scene.world.personas[persona], allocation=allocation, reason="x"
        )


def test_closing_an_allocated_referral_ends_the_allocation(scene: Scene) -> None:
    referral = accepted(scene)
    allocation = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    services.referral_close(actor=scene.manager, referral=referral, reason="Recalled.")
    allocation.refresh_from_db()
    assert allocation.ended_at == NOW
    assert allocation.end_reason == "Recalled."
    assert Deadline.objects.filter(allocation=allocation, cancelled_at__isnull=True).count() == 0
    assert notices(scene.mentor.user, NotificationKind.ALLOCATION)[-1].subject == (
        "Referral closed for CASE-1"
    )


def test_the_practitioner_sees_the_participant_only_while_allocated(scene: Scene) -> None:
    mentor_user = scene.mentor.user
    assert not participants_for(mentor_user).filter(pk=scene.case.pk).exists()
    allocation = services.allocation_confirm(
        actor=scene.manager, referral=accepted(scene), practitioner=scene.mentor
    )
    assert participants_for(mentor_user).filter(pk=scene.case.pk).exists()
    services.allocation_end(actor=scene.manager, allocation=allocation, reason="Completed.")
    assert not participants_for(mentor_user).filter(pk=scene.case.pk).exists()


def test_a_whole_referral_keeps_its_history_and_never_names_the_participant(
    scene: Scene,
) -> None:
    second = make_practitioner(
        make_user("mentor2", scene.world.provider, Role.PRACTITIONER),
        regions=[scene.world.london],
    )
    referral = refer(scene)
    services.referral_request_information(actor=scene.manager, referral=referral, question="?")
    services.referral_provide_information(actor=scene.officer, referral=referral, answer="!")
    services.referral_accept(actor=scene.manager, referral=referral)
    first = services.allocation_confirm(
        actor=scene.manager, referral=referral, practitioner=scene.mentor
    )
    last = services.allocation_reallocate(
        actor=scene.manager, allocation=first, practitioner=second, reason="Leave."
    )
    services.allocation_end(actor=second.user, allocation=last, reason="Completed.")
    history = referral.status_history.order_by("id").values_list("to_status", flat=True)
    assert list(history) == [
        "submitted",
        "information_requested",
        "submitted",
        "accepted",
        "allocated",
        "closed",
    ]
    assert Notification.objects.count() > 5
    for notice in Notification.objects.all():
        text = f"{notice.subject} {notice.body} {notice.link}"
        assert "Zebedee" not in text
        assert "Test" not in text
