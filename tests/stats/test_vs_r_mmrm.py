"""mmrm vs nlme::gls (each covariance structure) and vs lme4 + pbkrtest (Kenward-Roger).

R (REML): ``gls(y ~ visit * arm + baseline, correlation = C, weights = W, data = d,
na.action = na.omit)`` with C, W = ``corSymm(form = ~ t | id)``, ``varIdent(form = ~ 1 |
visit)`` (unstructured); ``corARMA(form = ~ t | id, p = T - 1)`` (Toeplitz: stationary
correlations, common variance); ``corAR1(form = ~ t | id)``; ``corCompSymm(form = ~ t | id)``.
Compound symmetry with non-negative correlation is the random-intercept model, so the CS MMRM's
Kenward-Roger SEs and df equal lmerTest's ``contest(lmer(y ~ visit * arm + baseline + (1 | id)),
L, ddf = "Kenward-Roger")`` for every reported contrast. Seeded data with ~15% missing visits.
Tolerances: estimates 1e-4 absolute, SEs 1e-3 relative, KR df 2e-3 relative.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from toolkit.stats import mmrm

pytestmark = pytest.mark.r

VISITS = ["week2", "week4", "week8", "week12"]


def trial(seed: int = 17, subjects: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    sd = np.array([1.0, 1.2, 1.4, 1.7])
    lag = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    sigma = np.outer(sd, sd) * (0.3 + 0.5 * 0.6**lag)
    chol = np.linalg.cholesky(sigma)
    rows = []
    for i in range(subjects):
        arm = "retro" if i % 2 else "usual_care"
        base = rng.normal(6, 1.5)
        e = chol @ rng.normal(size=4)
        for j, v in enumerate(VISITS):
            if j > 0 and rng.uniform() < 0.15:
                continue
            mean = -0.3 * (j + 1) - (0.3 * (j + 1) if arm == "retro" else 0) - 0.4 * (base - 6)
            rows.append((f"S{i:02d}", v, j + 1, arm, base, mean + e[j]))
    return pl.DataFrame(rows, schema=["id", "visit", "t", "arm", "baseline", "y"], orient="row")


GLS = """
suppressPackageStartupMessages(library(nlme))
d <- read.csv("data_d.csv")
d$visit <- factor(d$visit, levels = c("week2", "week4", "week8", "week12"))
d$arm <- relevel(factor(d$arm), "usual_care")
f <- y ~ visit * arm + baseline
fits <- list(
  unstructured = gls(f, d, correlation = corSymm(form = ~ t | id),
                     weights = varIdent(form = ~ 1 | visit)),
  toeplitz = gls(f, d, correlation = corARMA(form = ~ t | id, p = 3)),
  ar1 = gls(f, d, correlation = corAR1(form = ~ t | id)),
  cs = gls(f, d, correlation = corCompSymm(form = ~ t | id)))
emit(lapply(fits, function(m) list(term = names(coef(m)), estimate = unname(coef(m)),
  se = unname(sqrt(diag(vcov(m)))), sigma = as.numeric(getVarCov(m, individual = "S00")),
  loglik = as.numeric(logLik(m)))))
"""

NAMES = {
    "(Intercept)": "(Intercept)",
    "baseline": "baseline",
    **{f"visit{v}": f"visit[{v}]" for v in VISITS[1:]},
    "armretro": "arm[retro]",
    **{f"visit{v}:armretro": f"arm[retro]:visit[{v}]" for v in VISITS[1:]},
}


@pytest.fixture(scope="module")
def gls_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """All four gls fits, run once."""
    require("nlme")
    result: dict[str, Any] = run_r(GLS, {"d": trial()}, tmp_path_factory.mktemp("gls"))
    return result


@pytest.mark.parametrize("structure", ["unstructured", "toeplitz", "ar1", "cs"])
def test_mmrm_structures_match_nlme_gls(gls_reference: dict[str, Any], structure: str) -> None:
    data = trial()
    r = gls_reference[structure]
    ours = mmrm(
        data,
        outcome="y",
        visit="visit",
        subject="id",
        group="arm",
        baseline="baseline",
        reference="usual_care",
        covariance=structure,
        fallback=False,
    )
    assert structure in ours["method"][0]
    for k, r_term in enumerate(r["term"]):
        got = ours.filter(pl.col("term") == NAMES[r_term]).row(0, named=True)
        assert got["estimate"] == pytest.approx(r["estimate"][k], abs=1e-4), r_term
        assert got["std_error"] == pytest.approx(r["se"][k], rel=1e-3), r_term
    sigma = np.array(r["sigma"]).reshape(4, 4)
    sds = [ours.filter(pl.col("term") == f"sd({v})")["estimate"][0] for v in VISITS]
    assert sds == pytest.approx(np.sqrt(np.diag(sigma)).tolist(), rel=1e-3)


KR = """
suppressPackageStartupMessages({library(lme4); library(lmerTest)})
d <- read.csv("data_d.csv")
d$visit <- factor(d$visit, levels = c("week2", "week4", "week8", "week12"))
d$arm <- relevel(factor(d$arm), "usual_care")
fit <- lmer(y ~ visit * arm + baseline + (1 | id), data = d, REML = TRUE)
L <- as.matrix(read.csv("data_L.csv"))
res <- lapply(seq_len(nrow(L)), function(i)
  contest(fit, L[i, , drop = FALSE], ddf = "Kenward-Roger", joint = FALSE))
emit(list(term = colnames(model.matrix(fit)),
  estimate = sapply(res, function(x) x$Estimate), se = sapply(res, function(x) x$"Std. Error"),
  df = sapply(res, function(x) x$df)))
"""


def test_cs_mmrm_kenward_roger_matches_pbkrtest(tmp_path: Path) -> None:
    require("lme4", "lmerTest", "pbkrtest")
    data = trial(seed=23)
    ours = mmrm(
        data,
        outcome="y",
        visit="visit",
        subject="id",
        group="arm",
        baseline="baseline",
        reference="usual_care",
        covariance="cs",
        fallback=False,
        df_method="kenward-roger",
    )
    assert "Kenward-Roger" in ours["method"][0]
    # Contrasts in lme4's column order: (Intercept), visit x3, arm, baseline, visit:arm x3.
    r_order = [
        "(Intercept)",
        *[f"visit[{v}]" for v in VISITS[1:]],
        "arm[retro]",
        "baseline",
        *[f"arm[retro]:visit[{v}]" for v in VISITS[1:]],
    ]
    ours_order = [
        "(Intercept)",
        *[f"visit[{v}]" for v in VISITS[1:]],
        "arm[retro]",
        *[f"arm[retro]:visit[{v}]" for v in VISITS[1:]],
        "baseline",
    ]
    wanted = [
        "retro - usual_care at week12",
        "retro - usual_care at week4",
        "arm[retro]",
        "baseline",
        "usual_care at week8",
    ]
    # Express each of our contrasts (over our coefficient order) in lme4's order.
    from tests.stats.test_vs_r_mmrm import contrast_vectors

    vectors = contrast_vectors(data, wanted, ours_order)
    reorder = [ours_order.index(name) for name in r_order]
    frame = pl.DataFrame(
        {name: [float(v[j]) for v in vectors] for name, j in zip(r_order, reorder, strict=True)}
    )
    r = run_r(KR, {"d": data, "L": frame}, tmp_path)
    for k, term in enumerate(wanted):
        got = ours.filter(pl.col("term") == term).row(0, named=True)
        assert got["estimate"] == pytest.approx(r["estimate"][k], abs=1e-4), term
        assert got["std_error"] == pytest.approx(r["se"][k], rel=1e-3), term
        assert got["df"] == pytest.approx(r["df"][k], rel=2e-3), term


def contrast_vectors(data: pl.DataFrame, terms: list[str], order: list[str]) -> list[np.ndarray]:
    """Our contrast vectors over our coefficient order (cell means at the baseline mean)."""
    mean_base = float(data["baseline"].mean())
    out = []
    for term in terms:
        v = np.zeros(len(order))
        if term in order:
            v[order.index(term)] = 1.0
        elif " - " in term:
            visit = term.split(" at ")[1]
            v[order.index("arm[retro]")] = 1.0
            if visit != VISITS[0]:
                v[order.index(f"arm[retro]:visit[{visit}]")] = 1.0
        else:
            visit = term.split(" at ")[1]
            v[0] = 1.0
            if visit != VISITS[0]:
                v[order.index(f"visit[{visit}]")] = 1.0
            v[order.index("baseline")] = mean_base
        out.append(v)
    return out
