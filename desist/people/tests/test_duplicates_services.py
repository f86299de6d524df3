"""Decisions about duplicate records: who may make them, what they record and audit."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from conftest import PERSONAS, World
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.people.duplicates import person_groups, suspected_pairs
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind
from desist.people.services_duplicates import duplicates_mark_distinct, duplicates_merge


def _decision_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity="people.duplicatedecision").order_by("seq"))


@pytest.fixture
def pm(world: World) -> Any:
    return world.personas["programme_manager"]


def test_a_programme_manager_merges_two_records_which_keeps_both_and_counts_them_once(
    world: World, pm: Any
) -> None:
    before = Participant.objects.count()
    decision = duplicates_merge(
        actor=pm, first=world.other_case, second=world.case, reason="Same CRN on paper file"
    )
    assert Participant.objects.count() == before
    assert (decision.first, decision.second) == (world.case, world.other_case)  # lower pk first
    assert decision.decision == DuplicateDecisionKind.SAME_PERSON
    assert decision.decided_by == pm
    assert decision.reason == "Same CRN on paper file"
    groups = person_groups([world.case.pk, world.other_case.pk])
    assert groups == {world.case.pk: world.case.pk, world.other_case.pk: world.case.pk}


def test_a_decision_is_audited_once_for_each_record_by_uuid(world: World, pm: Any) -> None:
    duplicates_merge(actor=pm, first=world.case, second=world.other_case, reason="Checked")
    events = _decision_events()
    assert [e.participant_ref for e in events] == [str(world.case.uuid), str(world.other_case.uuid)]
    assert {e.action for e in events} == {Action.CREATE}
    assert events[0].changes["decision"] == [None, "same_person"]
    assert events[0].changes["reason"] == [None, "Checked"]
    assert events[0].changes["first"] == [None, str(world.case.uuid)]
    assert "Zebedee" not in str(events[0].changes)


@pytest.mark.parametrize(
    "persona", [p for p in PERSONAS if p not in ("programme_manager", "anonymous")]
)
def test_nobody_but_a_programme_manager_may_decide(world: World, persona: str) -> None:
    for service in (duplicates_merge, duplicates_mark_distinct):
        with pytest.raises(PermissionDenied):
            service(
                actor=world.personas[persona],
                first=world.case,
                second=world.other_case,
                reason="x",
            )
    assert not DuplicateDecision.objects.exists()
    assert not _decision_events()


def test_a_reason_is_required(world: World, pm: Any) -> None:
    with pytest.raises(ValidationError) as error:
        duplicates_mark_distinct(actor=pm, first=world.case, second=world.other_case, reason=" ")
    assert error.value.message_dict == {"reason": ["Enter why you made this decision"]}


def test_a_record_cannot_be_a_duplicate_of_itself(world: World, pm: Any) -> None:
    with pytest.raises(ValidationError):
        duplicates_merge(actor=pm, first=world.case, second=world.case, reason="oops")


def test_a_later_decision_replaces_the_earlier_one_and_audits_old_and_new(
    world: World, pm: Any
) -> None:
    with time_machine.travel("2026-03-01 10:00:00+00:00", tick=False):
        duplicates_merge(actor=pm, first=world.case, second=world.other_case, reason="Same CRN")
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False):
        duplicates_mark_distinct(
            actor=pm, first=world.other_case, second=world.case, reason="CRN was mistyped"
        )
    [decision] = DuplicateDecision.objects.all()
    assert decision.decision == DuplicateDecisionKind.DISTINCT
    assert decision.reason == "CRN was mistyped"
    assert decision.decided_at.isoformat() == "2026-03-02T10:00:00+00:00"
    update = _decision_events()[-1]
    assert update.action == Action.UPDATE
    assert update.changes["decision"] == ["same_person", "distinct"]
    assert update.changes["reason"] == ["Same CRN", "CRN was mistyped"]
    assert update.changes["decided_at"][0].startswith("2026-03-01")
    assert len(_decision_events()) == 4


def test_a_decided_pair_is_no_longer_suspected(world: World, pm: Any) -> None:
    Participant.objects.filter(pk=world.case.pk).update(probation_crn="X123456")
    Participant.objects.filter(pk=world.other_case.pk).update(probation_crn="X123456")
    assert len(suspected_pairs()) == 1
    duplicates_mark_distinct(actor=pm, first=world.case, second=world.other_case, reason="Twins")
    assert suspected_pairs() == []


def test_a_failed_audit_leaves_no_decision(world: World, pm: Any, monkeypatch: Any) -> None:
    from desist.people import services_duplicates

    calls: list[str] = []
    real = services_duplicates.audit_change

    def audit_then_fail(**kwargs: Any) -> Any:
        calls.append(kwargs["participant_ref"])
        if len(calls) == 2:
            raise IntegrityError("audit store unavailable")
        return real(**kwargs)

    monkeypatch.setattr(services_duplicates, "audit_change", audit_then_fail)
    with pytest.raises(IntegrityError):
        duplicates_merge(actor=pm, first=world.case, second=world.other_case, reason="Checked")
    assert not DuplicateDecision.objects.exists()
    assert not _decision_events()


def test_the_database_refuses_a_pair_stored_the_wrong_way_round(world: World) -> None:
    from django.db import transaction
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        DuplicateDecision.objects.create(
            first=world.other_case,
            second=world.case,
            decision=DuplicateDecisionKind.DISTINCT,
            reason="x",
            decided_at=timezone.now(),
        )
