"""dose_response: recovery of the demo generator's true effect, and spline properties."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from retrowalk_demo import TRUE_EFFECTS
from toolkit import open_study
from toolkit.analysis_frames import outcome_frame
from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, dose_response, dose_response_curve
from toolkit.stats.dose_response import rcs_basis, rcs_knots


def row(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


@pytest.fixture(scope="module")
def demo_outcomes(demo_study: Path) -> pl.DataFrame:
    with open_study(demo_study, read_only=True) as study:
        return outcome_frame(study, None, "nrs")


def test_dose_response_recovers_the_demo_true_effect(demo_outcomes: pl.DataFrame) -> None:
    # MODEL.md: NRS change = ... + beta * (mean weekly retro minutes) + gamma * (forward ...),
    # beta = -0.04; regressing change on retro minutes adjusted for baseline and forward
    # minutes estimates beta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)  # participants without follow-up
        result = dose_response(demo_outcomes, covariates=("baseline", "forward_minutes"))
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    slope = row(result, "retro_minutes")
    truth = TRUE_EFFECTS["nrs_change_per_weekly_retro_minute"]
    assert slope["ci_low"] < truth < slope["ci_high"]
    assert slope["ci_high"] < 0  # and the effect is detected
    forward = row(result, "forward_minutes")
    assert (
        forward["ci_low"]
        < TRUE_EFFECTS["nrs_change_per_weekly_forward_minute"]
        < forward["ci_high"]
    )
    complete = demo_outcomes.drop_nulls(["change", "baseline"]).height
    assert slope["n"] == complete
    assert slope["n_excluded"] == demo_outcomes.height - complete


def test_restricted_cubic_spline_is_linear_beyond_the_outer_knots() -> None:
    x = np.linspace(0, 10, 201)
    knots = rcs_knots(x, 4)
    basis = rcs_basis(x, knots)
    assert basis.shape == (201, 3)
    for column in basis.T:
        tail = column[x > knots[-1] + 1e-9]
        head = column[x < knots[0] - 1e-9]
        assert np.allclose(np.diff(tail, 2), 0, atol=1e-10)  # linear above the last knot
        assert np.allclose(np.diff(head, 2), 0, atol=1e-10)  # linear below the first knot
    # Harrell's default quantiles for 4 knots: 5%, 35%, 65%, 95%.
    assert knots == pytest.approx(np.quantile(x, [0.05, 0.35, 0.65, 0.95]))


def test_spline_detects_curvature_and_its_curve_follows_it() -> None:
    rng = np.random.default_rng(4)
    minutes = rng.uniform(0, 40, 400)
    baseline = rng.normal(6, 1, 400)
    change = -0.002 * (minutes - 20) ** 2 - 0.3 * (baseline - 6) + rng.normal(0, 0.3, 400)
    data = pl.DataFrame({"retro_minutes": minutes, "baseline": baseline, "change": change})
    result = dose_response(data, spline_df=3)
    nonlinear = row(result, "retro_minutes non-linear")
    assert nonlinear["p_value"] < 1e-6 and nonlinear["df"] == 2
    curve = dose_response_curve(data, spline_df=3, points=41)
    assert curve.columns[:4] == ["exposure", "estimate", "ci_low", "ci_high"]
    assert curve.height == 41
    truth = -0.002 * (curve["exposure"].to_numpy() - 20) ** 2 + (-0.3) * (baseline.mean() - 6)
    assert np.max(np.abs(curve["estimate"].to_numpy() - truth)) < 0.15
    assert (curve["ci_low"] <= curve["estimate"]).all()
    assert (curve["estimate"] <= curve["ci_high"]).all()


def test_linear_curve_is_the_fitted_line_at_covariate_means() -> None:
    rng = np.random.default_rng(9)
    data = pl.DataFrame(
        {"retro_minutes": rng.uniform(0, 30, 100), "baseline": rng.normal(5, 1, 100)}
    ).with_columns(
        (-0.05 * pl.col("retro_minutes") - 0.2 * pl.col("baseline")).alias("change")
        + pl.Series(rng.normal(0, 0.5, 100))
    )
    coefs = {r["term"]: r["estimate"] for r in dose_response(data).to_dicts()}
    curve = dose_response_curve(data, points=5)
    expected = (
        coefs["(Intercept)"]
        + coefs["retro_minutes"] * curve["exposure"].to_numpy()
        + coefs["baseline"] * data["baseline"].mean()
    )
    assert curve["estimate"].to_numpy() == pytest.approx(expected)
    widths = (curve["ci_high"] - curve["ci_low"]).to_numpy()
    assert widths[2] < widths[0] and widths[2] < widths[4]  # narrowest near the mean dose


def test_dose_response_validates_inputs() -> None:
    data = pl.DataFrame({"retro_minutes": [1.0, 2.0, 3.0], "change": [0.0, 1.0, 2.0]})
    with pytest.raises(UsageError, match="'spline_df' parameter of dose_response must be"):
        dose_response(data, covariates=(), spline_df=9)
    with pytest.raises(UsageError, match="'points' parameter of dose_response_curve"):
        dose_response_curve(data, covariates=(), points=1)
    with pytest.raises(UsageError, match="needs column\\(s\\) 'baseline'"):
        dose_response(data)
