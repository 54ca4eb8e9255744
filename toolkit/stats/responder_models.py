"""Responder definitions (IMMPACT tiers) and a baseline-adjusted logistic responder model.

IMMPACT (Dworkin et al. 2008, J. Pain 9:105) grades a reduction in pain intensity of >= 30% as
moderately and >= 50% as substantially important. The NRS rule "a reduction of >= 2 points or
>= 30%" is more liberal than either tier: every >= 30% responder qualifies, and so does anyone
with a 2-point drop from a high baseline (e.g. 8 -> 6 is 25%). :func:`responder_tiers` derives
all three flags so an analysis can say which it used; :func:`responders_logistic` estimates the
arm's odds ratio adjusted for baseline (as R's ``glm(responder ~ arm + baseline, binomial)``
with Wald intervals, ``confint.default``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.stats._common import (
    as_names,
    check_alpha,
    check_columns,
    check_frame,
    check_numeric,
    complete_cases,
    group_levels,
    result_frame,
    with_notes,
    z_interval,
)
from toolkit.stats._design import build_design

#: What each tier column means (documented in the result of responder_tiers).
TIERS = {
    "reduction_30": "improvement >= 30% of baseline (IMMPACT moderate)",
    "reduction_50": "improvement >= 50% of baseline (IMMPACT substantial)",
    "two_points_or_30": "improvement >= 2 points or >= 30% (NRS rule; more liberal than both)",
}


def responder_tiers(
    data: pl.DataFrame,
    *,
    baseline: str = "baseline",
    follow_up: str = "follow_up",
    higher_is_better: bool = False,
) -> pl.DataFrame:
    """``data`` with boolean columns ``reduction_30``, ``reduction_50`` and ``two_points_or_30``.

    The improvement is ``baseline - follow_up`` (or the reverse when ``higher_is_better``);
    relative tiers are null when the baseline is 0 (no relative change defined) and every
    flag is null when either measurement is missing (a non-responder imputation is a separate,
    explicit choice: ``responders(..., missing="non_responder")``).
    """
    func = "responder_tiers"
    frame = check_frame(data, func)
    check_columns(frame, [baseline, follow_up], func)
    check_numeric(frame, [baseline, follow_up], func)
    b = pl.col(baseline).cast(pl.Float64)
    f = pl.col(follow_up).cast(pl.Float64)
    gain = (f - b) if higher_is_better else (b - f)
    relative = pl.when(b != 0).then(gain / b.abs()).otherwise(None)
    return frame.with_columns(
        (relative >= 0.30).alias("reduction_30"),
        (relative >= 0.50).alias("reduction_50"),
        pl.when(gain.is_null())
        .then(None)
        .otherwise((gain >= 2.0) | (relative.fill_null(-math.inf) >= 0.30))
        .alias("two_points_or_30"),
    )


def logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum-likelihood logistic regression by IRLS: coefficients, covariance, converged."""
    beta = np.zeros(x.shape[1])
    converged = False
    for _ in range(100):
        eta = np.clip(x @ beta, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu)
        info = x.T @ (x * w[:, None])
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            converged = True
            break
    eta = np.clip(x @ beta, -30, 30)
    mu = 1 / (1 + np.exp(-eta))
    info = x.T @ (x * (mu * (1 - mu))[:, None])
    return beta, np.linalg.inv(info), converged and bool(np.max(np.abs(beta)) < 15)


@with_notes
def responders_logistic(
    data: pl.DataFrame,
    *,
    responder: str = "responder",
    group: str = "arm",
    baseline: str | None = "baseline",
    covariates: Iterable[str] = (),
    reference: str | None = None,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Baseline-adjusted odds ratios of response versus the reference arm (logistic model).

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role``: ``"odds_ratio"`` rows (term ``"retro / usual_care"``,
        exp(coefficient) with Wald CI and z test) and ``"coefficient"`` rows (log-odds scale,
        every term of the model). Complete cases; separation (a coefficient running off to
        infinity) is refused.
    """
    func = "responders_logistic"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    covs = as_names(covariates, "covariates", func)
    adjust = [c for c in (baseline, *covs) if c is not None]
    check_columns(frame, [responder, group, *adjust], func)
    dtype = frame.schema[responder]
    if not (dtype == pl.Boolean or dtype.is_integer()):
        raise UsageError(
            f"The column {responder!r} given to {func} must be boolean or 0/1. Got {dtype} instead."
        )
    frame = frame.filter(pl.col(group).is_not_null())
    kept, excluded = complete_cases(frame, [responder, *adjust], func)
    levels = group_levels(kept, group, reference, func)
    if len(levels) < 2:
        raise UsageError(f"{func} needs at least two arms with data. Got {levels} instead.")
    design = build_design(kept, [group, *adjust], references={group: levels[0]})
    y = kept[responder].cast(pl.Float64).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise UsageError(f"The column {responder!r} given to {func} must hold only 0 and 1.")
    beta, cov, converged = logistic_fit(design.matrix, y)
    if not converged:
        raise UsageError(
            f"{func}: the logistic model does not converge (complete or quasi-complete "
            "separation: an arm or covariate predicts response perfectly); use responders() "
            "with test='fisher' instead."
        )
    method = (
        f"logistic regression of {responder} on {group}"
        + (f" adjusted for {', '.join(adjust)}" if adjust else "")
        + f"; Wald {100 * (1 - alpha):g}% CIs and z tests; complete cases ({excluded} excluded)"
    )
    rows: list[dict[str, Any]] = []
    start = design.slices[group].start
    for i, level in enumerate(levels[1:]):
        j = start + i
        se = float(np.sqrt(cov[j, j]))
        low, high, z, p = z_interval(float(beta[j]), se, alpha)
        rows.append(
            {
                "term": f"{level} / {levels[0]}",
                "estimate": math.exp(beta[j]),
                "ci_low": math.exp(low),
                "ci_high": math.exp(high),
                "statistic": z,
                "p_value": p,
                "n": kept.height,
                "method": method,
                "role": "odds_ratio",
                "std_error": se,
            }
        )
    for j, name in enumerate(design.names):
        se = float(np.sqrt(cov[j, j]))
        low, high, z, p = z_interval(float(beta[j]), se, alpha)
        rows.append(
            {
                "term": name,
                "estimate": float(beta[j]),
                "ci_low": low,
                "ci_high": high,
                "statistic": z,
                "p_value": p,
                "n": kept.height,
                "method": method,
                "role": "coefficient",
                "std_error": se,
            }
        )
    return result_frame(rows)
