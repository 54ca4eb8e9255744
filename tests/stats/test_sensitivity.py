"""Delta-adjusted MI with a tipping point, reference-based imputation (issue 17, item 8).

References: with only the outcome missing the ANCOVA design is the same in every imputation,
so OLS linearity gives the exact effect of a delta shift: the arm difference moves by
delta * [(X'X)^-1 X' 1{imputed and shifted}]_arm. Reference-based imputation with no missing
data is the complete-data ANCOVA; with dropout in the active arm, jump-to-reference pulls the
difference toward the null more than MAR (Carpenter, Roger & Kenward 2013). The R suite
compares delta-adjusted MI with R mice's post-processing shift.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import ancova, reference_based, tipping_point


def trial(n: int = 120, seed: int = 9) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "retro", "usual_care")
    base = rng.normal(6, 1.5, n)
    follow = 1 + 0.6 * base - 1.2 * (arm == "retro") + rng.normal(0, 1, n)
    gone = rng.uniform(size=n) < 0.25
    return pl.DataFrame({"arm": arm, "baseline": base, "follow_up": follow}).with_columns(
        pl.when(pl.Series(gone)).then(None).otherwise(pl.col("follow_up")).alias("follow_up")
    )


def diff(result: pl.DataFrame) -> float:
    return float(result.filter(pl.col("term") == "retro - usual_care")["estimate"][0])


def test_delta_shift_moves_the_difference_by_the_ols_weight() -> None:
    data = trial()
    options = dict(missing="mice", n_imputations=5, reference="usual_care")
    plain = ancova(data, **options)  # type: ignore[arg-type]
    shifted = ancova(data, delta=1.5, **options)  # type: ignore[arg-type]
    x = np.column_stack(
        [np.ones(data.height), (data["arm"] == "retro").to_numpy(), data["baseline"].to_numpy()]
    ).astype(float)
    indicator = (data["follow_up"].is_null() & (data["arm"] == "retro")).to_numpy().astype(float)
    weight = (np.linalg.solve(x.T @ x, x.T @ indicator))[1]
    assert diff(shifted) - diff(plain) == pytest.approx(1.5 * weight, abs=1e-10)
    assert "delta-adjusted: +1.5" in shifted["method"][0]
    with pytest.raises(UsageError, match="'delta_arms' parameter of ancova"):
        ancova(data, delta=1.0, delta_arms=["nope"], **options)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="used only with missing='mice'"):
        ancova(data, delta=1.0)


def test_tipping_point_finds_where_significance_is_lost() -> None:
    data = trial(n=160, seed=2)
    result = tipping_point(
        data, deltas=[0, 1, 2, 3, 4, 6, 8], reference="usual_care", n_imputations=5
    )
    assert result["delta"].to_list() == [0, 1, 2, 3, 4, 6, 8]
    estimates = result["estimate"].to_list()
    assert all(b > a for a, b in itertools.pairwise(estimates))  # toward null
    tip = result["tipping_delta"][0]
    assert tip is not None and 0 < tip <= 8
    first_ns = result.filter(pl.col("p_value") >= 0.05)["delta"].min()
    assert tip == first_ns
    assert "tipping point" in result["notes"][0]


def long_trial(dropout: bool, seed: int = 5, n: int = 160) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    sigma = np.array([[1.0, 0.6, 0.5], [0.6, 1.2, 0.8], [0.5, 0.8, 1.5]])
    chol = np.linalg.cholesky(sigma)
    for i in range(n):
        arm = "retro" if i % 2 else "usual_care"
        base = rng.normal(6, 1.5)
        e = chol @ rng.normal(size=3)
        stop = 3
        if dropout and arm == "retro" and rng.uniform() < 0.4:
            stop = int(rng.integers(1, 3))
        for j in range(stop):
            effect = -0.8 * (j + 1) if arm == "retro" else 0.0
            rows.append(
                (
                    f"P{i:03d}",
                    f"week{4 * (j + 1)}",
                    arm,
                    base,
                    -0.2 * (j + 1) + effect - 0.3 * (base - 6) + e[j],
                )
            )
    return pl.DataFrame(
        rows, schema=["participant_id", "visit", "arm", "baseline", "change"], orient="row"
    )


def test_reference_based_without_missing_data_is_the_complete_ancova() -> None:
    data = long_trial(dropout=False)
    got = reference_based(
        data, outcome="change", visit="visit", reference="usual_care", n_imputations=3
    )
    last = data.filter(pl.col("visit") == "week12")
    expected = ancova(last, outcome="change", reference="usual_care")
    assert got["estimate"][0] == pytest.approx(diff(expected), abs=1e-9)


def test_jump_to_reference_is_more_conservative_than_mar() -> None:
    data = long_trial(dropout=True)
    opts = dict(outcome="change", visit="visit", reference="usual_care", n_imputations=20)
    mar = reference_based(data, method="MAR", **opts)["estimate"][0]  # type: ignore[arg-type]
    j2r = reference_based(data, method="J2R", **opts)["estimate"][0]  # type: ignore[arg-type]
    cr = reference_based(data, method="CR", **opts)["estimate"][0]  # type: ignore[arg-type]
    assert mar < cr < j2r < 0  # benefit (negative) shrinks: MAR > CR > J2R in size
