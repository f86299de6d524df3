"""Detection of duplicate records and the person key statistics count by."""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from conftest import make_participant
from desist.accounts.constants import OrganisationKind
from desist.accounts.models import Organisation, Region
from desist.people.duplicates import (
    NAME_AND_DATE_OF_BIRTH,
    PNC_NUMBER,
    PRISON_NUMBER,
    PROBATION_CRN,
    conflicting_distinct_pairs,
    duplicate_treatment_text,
    person_groups,
    rule_groups,
    suspected_pairs,
)
from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind

pytestmark = pytest.mark.django_db
_refs = count(1)


@pytest.fixture
def add(db: Any) -> Any:
    region = Region.objects.get(code="london")
    organisation = Organisation.objects.create(name="Probation", kind=OrganisationKind.PROBATION)

    def _add(**extra: Any) -> Participant:
        data: dict[str, Any] = {
            "given_name": f"Given{next(_refs)}",
            "family_name": f"Family{next(_refs)}",
            "date_of_birth": dt.date(1990, 1, 1),
            **extra,
        }
        family = data.pop("family_name")
        return make_participant(
            reference=f"R-{next(_refs)}",
            family_name=family,
            organisation=organisation,
            region=region,
            **data,
        )

    return _add


def decide(a: Participant, b: Participant, kind: str) -> None:
    low, high = sorted((a, b), key=lambda p: p.pk)
    DuplicateDecision.objects.create(
        first=low, second=high, decision=kind, reason="checked", decided_at=timezone.now()
    )


def pairs() -> dict[tuple[int, int], tuple[str, ...]]:
    return {(p.first_id, p.second_id): p.rules for p in suspected_pairs()}


def test_records_sharing_a_pnc_number_are_suspected_whatever_the_case_spaces_or_century(
    add: Any,
) -> None:
    a = add(pnc_number="2012/0012345K")
    b = add(pnc_number=" 12/0012345k ")
    c = add(pnc_number="2013/0012345K")
    add(pnc_number="")
    add(pnc_number="")
    assert pairs() == {(a.pk, b.pk): (PNC_NUMBER,)}
    assert c.pk not in {pk for group in rule_groups(PNC_NUMBER) for pk in group}


def test_records_sharing_a_prison_number_or_crn_are_suspected_but_blank_ones_are_not(
    add: Any,
) -> None:
    a = add(prison_number="A1234BC")
    b = add(prison_number="a1234bc")
    c = add(probation_crn="X123456")
    d = add(probation_crn="x123456")
    add(prison_number="   ")
    add(prison_number="   ")
    assert pairs() == {(a.pk, b.pk): (PRISON_NUMBER,), (c.pk, d.pk): (PROBATION_CRN,)}


def test_same_name_and_date_of_birth_is_suspected_ignoring_case_and_spaces(add: Any) -> None:
    a = add(given_name="Sam", family_name="Jones")
    b = add(given_name=" SAM", family_name="jones ")
    add(given_name="Sam", family_name="Jones", date_of_birth=dt.date(1991, 1, 1))
    add(given_name="Samuel", family_name="Jones")
    assert pairs() == {(a.pk, b.pk): (NAME_AND_DATE_OF_BIRTH,)}


def test_names_outside_ascii_match_ignoring_case_on_every_database(add: Any) -> None:
    # SQLite's LOWER knows ASCII only; the rules must not depend on the database.
    a = add(given_name="Émile", family_name="Öztürk")
    b = add(given_name="ÉMILE", family_name="ÖZTÜRK")
    add(given_name="Emile", family_name="Ozturk")  # different letters: not the same name
    assert pairs() == {(a.pk, b.pk): (NAME_AND_DATE_OF_BIRTH,)}


def test_a_blank_name_never_links_records(add: Any) -> None:
    # Forms refuse blank names; records written before that rule, or by SQL, may have them.
    records = [add(family_name="Jones"), add(family_name="Jones")]
    Participant.objects.filter(pk__in=[r.pk for r in records]).update(given_name="  ")
    assert pairs() == {}


def test_a_pair_linked_by_several_rules_is_listed_once_with_every_reason(add: Any) -> None:
    a = add(given_name="Sam", family_name="Jones", probation_crn="X123456")
    b = add(given_name="Sam", family_name="Jones", probation_crn="X123456")
    [pair] = suspected_pairs()
    assert (pair.first_id, pair.second_id) == (a.pk, b.pk)
    assert pair.rules == (PROBATION_CRN, NAME_AND_DATE_OF_BIRTH)
    assert pair.reasons == ["Same probation case reference", "Same name and date of birth"]


def test_a_group_of_three_gives_every_pair(add: Any) -> None:
    a, b, c = (add(prison_number="A1234BC") for _ in range(3))
    assert set(pairs()) == {(a.pk, b.pk), (a.pk, c.pk), (b.pk, c.pk)}


@pytest.mark.parametrize(
    "kind", [DuplicateDecisionKind.SAME_PERSON, DuplicateDecisionKind.DISTINCT]
)
def test_decided_pairs_are_no_longer_suspected(add: Any, kind: str) -> None:
    a, b, c = (add(prison_number="A1234BC") for _ in range(3))
    decide(b, a, kind)
    assert set(pairs()) == {(a.pk, c.pk), (b.pk, c.pk)}


def test_person_groups_key_is_the_smallest_pk_of_records_linked_by_any_rule(add: Any) -> None:
    a = add(pnc_number="2012/0012345K")
    b = add(pnc_number="2012/0012345K", given_name="Sam", family_name="Jones")
    c = add(given_name="Sam", family_name="Jones")
    d = add()
    e = add()
    decide(d, e, DuplicateDecisionKind.SAME_PERSON)
    lone = add()
    groups = person_groups()
    assert groups == {
        a.pk: a.pk,
        b.pk: a.pk,
        c.pk: a.pk,
        d.pk: d.pk,
        e.pk: d.pk,
        lone.pk: lone.pk,
    }
    assert len(set(groups.values())) == 3


def test_person_groups_for_some_records_still_follows_links_through_the_others(add: Any) -> None:
    a = add(prison_number="A1234BC")
    b = add(prison_number="A1234BC", probation_crn="X123456")
    c = add(probation_crn="X123456")
    assert person_groups([c.pk, 999_999]) == {c.pk: a.pk, 999_999: 999_999}
    assert b.pk in person_groups()


def test_a_distinct_decision_breaks_the_link_of_a_pair_that_only_one_rule_joins(add: Any) -> None:
    a = add(prison_number="A1234BC")
    b = add(prison_number="A1234BC")
    decide(a, b, DuplicateDecisionKind.DISTINCT)
    assert person_groups() == {a.pk: a.pk, b.pk: b.pk}
    assert conflicting_distinct_pairs() == []


def test_a_distinct_pair_linked_through_a_third_record_stays_one_person_and_is_a_conflict(
    add: Any,
) -> None:
    # A=B by PNC, B=C by name and date of birth, A and C decided to be different people.
    a = add(pnc_number="2012/0012345K")
    b = add(pnc_number="2012/0012345K", given_name="Sam", family_name="Jones")
    c = add(given_name="Sam", family_name="Jones")
    decide(a, c, DuplicateDecisionKind.DISTINCT)
    assert person_groups() == {a.pk: a.pk, b.pk: a.pk, c.pk: a.pk}
    assert conflicting_distinct_pairs() == [(a.pk, c.pk)]


def test_a_distinct_decision_removes_only_that_link_inside_a_shared_identifier_group(
    add: Any,
) -> None:
    a, b, c = (add(prison_number="A1234BC") for _ in range(3))
    decide(a, b, DuplicateDecisionKind.DISTINCT)
    assert set(person_groups().values()) == {a.pk}  # still joined through c
    decide(a, c, DuplicateDecisionKind.DISTINCT)
    assert person_groups() == {a.pk: a.pk, b.pk: b.pk, c.pk: b.pk}


def test_a_distinct_decision_does_not_undo_a_same_person_decision_elsewhere(add: Any) -> None:
    a, b, c = add(), add(), add()
    decide(a, b, DuplicateDecisionKind.SAME_PERSON)
    decide(b, c, DuplicateDecisionKind.SAME_PERSON)
    decide(a, c, DuplicateDecisionKind.DISTINCT)
    assert set(person_groups().values()) == {a.pk}


def test_the_treatment_text_states_the_rules_and_the_counts(add: Any) -> None:
    a = add(prison_number="A1234BC")
    b = add(prison_number="A1234BC")
    c = add(probation_crn="X123456")
    d = add(probation_crn="X123456")
    decide(c, d, DuplicateDecisionKind.SAME_PERSON)
    add()
    text = duplicate_treatment_text()
    assert "PNC number, prison number or probation case reference" in text
    assert "same given name, family name and date of birth" in text
    assert "5 records were counted as 3 people" in text
    assert "4 records of people with more than one record were combined into 2 people" in text
    assert "confirmed 1 pair of records as the same person and 0 pairs as" in text
    assert "1 pair of records is suspected to be the same person and not yet confirmed" in text
    assert "No record was deleted" in text
    assert "\n" not in text
    only = duplicate_treatment_text([a.pk, c.pk])
    assert "2 records were counted as 2 people" in only
    assert "0 pairs of records are suspected" in only
    assert b.pk


def test_the_treatment_text_mentions_distinct_pairs_still_joined(add: Any) -> None:
    a = add(pnc_number="2012/0012345K")
    add(pnc_number="2012/0012345K", given_name="Sam", family_name="Jones")
    c = add(given_name="Sam", family_name="Jones")
    decide(a, c, DuplicateDecisionKind.DISTINCT)
    assert "1 pair decided to be different people is still joined" in duplicate_treatment_text()


def test_detection_uses_a_fixed_number_of_queries(
    add: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        add(prison_number=f"A{n % 10:04d}BC", given_name="Sam", family_name="Jones")
    with django_assert_max_num_queries(9):
        groups = person_groups()
    assert len(set(groups.values())) == 1
    with django_assert_max_num_queries(9):
        assert len(suspected_pairs()) == 30 * 29 // 2
