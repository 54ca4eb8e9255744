"""Responder tiers, Fisher's exact option, non-responder imputation, logistic model (item 12).

References: R ``fisher.test(matrix(c(7, 2, 3, 8), 2))``: p = 0.06977851869, conditional MLE
OR 8.15306, 95% CI 0.882117 to 127.0558 (R's root finder stops ~4e-4 relative from scipy's);
a logistic model with only the arm reproduces the sample odds ratio and Woolf's SE exactly
(``glm(y ~ arm, binomial)``); the R suite compares adjusted models with ``glm``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import responder_tiers, responders, responders_logistic


def arms(counts: dict[str, tuple[int, int]], unknown: int = 0) -> pl.DataFrame:
    rows: list[tuple[str, bool | None]] = []
    for arm, (x, n) in counts.items():
        rows += [(arm, True)] * x + [(arm, False)] * (n - x) + [(arm, None)] * unknown
    return pl.DataFrame(rows, schema={"arm": pl.String, "responder": pl.Boolean}, orient="row")


def test_fisher_option_matches_r_fisher_test() -> None:
    result = responders(
        arms({"retro": (7, 10), "usual_care": (2, 10)}), reference="usual_care", test="fisher"
    )
    diff = result.filter(pl.col("role") == "risk_difference").row(0, named=True)
    odds = result.filter(pl.col("role") == "odds_ratio").row(0, named=True)
    assert diff["p_value"] == pytest.approx(0.06977851869, rel=1e-8)
    assert odds["p_value"] == pytest.approx(0.06977851869, rel=1e-8)
    assert odds["estimate"] == pytest.approx(8.15306260436, rel=2e-4)
    assert odds["ci_low"] == pytest.approx(0.88211748932, rel=2e-4)
    assert odds["ci_high"] == pytest.approx(127.05584183011, rel=1e-3)
    assert "Fisher's exact" in odds["method"]


def test_non_responder_imputation_counts_unknown_as_failure() -> None:
    data = arms({"retro": (6, 10), "usual_care": (3, 10)}, unknown=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        cc = responders(data, reference="usual_care")
    nri = responders(data, reference="usual_care", missing="non_responder")
    props = nri.filter(pl.col("role") == "proportion")
    assert props["n"].to_list() == [12, 12]
    assert props["estimate"].to_list() == pytest.approx([3 / 12, 6 / 12])
    assert cc.filter(pl.col("role") == "proportion")["n"].to_list() == [10, 10]
    assert "non-responder imputation (4 unknown" in props["method"][0]


def test_tiers_and_the_liberal_nrs_rule() -> None:
    data = pl.DataFrame(
        {"baseline": [8.0, 8.0, 4.0, 10.0, 0.0, 6.0], "follow_up": [6.0, 4.0, 2.0, 7.5, 0.0, None]}
    )
    got = responder_tiers(data)
    assert got["reduction_30"].to_list() == [False, True, True, False, None, None]
    assert got["reduction_50"].to_list() == [False, True, True, False, None, None]
    # 8 -> 6 is 25% but 2 points: a responder only under the NRS rule.
    assert got["two_points_or_30"].to_list() == [True, True, True, True, False, None]


def test_logistic_without_covariates_reproduces_the_sample_odds_ratio() -> None:
    data = arms({"retro": (30, 50), "usual_care": (18, 50)})
    result = responders_logistic(data, baseline=None, reference="usual_care")
    odds = result.filter(pl.col("role") == "odds_ratio").row(0, named=True)
    assert odds["estimate"] == pytest.approx((30 * 32) / (20 * 18), rel=1e-10)
    woolf = math.sqrt(1 / 30 + 1 / 20 + 1 / 18 + 1 / 32)
    assert odds["std_error"] == pytest.approx(woolf, rel=1e-8)


def test_logistic_adjusts_for_baseline_and_refuses_separation() -> None:
    rng = np.random.default_rng(8)
    n = 200
    arm = np.where(np.arange(n) % 2 == 0, "retro", "usual_care")
    base = rng.normal(6, 1.5, n)
    logit = -0.5 + 1.0 * (arm == "retro") - 0.4 * (base - 6)
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    data = pl.DataFrame({"arm": arm, "baseline": base, "responder": y})
    result = responders_logistic(data, reference="usual_care")
    assert result.filter(pl.col("term") == "baseline")["estimate"][0] < 0
    separated = data.with_columns((pl.col("arm") == "retro").alias("responder"))
    with pytest.raises(UsageError, match="separation"):
        responders_logistic(separated, reference="usual_care")
