"""change_from_baseline against R's paired t-test on the sleep data."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, change_from_baseline
from toolkit.stats.change import hedges_correction, noncentral_t_ci


def paired(sleep: pl.DataFrame) -> pl.DataFrame:
    """One row per patient: drug 2 as 'baseline', drug 1 as 'follow_up' (change = 1 - 2)."""
    wide = sleep.pivot(on="group", index="ID", values="extra").sort("ID")
    return wide.select(pl.col("ID"), pl.col("2").alias("baseline"), pl.col("1").alias("follow_up"))


def test_change_from_baseline_matches_r_paired_t_test(sleep: pl.DataFrame) -> None:
    # R: with(sleep, t.test(extra[group == 1], extra[group == 2], paired = TRUE))
    # (the example of ?t.test):
    #   t = -4.0621, df = 9, p-value = 0.002833
    #   95 percent confidence interval: -2.4598858 -0.7001142
    #   mean difference -1.58
    result = change_from_baseline(paired(sleep), group=None)
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    got = result.to_dicts()[0]
    assert got["estimate"] == pytest.approx(-1.58, abs=1e-12)
    assert got["statistic"] == pytest.approx(-4.0621, abs=5e-5)
    assert got["df"] == 9
    assert got["p_value"] == pytest.approx(0.002833, abs=5e-7)
    assert got["ci_low"] == pytest.approx(-2.4598858, abs=5e-8)
    assert got["ci_high"] == pytest.approx(-0.7001142, abs=5e-8)
    assert got["n"] == 10
    # Cohen's d_z is t / sqrt(n) (Lakens 2013, eq. 7).
    assert got["cohen_dz"] == pytest.approx(-4.0621 / math.sqrt(10), abs=1e-4)


def test_effect_size_interval_inverts_the_noncentral_t() -> None:
    # The limits are the noncentrality parameters putting the observed t at the 97.5th and
    # 2.5th percentiles (Steiger & Fouladi 1997).
    low, high = noncentral_t_ci(-4.0621, 9, 0.05)
    assert stats.nct.cdf(-4.0621, 9, low) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(-4.0621, 9, high) == pytest.approx(0.025, abs=1e-9)
    assert low < -4.0621 < high


def test_hedges_correction_is_exact() -> None:
    # J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (Hedges 1981); J(2) = 1/sqrt(pi),
    # J(3) = Gamma(1.5) / sqrt(1.5) = sqrt(pi) / 2 / sqrt(1.5), and the approximation
    # 1 - 3 / (4 df - 1) of Hedges & Olkin (1985) within 5e-4 from df = 9.
    assert hedges_correction(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-12)
    assert hedges_correction(3) == pytest.approx(math.sqrt(math.pi) / 2 / math.sqrt(1.5), rel=1e-12)
    for df in (9, 20, 60):
        assert hedges_correction(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=5e-4)


def test_groups_and_incomplete_pairs(sleep: pl.DataFrame) -> None:
    frame = paired(sleep).with_columns(
        pl.when(pl.col("ID") <= 5).then(pl.lit("a")).otherwise(pl.lit("b")).alias("arm"),
        pl.when(pl.col("ID") == 3).then(None).otherwise(pl.col("follow_up")).alias("follow_up"),
    )
    with pytest.warns(StatsWarning, match="1 of 5 row"):
        result = change_from_baseline(frame)
    assert result["term"].to_list() == ["a", "b"]
    assert result["n"].to_list() == [4, 5]
    assert result["n_excluded"].to_list() == [1, 0]
    b = frame.filter(pl.col("arm") == "b")
    expected = stats.ttest_rel(b["follow_up"].to_numpy(), b["baseline"].to_numpy())
    assert result["p_value"][1] == pytest.approx(expected.pvalue, rel=1e-10)


def test_change_validates_inputs(sleep: pl.DataFrame) -> None:
    with pytest.raises(
        UsageError,
        match=r"The 'alpha' parameter of change_from_baseline must be a float in \(0, 1\)\. "
        r"Got 1\.5 instead\.",
    ):
        change_from_baseline(paired(sleep), group=None, alpha=1.5)
    with pytest.raises(UsageError, match="needs column\\(s\\) 'arm'"):
        change_from_baseline(paired(sleep))
    with pytest.raises(UsageError, match="must be a polars DataFrame"):
        change_from_baseline(paired(sleep).to_pandas(), group=None)  # type: ignore[arg-type]
