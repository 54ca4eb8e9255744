"""Model-based mean trajectories per arm from the linear mixed model, for plotting.

The population-average curve of ``outcome ~ time * group + (1 + time | subject)`` is
``b0 + b1 t`` (plus the arm's offsets), so each point is a linear combination of the fixed
effects; its pointwise interval uses their REML covariance with normal quantiles.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from toolkit.stats._common import check_alpha, check_frame, check_positive_int
from toolkit.stats.mixed import fit_lmm, prepare_lmm


def mixed_model_curve(
    data: pl.DataFrame,
    *,
    outcome: str,
    time: str,
    subject: str = "participant_id",
    group: str | None = None,
    random_slope: bool = True,
    reference: str | None = None,
    alpha: float = 0.05,
    points: int = 50,
) -> pl.DataFrame:
    """Fitted mean ``outcome`` over ``time`` for each arm, with pointwise CI bands.

    Takes the same data and arguments as :func:`toolkit.stats.mixed_model`.

    Returns
    -------
    polars.DataFrame
        ``points`` rows per arm over the observed time range: ``group`` (the arm, or
        ``"all"``), ``time``, ``estimate``, ``ci_low``, ``ci_high`` (Wald, normal quantiles),
        ``std_error``, ``n`` (measurements used).
    """
    func = "mixed_model_curve"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    points = check_positive_int(points, "points", func, minimum=2)
    prep = prepare_lmm(frame, func, outcome, time, subject, group, random_slope, reference)
    fit = fit_lmm(prep.codes, prep.x, prep.z, prep.y)
    beta, cov = fit["beta"], fit["cov_beta"]
    grid = np.linspace(prep.x[:, 1].min(), prep.x[:, 1].max(), points)
    q = float(stats.norm.ppf(1 - alpha / 2))
    frames = []
    arms = prep.levels or ["all"]
    k = len(prep.levels) - 1 if prep.levels else 0
    for i, arm in enumerate(arms):
        rows = np.zeros((points, beta.size))
        rows[:, 0] = 1.0
        rows[:, 1] = grid
        if i > 0:
            rows[:, 1 + i] = 1.0
            rows[:, 1 + k + i] = grid
        estimate = rows @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", rows, cov, rows))
        frames.append(
            pl.DataFrame(
                {
                    "group": [arm] * points,
                    "time": grid,
                    "estimate": estimate,
                    "ci_low": estimate - q * se,
                    "ci_high": estimate + q * se,
                    "std_error": se,
                    "n": [prep.kept.height] * points,
                }
            )
        )
    return pl.concat(frames)
