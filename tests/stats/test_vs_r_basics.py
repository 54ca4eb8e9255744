"""Descriptives, paired change, Wilson limits at the edges and p-value families vs base R.

R: ``quantile(type = 7)``, ``sd``; ``t.test(after, before, paired = TRUE)``; ``prop.test(0, n,
correct = FALSE)`` / ``prop.test(n, n, ...)`` (limits exactly 0 and 1); ``p.adjust`` (holm, BH,
bonferroni, hommel) applied to each family separately. Tolerance 1e-10 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.stats.r_reference import require, run_r
from toolkit.stats import adjust_pvalues, change_from_baseline, table1
from toolkit.stats.responders import wilson_interval

pytestmark = pytest.mark.r

SCRIPT = """
d <- read.csv("data_d.csv"); p <- read.csv("data_p.csv")
tt <- t.test(d$after, d$before, paired = TRUE)
fam <- split(p$p, p$family)
adj <- lapply(c("holm", "BH", "bonferroni", "hommel"), function(m)
  unname(unlist(lapply(fam, p.adjust, method = m))))
emit(list(q = unname(quantile(d$before, c(.25, .5, .75), type = 7)), sd = sd(d$before),
  t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value, ci = unname(tt$conf.int),
  zero = lapply(c(3, 7, 12, 20), function(n) prop.test(0, n, correct = FALSE)$conf.int[1]),
  all = lapply(c(3, 7, 12, 20), function(n) prop.test(n, n, correct = FALSE)$conf.int[2]),
  adj = adj, order = unname(unlist(split(seq_len(nrow(p)), p$family)))))
"""


def test_basics_match_base_r(tmp_path: Path) -> None:
    require()
    rng = np.random.default_rng(61)
    before = np.round(rng.normal(6, 1.5, 37), 1)
    after = before - np.round(rng.normal(1.0, 1.2, 37), 1)
    d = pl.DataFrame({"before": before, "after": after, "arm": ["a"] * 37})
    p = pl.DataFrame(
        {
            "p": rng.uniform(0, 0.2, 9).tolist(),
            "family": ["x", "y", "x", "y", "x", "y", "y", "x", "y"],
        }
    )
    r = run_r(SCRIPT, {"d": d, "p": p}, tmp_path)
    t1 = table1(d, continuous=("before",), categorical=(), group=None)
    assert [t1["q1"][0], t1["median"][0], t1["q3"][0]] == pytest.approx(r["q"], rel=1e-10)
    assert t1["sd"][0] == pytest.approx(r["sd"], rel=1e-10)
    ch = change_from_baseline(d, baseline="before", follow_up="after", group=None)
    assert ch["statistic"][0] == pytest.approx(r["t"], rel=1e-10)
    assert ch["df"][0] == r["df"]
    assert ch["p_value"][0] == pytest.approx(r["p"], rel=1e-8)
    assert [ch["ci_low"][0], ch["ci_high"][0]] == pytest.approx(r["ci"], rel=1e-10)
    for k, n in enumerate((3, 7, 12, 20)):
        assert wilson_interval(0, n)[0] == r["zero"][k] == 0
        assert wilson_interval(n, n)[1] == r["all"][k] == 1
    order = [i - 1 for i in r["order"]]
    for k, method in enumerate(("holm", "fdr_bh", "bonferroni", "hommel")):
        got = adjust_pvalues(p, method=method, column="p", family="family")["p_adjusted"]
        assert [got[i] for i in order] == pytest.approx(r["adj"][k], rel=1e-10), method
