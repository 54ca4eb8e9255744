"""Between-arm ANCOVA: follow-up adjusted for baseline (and covariates), differences vs a reference.

The model is ordinary least squares ``follow_up ~ group + baseline + covariates`` (the analysis
EMA and FDA recommend for a continuous endpoint with a baseline measurement). Adjusted means
("least-squares means") are predictions for each arm with covariates at their sample means
(dummies at their proportions), as R's ``emmeans`` with ``weights = "proportional"`` for
numeric covariates.

Missing data: complete cases by default; with ``missing="mice"`` the model is fitted to each of
``n_imputations`` data sets completed by chained equations (:mod:`toolkit.stats._mice`: predictive
mean matching with ``donors`` donors for numbers, logistic / multinomial models for categories, as
R's ``mice``), optionally helped by ``auxiliary`` columns, and the results are pooled with Rubin's
rules, degrees of freedom by Barnard & Rubin (1999).

Arms are the levels present in the rows analysed; an arm with no complete row (or, under
imputation, no observed outcome) is refused by name rather than silently re-labelled.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._common import (
    adjust_family,
    as_names,
    check_alpha,
    check_choice,
    check_columns,
    check_frame,
    check_numeric,
    check_pairs,
    check_positive_int,
    complete_cases,
    group_levels,
    result_frame,
    t_interval,
    with_notes,
)
from toolkit.stats._design import Design, build_design
from toolkit.stats._mice import mice


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


def _contrasts(
    design: Design, group: str, levels: list[str], pairs: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str, np.ndarray]]:
    """(role, term, L) for every quantity reported: differences, adjusted means, contrasts on
    demand (``pairs``), coefficients."""
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
    for first, second in pairs:
        vector = np.zeros(p)
        for level, sign in ((first, 1.0), (second, -1.0)):
            i = levels.index(level)
            if i > 0:
                vector[group_slice.start + i - 1] += sign
        out.append(("contrast", f"{first} - {second}", vector))
    for j, name in enumerate(design.names):
        if group_slice.start <= j < group_slice.stop:
            continue
        vector = np.zeros(p)
        vector[j] = 1.0
        out.append(("coefficient", name, vector))
    return out


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


def _check_arms(frame: pl.DataFrame, usable: pl.DataFrame, group: str, what: str) -> None:
    """Refuse, by name, an arm present in the data with no usable row."""
    present = sorted(str(v) for v in frame[group].drop_nulls().unique().to_list())
    used = {str(v) for v in usable[group].drop_nulls().unique().to_list()}
    empty = [level for level in present if level not in used]
    if empty:
        raise UsageError(
            f"ancova: arm(s) {', '.join(repr(v) for v in empty)} of {group!r} have no "
            f"complete row ({what}); drop the arm from the cohort or analyse it another way."
        )


def _check_design(design: Design, group: str, levels: list[str]) -> None:
    """The design's arm levels must be exactly those reported (an internal invariant)."""
    if design.levels.get(group) != levels:
        raise RuntimeError(
            f"ancova: design levels {design.levels.get(group)} differ from reported {levels}"
        )


def _fit_rows(
    design: Design, y: np.ndarray, group: str, levels: list[str], pairs: list[tuple[str, str]]
) -> list[tuple[str, str, float, float, int]]:
    """(role, term, estimate, variance, residual df) of every reported quantity."""
    _check_design(design, group, levels)
    beta, cov, _sigma2, df = ols(design.matrix, y)
    resid = y - design.matrix @ beta
    if float(resid @ resid) <= 1e-20 * max(float(y @ y), 1.0):
        raise UsageError(
            "ancova: the model fits the outcome exactly (zero residual variance); standard "
            "errors and p-values would be rounding noise."
        )
    return [
        (role, term, float(vector @ beta), float(vector @ cov @ vector), df)
        for role, term, vector in _contrasts(design, group, levels, pairs)
    ]


@with_notes
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
    donors: int = 5,
    auxiliary: Iterable[str] = (),
    iterations: int = 10,
    pairs: Sequence[tuple[str, str]] = (),
    adjust: str | None = None,
    family: str = "contrasts",
    delta: float = 0.0,
    delta_arms: Sequence[str] | None = None,
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
        Baseline measurement to adjusted_for for (``None``: no baseline adjustment).
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
    donors
        Predictive-mean-matching donor pool (R mice's default 5), for ``missing="mice"``.
    auxiliary
        Columns that help impute but are not in the analysis model (e.g. the intermediate
        visits' scores), for ``missing="mice"``.
    iterations
        Chained-equation sweeps per imputation, for ``missing="mice"``.
    pairs
        Contrasts on demand: ``(arm, other)`` pairs reported as ``"arm - other"`` rows with
        role ``"contrast"`` (any two arms, not only versus the reference).
    delta, delta_arms
        Delta-adjusted multiple imputation (a missing-not-at-random sensitivity analysis, as
        mice's ``post`` shift): ``delta`` is added to every imputed ``outcome`` in
        ``delta_arms`` (default: every arm but the reference) after imputation under MAR;
        :func:`toolkit.stats.tipping_point` searches the delta that overturns the result.
    adjust, family
        Multiplicity adjustment of the ``"contrast"`` rows only, as one family named
        ``family`` (``"holm"``, ``"bonferroni"``, ``"fdr_bh"``, ``"hommel"``).

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
    donors = check_positive_int(donors, "donors", func)
    iterations = check_positive_int(iterations, "iterations", func)
    covs = as_names(covariates, "covariates", func)
    aux = as_names(auxiliary, "auxiliary", func)
    adjusted_for = [c for c in (baseline, *covs) if c is not None]
    check_columns(frame, [outcome, group, *adjusted_for, *aux], func)
    check_numeric(frame, [outcome] + ([baseline] if baseline else []), func)
    if adjust is not None:
        check_choice(adjust, "adjust", ("holm", "bonferroni", "fdr_bh", "hommel"), func)
    if (delta != 0.0 or delta_arms is not None) and missing != "mice":
        raise UsageError("The 'delta' parameter of ancova is used only with missing='mice'.")
    if aux and missing != "mice":
        raise UsageError("The 'auxiliary' parameter of ancova is used only with missing='mice'.")
    frame = frame.filter(pl.col(group).is_not_null())
    columns = [group, *adjusted_for]
    rows: list[dict[str, Any]] = []
    if missing == "complete_case":
        kept, excluded = complete_cases(frame, [outcome, *adjusted_for], func)
        what = f"{outcome} and {', '.join(adjusted_for) or 'no covariate'}"
        _check_arms(frame, kept, group, what)
        levels = _levels(kept, group, reference)
        design = build_design(kept, columns, references={group: levels[0]})
        chosen = check_pairs(pairs, levels, func) if pairs else []
        fitted = _fit_rows(design, kept[outcome].cast(pl.Float64).to_numpy(), group, levels, chosen)
        method = (
            f"{_method(outcome, group, adjusted_for, levels[0], alpha)}; complete cases "
            f"({excluded} excluded)"
        )
        for role, term, estimate, variance, df in fitted:
            se = float(np.sqrt(variance))
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
                    "method": method,
                    "notes": f"{excluded} row(s) excluded (complete cases)" if excluded else None,
                    "role": role,
                    "std_error": se,
                    "n_excluded": excluded,
                }
            )
        adjust_family(rows, "contrast", adjust, family)
        return result_frame(rows)
    observed = frame.filter(pl.col(outcome).is_not_null() & pl.col(outcome).is_not_nan())
    _check_arms(frame, observed, group, f"no observed {outcome} to impute from")
    levels = _levels(frame, group, reference)
    chosen = check_pairs(pairs, levels, func) if pairs else []
    n_missing = frame.height - complete_cases_quiet(frame, [outcome, *adjusted_for])
    if n_missing == 0:
        warnings.warn(
            "ancova: no missing values, multiple imputation equals the complete-case fit.",
            StatsWarning,
            stacklevel=2,
        )
    imputed_columns = [outcome, group, *adjusted_for, *[a for a in aux if a not in adjusted_for]]
    completed = mice(
        frame,
        imputed_columns,
        n_imputations=n_imputations,
        donors=donors,
        iterations=iterations,
        seed=seed,
        func=func,
    )
    shifted = _delta_arms(delta, delta_arms, levels, func)
    if delta != 0.0:
        was_missing = frame[outcome].is_null() | frame[outcome].cast(pl.Float64).is_nan()
        in_arm = frame[group].cast(pl.String).is_in(shifted)
        shift = pl.Series((was_missing & in_arm).cast(pl.Float64) * delta)
        completed = [c.with_columns(pl.col(outcome).cast(pl.Float64) + shift) for c in completed]
    collected: dict[tuple[str, str], list[tuple[float, float]]] = {}
    df_complete = 0.0
    for imputed in completed:
        design = build_design(
            imputed, columns, references={group: levels[0]}, levels={group: levels}
        )
        y = imputed[outcome].cast(pl.Float64).to_numpy()
        for role, term, estimate, variance, df in _fit_rows(design, y, group, levels, chosen):
            collected.setdefault((role, term), []).append((estimate, variance))
            df_complete = float(df)
    method = (
        f"{_method(outcome, group, adjusted_for, levels[0], alpha)}; multiple imputation by "
        f"chained equations (PMM with {donors} donors for numbers, logistic/multinomial for "
        f"categories{'; auxiliary ' + ', '.join(aux) if aux else ''}), {n_imputations} "
        f"imputations x {iterations} iterations, Rubin's rules, Barnard-Rubin df; "
        f"{n_missing} participant(s) with imputed values"
        + (
            f"; delta-adjusted: {delta:+g} added to imputed {outcome} in {', '.join(shifted)}"
            if delta != 0.0
            else ""
        )
    )
    for (role, term), values in collected.items():
        arr = np.asarray(values)
        estimate, se, df_pooled = _rubin(arr[:, 0], arr[:, 1], df_complete)
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
                "method": method,
                "notes": f"{n_missing} participant(s) with imputed values (MAR assumed)",
                "role": role,
                "std_error": se,
                "n_excluded": 0,
                "n_imputed": n_missing,
            }
        )
    adjust_family(rows, "contrast", adjust, family)
    return result_frame(rows)


def _delta_arms(
    delta: object, arms: Sequence[str] | None, levels: list[str], func: str
) -> list[str]:
    """The arms whose imputed outcomes are shifted (default: all but the reference)."""
    if isinstance(delta, bool) or not isinstance(delta, int | float) or not np.isfinite(delta):
        raise UsageError(f"The 'delta' parameter of {func} must be a number. Got {delta!r}.")
    chosen = list(levels[1:]) if arms is None else [str(a) for a in arms]
    unknown = [a for a in chosen if a not in levels]
    if unknown:
        raise UsageError(
            f"The 'delta_arms' parameter of {func} must list arms of the data "
            f"({', '.join(levels)}). Got {unknown} instead."
        )
    return chosen


def _levels(rows: pl.DataFrame, group: str, reference: str | None) -> list[str]:
    levels = group_levels(rows, group, reference, "ancova")
    if len(levels) < 2:
        raise UsageError(
            f"ancova needs at least two levels of {group!r} in the rows analysed. "
            f"Got {levels} instead."
        )
    return levels


def _method(outcome: str, group: str, adjusted_for: list[str], reference: str, alpha: float) -> str:
    return (
        f"ANCOVA (OLS) of {outcome} on {group}"
        + (f" adjusted for {', '.join(adjusted_for)}" if adjusted_for else "")
        + f"; reference {reference}; {100 * (1 - alpha):g}% t intervals"
    )


def complete_cases_quiet(frame: pl.DataFrame, columns: list[str]) -> int:
    """Number of rows with no null or NaN in ``columns``."""
    mask = pl.lit(True)
    for column in columns:
        expr = pl.col(column).is_not_null()
        if frame.schema[column].is_float():
            expr = expr & pl.col(column).is_not_nan()
        mask = mask & expr
    return frame.filter(mask).height
