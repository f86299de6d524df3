"""Data Lab evaluation (METHODS.md section 4): balance, estimates and intervals on tiny data
worked by hand, the published Data Lab wording, and each error the data can give."""

import doctest
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desist_analytics import (
    EvaluationInputError,
    EvaluationOptions,
    EvaluationOptionsError,
    OutcomeEstimate,
    _evaluation,
    evaluate,
    read_evaluation_data,
)
from desist_analytics._evaluation import (
    Z_95,
    _balance_row,
    _estimate,
    _outcome_sentences,
    effective_sample_size,
    two_sample_se,
)

TREATED = np.array([True, True, False, False, False, False])
# Treated 20 and 40 matched to controls 21 and 39; controls 60 and 30 unmatched.
AGES = np.array([20.0, 40.0, 21.0, 39.0, 60.0, 30.0])
WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])


def test_balance_of_a_continuous_covariate_before_and_after_matching() -> None:
    row = _balance_row("age", AGES, TREATED, WEIGHTS)
    # Treated mean 30, SD sqrt(((20-30)^2 + (40-30)^2) / 1) = sqrt(200).
    # Before: comparison mean (21+39+60+30)/4 = 37.5, SMD (30-37.5)/sqrt(200) = -0.53033.
    assert row.smd_before == pytest.approx(-7.5 / math.sqrt(200))
    # After: comparison mean (21+39)/2 = 30: no difference.
    assert row.smd_after == 0.0
    # Variance ratio before: 200 / var(21, 39, 60, 30) = 200 / (837/3) = 0.716846.
    assert row.variance_ratio_before == pytest.approx(200 / 279)
    # After: 200 / (((21-30)^2 + (39-30)^2) / 1) = 200 / 162.
    assert row.variance_ratio_after == pytest.approx(200 / 162)
    # eCDFs after, at 20, 21, 30, 39, 40, 60: treated 0.5, 0.5, 0.5, 0.5, 1, 1; comparison
    # 0, 0.5, 0.5, 1, 1, 1. Gaps 0.5, 0, 0, 0.5, 0, 0: mean 1/6, largest 0.5.
    assert row.ecdf_mean_after == pytest.approx(1 / 6)
    assert row.ecdf_max_after == 0.5
    assert row.flag == ""


def test_balance_of_a_binary_covariate_uses_sqrt_p_times_1_minus_p() -> None:
    x = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    row = _balance_row("employed", x, TREATED, WEIGHTS)
    # Treated p = 0.5, SD sqrt(0.25) = 0.5. Before: comparison 3/4: (0.5-0.75)/0.5 = -0.5.
    assert row.binary and row.smd_before == pytest.approx(-0.5)
    # After: comparison (1+1)/2 = 1: (0.5-1)/0.5 = -1; eCDF gaps are the difference in p.
    assert row.smd_after == pytest.approx(-1.0)
    assert row.ecdf_mean_after == row.ecdf_max_after == pytest.approx(0.5)
    assert row.variance_ratio_after is None
    assert row.flag == "red"


def test_an_smd_between_005_and_01_is_amber() -> None:
    x = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    w = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    assert _balance_row("x", x, TREATED, w).flag == ""
    # Treated p 0.5 (SD 0.5); comparison after 0.53 (weights 0.53 and 0.47): SMD -0.06.
    w = np.array([1.0, 1.0, 1.06, 0.94, 0.0, 0.0])
    assert _balance_row("x", x, TREATED, w).smd_after == pytest.approx(-0.06)
    assert _balance_row("x", x, TREATED, w).flag == "amber"


def test_the_pair_clustered_interval_of_a_binary_outcome() -> None:
    # Pairs (treated 1, control 0) and (treated 0, control 0): difference 0.5.
    # (X'X)^-1 = [[.5, -.5], [-.5, 1]]; treated residuals +0.5 and -0.5, controls 0; pair
    # scores (0.5, 0.5) and (-0.5, -0.5), meat [[.5, .5], [.5, .5]]; bread-meat-bread [1,1]
    # = 0.125; HC1 adjustment 2/1 x 3/2 = 3: variance 0.375. (R's sandwich::vcovCL gives
    # the same, 0.6123724.)
    y = np.array([1.0, 0.0, 0.0, 0.0])
    treated = np.array([True, False, True, False])
    sets = np.array([0, 0, 1, 1])
    estimate = _estimate("reoffended", y, treated, np.ones(4), sets, "cluster")
    assert estimate.difference == 0.5
    assert estimate.se == pytest.approx(math.sqrt(0.375))
    assert estimate.ci_low == pytest.approx(0.5 - Z_95 * math.sqrt(0.375))
    assert estimate.ci_high == pytest.approx(0.5 + Z_95 * math.sqrt(0.375))
    # p = 2 (1 - Phi(0.5 / 0.6124)) = 2 (1 - Phi(0.8165)) = 0.4142.
    assert estimate.p_value == pytest.approx(0.41422, abs=1e-5)
    assert not estimate.significant


def test_the_two_sample_interval_reproduces_published_data_lab_wording() -> None:
    # 72 treated at 31% against a large comparison group (10,000) at 43%:
    # se = sqrt(.31 x .69 / 72 + .43 x .57 / 10000) = 0.05473; -0.12 +- 1.96 x 0.05473 gives
    # -0.2273 to -0.0127: a reduction of between 1 and 23 percentage points.
    se = two_sample_se(0.31 * 0.69, 72, 0.43 * 0.57, 10_000)
    assert se == pytest.approx(0.054730, abs=1e-6)
    estimate = OutcomeEstimate(
        "reoffended", "binary", 0.31, 0.43, -0.12, se, -0.12 - Z_95 * se, -0.12 + Z_95 * se, 0.03
    )
    sentences = _outcome_sentences(estimate)
    assert sentences[0] == (
        "For any 100 typical people in the treatment group, 31 committed a proven reoffence "
        "within one year, compared with 43 in the comparison group."
    )
    assert sentences[1].startswith(
        "The analysis shows that taking part in the programme reduced the proven reoffending "
        "rate by between 1 and 23 percentage points."
    )


def test_a_non_significant_result_says_more_people_are_needed() -> None:
    estimate = OutcomeEstimate("reoffended", "binary", 0.40, 0.42, -0.02, 0.05, -0.118, 0.078, 0.69)
    text = " ".join(_outcome_sentences(estimate))
    assert "more people would be needed to determine the effect" in text
    assert "should not be taken to mean that the programme has no effect" in text


def test_the_two_sample_se_of_a_weighted_comparison_uses_its_effective_size() -> None:
    # Treated outcomes 1, 0 (p 0.5); comparison 1 (weight 1.5) and 0 (weight 0.5): weighted
    # p 0.75, effective size 2^2 / 2.5 = 1.6. se = sqrt(0.25/2 + 0.1875/1.6).
    y = np.array([1.0, 0.0, 1.0, 0.0])
    treated = np.array([True, True, False, False])
    weights = np.array([1.0, 1.0, 1.5, 0.5])
    estimate = _estimate("reoffended", y, treated, weights, None, "two-sample")
    assert estimate.comparison == 0.75
    assert estimate.se == pytest.approx(math.sqrt(0.25 / 2 + 0.1875 / 1.6))
    assert effective_sample_size(weights[2:]) == pytest.approx(1.6)


def people(treated: int = 70, controls: int = 300, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = treated + controls
    return pd.DataFrame(
        {
            "t": [1] * treated + [0] * controls,
            "age": np.concatenate([rng.normal(28, 6, treated), rng.normal(34, 9, controls)]),
            "sex": rng.choice(["F", "M"], n),
            "reoffended": rng.integers(0, 2, n),
            "reoffences": rng.poisson(1, n),
        }
    )


OPTIONS = EvaluationOptions("t", ("age", "sex"), ("reoffended", "reoffences"))


def test_an_evaluation_reports_its_counts_estimates_and_balance() -> None:
    result = evaluate(people(), OPTIONS)

    assert result.treated_total == 70 and result.comparison_total == 300
    assert result.matched_treated == 70 and result.unmatched_treated == 0
    assert result.matched_controls == 70 and result.ess_controls == pytest.approx(70)
    assert [b.covariate for b in result.balance] == ["age", "sex: F", "sex: M"]
    assert list(result.coefficients) == ["(Intercept)", "age", "sex: M"]
    kinds = {o.outcome: o.kind for o in result.outcomes}
    assert kinds == {"reoffended": "binary", "reoffences": "count"}
    # Matching on age brings the groups closer than before.
    age = result.balance[0]
    assert abs(age.smd_after) < abs(age.smd_before)
    data = people()
    matched = data.loc[result.weights > 0]
    treated_rate = matched.loc[matched.t == 1, "reoffended"].mean()
    assert result.outcomes[0].treated == pytest.approx(treated_rate)


def test_the_same_inputs_give_identical_output() -> None:
    first = json.dumps(evaluate(people(), OPTIONS).to_dict())
    assert json.dumps(evaluate(people(), OPTIONS).to_dict()) == first


def test_the_json_has_the_named_fields() -> None:
    data = evaluate(people(), OPTIONS).to_dict()
    assert {"matched_treated", "matched_controls", "unmatched_treated", "ess_controls"} <= set(data)
    assert set(data["outcomes"][0]) >= {
        "outcome",
        "treated",
        "comparison",
        "difference",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
    }
    assert set(data["balance"][0]) >= {
        "covariate",
        "smd_before",
        "smd_after",
        "variance_ratio_after",
        "ecdf_mean_after",
        "ecdf_max_after",
    }
    assert data["options"]["ratio"] == 1 and data["summary"]


def test_summary_counts_pass_disclosure_control() -> None:
    sentence = evaluate(people(), OPTIONS).summary[0]
    assert sentence.startswith("This analysis compared 70 of the 70 people")
    small = evaluate(
        people(treated=8), EvaluationOptions("t", ("age",), ("reoffended",), min_treated=5)
    )
    assert "fewer than 10 of the fewer than 10 people" in small.summary[0]
    # And no rate of so few people (it would give their number away).
    assert small.summary[1:] == (
        "The results are not shown: the matched groups are too small to publish.",
    )


def test_too_few_treated_people_are_refused() -> None:
    with pytest.raises(EvaluationInputError, match="only 59 people are in the treatment group"):
        evaluate(people(treated=59), OPTIONS)


def test_missing_values_name_the_column_and_how_many_rows() -> None:
    data = people()
    data.loc[[1, 3], "age"] = np.nan
    with pytest.raises(EvaluationInputError) as raised:
        evaluate(data, OPTIONS)
    assert str(raised.value) == "column age has 2 rows with missing values (rows 3, 5)"
    assert raised.value.column == "age"


def test_a_covariate_with_no_variation_is_refused() -> None:
    data = people().assign(region="London")
    options = EvaluationOptions("t", ("age", "region"), ("reoffended",))
    with pytest.raises(
        EvaluationInputError, match="covariate region has no variation: it is 'London'"
    ):
        evaluate(data, options)


def test_a_treatment_column_that_is_not_0_or_1_names_the_row() -> None:
    data = people()
    data.loc[2, "t"] = 2
    with pytest.raises(EvaluationInputError, match=r"column t must be 0 or 1 .*: row 4 has 2"):
        evaluate(data, OPTIONS)


def test_perfect_separation_names_the_covariate() -> None:
    data = people()
    data["sex"] = np.where(data.t == 1, "M", "F")
    with pytest.raises(EvaluationInputError, match="perfect separation in the score model: sex: M"):
        evaluate(data, OPTIONS)


def test_no_candidate_inside_the_caliper_is_refused() -> None:
    # A continuous covariate gives everyone a different score, none within a billionth of a
    # standard deviation of another.
    data = people().assign(noise=np.random.default_rng(1).normal(size=370))
    options = EvaluationOptions("t", ("noise",), ("reoffended",), caliper=1e-9)
    with pytest.raises(EvaluationInputError, match="no comparison candidates inside the caliper"):
        evaluate(data, options)


def test_collinear_covariates_are_refused() -> None:
    data = people().assign(months=lambda d: d.age * 12)
    options = EvaluationOptions("t", ("age", "months"), ("reoffended",))
    with pytest.raises(EvaluationInputError, match="covariate months is a combination"):
        evaluate(data, options)


def test_an_outcome_that_is_not_numbers_is_refused() -> None:
    data = people().assign(outcome="yes")
    with pytest.raises(EvaluationInputError, match="outcome outcome must be numbers"):
        evaluate(data, EvaluationOptions("t", ("age",), ("outcome",)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covariates": ()}, "at least one covariate"),
        ({"outcomes": ()}, "at least one outcome"),
        ({"covariates": ("t",)}, "cannot also be a covariate"),
        ({"outcomes": ("age",)}, "both an outcome and a covariate"),
        ({"ratio": 0}, "ratio"),
        ({"caliper": 0.0}, "caliper"),
        ({"order": "random"}, "order"),
        ({"se": "robust"}, "se must be one of"),
        ({"min_treated": 0}, "min_treated"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "treatment": "t",
        "covariates": ("age",),
        "outcomes": ("reoffended",),
        **kwargs,
    }
    with pytest.raises(EvaluationOptionsError, match=message):
        EvaluationOptions(**values)  # type: ignore[arg-type]


def test_files_are_read_from_csv_and_parquet_with_missing_columns_named(tmp_path: Path) -> None:
    data = people()
    data.to_csv(tmp_path / "people.csv", index=False)
    data.to_parquet(tmp_path / "people.parquet")
    for name in ("people.csv", "people.parquet"):
        frame = read_evaluation_data(tmp_path / name, ["t", "age", "sex"])
        assert list(frame.columns) == ["t", "age", "sex"] and len(frame) == len(data)
    with pytest.raises(EvaluationInputError, match="no column region"):
        read_evaluation_data(tmp_path / "people.csv", ["t", "region"])
    # Optional columns are read when the file has them, and not asked for when it does not.
    for name in ("people.csv", "people.parquet"):
        frame = read_evaluation_data(tmp_path / name, ["t"], optional=["sex", "region"])
        assert list(frame.columns) == ["t", "sex"]
    with pytest.raises(EvaluationInputError, match="must be CSV"):
        read_evaluation_data(tmp_path / "people.xlsx", ["t"])


def test_options_round_trip_through_a_dict() -> None:
    options = EvaluationOptions(
        "t", ("age",), ("reoffended",), ratio=2, exact=("sex",), caliper=0.2
    )
    assert EvaluationOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(_evaluation).failed == 0
