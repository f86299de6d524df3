"""Ranking and queue allocation on hand-made facts: no database."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pytest

from desist.referrals.ranking import (
    MAX_TOTAL,
    PractitionerFacts,
    ReferralFacts,
    assign_queue,
    rank,
    score,
    total_fit,
)

LONDON = 1
NORTH_WEST = 2


def referral(**extra: Any) -> ReferralFacts:
    fields: dict[str, Any] = {"needs": ("mentoring",), "region_id": LONDON}
    return ReferralFacts(**(fields | extra))


def practitioner(id: int, **extra: Any) -> PractitionerFacts:
    fields: dict[str, Any] = {
        "id": id,
        "organisation_id": 100,
        "specialisms": {"mentoring"},
        "languages": {"en"},
        "faith_traditions": set(),
        "sex": "male",
        "region_ids": {LONDON},
        "capacity_left": 1,
        "organisation_capacity_left": 50,
        "vetting_expires_on": dt.date(2028, 1, 1),
    }
    return PractitionerFacts(**(fields | extra))


def explanations(fit: Any) -> list[str]:
    return [reason.explanation for reason in fit.reasons]


# score ---------------------------------------------------------------------------------------


def test_a_perfect_fit_scores_every_factor_and_says_why() -> None:
    wanted = referral(
        needs=("mentoring", "theological"),
        preferred_language="ur",
        preferred_sex="female",
        preferred_faith_tradition="islam_sunni",
        previous_practitioner_ids={7},
        expected_end_date=dt.date(2027, 6, 1),
    )
    best = practitioner(
        7,
        specialisms={"mentoring", "theological", "family"},
        languages={"en", "ur"},
        faith_traditions={"islam_sunni"},
        sex="female",
        capacity_left=8,
    )
    fit = score(wanted, best)
    assert fit.eligible
    # 50 (both needs) + 20 (continuity) + 15 (Urdu) + 10 (female) + 10 (faith) + 5 (room for 5+)
    assert fit.total == 110 == MAX_TOTAL
    assert explanations(fit) == [
        "Covers all 2 needs: Mentoring and Theological (+50)",
        "Has worked with this participant before (+20)",
        "Speaks Urdu, the preferred language (+15)",
        "Is female, as preferred (+10)",
        "Shares the preferred faith tradition, Islam (Sunni) (+10)",
        "Has room for 8 more participants (+5)",
    ]


def test_unmet_preferences_are_shown_with_no_points() -> None:
    wanted = referral(
        preferred_language="ur", preferred_sex="female", preferred_faith_tradition="islam_shia"
    )
    fit = score(wanted, practitioner(1))
    # 50 (mentoring) + 1 (room for one more: 5 x 1/5)
    assert fit.total == 51
    assert explanations(fit) == [
        "Covers all 1 need: Mentoring (+50)",
        "Does not speak Urdu, the preferred language (+0)",
        "Is not female, the preferred sex (+0)",
        "Does not share the preferred faith tradition, Islam (Shia) (+0)",
        "Has room for 1 more participant (+1)",
    ]


def test_no_stated_preference_adds_no_reason() -> None:
    fit = score(referral(preferred_sex="not_known"), practitioner(1))
    assert [reason.label for reason in fit.reasons] == ["Specialism", "Room for more"]


def test_specialism_fit_is_the_share_of_needs_covered() -> None:
    wanted = referral(needs=("mentoring", "theological", "practical"))
    fit = score(wanted, practitioner(1, capacity_left=5))
    # one need of three: 50 / 3 = 16.67, plus 5 for room
    assert fit.total == 21.67
    assert explanations(fit)[0] == (
        "Covers 1 of 3 needs: Mentoring; not Theological or Practical (+16.7)"
    )


def test_covering_no_need_scores_nothing_for_specialism() -> None:
    fit = score(referral(needs=("family",)), practitioner(1))
    assert fit.eligible
    assert explanations(fit)[0] == "Covers none of the needs: Family (+0)"


def test_a_referral_without_needs_gets_no_specialism_line() -> None:
    fit = score(referral(needs=()), practitioner(1))
    assert [reason.label for reason in fit.reasons] == ["Room for more"]


@pytest.mark.parametrize(("places", "points"), [(1, 1), (2, 2), (5, 5), (12, 5)])
def test_headroom_counts_up_to_five_places(places: int, points: float) -> None:
    fit = score(referral(needs=()), practitioner(1, capacity_left=places))
    assert fit.total == points


@pytest.mark.parametrize(
    ("change", "explanation"),
    [
        (
            {"clearance_problems": ("Vetting expired on 1 March 2026.", "Training is missing.")},
            "Not cleared to work: vetting expired on 1 March 2026",
        ),
        ({"capacity_left": 0}, "Their caseload is full"),
        ({"capacity_left": -1}, "Their caseload is full"),
        ({"organisation_capacity_left": 0}, "Their organisation's contract has no places left"),
        ({"region_ids": {NORTH_WEST}}, "Does not work in the participant's region"),
        (
            {"vetting_expires_on": dt.date(2027, 3, 2)},
            "Vetting expires on 2 March 2027, before the expected end on 1 June 2027",
        ),
        (
            {"vetting_expires_on": dt.date(2027, 5, 31)},
            "Vetting expires on 31 May 2027, before the expected end on 1 June 2027",
        ),
        ({"vetting_expires_on": None}, "No vetting expiry date is on record"),
    ],
)
def test_hard_exclusions_make_a_practitioner_ineligible_and_say_why(
    change: dict[str, Any], explanation: str
) -> None:
    wanted = referral(expected_end_date=dt.date(2027, 6, 1))
    fit = score(wanted, practitioner(1, **change))
    assert not fit.eligible
    assert explanation in [reason.explanation for reason in fit.exclusions]
    assert all(reason.points == 0 for reason in fit.exclusions)


def test_every_clearance_problem_is_listed() -> None:
    fit = score(referral(), practitioner(1, clearance_problems=("a", "b")))
    assert [r.explanation for r in fit.exclusions] == [
        "Not cleared to work: a",
        "Not cleared to work: b",
    ]


def test_vetting_lasting_to_the_expected_end_is_fine() -> None:
    wanted = referral(expected_end_date=dt.date(2027, 6, 1))
    # Valid up to and including the expiry date, as the providers app counts it.
    assert score(wanted, practitioner(1, vetting_expires_on=dt.date(2027, 6, 1))).eligible
    assert score(wanted, practitioner(1, vetting_expires_on=dt.date(2027, 6, 2))).eligible


def test_without_an_expected_end_the_vetting_period_is_not_checked() -> None:
    assert score(referral(), practitioner(1, vetting_expires_on=None)).eligible


def test_reasons_serialise_for_storing_with_the_allocation() -> None:
    fit = score(referral(), practitioner(1))
    assert fit.reasons[0].as_dict() == {
        "label": "Specialism",
        "points": 50.0,
        "explanation": "Covers all 1 need: Mentoring (+50)",
        "excludes": False,
    }


# rank ----------------------------------------------------------------------------------------


def test_rank_orders_by_fit_then_id_with_ineligible_last() -> None:
    wanted = referral(preferred_language="ur")
    practitioners = [
        practitioner(5, capacity_left=2),  # 50 + 2 = 52
        practitioner(3, capacity_left=2),  # 52 too: the lower id goes first
        practitioner(9, languages={"ur"}, capacity_left=5),  # 50 + 15 + 5 = 70
        practitioner(1, languages={"ur"}, capacity_left=0),  # full: ineligible, 65
        practitioner(2, region_ids={NORTH_WEST}),  # wrong region: ineligible, 51
    ]
    ranked = rank(wanted, practitioners)
    assert [(row.id, row.eligible, row.total, row.position) for row in ranked] == [
        (9, True, 70, 1),
        (3, True, 52, 2),
        (5, True, 52, 3),
        (1, False, 65, None),
        (2, False, 51, None),
    ]
    assert ranked[3].reasons[0].explanation == "Their caseload is full"


def test_rank_of_nobody_is_empty() -> None:
    assert rank(referral(), []) == []


# assign_queue ---------------------------------------------------------------------------------


def greedy(referrals: list[ReferralFacts], practitioners: list[PractitionerFacts]) -> dict:
    """First come, first served: each referral in turn takes its best practitioner left."""
    left = {p.id: p.capacity_left for p in practitioners}
    chosen: dict[int, int] = {}
    for index, wanted in enumerate(referrals):
        for row in rank(wanted, practitioners):
            if row.eligible and left[row.id] > 0:
                chosen[index] = row.id
                left[row.id] -= 1
                break
    return chosen


def test_an_empty_queue_allocates_nothing() -> None:
    assert assign_queue([], [practitioner(1)]) == {}


def test_a_queue_with_no_practitioners_allocates_nothing() -> None:
    assert assign_queue([referral()], []) == {}


def test_a_queue_with_no_eligible_pair_allocates_nothing() -> None:
    assert assign_queue([referral(region_id=NORTH_WEST)], [practitioner(1)]) == {}


def test_optimal_allocates_more_referrals_than_first_come_first_served() -> None:
    older = referral(preferred_language="ur")  # London, wants Urdu
    newer = referral(region_id=NORTH_WEST)  # only practitioner 1 covers the North West
    p1 = practitioner(1, languages={"ur"}, region_ids={LONDON, NORTH_WEST})
    p2 = practitioner(2)
    # older: p1 = 50 + 15 + 1 = 66, p2 = 50 + 1 = 51.  newer: p1 = 51, p2 not eligible.
    # Greedy: older takes p1 (66); newer has nobody left -> 1 allocated, total 66.
    # Optimal: older -> p2 (51), newer -> p1 (51) -> 2 allocated, total 102.
    queue, people = [older, newer], [p1, p2]
    assert greedy(queue, people) == {0: 1}
    assert total_fit(queue, people, greedy(queue, people)) == 66
    assert assign_queue(queue, people) == {0: 2, 1: 1}
    assert total_fit(queue, people, assign_queue(queue, people)) == 102


def test_optimal_beats_first_come_first_served_on_total_fit() -> None:
    older = referral(preferred_language="ur")
    newer = referral(needs=("mentoring", "theological"))
    p1 = practitioner(1, specialisms={"mentoring", "theological"}, languages={"ur"})
    p2 = practitioner(2)
    # older: p1 = 50 + 15 + 1 = 66, p2 = 50 + 1 = 51.  newer: p1 = 50 + 1 = 51, p2 = 25 + 1 = 26.
    # Greedy: older -> p1 (66), newer -> p2 (26): total 92.
    # Optimal: older -> p2 (51), newer -> p1 (51): total 102.
    queue, people = [older, newer], [p1, p2]
    assert total_fit(queue, people, greedy(queue, people)) == 92
    assert assign_queue(queue, people) == {0: 2, 1: 1}
    assert total_fit(queue, people, assign_queue(queue, people)) == 102


def test_allocating_more_referrals_wins_over_a_better_fit() -> None:
    older = referral(preferred_language="ur", previous_practitioner_ids={1})
    newer = referral(needs=("theological",), region_id=NORTH_WEST)
    p1 = practitioner(1, languages={"ur"}, region_ids={LONDON, NORTH_WEST})
    p2 = practitioner(2, specialisms=set())
    # older: p1 = 50 + 20 + 15 + 1 = 86, p2 = 1 (room only).  newer: p1 = 1, p2 not eligible.
    # One allocation with fit 86 loses to two allocations with fit 1 + 1 = 2.
    assert assign_queue([older, newer], [p1, p2]) == {0: 2, 1: 1}


def test_a_practitioner_takes_no_more_than_their_places_left() -> None:
    queue = [referral(), referral(), referral()]
    only = practitioner(1, capacity_left=2)
    chosen = assign_queue(queue, [only])
    assert len(chosen) == 2
    assert set(chosen.values()) == {1}


def test_an_organisation_takes_no_more_than_its_contract_places_left() -> None:
    queue = [referral(), referral(), referral()]
    same_org = [
        practitioner(1, capacity_left=3, organisation_capacity_left=1),
        practitioner(2, capacity_left=3, organisation_capacity_left=1),
    ]
    other_org = practitioner(3, organisation_id=200, capacity_left=1)
    chosen = assign_queue(queue, [*same_org, other_org])
    assert len(chosen) == 2
    assert sorted(chosen.values()).count(3) == 1
    assert len([p for p in chosen.values() if p in (1, 2)]) == 1


def test_ineligible_pairs_are_never_used_even_when_capacity_is_free() -> None:
    queue = [referral(region_id=NORTH_WEST), referral()]
    people = [practitioner(1, capacity_left=5), practitioner(2, clearance_problems=("x",))]
    assert assign_queue(queue, people) == {1: 1}


def test_the_same_data_gives_the_same_answer_whatever_the_order_of_practitioners() -> None:
    queue = [referral(), referral(), referral(preferred_language="ur")]
    people = [practitioner(i, languages={"ur"} if i % 2 else {"en"}) for i in range(1, 6)]
    first = assign_queue(queue, people)
    assert assign_queue(queue, list(reversed(people))) == first
    assert assign_queue(queue, people) == first


def brute_force(queue: list[ReferralFacts], people: list[PractitionerFacts]) -> tuple[int, float]:
    """(most referrals allocated, best total fit among those) by trying every assignment."""
    options = [[None, *[p.id for p in people]] for _ in queue]
    by_id = {p.id: p for p in people}
    best = (0, 0.0)
    for choice in itertools.product(*options):
        used: dict[int, int] = {}
        org_used: dict[int, int] = {}
        total = 0.0
        ok = True
        for wanted, pid in zip(queue, choice, strict=True):
            if pid is None:
                continue
            fit = score(wanted, by_id[pid])
            used[pid] = used.get(pid, 0) + 1
            org = by_id[pid].organisation_id
            org_used[org] = org_used.get(org, 0) + 1
            ok = (
                ok
                and fit.eligible
                and used[pid] <= by_id[pid].capacity_left
                and org_used[org] <= by_id[pid].organisation_capacity_left
            )
            total += fit.total
        if ok:
            best = max(best, (sum(c is not None for c in choice), round(total, 2)))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_assignment_matches_brute_force_on_small_random_queues(seed: int) -> None:
    rng = random.Random(seed)
    specialisms = ["mentoring", "theological", "practical"]
    queue = [
        referral(
            needs=tuple(rng.sample(specialisms, rng.randint(1, 2))),
            region_id=rng.choice([LONDON, NORTH_WEST]),
            preferred_language=rng.choice(["", "ur", "ar"]),
        )
        for _ in range(4)
    ]
    people = []
    for i in range(1, 4):
        organisation = rng.choice([100, 200])
        people.append(
            practitioner(
                i,
                organisation_id=organisation,
                specialisms=set(rng.sample(specialisms, rng.randint(1, 3))),
                languages={rng.choice(["en", "ur", "ar"])},
                region_ids=set(rng.sample([LONDON, NORTH_WEST], rng.randint(1, 2))),
                capacity_left=rng.randint(0, 2),
                # Organisation 200 has one place left, so that limit binds now and then.
                organisation_capacity_left=2 if organisation == 100 else 1,
            )
        )
    chosen = assign_queue(queue, people)
    got = (len(chosen), total_fit(queue, people, chosen))
    assert got == brute_force(queue, people)
    by_id = {p.id: p for p in people}
    for index, pid in chosen.items():
        assert score(queue[index], by_id[pid]).eligible
    for p in people:
        assert list(chosen.values()).count(p.id) <= p.capacity_left
    for organisation in (100, 200):
        taken = [pid for pid in chosen.values() if by_id[pid].organisation_id == organisation]
        assert len(taken) <= (2 if organisation == 100 else 1)
