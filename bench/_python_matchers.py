"""Run the Python matchers people would otherwise pick, for bench/evaluation.py. It runs in
its own virtual environment (var/bench-venv, made by bench/evaluation.py with
`--python-packages`), since neither package belongs in the app's requirements.

    var/bench-venv/bin/python bench/_python_matchers.py DATA.csv SAMPLE.csv OUT.json

Both files have id, t (0/1), the covariates (numbers; categorical ones already one-hot
encoded) and score, desist's propensity score. For each package it times 1:1 nearest-
neighbour matching without replacement and writes the matched (treated id, control id)
pairs:

- causalml, on DATA.csv: `NearestNeighborMatch(replace=False, ratio=1)` on desist's score
  column, so the matching alone is compared (treated people in a shuffled order, its
  default);
- psmpy, on SAMPLE.csv (a small part of the data): `PsmPy.logistic_ps` then
  `kdtree_matched(matcher="propensity_score", replacement=False)`, its own score model and
  matching as a user would call them. It asks its KD-tree for the distance from every
  treated person to every candidate and then removes used candidates from Python lists one
  by one, so its memory grows with treated x candidates and its time with treated^2 x
  candidates: on the full data it would need tens of gigabytes.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd


def run_psmpy(data: pd.DataFrame) -> dict[str, object]:
    from psmpy import PsmPy

    frame = data.drop(columns=["score"])
    started = time.perf_counter()
    psm = PsmPy(frame, treatment="t", indx="id", exclude=[])
    psm.logistic_ps(balance=False)
    psm.kdtree_matched(matcher="propensity_score", replacement=False, caliper=None)
    seconds = time.perf_counter() - started
    matched = psm.matched_ids.dropna()
    pairs = [[int(a), int(b)] for a, b in zip(matched.iloc[:, 0], matched.iloc[:, 1], strict=True)]
    return {"seconds": seconds, "pairs": pairs, "rows": len(data)}


def run_causalml(data: pd.DataFrame) -> dict[str, object]:
    from causalml.match import NearestNeighborMatch

    started = time.perf_counter()
    matcher = NearestNeighborMatch(replace=False, ratio=1, caliper=1000.0, random_state=1)
    matched = matcher.match(data=data, treatment_col="t", score_cols=["score"])
    seconds = time.perf_counter() - started
    del matched
    ids = data["id"]
    pairs = [
        [int(ids.loc[a]), int(ids.loc[b])]
        for a, b in zip(
            matcher.matched_indexes_["from"], matcher.matched_indexes_["to"], strict=True
        )
    ]
    return {"seconds": seconds, "pairs": pairs, "rows": len(data)}


def main(argv: list[str]) -> int:
    full, sample = pd.read_csv(argv[0]), pd.read_csv(argv[1])
    out: dict[str, object] = {}
    for name, run, data in (("causalml", run_causalml, full), ("psmpy", run_psmpy, sample)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out[name] = run(data)
            except Exception as error:
                out[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
    with open(argv[2], "w") as file:
        json.dump(out, file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
