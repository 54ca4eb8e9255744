"""Spline knots follow Hmisc's rcspline.eval rule, i.e. equal rms::rcs's (issue 17, item 6).

Reproducer: the old quantile rule differed from R for n < 100 and with ties. Expected knots
were computed by R 4.2 / Hmisc 4.7 on the same values (written by this generator):
``for (nk in 3:5) print(rcspline.eval(x, nk = nk, knots.only = TRUE))``; the R suite
(tests/stats/test_vs_r_dose_response.py) recomputes them on every CI run.
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.stats.dose_response import rcs_knots


def samples() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    x1 = np.round(rng.exponential(30, 60), 1)  # n < 100: outer knots at 5th values
    x2 = np.r_[np.zeros(45), np.round(rng.uniform(5, 90, 105))]  # tied minimum
    x3 = np.r_[np.zeros(20), np.round(rng.uniform(5, 90, 50)), np.full(10, 120.0)]  # both ends
    return [x1, x2, x3]


R_KNOTS = {
    (0, 3): [1.7, 16.6, 89.1],
    (0, 4): [1.7, 10.03, 25.905, 89.1],
    (0, 5): [1.7, 7.535, 16.6, 32.1275, 89.1],
    (1, 3): [7, 45, 78.6],
    (1, 4): [7, 10.1, 45, 83.9],
    (1, 5): [7, 10.1, 31.4, 59, 83.9],
    (2, 3): [6, 49.5, 82],
    (2, 4): [6, 49.5, 78.65, 82],
    (2, 5): [6, 11.7, 49.5, 78.65, 82],
}


@pytest.mark.parametrize(("sample", "n_knots"), sorted(R_KNOTS))
def test_knots_match_hmisc(sample: int, n_knots: int) -> None:
    got = rcs_knots(samples()[sample], n_knots)
    assert got.tolist() == pytest.approx(R_KNOTS[(sample, n_knots)], abs=1e-9)


def test_large_untied_sample_uses_plain_quantiles() -> None:
    x = np.random.default_rng(3).normal(size=500)
    assert rcs_knots(x, 5).tolist() == pytest.approx(
        np.quantile(x, [0.05, 0.275, 0.5, 0.725, 0.95]).tolist(), abs=1e-12
    )
