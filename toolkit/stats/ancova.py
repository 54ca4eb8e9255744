"""Between-arm ANCOVA: follow-up adjusted for baseline (and covariates), differences vs a reference.

The model is ordinary least squares ``follow_up ~ group + baseline + covariates`` (the analysis
EMA and FDA recommend for a continuous endpoint with a baseline measurement). Adjusted means
("least-squares means") are predictions for each arm with covariates at their sample means
(dummies at their proportions), as R's ``emmeans`` with ``weights = "proportional"`` for
numeric covariates.

Missing data: complete cases by default; with ``missing="mice"`` the model is fitted to each of
``n_imputations`` data sets completed by chained equations with predictive mean matching
(statsmodels ``MICEData``) and the results are pooled with Rubin's rules, degrees of freedom by
Barnard & Rubin (1999).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._common import (
    as_names,
    check_alpha,
    check_choice,
    check_columns,
    check_frame,
    check_numeric,
    check_positive_int,
    complete_cases,
    group_levels,
    result_frame,
    t_interval,
)
from toolkit.stats._design import Design, build_design


def ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Coefficients, their covariance, residual variance and residual df of ``y ~ x``."""
    n, p = x.shape
    if n <= p:
        raise UsageError(f"Too few complete rows ({n}) for a model with {p} coefficients.")
    rank = np.linalg.matrix_rank(x)
    if rank < p:
        raise UsageError(
            f"The model matrix has rank {rank} < {p} columns: a covariate is constant or "
            "duplicates another in the rows analysed."
        )
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    df = n - p
    sigma2 = float(resid @ resid) / df
    return beta, sigma2 * xtx_inv, sigma2, df


def _contrasts(design: Design, group: str, levels: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(role, term, L) for every quantity reported: differences, adjusted means, coefficients."""
    x = design.matrix
    p = x.shape[1]
    mean_row = x.mean(axis=0)
    group_slice = design.slices[group]
    out: list[tuple[str, str, np.ndarray]] = []
    reference = levels[0]
    for i, level in enumerate(levels[1:]):
        vector = np.zeros(p)
        vector[group_slice.start + i] = 1.0
        out.append(("difference", f"{level} - {reference}", vector))
    for i, level in enumerate(levels):
        vector = mean_row.copy()
        vector[group_slice] = 0.0
        if i > 0:
            vector[group_slice.start + i - 1] = 1.0
        out.append(("adjusted_mean", level, vector))
    for j, name in enumerate(design.names):
        if group_slice.start <= j < group_slice.stop:
            continue
        vector = np.zeros(p)
        vector[j] = 1.0
        out.append(("coefficient", name, vector))
    return out


def _mice_frames(
    frame: pl.DataFrame, design_columns: list[str], outcome: str, n_imputations: int, seed: int
) -> list[pl.DataFrame]:
    """``n_imputations`` completed copies of the numeric model frame (chained equations, PMM)."""
    from statsmodels.imputation.mice import MICEData

    pandas = frame.select([outcome, *design_columns]).to_pandas()
    safe = {name: f"v{i}" for i, name in enumerate(pandas.columns)}
    pandas = pandas.rename(columns=safe).astype(float)
    imputer = MICEData(pandas, rng=np.random.default_rng(seed))
    completed = []
    imputer.update_all(10)
    for _ in range(n_imputations):
        imputer.update_all(5)
        back = imputer.data.rename(columns={v: k for k, v in safe.items()})
        completed.append(pl.from_pandas(back))
    return completed


def _rubin(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float
) -> tuple[float, float, float]:
    """Pooled estimate, its standard error and Barnard-Rubin degrees of freedom."""
    m = estimates.size
    qbar = float(estimates.mean())
    within = float(variances.mean())
    between = float(estimates.var(ddof=1)) if m > 1 else 0.0
    total = within + (1 + 1 / m) * between
    if between <= 0 or total <= 0:
        return qbar, float(np.sqrt(max(total, 0.0))), df_complete
    lam = (1 + 1 / m) * between / total
    df_old = (m - 1) / lam**2
    df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
    return qbar, float(np.sqrt(total)), 1 / (1 / df_old + 1 / df_obs)


def ancova(
    data: pl.DataFrame,
    *,
    outcome: str = "follow_up",
    baseline: str | None = "baseline",
    group: str = "arm",
    covariates: Iterable[str] = (),
    reference: str | None = None,
    alpha: float = 0.05,
    missing: str = "complete_case",
    n_imputations: int = 20,
    seed: int = 20261125,
) -> pl.DataFrame:
    """Adjusted between-arm differences in ``outcome`` versus the ``reference`` arm.

    Parameters
    ----------
    data
        One row per participant.
    outcome
        The follow-up measurement (or the change: with baseline adjusted, the arm differences
        are identical).
    baseline
        Baseline measurement to adjust for (``None``: no baseline adjustment).
    group
        The arm column.
    covariates
        Further adjustment columns; text columns become dummies.
    reference
        The comparator arm (default: first in sorted order).
    alpha
        1 - confidence level.
    missing
        ``"complete_case"`` (default) or ``"mice"`` (multiple imputation by chained equations).
    n_imputations, seed
        Number of imputed data sets and the random seed, for ``missing="mice"``.

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role``: ``"difference"`` rows (term ``"retro - usual_care"``,
        the adjusted difference), ``"adjusted_mean"`` rows (term is the arm), and
        ``"coefficient"`` rows (intercept, baseline and covariates); ``n`` is the number of
        participants analysed, ``n_excluded`` those left out, t statistics on the residual df
        (Barnard-Rubin df under MICE). Matches R's ``lm(follow_up ~ arm + baseline)``.
    """
    func = "ancova"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_choice(missing, "missing", ("complete_case", "mice"), func)
    n_imputations = check_positive_int(n_imputations, "n_imputations", func, minimum=2)
    covs = as_names(covariates, "covariates", func)
    adjust = [c for c in (baseline, *covs) if c is not None]
    check_columns(frame, [outcome, group, *adjust], func)
    check_numeric(frame, [outcome] + ([baseline] if baseline else []), func)
    frame = frame.filter(pl.col(group).is_not_null())
    levels = group_levels(frame, group, reference, func)
    if len(levels) < 2:
        raise UsageError(f"ancova needs at least two levels of {group!r}. Got {levels} instead.")
    columns = [group, *adjust]
    references = {group: levels[0]}
    base_method = (
        f"ANCOVA (OLS) of {outcome} on {group}"
        + (f" adjusted for {', '.join(adjust)}" if adjust else "")
        + f"; reference {levels[0]}; {100 * (1 - alpha):g}% t intervals"
    )
    rows: list[dict[str, Any]] = []
    if missing == "complete_case":
        kept, excluded = complete_cases(frame, [outcome, *adjust], func)
        design = build_design(kept, columns, references=references)
        beta, cov, _sigma2, df = ols(design.matrix, kept[outcome].cast(pl.Float64).to_numpy())
        for role, term, vector in _contrasts(design, group, levels):
            estimate = float(vector @ beta)
            se = float(np.sqrt(vector @ cov @ vector))
            low, high, t, p = t_interval(estimate, se, df, alpha)
            rows.append(
                {
                    "term": term,
                    "estimate": estimate,
                    "ci_low": low,
                    "ci_high": high,
                    "statistic": t,
                    "df": df,
                    "p_value": p,
                    "n": kept.height,
                    "method": f"{base_method}; complete cases ({excluded} excluded)",
                    "role": role,
                    "std_error": se,
                    "n_excluded": excluded,
                }
            )
        return result_frame(rows)
    # Multiple imputation: dummy-code first so every imputed column is numeric.
    full = build_design(frame, columns, references=references)
    numeric = pl.DataFrame(
        {name: full.matrix[:, j] for j, name in enumerate(full.names) if j > 0}
    ).with_columns(frame[outcome].cast(pl.Float64).alias(outcome))
    n_missing = frame.height - complete_cases_quiet(frame, [outcome, *adjust])
    if n_missing == 0:
        warnings.warn(
            "ancova: no missing values, multiple imputation equals the complete-case fit.",
            StatsWarning,
            stacklevel=2,
        )
    names = full.names[1:]
    completed = _mice_frames(numeric, names, outcome, n_imputations, seed)
    collected: dict[tuple[str, str], list[tuple[float, float]]] = {}
    df_complete = 0.0
    for imputed in completed:
        x = np.column_stack([np.ones(imputed.height), imputed.select(names).to_numpy()])
        design = Design(x, full.names, full.slices, full.levels)
        beta, cov, _s, df_resid = ols(x, imputed[outcome].to_numpy())
        df_complete = float(df_resid)
        for role, term, vector in _contrasts(design, group, levels):
            collected.setdefault((role, term), []).append(
                (float(vector @ beta), float(vector @ cov @ vector))
            )
    for (role, term), values in collected.items():
        arr = np.asarray(values)
        estimate, se, df_pooled = _rubin(arr[:, 0], arr[:, 1], float(df_complete))
        low, high, t, p = t_interval(estimate, se, df_pooled, alpha)
        rows.append(
            {
                "term": term,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": t,
                "df": df_pooled,
                "p_value": p,
                "n": frame.height,
                "method": (
                    f"{base_method}; multiple imputation by chained equations (statsmodels "
                    f"MICEData, PMM), {n_imputations} imputations, Rubin's rules, Barnard-Rubin "
                    f"df; {n_missing} participant(s) with imputed values"
                ),
                "role": role,
                "std_error": se,
                "n_excluded": 0,
                "n_imputed": n_missing,
            }
        )
    return result_frame(rows)


def complete_cases_quiet(frame: pl.DataFrame, columns: list[str]) -> int:
    """Number of rows with no null or NaN in ``columns``."""
    mask = pl.lit(True)
    for column in columns:
        expr = pl.col(column).is_not_null()
        if frame.schema[column].is_float():
            expr = expr & pl.col(column).is_not_nan()
        mask = mask & expr
    return frame.filter(mask).height
