"""Multiple imputation vs R mice: MAR with a categorical covariate, and delta adjustment.

R: ``mice(d, m = 50, maxit = 10, donors = 5, seed = 1)`` with its default methods (``pmm`` for
the outcome, ``logreg`` for sex), ``pool(with(imp, lm(follow_up ~ arm + baseline + sex)))``;
delta adjustment through mice's ``post`` hook adding delta to the imputed outcomes of the
retro arm (van Buuren 2018, Flexible Imputation of Missing Data, section 9.2). The two
implementations draw different random numbers, so the pooled estimates are compared within
Monte-Carlo error: 4 * sqrt(2 * b / m) with b R's between-imputation variance. The shift a
delta causes is deterministic when only the outcome is missing (same donors, linear model), so
R's and our shifts are compared to 1e-8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from toolkit.stats import ancova

pytestmark = pytest.mark.r

M = 50


def trial(seed: int, sex_missing: bool, n: int = 200) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "retro", "usual_care")
    sex = rng.choice(["female", "male"], n)
    base = rng.normal(6, 1.5, n)
    follow = 1 + 0.6 * base - 1.0 * (arm == "retro") + 1.5 * (sex == "male") + rng.normal(0, 1, n)
    gone = rng.uniform(size=n) < 1 / (1 + np.exp(-(base - 7)))  # MAR on baseline
    sex_gone = (rng.uniform(size=n) < 0.25) if sex_missing else np.zeros(n, bool)
    return pl.DataFrame(
        {"arm": arm, "baseline": base, "follow_up": follow, "sex": sex}
    ).with_columns(
        pl.when(pl.Series(gone)).then(None).otherwise(pl.col("follow_up")).alias("follow_up"),
        pl.when(pl.Series(sex_gone)).then(None).otherwise(pl.col("sex")).alias("sex"),
    )


SCRIPT = """
suppressPackageStartupMessages(library(mice))
d <- read.csv("data_d.csv", stringsAsFactors = TRUE, na.strings = c("", "NA"))
d$arm <- relevel(d$arm, "usual_care")
post <- make.post(d)
out <- list()
for (delta in DELTAS) {
  sel <- "data$arm[where[, j]] == 'retro'"
  post["follow_up"] <- sprintf("imp[[j]][%s, i] <- imp[[j]][%s, i] + %s", sel, sel, delta)
  imp <- mice(d, m = %M%, maxit = 10, donors = 5L, post = post, seed = 1, printFlag = FALSE)
  p <- pool(with(imp, lm(follow_up ~ arm + baseline + sex)))$pooled
  k <- which(p$term == "armretro")
  out[[paste0("d", delta)]] <- list(estimate = p$estimate[k], b = p$b[k], t = p$t[k],
    methods = unname(imp$method))
}
emit(out)
""".replace("%M%", str(M))


def script(*deltas: float) -> str:
    return SCRIPT.replace("DELTAS", f"c({', '.join(str(d) for d in deltas)})")


def pooled(data: pl.DataFrame, delta: float) -> dict[str, object]:
    result = ancova(
        data,
        covariates=("sex",),
        reference="usual_care",
        missing="mice",
        n_imputations=M,
        delta=delta,
    )
    return result.filter(pl.col("term") == "retro - usual_care").row(0, named=True)


def test_mar_imputation_with_a_categorical_covariate_agrees_with_mice(tmp_path: Path) -> None:
    require("mice")
    data = trial(seed=5, sex_missing=True)
    r = run_r(script(0), {"d": data}, tmp_path)["d0"]
    assert "logreg" in r["methods"] and "pmm" in r["methods"]
    ours = pooled(data, 0.0)
    tolerance = 4 * np.sqrt(2 * r["b"] / M)
    assert abs(ours["estimate"] - r["estimate"]) < tolerance
    assert ours["std_error"] == pytest.approx(np.sqrt(r["t"]), rel=0.15)


def test_delta_adjusted_imputation_agrees_with_mice_post_processing(tmp_path: Path) -> None:
    require("mice")
    data = trial(seed=6, sex_missing=False)
    r = run_r(script(0, 1.5), {"d": data}, tmp_path)
    ours0, ours1 = pooled(data, 0.0), pooled(data, 1.5)
    r_shift = r["d1.5"]["estimate"] - r["d0"]["estimate"]
    assert ours1["estimate"] - ours0["estimate"] == pytest.approx(r_shift, abs=1e-8)
    tolerance = 4 * np.sqrt(2 * r["d1.5"]["b"] / M)
    assert abs(ours1["estimate"] - r["d1.5"]["estimate"]) < tolerance
