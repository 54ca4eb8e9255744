"""mmrm's covariance structures, fallback rule and Kenward-Roger option (issue 17, item 7).

References: with complete data and a saturated visit-by-arm mean model, the unstructured MMRM's
contrast at each visit is the pooled two-sample t-test there, and Kenward-Roger reproduces it
exactly (df = N - 2, unadjusted SE; Kenward & Roger 1997, section 4), as Satterthwaite does;
scipy's ``ttest_ind`` is the reference. The R suite compares every structure with nlme::gls and
the CS Kenward-Roger with pbkrtest.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import mmrm


def complete(seed: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    cov = [[1, 0.5, 0.3], [0.5, 1.4, 0.6], [0.3, 0.6, 2]]
    rows = []
    for i in range(20):
        arm = "a" if i < 9 else "b"
        e = rng.multivariate_normal([0, 0, 0], cov)
        for j in range(3):
            rows.append((f"S{i}", f"v{j + 1}", arm, e[j] + (0.5 * j if arm == "a" else 0)))
    return pl.DataFrame(rows, schema=["id", "visit", "arm", "y"], orient="row")


@pytest.mark.parametrize("df_method", ["satterthwaite", "kenward-roger"])
def test_unstructured_complete_data_reproduces_the_t_test(df_method: str) -> None:
    data = complete()
    result = mmrm(data, outcome="y", visit="visit", subject="id", group="arm", df_method=df_method)
    for visit in ("v1", "v2", "v3"):
        at = data.filter(pl.col("visit") == visit)
        b = at.filter(pl.col("arm") == "b")["y"].to_numpy()
        a = at.filter(pl.col("arm") == "a")["y"].to_numpy()
        t = stats.ttest_ind(b, a)
        got = result.filter(pl.col("term") == f"b - a at {visit}").row(0, named=True)
        assert got["statistic"] == pytest.approx(t.statistic, rel=1e-6)
        assert got["df"] == pytest.approx(18.0, abs=1e-5 if df_method == "kenward-roger" else 1e-3)


def test_structure_falls_back_by_the_stated_rule() -> None:
    # Visits 1 and 4 are never observed together: their unstructured covariance is not
    # identified, and neither is Toeplitz's lag-3 correlation (only that pair is 3 apart), so
    # neither fit has a proper minimum; AR(1) is next in the order.
    rng = np.random.default_rng(3)
    rows = []
    for i in range(40):
        arm = "a" if i % 2 else "b"
        seen = [0, 1, 2] if (i // 2) % 2 else [1, 2, 3]
        person = rng.normal()
        for j in seen:
            rows.append((f"S{i}", f"v{j + 1}", arm, person + 0.2 * j + rng.normal(0, 0.7)))
    data = pl.DataFrame(rows, schema=["id", "visit", "arm", "y"], orient="row")
    with pytest.warns(StatsWarning, match="unstructured and toeplitz covariance fits failed"):
        result = mmrm(data, outcome="y", visit="visit", subject="id", group="arm")
    assert "ar1 covariance" in result["method"][0]
    assert "fits failed" in result["notes"][0]
    explicit = mmrm(data, outcome="y", visit="visit", subject="id", group="arm", covariance="cs")
    assert "cs covariance" in explicit["method"][0]
    with pytest.warns(StatsWarning, match="did not converge"):
        mmrm(data, outcome="y", visit="visit", subject="id", group="arm", fallback=False)


def test_kenward_roger_with_ar1_falls_back_to_satterthwaite_with_a_note() -> None:
    with pytest.warns(StatsWarning, match="Kenward-Roger is not available for the ar1"):
        result = mmrm(
            complete(),
            outcome="y",
            visit="visit",
            subject="id",
            group="arm",
            covariance="ar1",
            df_method="kenward-roger",
        )
    assert "Satterthwaite" in result["method"][0]


def test_options_are_validated() -> None:
    data = complete()
    with pytest.raises(UsageError, match="'covariance' parameter of mmrm must be one of"):
        mmrm(data, outcome="y", visit="visit", subject="id", covariance="banded")
    with pytest.raises(UsageError, match="'df_method' parameter of mmrm must be one of"):
        mmrm(data, outcome="y", visit="visit", subject="id", df_method="kr")
