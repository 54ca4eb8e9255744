"""Causal effect per unit of dose, with randomisation as the instrument (complier-average).

The observed dose-response (:func:`toolkit.stats.dose_response`) is confounded: participants who
respond well attend more. Randomisation changes the dose received but is independent of
prognosis, so two-stage least squares with the arm as instrument estimates the effect per unit
of dose among those whose dose the allocation changed (the complier-average causal effect,
Angrist, Imbens & Rubin 1996; for two arms it is the ITT effect divided by the difference in
mean dose). Point estimate and model-based SEs are those of R's ``AER::ivreg(outcome ~ dose +
covs | arm + covs)``. Assumptions, stated in every row's notes: the arm affects the outcome only
through the dose (exclusion restriction), and no one takes less dose because they were offered
more (monotonicity). A weak first stage (F < 10) is announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

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
    t_interval,
    with_notes,
)
from toolkit.stats._design import build_design

ASSUMPTIONS = (
    "instrumental-variable estimate (randomised arm as instrument): assumes the arm affects the "
    "outcome only through the dose (exclusion restriction) and monotonicity"
)


@with_notes
def complier_average_effect(
    data: pl.DataFrame,
    *,
    outcome: str = "change",
    dose: str = "retro_minutes",
    group: str = "arm",
    covariates: Iterable[str] = ("baseline",),
    reference: str | None = None,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Effect of one unit of ``dose`` on ``outcome`` by two-stage least squares.

    Parameters
    ----------
    data
        One row per randomised participant: outcome, dose received (e.g. mean weekly retro
        minutes, 0 in arms not offered it) and arm.
    covariates
        Baseline covariates in both stages (text columns become dummies).

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role``: the ``"causal_dose"`` row (term ``"<dose> (per unit)"``,
        t test on n - k df, as ``ivreg``), ``"first_stage"`` (F statistic of the instruments
        on the dose, numerator df in ``df``) and ``"coefficient"`` rows of the second stage.
    """
    func = "complier_average_effect"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    covs = as_names(covariates, "covariates", func)
    check_columns(frame, [outcome, dose, group, *covs], func)
    check_numeric(frame, [outcome, dose], func)
    frame = frame.filter(pl.col(group).is_not_null())
    kept, excluded = complete_cases(frame, [outcome, dose, *covs], func)
    levels = group_levels(kept, group, reference, func)
    if len(levels) < 2:
        raise UsageError(f"{func} needs at least two randomised arms. Got {levels} instead.")
    arms = build_design(kept, [group], intercept=False, references={group: levels[0]})
    cov_design = build_design(kept, covs, intercept=False)
    n = kept.height
    ones = np.ones((n, 1))
    d = kept[dose].cast(pl.Float64).to_numpy()[:, None]
    y = kept[outcome].cast(pl.Float64).to_numpy()
    x = np.hstack([ones, d, cov_design.matrix])
    z = np.hstack([ones, arms.matrix, cov_design.matrix])
    if np.linalg.matrix_rank(z) < z.shape[1]:
        raise UsageError(f"{func}: the instruments or covariates are collinear in the rows used.")
    # First stage: dose on instruments and covariates; F test of the instruments.
    gamma, *_ = np.linalg.lstsq(z, d[:, 0], rcond=None)
    fitted = z @ gamma
    rss_full = float(np.sum((d[:, 0] - fitted) ** 2))
    z0 = np.hstack([ones, cov_design.matrix])
    g0, *_ = np.linalg.lstsq(z0, d[:, 0], rcond=None)
    rss_null = float(np.sum((d[:, 0] - z0 @ g0) ** 2))
    q, df_first = arms.matrix.shape[1], n - z.shape[1]
    if rss_null - rss_full <= 1e-12 * max(rss_null, 1.0):
        raise UsageError(f"{func}: the arms do not change the mean {dose}; no instrument.")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise UsageError(f"{func}: {dose} is collinear with the covariates in the rows used.")
    f_first = (rss_null - rss_full) / q / (rss_full / df_first)
    # Second stage: outcome on fitted dose; residuals with the observed dose (ivreg's SEs).
    x_hat = np.hstack([ones, fitted[:, None], cov_design.matrix])
    xtx_inv = np.linalg.inv(x_hat.T @ x_hat)
    beta = xtx_inv @ x_hat.T @ y
    resid = y - x @ beta
    df = n - x.shape[1]
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * xtx_inv
    names = ["(Intercept)", dose, *cov_design.names]
    method = (
        f"two-stage least squares of {outcome} on {dose}, instrument {group} "
        f"({', '.join(levels)})"
        + (f", adjusted for {', '.join(covs)}" if covs else "")
        + f"; {100 * (1 - alpha):g}% t intervals; complete cases ({excluded} excluded)"
    )
    weak = f"; weak instrument (first-stage F {f_first:.1f} < 10)" if f_first < 10 else ""
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(names):
        se = float(np.sqrt(cov[j, j]))
        low, high, t, p = t_interval(float(beta[j]), se, df, alpha)
        rows.append(
            {
                "term": f"{dose} (per unit)" if j == 1 else name,
                "estimate": float(beta[j]),
                "ci_low": low,
                "ci_high": high,
                "statistic": t,
                "df": df,
                "p_value": p,
                "n": n,
                "method": method,
                "notes": ASSUMPTIONS + weak if j == 1 else None,
                "role": "causal_dose" if j == 1 else "coefficient",
                "std_error": se,
            }
        )
    rows.insert(
        1,
        {
            "term": f"first stage: {group} -> {dose}",
            "statistic": f_first,
            "df": q,
            "p_value": float(stats.f.sf(f_first, q, df_first)),
            "n": n,
            "method": f"F test of {group} in the first-stage regression of {dose}",
            "notes": weak.lstrip("; ") or None,
            "role": "first_stage",
            "df_resid": df_first,
        },
    )
    return result_frame(rows)
