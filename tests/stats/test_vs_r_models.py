"""ANCOVA, contrasts, dose-response splines, responders and the IV estimate vs R, seeded data.

R references: ``lm`` + ``emmeans(fit, "arm", weights = "proportional")`` and ``pairs`` /
``contrast(..., adjust = "holm")``; ``Hmisc::rcspline.eval(knots.only = TRUE)`` and
``rms::ols(y ~ rcs(x, k) + baseline)`` with ``anova`` (non-linearity F); ``prop.test(correct =
FALSE)``, ``fisher.test``, ``glm(binomial)`` with ``confint.default``; ``AER::ivreg``.
Tolerances: 1e-8 relative for closed-form fits, 1e-6 for knots, 5e-4 for fisher's conditional
MLE (R's root finder), 1e-6 for the logistic fit (IRLS tolerances).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from toolkit.stats import (
    ancova,
    complier_average_effect,
    dose_response,
    responders,
    responders_logistic,
)
from toolkit.stats.dose_response import rcs_knots

pytestmark = pytest.mark.r


def trial(seed: int = 41, n: int = 150) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.choice(["forward", "retro", "usual_care"], n)
    sex = rng.choice(["female", "male"], n)
    base = rng.normal(6, 1.5, n)
    minutes = np.where(arm == "retro", np.round(rng.gamma(2, 15, n), 0), 0.0)
    follow = 1 + 0.6 * base - 0.03 * minutes - 0.5 * (arm == "forward") + 0.4 * (sex == "male")
    follow = follow + rng.normal(0, 1, n)
    responder = (base - follow) / base >= 0.3
    return pl.DataFrame(
        {
            "arm": arm,
            "sex": sex,
            "baseline": base,
            "follow_up": follow,
            "minutes": minutes,
            "change": follow - base,
            "responder": responder,
        }
    )


def get(frame: pl.DataFrame, term: str) -> dict[str, object]:
    return frame.filter(pl.col("term") == term).row(0, named=True)


ANCOVA = """
suppressPackageStartupMessages(library(emmeans))
d <- read.csv("data_d.csv"); d$arm <- relevel(factor(d$arm), "usual_care")
fit <- lm(follow_up ~ arm + baseline + sex, d)
em <- emmeans(fit, "arm", weights = "proportional")
s <- summary(em)
pr <- summary(contrast(em, list("retro - forward" = c(0, -1, 1), "forward - usual_care" =
  c(-1, 1, 0)), adjust = "holm"))
emit(list(coef = as.list(coef(fit)), se = as.list(sqrt(diag(vcov(fit)))),
  means = setNames(as.list(s$emmean), as.character(s$arm)),
  means_se = setNames(as.list(s$SE), as.character(s$arm)),
  pairs = setNames(as.list(pr$estimate), pr$contrast),
  pairs_p = setNames(as.list(pr$p.value), pr$contrast), df = df.residual(fit)))
"""


def test_ancova_adjusted_means_and_contrast_family_match_emmeans(tmp_path: Path) -> None:
    require("emmeans")
    data = trial()
    r = run_r(ANCOVA, {"d": data}, tmp_path)
    ours = ancova(
        data,
        covariates=("sex",),
        reference="usual_care",
        pairs=[("retro", "forward"), ("forward", "usual_care")],
        adjust="holm",
    )
    assert get(ours, "retro - usual_care")["estimate"] == pytest.approx(
        r["coef"]["armretro"], rel=1e-8
    )
    assert get(ours, "retro - usual_care")["std_error"] == pytest.approx(
        r["se"]["armretro"], rel=1e-8
    )
    for arm in ("forward", "retro", "usual_care"):
        assert get(ours, arm)["estimate"] == pytest.approx(r["means"][arm], rel=1e-8)
        assert get(ours, arm)["std_error"] == pytest.approx(r["means_se"][arm], rel=1e-8)
    for name in ("retro - forward", "forward - usual_care"):
        row = ours.filter((pl.col("term") == name) & (pl.col("role") == "contrast")).row(
            0, named=True
        )
        assert row["estimate"] == pytest.approx(r["pairs"][name], rel=1e-8)
        assert row["p_adjusted"] == pytest.approx(r["pairs_p"][name], rel=1e-6)
    assert get(ours, "retro - usual_care")["df"] == r["df"]


SPLINE = """
suppressPackageStartupMessages({library(Hmisc); library(rms)})
d <- read.csv("data_d.csv")
k <- lapply(c("x1", "x2", "x3"), function(v) lapply(3:5, function(nk)
  rcspline.eval(read.csv(paste0("data_", v, ".csv"))$x, nk = nk, knots.only = TRUE)))
r <- d[d$arm == "retro", ]
fit <- ols(change ~ rcs(minutes, 4) + baseline, data = r)
a <- anova(fit)
emit(list(knots = k, coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
  nonlin_f = a[" Nonlinear", "F"], nonlin_p = a[" Nonlinear", "P"]))
"""


def test_spline_knots_and_fit_match_rms(tmp_path: Path) -> None:
    require("Hmisc", "rms")
    rng = np.random.default_rng(77)
    samples = {
        "x1": np.round(rng.gamma(2, 20, 70), 0),  # n < 100 with ties
        "x2": np.r_[np.zeros(60), np.round(rng.uniform(1, 60, 140))],  # tied minimum
        "x3": np.round(rng.normal(30, 8, 400), 1),
    }
    data = trial(n=400)
    frames = {"d": data, **{k: pl.DataFrame({"x": v}) for k, v in samples.items()}}
    r = run_r(SPLINE, frames, tmp_path)
    for i, name in enumerate(samples):
        for j, nk in enumerate((3, 4, 5)):
            assert rcs_knots(samples[name], nk).tolist() == pytest.approx(
                r["knots"][i][j], rel=1e-6
            ), (name, nk)
    retro = data.filter(pl.col("arm") == "retro")
    ours = dose_response(retro, exposure="minutes", spline_df=3)
    coefs = ours.filter(pl.col("role") == "coefficient")
    assert coefs["estimate"].to_list() == pytest.approx(r["coef"], rel=1e-7)
    assert coefs["std_error"].to_list() == pytest.approx(r["se"], rel=1e-7)
    nonlinear = get(ours, "minutes non-linear")
    assert nonlinear["statistic"] == pytest.approx(r["nonlin_f"], rel=1e-7)
    assert nonlinear["p_value"] == pytest.approx(r["nonlin_p"], rel=1e-6)


RESPONDERS = """
d <- read.csv("data_d.csv"); d$arm <- relevel(factor(d$arm), "usual_care")
d <- d[d$arm %in% c("retro", "usual_care"), ]; d$arm <- droplevels(d$arm)
x <- tapply(d$responder == "true", d$arm, sum); n <- tapply(d$responder, d$arm, length)
pt <- prop.test(x[c("retro", "usual_care")], n[c("retro", "usual_care")], correct = FALSE)
w <- prop.test(x[["retro"]], n[["retro"]], correct = FALSE)
ft <- fisher.test(matrix(c(x[["retro"]], n[["retro"]] - x[["retro"]], x[["usual_care"]],
  n[["usual_care"]] - x[["usual_care"]]), 2, byrow = TRUE))
d$y <- as.integer(d$responder == "true")
g <- glm(y ~ arm + baseline, binomial, d)
emit(list(chi2 = unname(pt$statistic), p = pt$p.value, wilson = unname(w$conf.int),
  fisher_p = ft$p.value, fisher_or = unname(ft$estimate), fisher_ci = unname(ft$conf.int),
  glm = unname(coef(g)), glm_se = unname(sqrt(diag(vcov(g)))),
  glm_ci = unname(confint.default(g)["armretro", ])))
"""


def test_responders_match_prop_test_fisher_and_glm(tmp_path: Path) -> None:
    data = trial(n=120).filter(pl.col("arm") != "forward")
    r = run_r(RESPONDERS, {"d": data}, tmp_path)
    ours = responders(data, reference="usual_care")
    diff = ours.filter(pl.col("role") == "risk_difference").row(0, named=True)
    assert diff["statistic"] == pytest.approx(r["chi2"], rel=1e-10)
    assert diff["p_value"] == pytest.approx(r["p"], rel=1e-9)
    retro = ours.filter((pl.col("role") == "proportion") & (pl.col("term") == "retro"))
    assert [retro["ci_low"][0], retro["ci_high"][0]] == pytest.approx(r["wilson"], rel=1e-10)
    exact = responders(data, reference="usual_care", test="fisher")
    odds = exact.filter(pl.col("role") == "odds_ratio").row(0, named=True)
    assert odds["p_value"] == pytest.approx(r["fisher_p"], rel=1e-8)
    assert odds["estimate"] == pytest.approx(r["fisher_or"], rel=5e-4)
    assert [odds["ci_low"], odds["ci_high"]] == pytest.approx(r["fisher_ci"], rel=5e-4)
    logistic = responders_logistic(data, reference="usual_care")
    coefs = logistic.filter(pl.col("role") == "coefficient")
    assert coefs["estimate"].to_list() == pytest.approx(r["glm"], rel=1e-6)
    assert coefs["std_error"].to_list() == pytest.approx(r["glm_se"], rel=1e-6)
    ratio = logistic.filter(pl.col("role") == "odds_ratio").row(0, named=True)
    assert [ratio["ci_low"], ratio["ci_high"]] == pytest.approx(np.exp(r["glm_ci"]), rel=1e-6)


IV = """
suppressPackageStartupMessages(library(AER))
d <- read.csv("data_d.csv"); d$arm <- relevel(factor(d$arm), "usual_care")
s <- summary(ivreg(change ~ minutes + baseline | arm + baseline, data = d))$coefficients
emit(list(estimate = s["minutes", 1], se = s["minutes", 2], t = s["minutes", 3],
  p = s["minutes", 4]))
"""


def test_complier_average_effect_matches_ivreg(tmp_path: Path) -> None:
    require("AER")
    data = trial(n=300)
    r = run_r(IV, {"d": data}, tmp_path)
    got = complier_average_effect(data, dose="minutes", reference="usual_care")
    row = got.filter(pl.col("role") == "causal_dose").row(0, named=True)
    assert row["estimate"] == pytest.approx(r["estimate"], rel=1e-9)
    assert row["std_error"] == pytest.approx(r["se"], rel=1e-9)
    assert row["statistic"] == pytest.approx(r["t"], rel=1e-9)
    assert row["p_value"] == pytest.approx(r["p"], rel=1e-7)
