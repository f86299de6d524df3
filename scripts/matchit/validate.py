"""Check desist's Data Lab engine against R's MatchIt on generated data (outside the test
suite: it needs R, `scripts/matchit/install.sh` first).

For each case it runs `matchit(method = "nearest", distance = "glm")` in R and
`desist_analytics.evaluate` here on the same CSV file, then compares the propensity scores
(largest difference), the matched sets (must be identical), the weights, the balance table
(SMD, variance ratio, eCDF mean and max, before and after) and the outcome estimates with
their pair-clustered standard errors (`lm` + `sandwich::vcovCL`, type HC1).

    .venv/bin/python scripts/matchit/validate.py [--matchit-lib var/r-lib] [--quick]

By default it uses MatchIt 4.7.1 from var/r-lib. `--matchit-lib ''` uses Debian 12's
MatchIt 4.5.1 instead, whose nearest-neighbour selection is broken (see install.sh): expect
different matches from it whenever a treated unit has unused controls on both sides.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desist_analytics import EvaluationOptions, evaluate  # noqa: E402
from desist_analytics._matching import NO_MATCH  # noqa: E402

R_SCRIPT = Path(__file__).with_name("match.R")
COVARIATES = ("age", "sex", "previous", "region", "employed")
OUTCOMES = ("reoffended", "reoffences", "wellbeing")
CASES: list[dict[str, object]] = [
    {"name": "1:1 without replacement, largest first"},
    {"name": "1:1, smallest first", "order": "smallest"},
    {"name": "1:1, data order", "order": "data"},
    {"name": "1:2 without replacement", "ratio": 2},
    {"name": "1:3 with replacement", "ratio": 3, "replace": True},
    {"name": "1:1 with replacement", "replace": True},
    {"name": "1:1, exact on sex", "exact": ("sex",)},
    {"name": "1:1, exact on sex and region", "exact": ("sex", "region")},
    {"name": "1:1, caliper 0.2 SD", "caliper": 0.2},
    {"name": "1:1, caliper 0.01 SD", "caliper": 0.01},
    {"name": "1:2, caliper 0.05 SD, exact on sex", "ratio": 2, "caliper": 0.05, "exact": ("sex",)},
    {"name": "1:2 with replacement, caliper 0.02 SD", "ratio": 2, "replace": True, "caliper": 0.02},
]


def generate(seed: int, treated: int, controls: int, *, coarse: int) -> pd.DataFrame:
    """People with a treatment that depends on their covariates. With `coarse` 1, covariates
    take few values, so many people share a score (ties); with 2, only a few dozen distinct
    scores exist, shared by treated and comparison people alike."""
    rng = np.random.default_rng(seed)
    n = treated + controls
    if coarse == 2:
        age = rng.integers(20, 23, n)
    elif coarse == 1:
        age = rng.integers(18, 30, n)
    else:
        age = rng.normal(32, 9, n).round(1)
    sex = rng.choice(["F", "M"], n, p=[0.2, 0.8])
    previous = rng.poisson(3, n) if coarse < 2 else rng.integers(0, 2, n)
    region = rng.choice(["London", "Midlands", "North", "Wales"], n)
    employed = rng.integers(0, 2, n)
    propensity = -0.03 * (age - 30) + 0.4 * (sex == "M") + 0.08 * previous - 0.3 * employed
    order = np.argsort(-(propensity + rng.gumbel(0, 1, n)), kind="stable")
    t = np.zeros(n, dtype=int)
    t[order[:treated]] = 1
    risk = 1 / (1 + np.exp(-(-0.6 + 0.1 * previous - 0.02 * (age - 30) - 0.25 * t)))
    reoffended = (rng.random(n) < risk).astype(int)
    return pd.DataFrame(
        {
            "t": t,
            "age": age,
            "sex": sex,
            "previous": previous,
            "region": region if not coarse else np.where(region == "Wales", "North", region),
            "employed": employed,
            "reoffended": reoffended,
            "reoffences": reoffended * rng.poisson(1.5, n),
            "wellbeing": rng.normal(50, 10, n).round(2),
        }
    )


def run_r(path: Path, prefix: Path, case: dict[str, object], lib: str) -> None:
    caliper = case.get("caliper")
    arguments = [
        "treatment=t",
        f"covariates={','.join(COVARIATES)}",
        f"outcomes={','.join(OUTCOMES)}",
        f"ratio={case.get('ratio', 1)}",
        f"replace={'TRUE' if case.get('replace') else 'FALSE'}",
        f"caliper={caliper if caliper is not None else 'NA'}",
        f"order={case.get('order', 'largest')}",
        f"exact={','.join(case.get('exact', ()))}",  # type: ignore[arg-type]
    ]
    env = {**os.environ, "R_LIBS": lib} if lib else dict(os.environ)
    subprocess.run(  # noqa: S603 - R with our own script and arguments
        ["Rscript", str(R_SCRIPT), str(path), str(prefix), *arguments],  # noqa: S607
        check=True,
        env=env,
        capture_output=True,
    )


def compare(frame: pd.DataFrame, path: Path, case: dict[str, object], lib: str) -> list[str]:
    """Differences found, as lines (empty: everything agrees)."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder, "r")
        run_r(path, prefix, case, lib)
        r_matches = pd.read_csv(f"{prefix}-matches.csv")
        r_scores = pd.read_csv(f"{prefix}-scores.csv")
        r_balance = pd.read_csv(f"{prefix}-balance.csv")
        r_outcomes = pd.read_csv(f"{prefix}-outcomes.csv")
    options = EvaluationOptions(
        "t",
        COVARIATES,
        OUTCOMES,
        ratio=int(case.get("ratio", 1)),  # type: ignore[call-overload]
        replace=bool(case.get("replace", False)),
        caliper=case.get("caliper"),  # type: ignore[arg-type]
        exact=tuple(case.get("exact", ())),  # type: ignore[arg-type]
        order=str(case.get("order", "largest")),
        min_treated=1,
    )
    ours = evaluate(frame, options)
    problems = []
    score_gap = float(np.abs(ours.scores - r_scores["score"].to_numpy()).max())
    if score_gap > 1e-9:
        problems.append(f"scores differ by up to {score_gap:.3g}")
    # Matched sets: R's rows are numbered from 1, in the same treated order as ours.
    r_matrix = r_matches.drop(columns="treated").to_numpy(dtype=float)
    r_matrix = np.where(np.isnan(r_matrix), NO_MATCH + 1, r_matrix).astype(np.int64) - 1
    if not np.array_equal(r_matches["treated"].to_numpy() - 1, ours.matches.treated):
        problems.append("the treated units differ")
    elif not np.array_equal(r_matrix, ours.matches.matrix):
        differ = int((r_matrix != ours.matches.matrix).any(axis=1).sum())
        problems.append(f"matched sets differ for {differ:,} of {len(r_matrix):,} treated units")
    weight_gap = float(np.abs(ours.weights - r_scores["weight"].to_numpy()).max())
    if weight_gap > 1e-9:
        problems.append(f"weights differ by up to {weight_gap:.3g}")
    problems += _compare_balance(ours, r_balance)
    for estimate in ours.outcomes:
        row = r_outcomes.set_index("outcome").loc[estimate.outcome]
        if not math.isclose(estimate.difference, row["difference"], rel_tol=1e-7, abs_tol=1e-9):
            problems.append(
                f"{estimate.outcome}: difference {estimate.difference} vs {row['difference']}"
            )
        if not math.isclose(estimate.se, row["se"], rel_tol=1e-6):
            problems.append(f"{estimate.outcome}: se {estimate.se} vs {row['se']}")
    return problems


def _r_term(name: str) -> str:
    return name.replace(": ", "")


def _compare_balance(ours: object, r_balance: pd.DataFrame) -> list[str]:
    problems = []
    table = r_balance.set_index(["term", "when"])
    pairs = [
        ("smd_before", "before", "smd"),
        ("smd_after", "after", "smd"),
        ("variance_ratio_before", "before", "var_ratio"),
        ("variance_ratio_after", "after", "var_ratio"),
        ("ecdf_mean_after", "after", "ecdf_mean"),
        ("ecdf_max_after", "after", "ecdf_max"),
    ]
    for row in ours.balance:  # type: ignore[attr-defined]
        for attribute, when, column in pairs:
            value = getattr(row, attribute)
            theirs = table.loc[(_r_term(row.covariate), when), column]
            missing = theirs is None or (isinstance(theirs, float) and math.isnan(theirs))
            if value is None and missing:
                continue
            if value is None or not math.isclose(value, float(theirs), rel_tol=1e-6, abs_tol=1e-9):
                problems.append(f"balance {row.covariate} {attribute}: {value} vs {theirs}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matchit-lib", default=str(ROOT / "var" / "r-lib"))
    parser.add_argument("--quick", action="store_true", help="small data sets only")
    args = parser.parse_args()
    sizes = [(60, 400, 0), (80, 300, 1), (100, 500, 2)]
    if not args.quick:
        sizes += [(500, 5000, 0), (300, 3000, 1), (400, 2000, 2), (2000, 20000, 0)]
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for seed, (treated, controls, coarse) in enumerate(sizes, start=1):
            frame = generate(seed, treated, controls, coarse=coarse)
            path = Path(folder, f"data-{seed}.csv")
            frame.to_csv(path, index=False)
            kind = ("continuous", "coarse (many tied scores)", "very coarse (few scores)")[coarse]
            for case in CASES:
                problems = compare(frame, path, case, args.matchit_lib)
                status = "same" if not problems else "DIFFERENT"
                print(f"{treated:>5} treated, {controls:>6} controls, {kind}:", end=" ")
                print(f"{case['name']}: {status}")
                for problem in problems[:8]:
                    print(f"      {problem}")
                failures += bool(problems)
    print(f"{failures} case(s) differ" if failures else "All cases agree with MatchIt.")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
