"""The propensity score and nearest-neighbour matching (METHODS.md section 4), on tiny cases
worked by hand. Each expected match was also checked once against R's MatchIt 4.7.1
(scripts/matchit/validate.py runs the same comparison on generated data)."""

import doctest

import numpy as np
import pytest

from desist_analytics import _matching
from desist_analytics._matching import (
    NO_MATCH,
    Matches,
    fit_logit,
    matched_sets,
    matching_weights,
    nearest_neighbour,
)


def match(scores: list[float], treated: list[int], **options: object) -> list[list[int]]:
    result = nearest_neighbour(
        np.array(scores, dtype=float),
        np.array(treated, dtype=bool),
        **options,  # type: ignore[arg-type]
    )
    return result.matrix.tolist()


def test_each_treated_unit_gets_its_nearest_control_largest_score_first() -> None:
    # Treated 0.8 goes first: its nearest is 0.75. Then treated 0.5: 0.45 (0.05 away) beats
    # 0.7 (0.2 away).
    scores = [0.8, 0.45, 0.5, 0.7, 0.75, 0.1]
    assert match(scores, [1, 0, 1, 0, 0, 0]) == [[4], [1]]


def test_the_order_decides_who_gets_a_contested_control() -> None:
    # Treated 0.6 and 0.5 both want control 0.55; the other control is 0.3.
    scores = [0.6, 0.5, 0.55, 0.3]
    treated = [1, 1, 0, 0]
    assert match(scores, treated, order="largest") == [[2], [3]]
    assert match(scores, treated, order="smallest") == [[3], [2]]
    assert match(scores, treated, order="data") == [[2], [3]]
    assert match([0.5, 0.6, 0.55, 0.3], treated, order="data") == [[2], [3]]


def test_an_equally_near_control_on_each_side_goes_to_the_one_fewer_places_away() -> None:
    # In score order: control 0.25, treated B 0.4375, treated A 0.5, control 0.75. A goes
    # first (largest); both controls are 0.25 from it, but 0.75 is one place away and 0.25
    # two (B is between), so A takes 0.75 and B is left 0.25. (MatchIt gives the same.)
    assert match([0.25, 0.4375, 0.5, 0.75], [0, 1, 1, 0]) == [[0], [3]]
    # With nothing between, the same distance on both sides goes to the control below.
    assert match([0.25, 0.5, 0.75], [0, 1, 0]) == [[0]]


def test_controls_with_the_same_score_are_taken_nearest_in_data_order() -> None:
    # Three controls share the score 0.4, below the treated unit at 0.5: in score order they
    # stay in data order (1, 2, 3), so walking down from the treated unit meets 3 first.
    assert match([0.5, 0.4, 0.4, 0.4], [1, 0, 0, 0]) == [[3]]
    # Above it, the first in data order is met first.
    assert match([0.5, 0.6, 0.6, 0.6], [1, 0, 0, 0]) == [[1]]


def test_a_control_is_used_once_without_replacement_and_again_with_it() -> None:
    scores = [0.5, 0.52, 0.51]
    treated = [1, 1, 0]
    assert match(scores, treated) == [[NO_MATCH], [2]]
    assert match(scores, treated, replace=True) == [[2], [2]]


def test_ratio_matching_goes_in_rounds() -> None:
    # Treated 0.6 and 0.5, controls 0.58 and 0.52, two controls each wanted. In round one
    # 0.6 takes 0.58 and 0.5 takes 0.52; nothing is left for round two. (Taking both for the
    # first treated unit at once would leave the second with none.)
    assert match([0.5, 0.6, 0.58, 0.52], [1, 1, 0, 0], ratio=2) == [
        [3, NO_MATCH],
        [2, NO_MATCH],
    ]


def test_a_caliper_leaves_out_controls_beyond_it_but_not_at_it() -> None:
    # 0.35 is 0.15 away and 0.62 is 0.12 away: both beyond a caliper of 0.1.
    assert match([0.5, 0.35, 0.62], [1, 0, 0], caliper=0.1) == [[NO_MATCH]]
    # 0.75 is exactly 0.25 away from 0.5: inside a caliper of 0.25.
    assert match([0.5, 0.75], [1, 0], caliper=0.25) == [[1]]
    # The nearer one beyond the caliper does not stop the other side being used.
    assert match([0.5, 0.35, 0.58], [1, 0, 0], caliper=0.1) == [[2]]


def test_exact_strata_are_matched_within_themselves() -> None:
    # The nearest control (0.51) is in the other stratum, so 0.3 it is.
    scores = [0.5, 0.51, 0.3]
    treated = [1, 0, 0]
    assert match(scores, treated, strata=np.array([0, 1, 0])) == [[2]]
    # A stratum with no control leaves its treated units unmatched.
    assert match(scores, treated, strata=np.array([2, 1, 0])) == [[NO_MATCH]]


def test_with_replacement_and_a_ratio_each_treated_unit_gets_its_k_nearest() -> None:
    # Treated 0.5: controls 0.45 (0.05), 0.58 (0.08), 0.3 (0.2), 0.9 (0.4); two wanted.
    assert match([0.5, 0.45, 0.58, 0.3, 0.9], [1, 0, 0, 0, 0], ratio=2, replace=True) == [[1, 2]]


def test_weights_sum_shares_of_each_treated_unit_and_rescale_to_the_distinct_controls() -> None:
    # A (row 0) has controls 2 and 3; B (row 1) has control 2 only. Control 2: 1/2 + 1 = 1.5;
    # control 3: 1/2. They add up to 2, the number of distinct controls: no rescaling.
    matches = Matches(np.array([0, 1]), np.array([[2, 3], [2, NO_MATCH]]))
    assert matching_weights(matches, 5).tolist() == [1.0, 1.0, 1.5, 0.5, 0.0]
    # A has 4 controls (0.25 each), B has control 2 (1): control 2 gets 1.25, the others
    # 0.25; sum 2, distinct controls 4, so each is doubled.
    matches = Matches(np.array([0, 1]), np.array([[2, 3, 4, 5], [2, -1, -1, -1]]))
    assert matching_weights(matches, 6).tolist() == [1.0, 1.0, 2.5, 0.5, 0.5, 0.5]


def test_matched_sets_number_the_treated_units_with_a_match() -> None:
    matches = Matches(np.array([0, 1, 4]), np.array([[2], [NO_MATCH], [3]]))
    assert matched_sets(matches, 6).tolist() == [0, -1, 0, 1, 1, -1]


def test_the_score_model_is_rs_glm() -> None:
    # R 4.2: coef(glm(c(0,0,1,0,1,1) ~ 1:6, family = binomial)) = -4.2490965505, 1.2140275859.
    x = np.column_stack([np.ones(6), np.arange(1.0, 7.0)])
    fit = fit_logit(x, np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0]))
    assert fit.converged and not fit.at_boundary
    assert fit.coefficients == pytest.approx([-4.2490965505, 1.2140275859], abs=1e-9)
    assert fit.fitted[0] == pytest.approx(1 / (1 + np.exp(4.2490965505 - 1.2140275859)))


def test_perfect_separation_is_reported_by_the_fit() -> None:
    x = np.column_stack([np.ones(6), np.arange(1.0, 7.0)])
    fit = fit_logit(x, np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
    assert fit.at_boundary or not fit.converged


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="order"):
        nearest_neighbour(np.zeros(2), np.array([True, False]), order="random")
    with pytest.raises(ValueError, match="ratio"):
        nearest_neighbour(np.zeros(2), np.array([True, False]), ratio=0)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(_matching).failed == 0
