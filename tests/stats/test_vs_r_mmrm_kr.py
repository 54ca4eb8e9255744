"""Unstructured MMRM with Kenward-Roger vs pbkrtest's own Kenward-Roger engine (issue 17 item 7).

R's ``mmrm`` package is not in Debian, and lme4 cannot hold an unstructured residual covariance,
so ``KRmodcomp`` cannot be called on the model. pbkrtest's Kenward-Roger computation itself
(``vcovAdj_internal(Phi, SigmaG, X)`` and ``Lb_ddf(L, Phi, Vadj)``, the functions behind
``KRmodcomp`` and lmerTest's ``ddf = "Kenward-Roger"``) takes any covariance written as linear in
its parameters: Sigma = sum_k theta_k G_k. For the unstructured MMRM the parameters are the
T (T + 1) / 2 distinct entries of the visit covariance, G_k the block-diagonal (over subjects,
observed visits only) elementary matrices. Sigma comes from ``nlme::gls`` (REML, ``corSymm`` +
``varIdent``), independent of our fit. This is the "linear" Kenward-Roger (R mmrm's
``method = "Kenward-Roger-Linear"``; mmrm's default "Kenward-Roger" parameterises Sigma by its
Cholesky factor and gives slightly different SEs and df: not checked here).

Tolerances: estimates 1e-5 absolute, SEs 1e-4 relative, df 1e-5 relative (measured: 1.1e-6,
4.7e-6 and 2.2e-7, the two REML optimisers' difference).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from tests.stats.test_vs_r_mmrm import VISITS, contrast_vectors, trial
from toolkit.stats import mmrm

pytestmark = pytest.mark.r

KR_UN = """
suppressPackageStartupMessages({library(nlme); library(pbkrtest); library(Matrix)})
d <- read.csv("data_d.csv")
d$visit <- factor(d$visit, levels = c("week2", "week4", "week8", "week12"))
d$arm <- relevel(factor(d$arm), "usual_care")
d <- d[order(d$id, d$t), ]
fit <- gls(y ~ visit * arm + baseline, d, correlation = corSymm(form = ~ t | id),
  weights = varIdent(form = ~ 1 | visit), method = "REML",
  control = glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500))
complete <- names(which(table(d$id) == 4))[1]
S <- unclass(getVarCov(fit, individual = complete))
X <- model.matrix(~ visit * arm + baseline, d)
blocks <- split(d$t, factor(d$id, levels = unique(d$id)))
full <- function(M) as.matrix(bdiag(lapply(blocks, function(v) M[v, v, drop = FALSE])))
G <- list()
for (a in 1:4) for (b in a:4) {
  E <- matrix(0, 4, 4); E[a, b] <- 1; E[b, a] <- 1; G <- c(G, list(full(E)))
}
Sigma <- full(S)
Phi <- solve(t(X) %*% solve(Sigma, X))
Vadj <- pbkrtest:::vcovAdj_internal(Phi, list(Sigma = Sigma, G = G, n.ggamma = length(G)), X)
L <- as.matrix(read.csv("data_L.csv"))
emit(list(term = colnames(X), estimate = unname(drop(L %*% coef(fit))),
  se = sapply(seq_len(nrow(L)), function(i) sqrt(drop(L[i, ] %*% as.matrix(Vadj) %*% L[i, ]))),
  df = sapply(seq_len(nrow(L)), function(i) Lb_ddf(L[i, , drop = FALSE], Phi, Vadj))))
"""


def test_unstructured_mmrm_kenward_roger_matches_pbkrtest_engine(tmp_path: Path) -> None:
    require("nlme", "pbkrtest", "Matrix")
    data = trial(seed=29)
    ours = mmrm(
        data,
        outcome="y",
        visit="visit",
        subject="id",
        group="arm",
        baseline="baseline",
        reference="usual_care",
        covariance="unstructured",
        fallback=False,
        df_method="kenward-roger",
    )
    assert "Kenward-Roger" in ours["method"][0] and "unstructured" in ours["method"][0]
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
        "retro - usual_care at week2",
        "arm[retro]:visit[week8]",
        "baseline",
        "usual_care at week8",
    ]
    vectors = contrast_vectors(data, wanted, ours_order)
    reorder = [ours_order.index(name) for name in r_order]
    frame = pl.DataFrame(
        {name: [float(v[j]) for v in vectors] for name, j in zip(r_order, reorder, strict=True)}
    )
    r = run_r(KR_UN, {"d": data, "L": frame}, tmp_path)
    satterthwaite = mmrm(
        data,
        outcome="y",
        visit="visit",
        subject="id",
        group="arm",
        baseline="baseline",
        reference="usual_care",
        covariance="unstructured",
        fallback=False,
    )
    for k, term in enumerate(wanted):
        got = ours.filter(pl.col("term") == term).row(0, named=True)
        assert got["estimate"] == pytest.approx(r["estimate"][k], abs=1e-5), term
        assert got["std_error"] == pytest.approx(r["se"][k], rel=1e-4), term
        assert got["df"] == pytest.approx(r["df"][k], rel=1e-5), term
    # the adjustment is not a no-op here: KR's SEs exceed the model-based ones
    plain = satterthwaite.filter(pl.col("term") == wanted[0])["std_error"][0]
    assert r["se"][0] > plain * (1 + 1e-4)
