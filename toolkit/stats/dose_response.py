"""Dose-response: outcome (e.g. pain change) versus exposure (e.g. weekly retro minutes).

Ordinary least squares of ``outcome`` on the exposure, adjusted for covariates (baseline pain by
default). The exposure enters linearly, or with ``spline_df = k`` as a restricted (natural)
cubic spline with ``k + 1`` knots placed by Hmisc's ``rcspline.eval`` rule (Harrell's default
quantiles, Regression Modeling Strategies 2nd ed., section 2.4.6, with its adjustments for fewer
than 100 values and for ties, so the knots equal ``rms::rcs``'s), the truncated-power basis of
that function scaled by ``(t_last - t_first)^2``. With a spline the result adds F tests of any
exposure effect and of non-linearity, and :func:`dose_response_curve` gives the fitted curve
with pointwise CI bands.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._common import (
    as_names,
    check_alpha,
    check_columns,
    check_frame,
    check_numeric,
    check_positive_int,
    complete_cases,
    result_frame,
    t_interval,
    with_notes,
)
from toolkit.stats._design import build_design
from toolkit.stats.ancova import ols

#: Harrell's default knot quantiles by number of knots.
KNOT_QUANTILES: dict[int, tuple[float, ...]] = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
    6: (0.05, 0.23, 0.41, 0.59, 0.77, 0.95),
    7: (0.025, 0.1833, 0.3417, 0.50, 0.6583, 0.8167, 0.975),
}


def rcs_knots(x: np.ndarray, n_knots: int, fractied: float = 0.05) -> np.ndarray:
    """Knots by Hmisc's ``rcspline.eval`` rule (what ``rms::rcs(x, n_knots)`` uses).

    Quantiles ``seq(outer, 1 - outer, length = n_knots)`` (outer 0.10 for 3 knots, 0.05 for
    4-6, 0.025 for 7, type-7 quantiles); a tied minimum (maximum) holding at least
    ``fractied`` of the values becomes a knot at the next distinct value, the rest placed on the
    values beyond it; with fewer than 100 values the outer knots move to the 5th smallest and
    5th largest value. Ported line by line from Hmisc 4.7 so knots equal R's, ties included.
    May return fewer knots than asked (never fewer than 3).
    """
    xx = np.sort(x[np.isfinite(x)])
    n = xx.size
    if n < 6:
        raise UsageError("A spline needs at least 6 non-missing exposure values.")
    unique = np.unique(xx)
    if unique.size - 2 <= n_knots:
        knots = unique[1:-1]
    else:
        outer = 0.025 if n_knots > 6 else (0.05 if n_knots > 3 else 0.10)
        nke = n_knots
        first: list[float] = []
        last: list[float] = []
        override_first = override_last = False
        if 0 < fractied < 1:
            _values, counts = np.unique(xx, return_counts=True)
            f = counts / n
            if f[1:-1].size == 0 or f[1:-1].max() < fractied:
                if f[0] >= fractied:
                    first = [float(xx[xx > xx.min()].min())]
                    xx = xx[xx > first[0]]
                    nke -= 1
                    override_first = True
                if f[-1] >= fractied:
                    last = [float(xx[xx < xx.max()].max())]
                    xx = xx[xx < last[0]]
                    nke -= 1
                    override_last = True
        middle: list[float]
        if nke == 1:
            middle = [float(np.median(xx))]
        else:
            if unique.size <= nke:
                middle = unique.tolist()
            else:
                probs = (
                    np.linspace(0.5, 1 - outer, nke)
                    if nke == 2
                    else np.linspace(outer, 1 - outer, nke)
                )
                middle = np.quantile(xx, probs).tolist()
                if np.unique(middle).size < min(nke, 3):
                    middle = np.quantile(xx, np.linspace(outer, 1 - outer, 2 * nke)).tolist()
                    if first and np.unique(middle).size < 3:
                        mid = (first[0] + last[0]) / 2 if last else float(np.median(xx))
                        end = last[0] if last else float(np.quantile(xx, 1 - outer))
                        middle = sorted([first[0], mid, end])
            if xx.size < 100:
                while len(middle) < nke:  # R extends the vector (with NA) when assigning
                    middle.append(float("nan"))
                if not override_first:
                    middle[0] = float(xx[4])
                if not override_last:
                    middle[nke - 1] = float(xx[xx.size - 5])
        knots = np.array([*first, *middle, *last], dtype=float)
    knots = np.unique(knots[np.isfinite(knots)])
    if knots.size < 3:
        raise UsageError(
            f"The exposure has too few distinct values for a spline with {n_knots} knots "
            f"(Hmisc's rule found {knots.size})."
        )
    return knots


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis: the linear term and ``len(knots) - 2`` non-linear terms."""
    k = knots.size
    t_last, t_prev = knots[-1], knots[-2]
    scale = (knots[-1] - knots[0]) ** 2
    columns = [x]
    for j in range(k - 2):
        tj = knots[j]
        term = (
            np.clip(x - tj, 0, None) ** 3
            - np.clip(x - t_prev, 0, None) ** 3 * (t_last - tj) / (t_last - t_prev)
            + np.clip(x - t_last, 0, None) ** 3 * (t_prev - tj) / (t_last - t_prev)
        )
        columns.append(term / scale)
    return np.column_stack(columns)


#: What every exposure row says: the dose was chosen by the participants, not randomised.
OBSERVATIONAL_NOTE = (
    "observational: exposure was not randomised (adherence follows individual response), so "
    "this slope is an association, not a causal dose effect; see complier_average_effect"
)


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    df: int
    names: list[str]
    exposure_columns: list[int]
    knots: np.ndarray | None
    matrix: np.ndarray
    n: int
    excluded: int
    rss: float


def _fit(
    data: pl.DataFrame,
    func: str,
    outcome: str,
    exposure: str,
    covariates: Iterable[str],
    spline_df: int | None,
) -> _Fit:
    frame = check_frame(data, func)
    covs = as_names(covariates, "covariates", func)
    check_columns(frame, [outcome, exposure, *covs], func)
    check_numeric(frame, [outcome, exposure], func)
    if spline_df is not None:
        spline_df = check_positive_int(spline_df, "spline_df", func, minimum=2)
        if spline_df + 1 not in KNOT_QUANTILES:
            raise UsageError(
                f"The 'spline_df' parameter of {func} must be an int in [2, 6] or None. "
                f"Got {spline_df} instead."
            )
    kept, excluded = complete_cases(frame, [outcome, exposure, *covs], func)
    x = kept[exposure].cast(pl.Float64).to_numpy()
    knots = rcs_knots(x, spline_df + 1) if spline_df is not None else None
    if knots is not None and spline_df is not None and knots.size < spline_df + 1:
        warnings.warn(
            f"{func}: {exposure!r} has too many ties for {spline_df + 1} knots; Hmisc's rule "
            f"placed {knots.size} (spline with {knots.size - 1} df).",
            StatsWarning,
            stacklevel=3,
        )
    basis = rcs_basis(x, knots) if knots is not None else x[:, None]
    exposure_names = [exposure] + [f"{exposure}'{j}" for j in range(1, basis.shape[1])]
    cov_design = build_design(kept, covs, intercept=False)
    matrix = np.column_stack([np.ones(kept.height), basis, cov_design.matrix])
    names = ["(Intercept)", *exposure_names, *cov_design.names]
    y = kept[outcome].cast(pl.Float64).to_numpy()
    beta, cov, sigma2, df = ols(matrix, y)
    return _Fit(
        beta=beta,
        cov=cov,
        sigma2=sigma2,
        df=df,
        names=names,
        exposure_columns=list(range(1, 1 + basis.shape[1])),
        knots=knots,
        matrix=matrix,
        n=kept.height,
        excluded=excluded,
        rss=sigma2 * df,
    )


def _wald_f(fit: _Fit, columns: list[int]) -> tuple[float, int, float]:
    """F statistic, numerator df and p-value of H0: the coefficients in ``columns`` are 0."""
    b = fit.beta[columns]
    v = fit.cov[np.ix_(columns, columns)]
    q = len(columns)
    f = float(b @ np.linalg.solve(v, b)) / q
    return f, q, float(stats.f.sf(f, q, fit.df))


def _method(fit: _Fit, outcome: str, exposure: str, covariates: Iterable[str], alpha: float) -> str:
    covs = list(covariates)
    shape = (
        f"restricted cubic spline with {fit.knots.size} knots at "
        f"{', '.join(f'{k:.3g}' for k in fit.knots)}"
        if fit.knots is not None
        else "linear"
    )
    return (
        f"observational dose-response: OLS of {outcome} on {exposure} ({shape})"
        + (f" adjusted for {', '.join(covs)}" if covs else "")
        + f"; {100 * (1 - alpha):g}% t intervals; complete cases ({fit.excluded} excluded)"
    )


@with_notes
def dose_response(
    data: pl.DataFrame,
    *,
    outcome: str = "change",
    exposure: str = "retro_minutes",
    covariates: Iterable[str] = ("baseline",),
    spline_df: int | None = None,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Coefficients of the dose-response regression.

    Parameters
    ----------
    data
        One row per participant (e.g. :func:`toolkit.analysis_frames.outcome_frame`).
    outcome, exposure
        Response and dose columns.
    covariates
        Adjustment columns (text columns become dummies).
    spline_df
        ``None`` for a linear dose-response (the exposure row is the slope per unit of
        exposure), or 2-6 for a restricted cubic spline with that many exposure df.
    alpha
        1 - confidence level.

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role``: ``"coefficient"`` rows (intercept, exposure terms and
        covariates; t tests on the residual df) and, with a spline, ``"test"`` rows
        ``"<exposure> overall"`` and ``"<exposure> non-linear"`` (F statistic, numerator df in
        ``df``, denominator df in ``df_resid``).
    """
    func = "dose_response"
    alpha = check_alpha(alpha, func)
    fit = _fit(data, func, outcome, exposure, covariates, spline_df)
    method = _method(fit, outcome, exposure, as_names(covariates, "covariates", func), alpha)
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(fit.names):
        note = OBSERVATIONAL_NOTE if j in fit.exposure_columns else None
        estimate = float(fit.beta[j])
        se = float(np.sqrt(fit.cov[j, j]))
        low, high, t, p = t_interval(estimate, se, fit.df, alpha)
        rows.append(
            {
                "term": name,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": t,
                "df": fit.df,
                "p_value": p,
                "n": fit.n,
                "method": method,
                "notes": note,
                "role": "coefficient",
                "std_error": se,
                "df_resid": fit.df,
                "n_excluded": fit.excluded,
            }
        )
    if fit.knots is not None:
        tests = [
            (f"{exposure} overall", fit.exposure_columns),
            (f"{exposure} non-linear", fit.exposure_columns[1:]),
        ]
        for term, columns in tests:
            f, q, p = _wald_f(fit, columns)
            rows.append(
                {
                    "term": term,
                    "statistic": f,
                    "df": q,
                    "p_value": p,
                    "n": fit.n,
                    "method": method + "; Wald F test",
                    "notes": OBSERVATIONAL_NOTE,
                    "role": "test",
                    "df_resid": fit.df,
                    "n_excluded": fit.excluded,
                }
            )
    return result_frame(rows)


def dose_response_curve(
    data: pl.DataFrame,
    *,
    outcome: str = "change",
    exposure: str = "retro_minutes",
    covariates: Iterable[str] = ("baseline",),
    spline_df: int | None = None,
    alpha: float = 0.05,
    points: int = 50,
) -> pl.DataFrame:
    """The fitted mean outcome over a grid of exposure, with pointwise CI bands.

    Covariates are held at their sample means (dummies at their proportions).

    Returns
    -------
    polars.DataFrame
        ``points`` rows from the smallest to the largest exposure observed: ``exposure``,
        ``estimate``, ``ci_low``, ``ci_high``, ``std_error``, ``n``.
    """
    func = "dose_response_curve"
    alpha = check_alpha(alpha, func)
    points = check_positive_int(points, "points", func, minimum=2)
    fit = _fit(data, func, outcome, exposure, covariates, spline_df)
    xs = fit.matrix[:, 1]
    grid = np.linspace(xs.min(), xs.max(), points)
    basis = rcs_basis(grid, fit.knots) if fit.knots is not None else grid[:, None]
    rows = np.tile(fit.matrix.mean(axis=0), (points, 1))
    rows[:, fit.exposure_columns] = basis
    estimate = rows @ fit.beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", rows, fit.cov, rows))
    q = float(stats.t.ppf(1 - alpha / 2, fit.df))
    return pl.DataFrame(
        {
            "exposure": grid,
            "estimate": estimate,
            "ci_low": estimate - q * se,
            "ci_high": estimate + q * se,
            "std_error": se,
            "n": [fit.n] * points,
        }
    )
