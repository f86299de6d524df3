"""The propensity score and nearest-neighbour matching of a Data Lab evaluation (METHODS.md
section 4), with the semantics of R's `glm(family = binomial)` and MatchIt's
`matchit(method = "nearest", distance = "glm")` so that results can be checked against them.

Propensity score: `fit_logit` is R's `glm.fit` for the binomial family with the logit link,
step for step (the same starting values, iteratively reweighted least squares, the same
convergence test on the deviance and the same clamping of the linear predictor), so the
scores agree with R's to rounding error.

Matching (`nearest_neighbour`), as MatchIt's `nn_matchC_vec` does it:

- Every unit is put in order of score, lowest first; units with equal scores stay in data
  order. A treated unit's candidates are the nearest usable control below it in that order
  and the nearest above it; the one whose score is nearer wins, and when both are equally
  near the one below wins. So among controls with the same score, the one last in the data
  is taken from below and the first in the data from above.
- Treated units are taken in `order`: "largest" score first (the default), "smallest"
  first, or "data" order; treated units with equal scores are taken in data order.
- With `ratio` k, matching runs in k rounds: in each round every treated unit, in order,
  gets one more control. Without replacement a control is used once; with replacement a
  control can serve any number of treated units, but never the same one twice.
- With a caliper, a candidate whose score is further than the caliper from the treated
  unit's cannot be used (a distance equal to the caliper can). A treated unit with no usable
  candidate on either side gets no further control.
- With exact matching, units are matched only within their stratum (the same value of every
  exact variable); each stratum is matched on its own, in the same order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# R's glm.control() defaults and the thresholds of its logit link (src/library/stats/src/
# family.c): the linear predictor is clamped at +-30 and fitted probabilities within
# 10 * machine epsilon of 0 or 1 are reported as "numerically 0 or 1".
GLM_EPSILON = 1e-8
GLM_MAXIT = 25
_DBL_EPSILON = float(np.finfo(np.float64).eps)
_THRESH = 30.0
_BOUNDARY = 10 * _DBL_EPSILON
ORDERS = ("largest", "smallest", "data")
NO_MATCH = -1


@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic regression.

    Attributes:
        coefficients: one per column of the design matrix.
        fitted: the fitted probabilities (the propensity scores).
        iterations: IRLS iterations run.
        converged: whether the deviance settled within `GLM_MAXIT` iterations.
        at_boundary: whether a fitted probability is numerically 0 or 1 (separation).
    """

    coefficients: FloatArray
    fitted: FloatArray
    iterations: int
    converged: bool
    at_boundary: bool


def _mean_and_gradient(eta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The fitted probability and d mu / d eta at `eta`, as R's C_logit_linkinv and
    C_logit_mu_eta compute them: from exp() of the predictor clamped at +-30, with machine
    epsilon standing in beyond the clamp (one exp() for both)."""
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    one_plus = e + 1
    mu = e / one_plus
    gradient = mu / one_plus
    outside = np.abs(eta) > _THRESH
    if outside.any():
        mu[eta < -_THRESH] = _DBL_EPSILON / (1 + _DBL_EPSILON)
        mu[eta > _THRESH] = (1 / _DBL_EPSILON) / (1 + 1 / _DBL_EPSILON)
        gradient[outside] = _DBL_EPSILON
    return mu, gradient


def _deviance(mu: FloatArray, ones: BoolArray) -> float:
    # Binomial deviance for y of 0 or 1: -2 log(mu) where y is 1, -2 log(1 - mu) where 0.
    return float(-2 * np.log(np.where(ones, mu, 1 - mu)).sum())


def fit_logit(x: FloatArray, y: FloatArray) -> LogitFit:
    """Unpenalised logistic regression of `y` (0 or 1) on the design matrix `x` (with its
    intercept column), as R's `glm(y ~ ..., family = binomial)` fits it.

    Args:
        x: n by p design matrix, full column rank.
        y: n outcomes, each 0.0 or 1.0.

    Returns:
        The fit: coefficients, fitted probabilities and how the iterations went.

    Example:
        >>> x = np.column_stack([np.ones(6), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
        >>> fit = fit_logit(x, np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0]))
        >>> [round(float(c), 4) for c in fit.coefficients], fit.converged
        ([-4.2491, 1.214], True)
    """
    x = np.asfortranarray(x, dtype=np.float64)  # column by column is faster for X'WX
    ones = y == 1
    mu = (y + 0.5) / 2
    eta = np.log(mu / (1 - mu))
    _, gradient = _mean_and_gradient(eta)
    deviance_old = _deviance(mu, ones)
    coefficients = np.zeros(x.shape[1])
    converged = False
    iteration = 0
    for iteration in range(1, GLM_MAXIT + 1):  # noqa: B007 - the count is reported
        z = eta + (y - mu) / gradient
        w = gradient / np.sqrt(mu * (1 - mu))
        xw = x * w[:, None]
        # The normal equations of the weighted least squares step (R solves the same
        # problem by QR; with a full-rank design the answers agree to rounding error, and
        # this needs only a p by p matrix however many rows there are).
        coefficients = np.asarray(np.linalg.solve(xw.T @ xw, xw.T @ (z * w)), np.float64)
        eta = x @ coefficients
        mu, gradient = _mean_and_gradient(eta)
        deviance = _deviance(mu, ones)
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < GLM_EPSILON:
            converged = True
            break
        deviance_old = deviance
    at_boundary = bool(((mu > 1 - _BOUNDARY) | (mu < _BOUNDARY)).any())
    return LogitFit(coefficients, mu, iteration, converged, at_boundary)


@dataclass(frozen=True)
class Matches:
    """The result of nearest-neighbour matching.

    Attributes:
        treated: data indices of the treated units, in data order.
        matrix: one row per treated unit (in the order of `treated`), one column per round:
            the data index of the control matched in that round, or -1 for none.
    """

    treated: IntArray
    matrix: IntArray

    @property
    def matched_treated(self) -> BoolArray:
        """Which treated units have at least one control."""
        return np.asarray((self.matrix != NO_MATCH).any(axis=1))


def nearest_neighbour(
    score: FloatArray,
    treated: BoolArray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order: str = "largest",
    strata: IntArray | None = None,
) -> Matches:
    """Match each treated unit to its nearest controls on `score` (see the module docstring
    for the rules, MatchIt's).

    Args:
        score: one propensity score per unit.
        treated: True for treated units.
        ratio: controls per treated unit (k in 1:k).
        replace: whether a control can be matched to more than one treated unit.
        caliper: the largest usable score distance, in the units of `score` (None: any).
        order: "largest", "smallest" or "data": the order treated units are matched in.
        strata: an integer code per unit; units match only within the same code.

    Returns:
        The matches.

    Example:
        >>> score = np.array([0.30, 0.10, 0.31, 0.60, 0.62])
        >>> treated = np.array([True, False, False, True, False])
        >>> nearest_neighbour(score, treated).matrix.tolist()
        [[2], [4]]
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    if ratio < 1:
        raise ValueError("ratio must be at least 1")
    n = score.size
    codes = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, np.int64)
    # Every unit's position when all are put in score order, ties in data order (R's order()).
    by_score = np.argsort(score, kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[by_score] = np.arange(n)
    treated_index = np.flatnonzero(treated).astype(np.int64)
    treated_score = score[treated_index]
    if order == "largest":
        sequence = np.argsort(-treated_score, kind="stable")
    elif order == "smallest":
        sequence = np.argsort(treated_score, kind="stable")
    else:
        sequence = np.arange(treated_index.size)
    limit = np.inf if caliper is None else float(caliper)
    if replace:
        matrix = _with_replacement(
            score, treated, codes, by_score, position, treated_index, ratio, limit
        )
    else:
        matrix = _without_replacement(
            score, treated, codes, by_score, position, treated_index, sequence, ratio, limit
        )
    return Matches(treated_index, matrix)


def _without_replacement(
    score: FloatArray,
    treated: BoolArray,
    codes: IntArray,
    by_score: IntArray,
    position: IntArray,
    treated_index: IntArray,
    sequence: IntArray,
    ratio: int,
    limit: float,
) -> IntArray:
    """Greedy matching in rounds, each control used at most once (MatchIt's path for
    `reuse.max` below the number of treated units).

    In each round MatchIt walks outwards from the treated unit (from its furthest earlier
    matches, after the first round), one position at a time, alternately below and above,
    below first, skipping treated and used controls; the nearer of the first usable control
    found on each side wins, and when both are equally near, the one found first, that is
    the one fewer positions away (below when the same). Here the first unused control on
    each side comes from two "next unused" pointer forests per stratum over its controls in
    score order (union-find with path halving), so a used control costs nothing to skip."""
    n1 = treated_index.size
    found = np.full((n1, ratio), NO_MATCH, dtype=np.int64)
    control_index = by_score[~treated[by_score]]  # controls in score order
    if codes.any():
        control_index = control_index[np.argsort(codes[control_index], kind="stable")]
    # Controls of each stratum are one block, in score order, with a sentinel slot on each
    # side: block k holds slots start[k] .. start[k] + size + 1.
    block_codes, block_starts, block_sizes = np.unique(
        codes[control_index], return_index=True, return_counts=True
    )
    slot_of_first = block_starts + 2 * np.arange(block_codes.size)  # the lower sentinel
    slots = control_index.size + 2 * block_codes.size
    unit_at = np.full(slots, -1, dtype=np.int64)
    for k, first in enumerate(slot_of_first.tolist()):
        size = int(block_sizes[k])
        unit_at[first + 1 : first + 1 + size] = control_index[
            block_starts[k] : block_starts[k] + size
        ]
    down = list(range(slots))
    up = list(range(slots))
    # Where each treated unit's walk starts: the slot of the last control of its stratum
    # below it (or the stratum's lower sentinel).
    block_of_code = {int(c): k for k, c in enumerate(block_codes.tolist())}
    start_slot = np.full(n1, -1, dtype=np.int64)
    for k, code in enumerate(block_codes.tolist()):
        mine = np.flatnonzero(codes[treated_index] == code)
        block = control_index[block_starts[k] : block_starts[k] + block_sizes[k]]
        below = np.searchsorted(position[block], position[treated_index[mine]])
        start_slot[mine] = slot_of_first[k] + below
    # Only a few entries are read per treated unit, so these stay numpy arrays (converting
    # every control to a Python list would cost more than the whole loop).
    sentinel = set(slot_of_first.tolist()) | set((slot_of_first + block_sizes + 1).tolist())
    unit_list = unit_at
    scores = score
    positions = position
    treated_list = treated_index.tolist()
    starts = start_slot.tolist()
    low = position[treated_index].tolist()  # furthest positions reached so far
    high = list(low)
    has_stratum = [int(c) in block_of_code for c in codes[treated_index].tolist()]
    remaining = control_index.size
    order = sequence.tolist()
    for r in range(ratio):
        if remaining == 0:
            break
        for i in order:
            if remaining == 0:
                break
            if not has_stratum[i] or (r > 0 and found[i, r - 1] == NO_MATCH):
                continue
            target = float(scores[treated_list[i]])
            b = starts[i]
            while down[b] != b:
                down[b] = down[down[b]]
                b = down[b]
            a = starts[i] + 1
            while up[a] != a:
                up[a] = up[up[a]]
                a = up[a]
            d_below = np.inf if b in sentinel else abs(target - float(scores[unit_list[b]]))
            d_above = np.inf if a in sentinel else abs(target - float(scores[unit_list[a]]))
            if d_below > limit:
                d_below = np.inf
            if d_above > limit:
                d_above = np.inf
            if d_below == np.inf and d_above == np.inf:
                continue
            if d_below < d_above:
                chosen = b
            elif d_above < d_below:
                chosen = a
            else:
                steps_below = low[i] - int(positions[unit_list[b]])
                steps_above = int(positions[unit_list[a]]) - high[i]
                chosen = b if steps_below <= steps_above else a
            unit = int(unit_list[chosen])
            found[i, r] = unit
            place = int(positions[unit])
            low[i] = min(low[i], place)
            high[i] = max(high[i], place)
            down[chosen] = chosen - 1
            up[chosen] = chosen + 1
            remaining -= 1
    return found


def _with_replacement(
    score: FloatArray,
    treated: BoolArray,
    codes: IntArray,
    by_score: IntArray,
    position: IntArray,
    treated_index: IntArray,
    ratio: int,
    limit: float,
) -> IntArray:
    """Each treated unit's k nearest controls, as MatchIt 4.7's `find_control_vec` picks them
    when controls can be reused: walk outwards from the treated unit one position at a time,
    alternately below and above (below first; skipping treated units and other strata),
    collecting up to k controls on each side (a side stops at the caliper, after k, or at a
    control further than k already collected), then keep the k nearest. MatchIt orders them
    with the C++ library's `partial_sort`, which is not stable, so the same heap algorithm
    (libstdc++'s) is used here and ties come out the same."""
    n1 = treated_index.size
    n = score.size
    found = np.full((n1, ratio), NO_MATCH, dtype=np.int64)
    unit_at = by_score.tolist()
    usable = (~treated)[by_score].tolist()
    code_at = codes[by_score].tolist()
    scores = score.tolist()
    for i, unit in enumerate(treated_index.tolist()):
        target = scores[unit]
        code = int(codes[unit])
        low = high = int(position[unit])
        ids: list[int] = []
        dists: list[float] = []
        taken = [0, 0]
        stopped = [False, False]  # below, above
        left = False
        while not (stopped[0] and stopped[1]):
            left = True if stopped[1] else False if stopped[0] else not left
            side = 0 if left else 1
            if left:
                if low <= 0 or taken[0] == ratio:
                    stopped[0] = True
                    continue
                low -= 1
                at = low
            else:
                if high >= n - 1 or taken[1] == ratio:
                    stopped[1] = True
                    continue
                high += 1
                at = high
            if not usable[at]:
                continue
            d = abs(target - scores[unit_at[at]])
            if d > limit:
                stopped[side] = True
                continue
            if len(ids) >= ratio and sum(1 for x in dists if x < d) >= ratio:
                stopped[side] = True
                continue
            if code_at[at] != code:
                continue
            ids.append(unit_at[at])
            dists.append(d)
            taken[side] += 1
            if taken[side] == ratio:
                stopped[side] = True
        kept = _nearest_first(dists, ratio)
        found[i, : len(kept)] = [ids[k] for k in kept]
    return found


def _nearest_first(dists: list[float], ratio: int) -> list[int]:
    """Which candidates MatchIt keeps, nearest first (positions in `dists`)."""
    n = len(dists)
    if n <= 1 or (n <= ratio and all(a <= b for a, b in itertools.pairwise(dists))):
        return list(range(n))
    positions = list(range(n))
    if n > ratio:
        _partial_sort(positions, ratio, lambda a, b: dists[a] < dists[b])
        return positions[:ratio]
    # std::sort on at most 16 elements is an insertion sort, which is stable.
    return sorted(positions, key=lambda k: dists[k])


def _partial_sort(a: list[int], middle: int, less: Callable[[int, int], bool]) -> None:
    """libstdc++'s std::partial_sort (heap select, then sort_heap), step for step."""

    def adjust(hole: int, length: int, value: int) -> None:
        top = second = hole
        while second < (length - 1) // 2:
            second = 2 * (second + 1)
            if less(a[second], a[second - 1]):
                second -= 1
            a[hole] = a[second]
            hole = second
        if length % 2 == 0 and second == (length - 2) // 2:
            second = 2 * (second + 1)
            a[hole] = a[second - 1]
            hole = second - 1
        parent = (hole - 1) // 2
        while hole > top and less(a[parent], value):
            a[hole] = a[parent]
            hole = parent
            parent = (hole - 1) // 2
        a[hole] = value

    def pop(length: int, result: int) -> None:
        value = a[result]
        a[result] = a[0]
        adjust(0, length, value)

    if middle > 1:
        for parent in range((middle - 2) // 2, -1, -1):
            adjust(parent, middle, a[parent])
    for i in range(middle, len(a)):
        if less(a[i], a[0]):
            pop(middle, i)
    for last in range(middle - 1, 0, -1):
        pop(last, last)


def matching_weights(matches: Matches, n: int) -> FloatArray:
    """MatchIt's matching weights for the ATT: 1 for each matched treated unit; for each
    control, the sum over the treated units it is matched to of 1 / (the number of controls
    matched to that treated unit), rescaled so the control weights add up to the number of
    distinct matched controls; 0 for everyone unmatched.

    Example:
        >>> m = Matches(np.array([0, 1]), np.array([[2, 3], [2, -1]]))
        >>> matching_weights(m, 5).tolist()  # control 2: 1/2 + 1, control 3: 1/2; x 2/2
        [1.0, 1.0, 1.5, 0.5, 0.0]
    """
    weights = np.zeros(n)
    counts = (matches.matrix != NO_MATCH).sum(axis=1)
    matched = counts > 0
    weights[matches.treated[matched]] = 1.0
    used = matches.matrix != NO_MATCH
    share = np.broadcast_to((1.0 / np.maximum(counts, 1))[:, None], matches.matrix.shape)
    control_weights = np.bincount(matches.matrix[used], weights=share[used], minlength=n)
    controls = control_weights > 0
    distinct = int(controls.sum())
    if distinct:
        weights[controls] = control_weights[controls] * distinct / control_weights.sum()
    return weights


def matched_sets(matches: Matches, n: int) -> IntArray:
    """The matched set (pair or 1:k set) of each unit, numbered from 0 in the order of the
    treated units, -1 for unmatched units; only for matching without replacement, where each
    control is in one set."""
    sets = np.full(n, -1, dtype=np.int64)
    matched = matches.matched_treated
    number = np.cumsum(matched) - 1
    sets[matches.treated[matched]] = number[matched]
    for column in matches.matrix.T:
        used = column != NO_MATCH
        sets[column[used]] = number[used]
    return sets
