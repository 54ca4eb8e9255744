"""mmrm against SAS PROC MIXED (fev_data), R's t.test (complete data) and a dense REML fit.

Three references: (1) SAS PROC MIXED (REML, ``type=un``) on R mmrm's ``fev_data``, from the
mmrm package's own SAS comparison files (data/README.md); (2) with complete data and a
saturated visit-by-arm mean model the REML unstructured fit reduces exactly to a pooled
two-sample t-test at each visit (estimate, SE and Satterthwaite df = N - 2), checked against
R's published ``t.test(extra ~ group, data = sleep, var.equal = TRUE)``; (3) with missing
visits and covariates, a from-scratch dense REML likelihood (different parameterisation and
optimiser) written in this file.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import linalg, optimize

from tests.stats.conftest import DATA
from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, mmrm
from toolkit.stats.mmrm import _theta, fit_mmrm

# SAS PROC MIXED on fev_data, MODEL FEV1 = ARMCD, REPEATED AVISIT / type=un (REML): the arm
# means (outpm Pred) and their standard errors (StdErrPred), and StdErrPred of the conditional
# prediction for a subject with no FEV1 at all (visits 1-4, TRT arm).
SAS_MEAN = {"PBO": 41.0057732537811, "TRT": 44.8254981755276}
SAS_MEAN_SE = {"PBO": 0.43968593170423, "TRT": 0.46348535483747}
SAS_PRED_SE_NO_DATA = np.array(
    [10.4214493929544, 6.3550715993846, 4.98202545828552, 12.3520743215353]
)


def sas_covariance(fev: pl.DataFrame) -> np.ndarray:
    """SAS's REML unstructured covariance, recovered exactly from its printed predictions.

    For a subject missing one visit m, SAS's conditional prediction is
    mean + Sigma[m, o] Sigma[o, o]^-1 (y_o - mean): regressing the printed predictions on the
    observed deviations gives each row of the precision matrix up to its diagonal; the
    prediction SEs of subjects without data (Sigma_tt + SE(mean)^2) fix the diagonal.
    """
    weights = {}
    for m in range(4):
        xs, ys = [], []
        for _, g in fev.group_by("subject", maintain_order=True):
            y = g["fev1"].fill_null(np.nan).to_numpy()
            missing = np.isnan(y)
            if missing.sum() == 1 and missing[m]:
                mean = SAS_MEAN[g["arm"][0]]
                xs.append(y[~missing] - mean)
                ys.append(g["sas_pred"][m] - mean)
        weights[m] = np.linalg.lstsq(np.array(xs), np.array(ys), rcond=None)[0]
    target = SAS_PRED_SE_NO_DATA**2 - SAS_MEAN_SE["TRT"] ** 2

    def precision(log_diag: np.ndarray) -> np.ndarray:
        q = np.diag(np.exp(log_diag))
        for m in range(4):
            q[m, [k for k in range(4) if k != m]] = -weights[m] * q[m, m]
        return (q + q.T) / 2

    fit = optimize.least_squares(
        lambda v: np.diag(np.linalg.inv(precision(v))) / target - 1, -np.log(target)
    )
    return np.linalg.inv(precision(fit.x))


def row(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


def test_mmrm_matches_sas_proc_mixed_on_fev_data() -> None:
    fev = pl.read_csv(DATA / "fev_sas_un.csv")
    observed = fev.drop_nulls("fev1")
    trt = (observed["arm"] == "TRT").to_numpy().astype(float)
    x = np.column_stack([np.ones(observed.height), trt])
    codes = observed["subject"].rank("dense").cast(pl.Int64).to_numpy()
    visits = observed["visit"].str.slice(3).cast(pl.Int64).to_numpy() - 1
    y = observed["fev1"].to_numpy()
    fit = fit_mmrm(codes, visits, x, y, 4)
    sas_sigma = sas_covariance(fev)
    # 1. At SAS's covariance, our GLS step reproduces SAS's arm means and SEs exactly: the data
    #    and the fixed-effect machinery are the same.
    vinv_x = np.zeros((2, 2))
    vinv_y = np.zeros(2)
    for code in np.unique(codes):
        rows = codes == code
        inverse = np.linalg.inv(sas_sigma[np.ix_(visits[rows], visits[rows])])
        vinv_x += x[rows].T @ inverse @ x[rows]
        vinv_y += x[rows].T @ inverse @ y[rows]
    beta_at_sas = np.linalg.solve(vinv_x, vinv_y)
    cov_at_sas = np.linalg.inv(vinv_x)
    assert beta_at_sas[0] == pytest.approx(SAS_MEAN["PBO"], abs=1e-8)
    assert beta_at_sas.sum() == pytest.approx(SAS_MEAN["TRT"], abs=1e-8)
    assert np.sqrt(cov_at_sas[0, 0]) == pytest.approx(SAS_MEAN_SE["PBO"], abs=1e-9)
    # 2. Our REML optimum is SAS's to within SAS's convergence tolerance (relative 1e-8 of the
    #    criterion, ~4e-5 here): the REML criterion at SAS's covariance is higher than at ours
    #    by 7.6e-6, and estimates agree to about 1e-3 of their SE.
    ours = fit["deviance"]
    at_sas = fit["deviance_at"](_theta(sas_sigma))
    assert 0 <= at_sas - ours < 4e-5
    assert fit["beta"][0] == pytest.approx(SAS_MEAN["PBO"], abs=1e-3)
    assert fit["beta"].sum() == pytest.approx(SAS_MEAN["TRT"], abs=1e-3)
    assert np.sqrt(fit["cov_beta"][0, 0]) == pytest.approx(SAS_MEAN_SE["PBO"], rel=1e-4)
    assert np.sqrt(np.diag(fit["sigma"])) == pytest.approx(np.sqrt(np.diag(sas_sigma)), rel=2e-4)
    # R mmrm's own estimate of this covariance (its unit test of h_cov_estimate, same model
    # and data, compared with R's all.equal tolerance: mean relative difference 1e-3).
    r_mmrm = np.array(
        [
            [108.41, 45.4, -2.71, -47.03],
            [45.4, 40.16, 0.78, -13.09],
            [-2.71, 0.78, 24.61, 18.74],
            [-47.03, -13.09, 18.74, 152.38],
        ]
    )
    assert np.abs(fit["sigma"] - r_mmrm).sum() / np.abs(r_mmrm).sum() < 1e-3
    # 3. Conditional predictions for the 263 missing rows agree with SAS's to 0.005 (FEV1 SD ~8).
    sigma, beta = fit["sigma"], fit["beta"]
    gaps = []
    for _, g in fev.group_by("subject", maintain_order=True):
        values = g["fev1"].fill_null(np.nan).to_numpy()
        missing = np.isnan(values)
        mean = beta[0] + beta[1] * (g["arm"][0] == "TRT")
        if missing.all():
            predicted = np.full(4, mean)
        else:
            o, m = np.flatnonzero(~missing), np.flatnonzero(missing)
            predicted = mean + sigma[np.ix_(m, o)] @ np.linalg.solve(
                sigma[np.ix_(o, o)], values[o] - mean
            )
        gaps.extend(np.abs(predicted - g["sas_pred"].to_numpy()[missing]))
    assert len(gaps) == 263
    assert max(gaps) < 5e-3


def test_mmrm_satterthwaite_matches_sas_on_fev_data() -> None:
    # SAS PROC MIXED, MODEL FEV1 = / ddfm=satterthwaite; REPEATED AVISIT / type=un (REML), on
    # fev_data: intercept 42.8338, SE 0.3509, df 171 (rounded), t 122.07 -- the numbers R
    # mmrm's unit test of h_df_1d_sat takes from openpharma/mmrm design/SAS/sas_log_simple_reml.txt.
    fev = pl.read_csv(DATA / "fev_sas_un.csv")
    with pytest.warns(StatsWarning, match="263 of 800"):
        result = mmrm(fev, outcome="fev1", visit="visit", subject="subject", visit_effects=False)
    mean = row(result, "mean")
    assert mean["estimate"] == pytest.approx(42.8338, abs=2e-3)  # SAS stops ~1e-3 short
    assert mean["std_error"] == pytest.approx(0.3509, abs=1e-4)
    assert round(mean["df"]) == 171
    assert mean["statistic"] == pytest.approx(122.07, rel=2e-4)
    assert mean["p_value"] < 1e-4
    assert "subjects keep their other visits" in str(mean["method"])


def test_mmrm_with_complete_data_reproduces_r_pooled_t_test(sleep: pl.DataFrame) -> None:
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE)
    #   t = -1.8608, df = 18, p-value = 0.07919
    #   95 percent confidence interval: -3.363874  0.203874
    # Here each patient of `sleep` is treated as a separate subject at visit "v2" (20 subjects,
    # arms "1" and "2") with an arbitrary correlated earlier visit "v1".
    rng = np.random.default_rng(5)
    v2 = sleep.select(
        (pl.col("group").cast(pl.String) + "-" + pl.col("ID").cast(pl.String)).alias("id"),
        pl.lit("v2").alias("visit"),
        pl.col("group").cast(pl.String).alias("arm"),
        pl.col("extra").alias("y"),
    )
    v1 = v2.with_columns(
        pl.lit("v1").alias("visit"),
        (pl.col("y") * 0.6 + pl.Series(rng.normal(0, 1, v2.height))).alias("y"),
    )
    result = mmrm(
        pl.concat([v1, v2]), outcome="y", visit="visit", subject="id", group="arm", reference="2"
    )
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    got = row(result, "1 - 2 at v2")
    assert got["estimate"] == pytest.approx(-1.58, abs=1e-9)
    assert got["statistic"] == pytest.approx(-1.8608, abs=5e-5)
    assert got["df"] == pytest.approx(18.0, abs=1e-3)
    assert got["p_value"] == pytest.approx(0.07919, abs=5e-6)
    assert got["ci_low"] == pytest.approx(-3.363874, abs=1e-5)
    assert got["ci_high"] == pytest.approx(0.203874, abs=1e-5)
    assert row(result, "2 at v2")["estimate"] == pytest.approx(2.33, abs=1e-9)
    assert got["n_subjects"] == 20 and got["n"] == 40


def simulated(missing: bool) -> pl.DataFrame:
    rng = np.random.default_rng(2026)
    subjects, visits = 40, 3
    sigma = np.array([[1.0, 0.6, 0.4], [0.6, 1.5, 0.9], [0.4, 0.9, 2.0]])
    chol = np.linalg.cholesky(sigma)
    rows = []
    for i in range(subjects):
        arm = "retro" if i % 2 else "usual_care"
        base = rng.normal(5, 1)
        errors = chol @ rng.normal(size=visits)
        for j in range(visits):
            if missing and j > 0 and rng.random() < 0.2:
                continue
            mean = -0.3 * j - (0.4 * j if arm == "retro" else 0.0) - 0.3 * (base - 5)
            rows.append((f"P{i:02d}", f"week{4 * (j + 1)}", arm, base, mean + errors[j]))
    return pl.DataFrame(
        rows, schema=["participant_id", "visit", "arm", "baseline", "change"], orient="row"
    )


def dense_reml(data: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent REML: full block-diagonal V, Sigma = D R D with (log sd, atanh r)."""
    visits = ["week4", "week8", "week12"]
    idx = np.array([visits.index(v) for v in data["visit"]])
    arm = (data["arm"] == "retro").to_numpy().astype(float)
    x = np.column_stack(
        [
            np.ones(data.height),
            idx == 1,
            idx == 2,
            arm,
            arm * (idx == 1),
            arm * (idx == 2),
            data["baseline"].to_numpy(),
        ]
    ).astype(float)
    y = data["change"].to_numpy()
    ids = data["participant_id"].to_list()
    groups = [np.flatnonzero(np.array(ids) == s) for s in dict.fromkeys(ids)]

    def sigma_of(params: np.ndarray) -> np.ndarray:
        sd = np.exp(params[:3])
        r = np.tanh(params[3:])
        corr = np.array([[1, r[0], r[1]], [r[0], 1, r[2]], [r[1], r[2], 1]])
        return np.outer(sd, sd) * corr

    def neg_reml(params: np.ndarray) -> float:
        s = sigma_of(params)
        if np.linalg.eigvalsh(s).min() <= 0:
            return 1e10
        blocks = [s[np.ix_(idx[g], idx[g])] for g in groups]
        # V^-1 of the block-diagonal V, blockwise (a dense 100 x 100 inverse is needlessly slow
        # under multithreaded BLAS on a loaded machine); log|V| likewise.
        vinv = linalg.block_diag(*[np.linalg.inv(b) for b in blocks])
        logdet_v = sum(np.linalg.slogdet(b)[1] for b in blocks)
        xvx = x.T @ vinv @ x
        beta = np.linalg.solve(xvx, x.T @ vinv @ y)
        r = y - x @ beta
        return 0.5 * (logdet_v + np.linalg.slogdet(xvx)[1] + float(r @ vinv @ r))

    fit = optimize.minimize(neg_reml, np.zeros(6), method="BFGS", options={"gtol": 1e-7})
    s = sigma_of(fit.x)
    vinv = linalg.block_diag(*[np.linalg.inv(s[np.ix_(idx[g], idx[g])]) for g in groups])
    cov = np.linalg.inv(x.T @ vinv @ x)
    beta = cov @ x.T @ vinv @ y
    return beta, np.sqrt(np.diag(cov)), s


def test_mmrm_with_missing_visits_matches_an_independent_dense_reml_fit() -> None:
    data = simulated(missing=True)
    assert data.height < 120  # some visits are missing
    result = mmrm(
        data,
        outcome="change",
        visit="visit",
        group="arm",
        baseline="baseline",
        reference="usual_care",
    )
    beta, se, sigma = dense_reml(data)
    names = [
        "(Intercept)",
        "visit[week8]",
        "visit[week12]",
        "arm[retro]",
        "arm[retro]:visit[week8]",
        "arm[retro]:visit[week12]",
        "baseline",
    ]
    for j, name in enumerate(names):
        got = row(result, name)
        assert got["estimate"] == pytest.approx(beta[j], abs=1e-5), name
        assert got["std_error"] == pytest.approx(se[j], rel=1e-4), name
    assert row(result, "sd(week12)")["estimate"] == pytest.approx(np.sqrt(sigma[2, 2]), rel=1e-4)
    assert row(result, "cor(week4, week8)")["estimate"] == pytest.approx(
        sigma[0, 1] / np.sqrt(sigma[0, 0] * sigma[1, 1]), abs=1e-4
    )
    # The week-12 arm difference equals the sum of its coefficients; its df lie between the
    # arm's subjects at that visit and all subjects.
    diff = row(result, "retro - usual_care at week12")
    assert diff["estimate"] == pytest.approx(beta[3] + beta[5], abs=1e-5)
    assert 15 < diff["df"] < 40


def test_mmrm_validates_inputs() -> None:
    data = simulated(missing=False)
    with pytest.raises(UsageError, match="at most one row per participant_id and visit"):
        mmrm(pl.concat([data, data.head(1)]), outcome="change", visit="visit")
    with pytest.raises(UsageError, match="'visits' parameter of mmrm must list every visit"):
        mmrm(data, outcome="change", visit="visit", visits=["week4", "week8"])
    with pytest.raises(UsageError, match="needs column\\(s\\) 'score'"):
        mmrm(data, outcome="score", visit="visit")


def test_visits_are_ordered_naturally() -> None:
    result = mmrm(simulated(missing=False), outcome="change", visit="visit", group="arm")
    sds = result.filter(pl.col("term").str.starts_with("sd("))["term"].to_list()
    assert sds == ["sd(week4)", "sd(week8)", "sd(week12)"]
