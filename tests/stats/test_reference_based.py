"""Reference-based imputation by conditional means (toolkit/stats/reference_based.py).

The R comparison of J2R/CR/MAR is in test_vs_r_reference_based.py (marker ``r``); here the
identities that need no R: without missing data the estimate is the complete-data ANCOVA and its
jackknife SE the leave-one-out spread of that ANCOVA (computed directly with numpy).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.stats.test_sensitivity import long_trial
from toolkit.errors import UsageError
from toolkit.stats import reference_based


def test_without_missing_data_it_is_the_ancova_with_a_jackknife_se() -> None:
    data = long_trial(dropout=False, n=40)
    got = reference_based(
        data,
        outcome="change",
        visit="visit",
        reference="usual_care",
        imputation="conditional_mean",
    )
    last = data.filter(pl.col("visit") == "week12").sort("participant_id")
    x = np.column_stack(
        [np.ones(last.height), (last["arm"] == "retro").to_numpy(), last["baseline"].to_numpy()]
    ).astype(float)
    y = last["change"].to_numpy()
    full = np.linalg.lstsq(x, y, rcond=None)[0][1]
    n = last.height
    loo = np.array(
        [np.linalg.lstsq(np.delete(x, k, 0), np.delete(y, k), rcond=None)[0][1] for k in range(n)]
    )
    jackknife = np.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum())
    assert got["estimate"][0] == pytest.approx(full, abs=1e-9)
    assert got["std_error"][0] == pytest.approx(jackknife, rel=1e-7)
    assert got["df"][0] is None and "jackknife" in got["method"][0]


def test_an_unknown_imputation_is_refused() -> None:
    data = long_trial(dropout=True, n=20)
    with pytest.raises(UsageError, match=r"'imputation' parameter of reference_based must be"):
        reference_based(data, outcome="change", visit="visit", imputation="mcmc")
