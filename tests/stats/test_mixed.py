"""mixed_model against lme4 / lmerTest on the sleepstudy data."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, mixed_model, mixed_model_curve


def row(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


def test_mixed_model_matches_lme4_sleepstudy(sleepstudy: pl.DataFrame) -> None:
    # R: library(lmerTest); fm1 <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
    # summary(fm1) (Bates et al. 2015, J. Stat. Softw. 67(1), section 1; lmerTest for the df):
    #   REML criterion at convergence: 1743.6
    #   Subject (Intercept) Std.Dev. 24.741; Days 5.922; Corr 0.07; Residual 25.592
    #   (Intercept) 251.405  SE 6.825  df 17.000  t 36.838
    #   Days         10.467  SE 1.546  df 17.000  t  6.771  p 3.26e-06
    with warnings.catch_warnings():
        warnings.simplefilter("error", StatsWarning)  # converged, not singular, nothing dropped
        result = mixed_model(sleepstudy, outcome="Reaction", time="Days", subject="Subject")
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    intercept, days = row(result, "(Intercept)"), row(result, "Days")
    assert intercept["estimate"] == pytest.approx(251.405, abs=5e-4)
    assert intercept["std_error"] == pytest.approx(6.825, abs=5e-4)
    assert days["estimate"] == pytest.approx(10.467, abs=5e-4)
    assert days["std_error"] == pytest.approx(1.546, abs=5e-4)
    assert days["statistic"] == pytest.approx(6.771, abs=5e-4)
    assert intercept["df"] == pytest.approx(17.0, abs=0.01)
    assert days["df"] == pytest.approx(17.0, abs=0.01)
    assert days["p_value"] == pytest.approx(3.26e-06, rel=5e-3)
    assert row(result, "sd((Intercept) | Subject)")["estimate"] == pytest.approx(24.741, abs=5e-3)
    assert row(result, "sd(Days | Subject)")["estimate"] == pytest.approx(5.922, abs=5e-4)
    assert row(result, "cor((Intercept), Days | Subject)")["estimate"] == pytest.approx(
        0.066, abs=5e-4
    )
    assert row(result, "sd(Residual)")["estimate"] == pytest.approx(25.592, abs=5e-4)
    assert set(result["n"].to_list()) == {180}
    assert set(result["n_subjects"].to_list()) == {18}


def test_random_intercept_model_matches_lme4_sleepstudy(sleepstudy: pl.DataFrame) -> None:
    # R: summary(lmerTest::lmer(Reaction ~ Days + (1 | Subject), sleepstudy))
    #   Subject (Intercept) Std.Dev. 37.12; Residual 30.99
    #   (Intercept) 251.4051  SE 9.7467  df 22.8102
    #   Days         10.4673  SE 0.8042  df 161.0000
    result = mixed_model(
        sleepstudy, outcome="Reaction", time="Days", subject="Subject", random_slope=False
    )
    assert row(result, "(Intercept)")["std_error"] == pytest.approx(9.7467, abs=5e-4)
    assert row(result, "Days")["std_error"] == pytest.approx(0.8042, abs=5e-4)
    assert row(result, "(Intercept)")["df"] == pytest.approx(22.8102, abs=0.01)
    assert row(result, "Days")["df"] == pytest.approx(161.0, abs=0.05)
    assert row(result, "sd((Intercept) | Subject)")["estimate"] == pytest.approx(37.12, abs=5e-3)
    assert row(result, "sd(Residual)")["estimate"] == pytest.approx(30.99, abs=5e-3)


def test_group_terms_recover_a_simulated_slope_difference() -> None:
    rng = np.random.default_rng(11)
    subjects, visits = 300, 6
    sid = np.repeat(np.arange(subjects), visits)
    week = np.tile(np.arange(visits, dtype=float), subjects)
    arm = np.repeat(np.where(np.arange(subjects) % 2 == 0, "control", "retro"), visits)
    b0 = np.repeat(rng.normal(0, 1.0, subjects), visits)
    b1 = np.repeat(rng.normal(0, 0.2, subjects), visits)
    slope = -0.1 - 0.25 * (arm == "retro")
    y = 6 + b0 + (slope + b1) * week + rng.normal(0, 0.5, sid.size)
    data = pl.DataFrame({"participant_id": sid.astype(str), "week": week, "arm": arm, "score": y})
    result = mixed_model(data, outcome="score", time="week", group="arm")
    diff = row(result, "week:arm[retro]")
    assert diff["ci_low"] < -0.25 < diff["ci_high"]
    assert diff["df"] == pytest.approx(subjects - 2, rel=0.02)  # between-subject contrast
    assert row(result, "sd(week | participant_id)")["estimate"] == pytest.approx(0.2, abs=0.03)


def test_missing_scores_are_excluded_and_counted(sleepstudy: pl.DataFrame) -> None:
    holed = sleepstudy.with_columns(
        pl.when(pl.int_range(pl.len()) % 17 == 0)
        .then(None)
        .otherwise(pl.col("Reaction"))
        .alias("Reaction")
    )
    with pytest.warns(StatsWarning, match="11 of 180"):
        result = mixed_model(holed, outcome="Reaction", time="Days", subject="Subject")
    assert set(result["n"].to_list()) == {169}
    assert "11 measurement(s) excluded" in result["method"][0]


def test_mixed_model_validates_inputs(sleepstudy: pl.DataFrame) -> None:
    with pytest.raises(UsageError, match="needs column\\(s\\) 'week'"):
        mixed_model(sleepstudy, outcome="Reaction", time="week", subject="Subject")
    with pytest.raises(
        UsageError, match="The 'alpha' parameter of mixed_model must be a float in \\(0, 1\\)"
    ):
        mixed_model(sleepstudy, outcome="Reaction", time="Days", subject="Subject", alpha=2)
    with pytest.raises(UsageError, match="'reference' parameter of mixed_model"):
        mixed_model(
            sleepstudy.with_columns(pl.lit("a").alias("arm")),
            outcome="Reaction",
            time="Days",
            subject="Subject",
            group="arm",
            reference="b",
        )


def test_curve_is_the_fixed_effects_line_per_arm() -> None:
    rng = np.random.default_rng(3)
    subjects, visits = 120, 5
    sid = np.repeat(np.arange(subjects), visits)
    week = np.tile(np.arange(visits, dtype=float), subjects)
    arm = np.repeat(np.where(np.arange(subjects) % 2 == 0, "control", "retro"), visits)
    y = 6 + np.repeat(rng.normal(0, 1, subjects), visits) - 0.3 * week * (arm == "retro")
    y = y + rng.normal(0, 0.5, sid.size)
    data = pl.DataFrame({"participant_id": sid.astype(str), "week": week, "arm": arm, "score": y})
    fixed = {
        r["term"]: r["estimate"]
        for r in mixed_model(data, outcome="score", time="week", group="arm").to_dicts()
    }
    curve = mixed_model_curve(data, outcome="score", time="week", group="arm", points=5)
    assert curve.columns[:5] == ["group", "time", "estimate", "ci_low", "ci_high"]
    retro = curve.filter(pl.col("group") == "retro")
    expected = (
        fixed["(Intercept)"]
        + fixed["arm[retro]"]
        + (fixed["week"] + fixed["week:arm[retro]"]) * retro["time"].to_numpy()
    )
    assert retro["estimate"].to_numpy() == pytest.approx(expected, abs=1e-6)
    assert retro["time"].to_list() == pytest.approx([0, 1, 2, 3, 4])
    assert (curve["ci_low"] < curve["estimate"]).all()


def test_mixed_model_agrees_with_statsmodels_mixedlm_on_unbalanced_data() -> None:
    # An independent REML implementation (statsmodels MixedLM) on unbalanced two-arm data.
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(8)
    rows = []
    for i in range(80):
        arm = "retro" if i % 2 else "control"
        b0, b1 = rng.normal(0, 1.0), rng.normal(0, 0.3)
        for week in sorted(rng.choice(np.arange(10.0), size=rng.integers(3, 9), replace=False)):
            slope = -0.2 - 0.15 * (arm == "retro") + b1
            rows.append((f"P{i}", week, arm, 5 + b0 + slope * week + rng.normal(0, 0.6)))
    data = pl.DataFrame(rows, schema=["participant_id", "week", "arm", "score"], orient="row")
    ours = mixed_model(data, outcome="score", time="week", group="arm")
    reference = smf.mixedlm(
        "score ~ week * arm", data.to_pandas(), groups="participant_id", re_formula="~week"
    ).fit(reml=True)
    names = {
        "(Intercept)": "Intercept",
        "week": "week",
        "arm[retro]": "arm[T.retro]",
        "week:arm[retro]": "week:arm[T.retro]",
    }
    for term, name in names.items():
        assert row(ours, term)["estimate"] == pytest.approx(reference.fe_params[name], abs=1e-5)
    # Standard errors as lme4 and SAS define them, (X' V^-1 X)^-1 at statsmodels' variance
    # estimates (statsmodels' own bse_fe come from the joint Hessian and differ slightly).
    pandas = data.to_pandas()
    x = np.column_stack(
        [
            np.ones(len(pandas)),
            pandas["week"],
            pandas["arm"] == "retro",
            pandas["week"] * (pandas["arm"] == "retro"),
        ]
    ).astype(float)
    xtvx = np.zeros((4, 4))
    for _, part in pandas.groupby("participant_id"):
        rows = part.index.to_numpy()
        z = np.column_stack([np.ones(len(rows)), part["week"]])
        v = z @ reference.cov_re.to_numpy() @ z.T + reference.scale * np.eye(len(rows))
        xtvx += x[rows].T @ np.linalg.solve(v, x[rows])
    standard_errors = np.sqrt(np.diag(np.linalg.inv(xtvx)))
    for j, term in enumerate(names):
        assert row(ours, term)["std_error"] == pytest.approx(standard_errors[j], rel=1e-4)
    assert row(ours, "sd(Residual)")["estimate"] == pytest.approx(
        np.sqrt(reference.scale), rel=1e-4
    )
    psi = reference.cov_re.to_numpy()
    assert row(ours, "sd(week | participant_id)")["estimate"] == pytest.approx(
        np.sqrt(psi[1, 1]), rel=1e-3
    )
