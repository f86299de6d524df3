"""Data Lab evaluation (METHODS.md section 4): does an intervention reduce reoffending,
estimated by propensity score matching against a comparison group.

The steps, each on one frame of one row per person:

1. Check the data (`EvaluationInputError` names the column and how many rows): the treatment
   column is 0/1, no missing values in any column used, every covariate varies, and at least
   `min_treated` people are in the treatment group.
2. Propensity score: logistic regression of treatment on the covariates (numeric ones as
   they are, categorical ones one-hot encoded with their first level, in code-point order,
   left out), as R's `glm` fits it (`desist_analytics._matching.fit_logit`).
3. Nearest-neighbour matching on the score with MatchIt's semantics
   (`desist_analytics._matching.nearest_neighbour`), optionally within exact strata and
   inside a caliper given in standard deviations of the score over everyone (n - 1).
4. Weights (MatchIt's, for the effect on the treated) and the effective sample size of the
   comparison group, (sum w)^2 / sum(w^2).
5. Balance before and after matching for every covariate (each level of a categorical one),
   as MatchIt's `summary()` computes it: standardised mean difference (denominator: the
   treated standard deviation in the unmatched sample; for a 0/1 variable sqrt(p(1 - p))),
   variance ratio (treated over comparison, continuous covariates only), and the mean and
   largest difference between the two groups' empirical distribution functions.
6. Outcomes: the treated mean, the weighted comparison mean, the difference, and a 95%
   interval and p-value (normal approximation) from either the pair-clustered standard
   error (a weighted regression of the outcome on treatment, errors clustered on matched
   sets as R's `sandwich::vcovCL` does, type HC1) or the two-sample form used in published
   Data Lab reports, sqrt(v_t / n_t + v_c / n_c).
7. The plain-English summary in the wording of published Data Lab reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]

from desist_analytics._disclosure import DisclosureOptions, count_in_words
from desist_analytics._matching import (
    NO_MATCH,
    ORDERS,
    LogitFit,
    Matches,
    fit_logit,
    matched_sets,
    matching_weights,
    nearest_neighbour,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[int], None]

FIRST_DATA_ROW = 2  # spreadsheet rows: the header is row 1
SHOWN_ROWS = 5
Z_95 = float(stats.norm.ppf(0.975))
_TINY = math.sqrt(float(np.finfo(np.float64).eps))
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Outcome kinds.
BINARY, COUNT, CONTINUOUS = "binary", "count", "continuous"
# |SMD| at or above these is flagged (METHODS.md section 4).
SMD_RED = 0.1
SMD_AMBER = 0.05


class EvaluationOptionsError(ValueError):
    """The options of an evaluation cannot be used (the message says which and why)."""


class EvaluationInputError(ValueError):
    """The data cannot be evaluated: the message names the column (and how many rows, or
    which) or what else stops it (too few treated people, perfect separation, no match)."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message)


@dataclass(frozen=True)
class EvaluationOptions:
    """What to evaluate and how (METHODS.md section 4).

    Attributes:
        treatment: the 0/1 column, 1 for the treatment group.
        covariates: the columns the propensity score is fitted on.
        outcomes: the outcome columns (0/1, counts, or continuous).
        ratio: comparison people per treated person (1:k matching), default 1.
        replace: match with replacement (a comparison person can serve several), default no.
        caliper: the largest score distance, in standard deviations of the score; None for
            none.
        exact: columns that must be equal within a matched set.
        order: the order treated people are matched in: "largest" score first (default),
            "smallest" first, or "data" order.
        se: "cluster" (pair-clustered, default) or "two-sample" standard errors.
        min_treated: refuse with fewer people than this in the treatment group (default 60).
    """

    treatment: str
    covariates: tuple[str, ...]
    outcomes: tuple[str, ...]
    ratio: int = 1
    replace: bool = False
    caliper: float | None = None
    exact: tuple[str, ...] = ()
    order: str = "largest"
    se: str = "cluster"
    min_treated: int = 60

    ORDERS: ClassVar[tuple[str, ...]] = ORDERS
    SE_KINDS: ClassVar[tuple[str, ...]] = ("cluster", "two-sample")

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))
        object.__setattr__(self, "outcomes", tuple(self.outcomes))
        object.__setattr__(self, "exact", tuple(self.exact))
        if not self.treatment:
            raise EvaluationOptionsError("name the treatment column")
        if not self.covariates:
            raise EvaluationOptionsError("name at least one covariate")
        if not self.outcomes:
            raise EvaluationOptionsError("name at least one outcome")
        for name, columns in (
            ("covariates", self.covariates),
            ("outcomes", self.outcomes),
            ("exact", self.exact),
        ):
            if len(set(columns)) != len(columns):
                raise EvaluationOptionsError(f"a column is named twice in {name}")
        if self.treatment in self.covariates or self.treatment in self.outcomes:
            raise EvaluationOptionsError(
                f"the treatment column {self.treatment} cannot also be a covariate or outcome"
            )
        if self.treatment in self.exact:
            raise EvaluationOptionsError(
                f"the treatment column {self.treatment} cannot be an exact matching variable"
            )
        if both := sorted((set(self.covariates) | set(self.exact)) & set(self.outcomes)):
            raise EvaluationOptionsError(
                f"{', '.join(both)} cannot be both an outcome and a covariate"
            )
        if self.ratio < 1:
            raise EvaluationOptionsError("ratio must be a whole number, 1 or more")
        if self.caliper is not None and not (self.caliper > 0 and math.isfinite(self.caliper)):
            raise EvaluationOptionsError("caliper must be a positive number of standard deviations")
        if self.order not in self.ORDERS:
            raise EvaluationOptionsError(f"order must be one of {', '.join(self.ORDERS)}")
        if self.se not in self.SE_KINDS:
            raise EvaluationOptionsError(f"se must be one of {', '.join(self.SE_KINDS)}")
        if self.min_treated < 1:
            raise EvaluationOptionsError("min_treated must be 1 or more")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the evaluation reads, each once."""
        return tuple(dict.fromkeys((self.treatment, *self.covariates, *self.exact, *self.outcomes)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "covariates": list(self.covariates),
            "outcomes": list(self.outcomes),
            "ratio": self.ratio,
            "replace": self.replace,
            "caliper": self.caliper,
            "exact": list(self.exact),
            "order": self.order,
            "se": self.se,
            "min_treated": self.min_treated,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> EvaluationOptions:
        return cls(
            **{
                **values,
                "covariates": tuple(values["covariates"]),
                "outcomes": tuple(values["outcomes"]),
                "exact": tuple(values["exact"]),
            }
        )


@dataclass(frozen=True)
class OutcomeEstimate:
    """One outcome: treated mean, weighted comparison mean, and their difference with its
    standard error, 95% interval and p-value."""

    outcome: str
    kind: str
    treated: float
    comparison: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "kind": self.kind,
            "treated": self.treated,
            "comparison": self.comparison,
            "difference": self.difference,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class BalanceRow:
    """Balance of one covariate (or one level of a categorical covariate)."""

    covariate: str
    binary: bool
    mean_treated: float
    mean_comparison_before: float
    mean_comparison_after: float
    smd_before: float
    smd_after: float
    variance_ratio_before: float | None
    variance_ratio_after: float | None
    ecdf_mean_after: float
    ecdf_max_after: float

    @property
    def flag(self) -> str:
        """ "red" for |SMD| after matching of 0.1 or more, "amber" from 0.05, else ""."""
        size = abs(self.smd_after)
        if size >= SMD_RED:
            return "red"
        if size >= SMD_AMBER:
            return "amber"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "covariate": self.covariate,
            "smd_before": self.smd_before,
            "smd_after": self.smd_after,
            "variance_ratio_after": self.variance_ratio_after,
            "ecdf_mean_after": self.ecdf_mean_after,
            "ecdf_max_after": self.ecdf_max_after,
            "binary": self.binary,
            "mean_treated": self.mean_treated,
            "mean_comparison_before": self.mean_comparison_before,
            "mean_comparison_after": self.mean_comparison_after,
            "variance_ratio_before": self.variance_ratio_before,
            "flag": self.flag,
        }


@dataclass(frozen=True)
class EvaluationResult:
    """An evaluation's figures. `to_dict()` is the JSON the command line prints.

    Attributes:
        treated_total, comparison_total: people in each group before matching.
        matched_treated, unmatched_treated: treated people with and without a match.
        matched_controls: distinct comparison people used.
        ess_controls: effective sample size of the weighted comparison group.
        caliper_width: the caliper in score units (None without a caliper).
        outcomes, balance: the estimates and the balance table.
        summary: the sentences of the plain-English summary.
        scores, weights, treated: per row of the input (for plots; not in `to_dict`).
    """

    options: EvaluationOptions
    treated_total: int
    comparison_total: int
    matched_treated: int
    unmatched_treated: int
    matched_controls: int
    ess_controls: float
    caliper_width: float | None
    coefficients: dict[str, float]
    outcomes: tuple[OutcomeEstimate, ...]
    balance: tuple[BalanceRow, ...]
    summary: tuple[str, ...]
    scores: FloatArray = field(repr=False)
    weights: FloatArray = field(repr=False)
    treated: BoolArray = field(repr=False)
    matches: Matches = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "matched_treated": self.matched_treated,
            "matched_controls": self.matched_controls,
            "unmatched_treated": self.unmatched_treated,
            "ess_controls": self.ess_controls,
            "treated_total": self.treated_total,
            "comparison_total": self.comparison_total,
            "caliper_width": self.caliper_width,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "balance": [b.to_dict() for b in self.balance],
            "score_model": self.coefficients,
            "options": self.options.to_dict(),
            "summary": list(self.summary),
        }


# --- reading --------------------------------------------------------------------------------


def read_evaluation_data(
    path: str | Path, columns: Sequence[str] | None = None, optional: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a CSV (optionally compressed) or Parquet file of one row per person.

    Args:
        path: the file; its extension says which format.
        columns: read only these (all of them must be in the file); None reads every column.
        optional: with `columns`, also read these when the file has them.

    Returns:
        A pandas frame: numbers as numbers, text as text, blanks as missing.

    Raises:
        EvaluationInputError: an unknown extension, a file that cannot be read, or a
            missing column (named).
    """
    name = str(path).lower()
    try:
        if name.endswith(CSV_SUFFIXES):
            header = pacsv.open_csv(path).schema.names
            _check_columns(path, header, columns)
            columns = _with_optional(header, columns, optional)
            convert = pacsv.ConvertOptions(
                include_columns=list(columns) if columns is not None else None,
                strings_can_be_null=True,
            )
            table = pacsv.read_csv(path, convert_options=convert)
        elif name.endswith(PARQUET_SUFFIXES):
            header = pq.read_schema(path).names
            _check_columns(path, header, columns)
            columns = _with_optional(header, columns, optional)
            table = pq.read_table(path, columns=list(columns) if columns is not None else None)
        else:
            raise EvaluationInputError(
                f"{path}: the file must be CSV (.csv, optionally .gz, .bz2 or .zst) or "
                "Parquet (.parquet)"
            )
    except (pa.ArrowInvalid, OSError) as error:
        raise EvaluationInputError(f"{path}: cannot be read ({error})") from None
    return table.to_pandas()


def _with_optional(
    header: Sequence[str], columns: Sequence[str] | None, optional: Sequence[str]
) -> Sequence[str] | None:
    if columns is None:
        return None
    return [*columns, *(c for c in optional if c in header and c not in columns)]


def _check_columns(path: str | Path, header: Sequence[str], columns: Sequence[str] | None) -> None:
    if columns is None:
        return
    missing = [c for c in columns if c not in header]
    if missing:
        raise EvaluationInputError(
            f"{path}: no column {', '.join(missing)} (the file has {', '.join(header)})",
            column=missing[0],
        )


# --- checking and preparing -----------------------------------------------------------------


def _rows_text(rows: npt.NDArray[np.int64]) -> str:
    """ "row 4" or "rows 4, 9, ..." (spreadsheet rows: the first record is row 2)."""
    shown = ", ".join(f"{int(r) + FIRST_DATA_ROW:,}" for r in rows[:SHOWN_ROWS])
    more = ", ..." if rows.size > SHOWN_ROWS else ""
    return f"{'row' if rows.size == 1 else 'rows'} {shown}{more}"


def _check_missing(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    problems = []
    first = None
    for column in columns:
        blank = frame[column].isna().to_numpy()
        if blank.any():
            rows = np.flatnonzero(blank)
            first = first or column
            problems.append(
                f"column {column} has {rows.size:,} row{'s' if rows.size != 1 else ''} with "
                f"missing values ({_rows_text(rows)})"
            )
    if problems:
        raise EvaluationInputError("; ".join(problems), column=first)


def _treatment(frame: pd.DataFrame, column: str) -> BoolArray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return np.asarray(values.to_numpy(dtype=bool))
    text = values.astype(str).str.strip()
    lower = text.str.lower()
    ones = np.asarray(lower.isin(["1", "1.0", "true"]).to_numpy(), dtype=bool)
    zeros = lower.isin(["0", "0.0", "false"]).to_numpy()
    bad = np.flatnonzero(~(ones | zeros))
    if bad.size:
        raise EvaluationInputError(
            f"column {column} must be 0 or 1 (1 for the treatment group): "
            f"{_rows_text(bad)} {'has' if bad.size == 1 else 'have'} "
            f"{text.iloc[bad[0]]}" + (" and other values" if bad.size > 1 else ""),
            column=column,
        )
    return ones


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


@dataclass(frozen=True)
class _Design:
    """The score model's design matrix and the balance table's variables."""

    matrix: FloatArray
    names: list[str]  # of the design columns, after the intercept
    balance: list[tuple[str, FloatArray]]  # every covariate, every level of a categorical one


def _design(frame: pd.DataFrame, covariates: Sequence[str]) -> _Design:
    n = len(frame)
    columns = [np.ones(n)]
    names: list[str] = []
    balance: list[tuple[str, FloatArray]] = []
    for covariate in covariates:
        values = frame[covariate]
        if _is_numeric(values):
            x = values.to_numpy(dtype=np.float64)
            if np.ptp(x) == 0:
                raise EvaluationInputError(
                    f"covariate {covariate} has no variation: it is {_number(x[0])} for "
                    "everyone, so it cannot be used",
                    column=covariate,
                )
            columns.append(x)
            names.append(covariate)
            balance.append((covariate, x))
            continue
        codes, uniques = pd.factorize(values.astype(str), sort=False)
        labels = [str(u) for u in uniques]
        levels = sorted(labels)
        if len(levels) < 2:
            raise EvaluationInputError(
                f"covariate {covariate} has no variation: it is {levels[0]!r} for everyone, "
                "so it cannot be used",
                column=covariate,
            )
        code_of = {label: k for k, label in enumerate(labels)}
        for i, level in enumerate(levels):
            dummy = (codes == code_of[level]).astype(np.float64)
            balance.append((f"{covariate}: {level}", dummy))
            if i:
                columns.append(dummy)
                names.append(f"{covariate}: {level}")
    matrix = np.empty((n, len(columns)), order="F")
    for j, column in enumerate(columns):
        matrix[:, j] = column
    _check_rank(matrix, names)
    return _Design(matrix, names, balance)


def _check_rank(matrix: FloatArray, names: list[str]) -> None:
    """Refuse a covariate that adds nothing to those before it (collinear)."""
    gram = matrix.T @ matrix
    scale = np.sqrt(np.diag(gram))
    gram = gram / np.outer(scale, scale)
    for j in range(1, matrix.shape[1]):
        if np.linalg.matrix_rank(gram[: j + 1, : j + 1]) <= j:
            raise EvaluationInputError(
                f"covariate {names[j - 1]} is a combination of the other covariates "
                "(collinear), so the score model cannot tell them apart: leave one out",
                column=names[j - 1].split(": ")[0],
            )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _separating(design: _Design, treated: BoolArray) -> list[str]:
    """The design columns that on their own split the groups: a number whose ranges in the
    two groups do not overlap, or a level of a categorical covariate that only one group
    has."""
    found = []
    for j, name in enumerate(design.names):
        x = design.matrix[:, j + 1]
        t, c = x[treated], x[~treated]
        apart = t.max() < c.min() or t.min() > c.max()
        is_level = ": " in name
        one_group = is_level and (t.sum() == x.sum() or c.sum() == x.sum())
        if apart or one_group:
            found.append(name)
    return found


def _separation_error(design: _Design, treated: BoolArray, fit: LogitFit) -> EvaluationInputError:
    names = _separating(design, treated)
    which = (
        f": {', '.join(names)} on {'its' if len(names) == 1 else 'their'} own "
        f"{'tells' if len(names) == 1 else 'tell'} the groups apart"
        if names
        else ""
    )
    how = "did not converge" if not fit.converged else "gave scores of 0 or 1"
    return EvaluationInputError(
        f"perfect separation in the score model{which}. The logistic regression {how}, so "
        "some people in one group have no counterpart in the other: leave out or group the "
        "covariate, or match exactly on it",
        column=names[0].split(": ")[0] if names else None,
    )


# --- weights, balance, outcomes -------------------------------------------------------------


def effective_sample_size(weights: FloatArray) -> float:
    """(sum w)^2 / sum(w^2); 0 for no weight.

    Example:
        >>> effective_sample_size(np.array([1.5, 0.5]))  # 2^2 / 2.5
        1.6
    """
    total = float(weights.sum())
    return total * total / float((weights**2).sum()) if total else 0.0


def _weighted_mean(x: FloatArray, w: FloatArray) -> float:
    return float((x * w).sum() / w.sum())


def _weighted_variance(x: FloatArray, w: FloatArray, binary: bool) -> float:
    """MatchIt's wvar: p(1 - p) for a 0/1 variable, else the weighted variance with the
    unbiased (1 - sum of squared normalised weights) denominator."""
    w = w / w.sum()
    mean = float((w * x).sum())
    if binary:
        return mean * (1 - mean)
    return float((w * (x - mean) ** 2).sum() / (1 - (w**2).sum()))


def _pooled_sd(x: FloatArray, treated: BoolArray, binary: bool) -> float:
    n = x.size
    if binary:
        total = 0.0
        for group in (treated, ~treated):
            s = float(x[group].sum())
            total += s * (1 - s / group.sum()) / n
        return math.sqrt(total)
    centred = x.copy()
    for group in (treated, ~treated):
        centred[group] -= centred[group].mean()
    return math.sqrt(float((centred**2).sum()) / (n - 1))


def _ecdf_differences(x: FloatArray, treated: BoolArray, w: FloatArray) -> tuple[float, float]:
    """Mean and largest gap between the groups' weighted empirical distribution functions,
    over the distinct values of x (MatchIt's qqsum with standardize = TRUE)."""
    w = w.astype(np.float64).copy()
    w[treated] /= w[treated].sum()
    w[~treated] /= w[~treated].sum()
    order = np.argsort(x, kind="stable")
    signed = np.where(treated[order], -w[order], w[order])
    gaps = np.abs(np.cumsum(signed))
    x_sorted = x[order]
    last = np.append(np.diff(x_sorted) != 0, True)
    gaps = gaps[last]
    return float(gaps.mean()), float(gaps.max())


def _balance_row(name: str, x: FloatArray, treated: BoolArray, w: FloatArray) -> BalanceRow:
    binary = bool(np.isin(x, (0.0, 1.0)).all())
    ones = np.ones_like(x)
    sd = math.sqrt(_weighted_variance(x[treated], ones[treated], binary))
    if not math.isfinite(sd) or sd < _TINY:
        sd = _pooled_sd(x, treated, binary)
    mean_treated = float(x[treated].mean())
    before = float(x[~treated].mean())
    after = _weighted_mean(x[~treated], w[~treated])
    mean_treated_after = _weighted_mean(x[treated], w[treated])

    def smd(difference: float) -> float:
        return difference / sd if abs(difference) > _TINY else difference

    if binary:
        ratio_before = ratio_after = None
        ecdf_mean = ecdf_max = abs(mean_treated_after - after)
    else:
        ratio_before = _weighted_variance(x[treated], ones[treated], False) / _weighted_variance(
            x[~treated], ones[~treated], False
        )
        ratio_after = _weighted_variance(x[treated], w[treated], False) / _weighted_variance(
            x[~treated], w[~treated], False
        )
        ecdf_mean, ecdf_max = _ecdf_differences(x, treated, w)
    return BalanceRow(
        covariate=name,
        binary=binary,
        mean_treated=mean_treated,
        mean_comparison_before=before,
        mean_comparison_after=after,
        smd_before=smd(mean_treated - before),
        smd_after=smd(mean_treated_after - after),
        variance_ratio_before=ratio_before,
        variance_ratio_after=ratio_after,
        ecdf_mean_after=ecdf_mean,
        ecdf_max_after=ecdf_max,
    )


def _outcome_kind(y: FloatArray) -> str:
    if np.isin(y, (0.0, 1.0)).all():
        return BINARY
    if (y >= 0).all() and (y == np.round(y)).all():
        return COUNT
    return CONTINUOUS


def _cluster_se(
    y: FloatArray, treated: BoolArray, w: FloatArray, clusters: npt.NDArray[np.int64]
) -> float:
    """Standard error of the treatment coefficient in the weighted regression y ~ 1 +
    treated, clustered (sandwich::vcovCL, type HC1: G / (G - 1) x (N - 1) / (N - K))."""
    x = np.column_stack([np.ones(y.size), treated.astype(np.float64)])
    xtwx = x.T @ (x * w[:, None])
    bread = np.linalg.inv(xtwx)
    beta = bread @ (x.T @ (w * y))
    scores = x * (w * (y - x @ beta))[:, None]
    _, codes = np.unique(clusters, return_inverse=True)
    groups = int(codes.max()) + 1
    summed = np.zeros((groups, 2))
    np.add.at(summed, codes, scores)
    meat = summed.T @ summed
    n, k = y.size, 2
    adjust = groups / (groups - 1) * (n - 1) / (n - k)
    covariance = adjust * bread @ meat @ bread
    return math.sqrt(float(covariance[1, 1]))


def two_sample_se(v_t: float, n_t: float, v_c: float, n_c: float) -> float:
    """The two-sample standard error of published Data Lab reports, sqrt(v_t/n_t + v_c/n_c).

    Example:
        >>> round(two_sample_se(0.31 * 0.69, 72, 0.43 * 0.57, 10_000), 5)
        0.05473
    """
    return math.sqrt(v_t / n_t + v_c / n_c)


def _two_sample_se(y_t: FloatArray, y_c: FloatArray, w_c: FloatArray, kind: str) -> float:
    """v is p(1 - p) for a 0/1 outcome, else the (weighted) variance; n_c is the comparison
    group's effective sample size."""
    if kind == BINARY:
        p_t = float(y_t.mean())
        p_c = _weighted_mean(y_c, w_c)
        v_t, v_c = p_t * (1 - p_t), p_c * (1 - p_c)
    else:
        v_t = float(y_t.var(ddof=1)) if y_t.size > 1 else 0.0
        v_c = _weighted_variance(y_c, w_c, False) if y_c.size > 1 else 0.0
    return two_sample_se(v_t, y_t.size, v_c, effective_sample_size(w_c))


def _estimate(
    name: str,
    y: FloatArray,
    treated: BoolArray,
    w: FloatArray,
    sets: npt.NDArray[np.int64] | None,
    se_kind: str,
) -> OutcomeEstimate:
    used = w > 0
    y, treated, w = y[used], treated[used], w[used]
    kind = _outcome_kind(y)
    mean_t = float(y[treated].mean())
    mean_c = _weighted_mean(y[~treated], w[~treated])
    difference = mean_t - mean_c
    if se_kind == "two-sample":
        se = _two_sample_se(y[treated], y[~treated], w[~treated], kind)
    else:
        # Without replacement the clusters are the matched sets; with replacement a person
        # can be in several sets, so each person is their own cluster (robust HC1).
        clusters = sets[used] if sets is not None else np.arange(y.size)
        se = _cluster_se(y, treated, w, clusters)
    if se > 0:
        p_value = float(2 * stats.norm.sf(abs(difference) / se))
    else:
        p_value = 1.0 if difference == 0 else 0.0
    return OutcomeEstimate(
        outcome=name,
        kind=kind,
        treated=mean_t,
        comparison=mean_c,
        difference=difference,
        se=se,
        ci_low=difference - Z_95 * se,
        ci_high=difference + Z_95 * se,
        p_value=p_value,
    )


# --- the plain-English summary --------------------------------------------------------------


def _label(outcome: str) -> str:
    return outcome.replace("_", " ").strip()


def _is_reoffending(outcome: str) -> bool:
    return "reoffen" in outcome.lower()


def _per_100(value: float) -> int:
    return round(value * 100)


def _between(estimate: OutcomeEstimate, scale: float) -> tuple[str, str]:
    low, high = sorted((abs(estimate.ci_low) * scale, abs(estimate.ci_high) * scale))
    if scale == 100:
        return f"{round(low)}", f"{round(high)}"
    return f"{low:.2f}", f"{high:.2f}"


def _outcome_sentences(estimate: OutcomeEstimate) -> list[str]:
    name = estimate.outcome
    label = _label(name)
    reoffending = _is_reoffending(name)
    sentences: list[str] = []
    if estimate.kind == BINARY:
        measure = "the proven reoffending rate" if reoffending else f"the rate of {label}"
        did = "committed a proven reoffence within one year" if reoffending else f"had {label}"
        sentences.append(
            f"For any 100 typical people in the treatment group, "
            f"{_per_100(estimate.treated)} {did}, compared with "
            f"{_per_100(estimate.comparison)} in the comparison group."
        )
        unit, scale = " percentage points", 100.0
    elif estimate.kind == COUNT:
        measure = (
            "the frequency of proven reoffending"
            if reoffending
            else f"the average {label} per person"
        )
        what = "proven reoffences were committed within one year" if reoffending else label
        sentences.append(
            f"For any 100 typical people in the treatment group, "
            f"{_per_100(estimate.treated)} {what}, compared with "
            f"{_per_100(estimate.comparison)} in the comparison group."
            if reoffending
            else f"For any 100 typical people in the treatment group, the total {label} was "
            f"{_per_100(estimate.treated)}, compared with {_per_100(estimate.comparison)} in "
            "the comparison group."
        )
        unit, scale = (" reoffences per person" if reoffending else ""), 1.0
    else:
        measure = f"the average {label}"
        sentences.append(
            f"People in the treatment group had an average {label} of "
            f"{estimate.treated:.2f}, compared with {estimate.comparison:.2f} in the "
            "comparison group."
        )
        unit, scale = "", 1.0
    if estimate.significant:
        low, high = _between(estimate, scale)
        verb = "reduced" if estimate.ci_high < 0 else "increased"
        sentences.append(
            f"The analysis shows that taking part in the programme {verb} {measure} by between "
            f"{low} and {high}{unit}. This is a statistically significant result."
        )
    else:
        sentences.append(
            f"The analysis could not determine whether taking part in the programme affected "
            f"{measure}: the difference is not statistically significant, and more people "
            "would be needed to determine the effect. This should not be taken to mean that "
            "the programme has no effect."
        )
    return sentences


def summary_sentences(
    result_counts: Mapping[str, int],
    outcomes: Sequence[OutcomeEstimate],
    disclosure: DisclosureOptions,
) -> tuple[str, ...]:
    """The plain-English summary, counts after disclosure control."""
    treated = count_in_words(result_counts["matched_treated"], disclosure)
    controls = count_in_words(result_counts["matched_controls"], disclosure)
    total = count_in_words(result_counts["treated_total"], disclosure)
    sentences = [
        f"This analysis compared {treated} of the {total} people in the treatment group with "
        f"{controls} people in a comparison group who had similar characteristics but did not "
        "take part in the programme."
    ]
    if treated.startswith("fewer") or controls.startswith("fewer"):
        # A rate of so few people would give their number away.
        sentences.append("The results are not shown: the matched groups are too small to publish.")
        return tuple(sentences)
    for estimate in outcomes:
        sentences.extend(_outcome_sentences(estimate))
    return tuple(sentences)


# --- the whole evaluation -------------------------------------------------------------------


@dataclass(frozen=True)
class _Matched:
    design: _Design
    treated: BoolArray
    fit: LogitFit
    caliper_width: float | None
    matches: Matches
    weights: FloatArray


def matched_sample(
    data: pd.DataFrame, options: EvaluationOptions, progress: Progress | None = None
) -> _Matched:
    """The checks, the score model, the matching and the weights: what R's `matchit()`
    does (the benchmark times this against it); `evaluate` adds balance and outcomes."""
    report = progress or (lambda _: None)
    missing = [c for c in options.columns if c not in data.columns]
    if missing:
        raise EvaluationInputError(f"no column {', '.join(missing)} in the data", column=missing[0])
    _check_missing(data, options.columns)
    treated = _treatment(data, options.treatment)
    n_treated = int(treated.sum())
    if n_treated < options.min_treated:
        raise EvaluationInputError(
            f"only {n_treated:,} {'person is' if n_treated == 1 else 'people are'} in the "
            f"treatment group ({options.treatment} = 1); at least {options.min_treated} are "
            "needed for an evaluation",
            column=options.treatment,
        )
    if n_treated == treated.size:
        raise EvaluationInputError(
            f"nobody is in the comparison group: every row has {options.treatment} = 1",
            column=options.treatment,
        )
    for outcome in options.outcomes:
        if not _is_numeric(data[outcome]):
            raise EvaluationInputError(
                f"outcome {outcome} must be numbers (0/1, counts or measurements)",
                column=outcome,
            )
    design = _design(data, options.covariates)
    report(10)
    fit = fit_logit(design.matrix, treated.astype(np.float64))
    if not fit.converged or fit.at_boundary:
        raise _separation_error(design, treated, fit)
    scores = fit.fitted
    report(40)
    caliper_width = None
    if options.caliper is not None:
        caliper_width = options.caliper * float(scores.std(ddof=1))
    strata = None
    if options.exact:
        keys = data[list(options.exact)].astype(str).agg("\x1f".join, axis=1)
        strata = pd.factorize(keys, sort=True)[0].astype(np.int64)
    matches = nearest_neighbour(
        scores,
        treated,
        ratio=options.ratio,
        replace=options.replace,
        caliper=caliper_width,
        order=options.order,
        strata=strata,
    )
    matched = matches.matched_treated
    if not matched.any():
        where = (
            f" inside the caliper ({options.caliper:g} standard deviations of the score, "
            f"{caliper_width:.4g})"
            if caliper_width is not None
            else ""
        )
        exact = f" with the same {', '.join(options.exact)}" if options.exact else ""
        raise EvaluationInputError(
            f"no comparison candidates{where}{exact} for anyone in the treatment group: "
            "nobody could be matched" + (". Widen the caliper" if caliper_width else "")
        )
    weights = matching_weights(matches, len(data))
    report(70)
    return _Matched(design, treated, fit, caliper_width, matches, weights)


def evaluate(
    data: pd.DataFrame,
    options: EvaluationOptions,
    *,
    disclosure: DisclosureOptions | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate the effect of the treatment on the outcomes by propensity score matching.

    Args:
        data: one row per person with every column `options` names (others are ignored).
        options: what to evaluate and how.
        disclosure: how counts in the summary sentences are protected (default: threshold 10).
        progress: called with the per cent done after each step.

    Returns:
        The evaluation's figures.

    Raises:
        EvaluationInputError: a missing column, missing values, a treatment column that is
            not 0/1, a covariate without variation, too few treated people, perfect
            separation, or no comparison candidate inside the caliper.

    Example:
        >>> frame = pd.DataFrame({"t": [1, 1, 0, 0, 0, 0], "age": [20, 30, 22, 25, 31, 40],
        ...                       "reoffended": [1, 1, 1, 0, 0, 1]})
        >>> result = evaluate(frame, EvaluationOptions("t", ("age",), ("reoffended",),
        ...                                            min_treated=2))
        >>> result.matched_treated, result.matched_controls, result.outcomes[0].difference
        (2, 2, 0.5)
    """
    report = progress or (lambda _: None)
    disclosure = disclosure or DisclosureOptions()
    sample = matched_sample(data, options, report)
    design, treated, fit, weights = sample.design, sample.treated, sample.fit, sample.weights
    matches, caliper_width = sample.matches, sample.caliper_width
    n_treated = int(treated.sum())
    matched = matches.matched_treated
    outcome_values = {o: data[o].to_numpy(dtype=np.float64) for o in options.outcomes}
    scores = fit.fitted
    balance = tuple(_balance_row(name, x, treated, weights) for name, x in design.balance)
    sets = None if options.replace else matched_sets(matches, len(data))
    estimates = tuple(
        _estimate(name, y, treated, weights, sets, options.se) for name, y in outcome_values.items()
    )
    used_controls = np.unique(matches.matrix[matches.matrix != NO_MATCH]).size
    counts = {
        "matched_treated": int(matched.sum()),
        "matched_controls": int(used_controls),
        "treated_total": n_treated,
    }
    report(90)
    return EvaluationResult(
        options=options,
        treated_total=n_treated,
        comparison_total=int(treated.size - n_treated),
        matched_treated=counts["matched_treated"],
        unmatched_treated=n_treated - counts["matched_treated"],
        matched_controls=counts["matched_controls"],
        ess_controls=effective_sample_size(weights[~treated & (weights > 0)]),
        caliper_width=caliper_width,
        coefficients=dict(
            zip(["(Intercept)", *design.names], map(float, fit.coefficients), strict=True)
        ),
        outcomes=estimates,
        balance=balance,
        summary=summary_sentences(counts, estimates, disclosure),
        scores=scores,
        weights=weights,
        treated=treated,
        matches=matches,
    )
