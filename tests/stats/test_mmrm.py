"""mmrm against R's t.test (complete data) and an independent dense REML fit (missing data).

No copy of R mmrm's ``fev_data`` (shipped only as binary .rda) or of its reference output was
available offline, so the MMRM is checked two other ways: (1) with complete data and a saturated
visit-by-arm mean model, the REML unstructured fit reduces exactly to a pooled two-sample t-test
at each visit (estimate, SE and Satterthwaite df = N - 2), checked against R's published
``t.test(extra ~ group, data = sleep, var.equal = TRUE)``; (2) with missing visits, against a
from-scratch dense REML likelihood (full N x N covariance, different parameterisation and
optimiser) written in this file.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import linalg, optimize

from toolkit.errors import UsageError
from toolkit.stats import RESULT_COLUMNS, mmrm


def row(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


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
