"""mixed_model vs lme4 + lmerTest, Satterthwaite and Kenward-Roger (pbkrtest), on seeded data.

R: ``lmer(y ~ week * arm + (week | id), REML = TRUE)``; ``summary(fit, ddf = "Satterthwaite")``
and ``summary(fit, ddf = "Kenward-Roger")`` (lmerTest, which calls pbkrtest's ``vcovAdj`` and
``Lb_ddf``). Unbalanced: random dropout and irregular weeks, so KR differs from Satterthwaite.
Tolerances: estimates 1e-4 absolute (both optimisers stop at ~1e-6 relative deviance), SEs and
df 2e-3 relative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from toolkit.stats import mixed_model

pytestmark = pytest.mark.r


def unbalanced(seed: int = 31, subjects: int = 24) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(subjects):
        arm = "retro" if i % 2 else "usual_care"
        b0, b1 = rng.normal(0, 1.0), rng.normal(0, 0.25)
        visits = int(rng.integers(3, 7))
        for k in range(visits):
            week = 2.0 * k + float(rng.uniform(-0.4, 0.4))
            slope = -0.3 - (0.25 if arm == "retro" else 0.0) + b1
            rows.append((f"S{i:02d}", week, arm, 6 + b0 + slope * week + rng.normal(0, 0.6)))
    return pl.DataFrame(rows, schema=["id", "week", "arm", "y"], orient="row")


SCRIPT = """
suppressPackageStartupMessages({library(lme4); library(lmerTest)})
d <- read.csv("data_d.csv"); d$arm <- relevel(factor(d$arm), "usual_care")
fit <- lmer(y ~ week * arm + (week | id), data = d, REML = TRUE)
out <- list()
for (ddf in c("Satterthwaite", "Kenward-Roger")) {
  cf <- summary(fit, ddf = ddf)$coefficients
  out[[ddf]] <- list(term = rownames(cf), estimate = cf[, 1], se = cf[, 2], df = cf[, 3],
                     p = cf[, 5])
}
emit(out)
"""

TERMS = {
    "(Intercept)": "(Intercept)",
    "week": "week",
    "armretro": "arm[retro]",
    "week:armretro": "week:arm[retro]",
}


@pytest.fixture(scope="module")
def lmertest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both summaries from one R run."""
    require("lme4", "lmerTest", "pbkrtest")
    result: dict[str, Any] = run_r(SCRIPT, {"d": unbalanced()}, tmp_path_factory.mktemp("lmer"))
    return result


@pytest.mark.parametrize("ddf", ["Satterthwaite", "Kenward-Roger"])
def test_mixed_model_matches_lmertest(lmertest: dict[str, Any], ddf: str) -> None:
    data = unbalanced()
    r = lmertest[ddf]
    ours = mixed_model(
        data,
        outcome="y",
        time="week",
        subject="id",
        group="arm",
        reference="usual_care",
        df_method=ddf.lower(),
    )
    for k, r_term in enumerate(r["term"]):
        got = ours.filter(pl.col("term") == TERMS[r_term]).row(0, named=True)
        assert got["estimate"] == pytest.approx(r["estimate"][k], abs=1e-4), r_term
        assert got["std_error"] == pytest.approx(r["se"][k], rel=2e-3), r_term
        assert got["df"] == pytest.approx(r["df"][k], rel=2e-3), r_term
        assert got["p_value"] == pytest.approx(r["p"][k], rel=1e-2, abs=1e-6), r_term
