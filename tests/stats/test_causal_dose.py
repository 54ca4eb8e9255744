"""complier_average_effect: randomisation-based effect per minute vs the confounded slope (11).

Reproducer of the issue's scenario: attendance driven by individual response makes the
observational slope several times the causal one; two-stage least squares with the arm as
instrument recovers the causal slope. With two arms and no covariate the estimate is exactly
the Wald ratio (ITT difference / difference in mean dose), the textbook identity; the R suite
compares with a hand-written 2SLS in R.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import complier_average_effect, dose_response

CAUSAL = -0.04  # NRS points per weekly retro minute


def confounded_trial(n: int = 2000, seed: int = 12) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "retro", "usual_care")
    responsiveness = rng.normal(0, 1, n)  # good responders improve more AND attend more
    offered = arm == "retro"
    minutes = np.where(offered, np.clip(40 + 15 * responsiveness + rng.normal(0, 8, n), 0, None), 0)
    baseline = rng.normal(6, 1.5, n)
    change = CAUSAL * minutes - 1.0 * responsiveness - 0.3 * (baseline - 6) + rng.normal(0, 1, n)
    return pl.DataFrame(
        {"arm": arm, "retro_minutes": minutes, "baseline": baseline, "change": change}
    )


def test_iv_recovers_the_causal_slope_where_the_observational_slope_is_biased() -> None:
    data = confounded_trial()
    observational = dose_response(data.filter(pl.col("arm") == "retro"))
    slope = observational.filter(pl.col("term") == "retro_minutes")["estimate"][0]
    result = complier_average_effect(data, reference="usual_care")
    causal = result.filter(pl.col("role") == "causal_dose").row(0, named=True)
    assert causal["ci_low"] < CAUSAL < causal["ci_high"]
    assert slope < 2 * CAUSAL  # the confounded slope is far steeper
    assert "exclusion restriction" in causal["notes"]
    assert "observational" in observational["notes"][1]
    first = result.filter(pl.col("role") == "first_stage").row(0, named=True)
    assert first["statistic"] > 100


def test_two_arms_without_covariates_is_the_wald_ratio() -> None:
    data = confounded_trial(n=400, seed=3)
    result = complier_average_effect(data, covariates=(), reference="usual_care")
    means = data.group_by("arm").agg(pl.col("change").mean(), pl.col("retro_minutes").mean())
    m = {r["arm"]: r for r in means.to_dicts()}
    wald = (m["retro"]["change"] - m["usual_care"]["change"]) / (
        m["retro"]["retro_minutes"] - m["usual_care"]["retro_minutes"]
    )
    got = result.filter(pl.col("role") == "causal_dose")["estimate"][0]
    assert got == pytest.approx(wald, rel=1e-10)


def test_no_instrument_is_refused() -> None:
    data = confounded_trial(n=100).with_columns(pl.lit(30.0).alias("retro_minutes"))
    with pytest.raises(UsageError, match="no instrument"):
        complier_average_effect(data)
