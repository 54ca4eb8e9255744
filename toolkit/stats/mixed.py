"""Linear mixed model with a random intercept and slope per subject, fitted by REML.

The model is ``outcome ~ time (* group)`` with ``(1 + time | subject)`` random effects, the
``lme4`` formulation (Bates et al. 2015, J. Stat. Softw. 67(1), section 3): the relative
covariance factor ``Lambda`` is optimised on the profiled REML criterion

    d(theta) = log|Lambda' Z'Z Lambda + I| + log|R_X|^2 + (n - p)(1 + log(2 pi r^2 / (n - p))).

Because ``Z`` is block diagonal by subject, every quantity is a sum over subjects of small
``q x q`` blocks built once from per-subject cross-products, so one evaluation costs O(subjects)
vectorised numpy work and the fit scales to tens of thousands of participants (see
``benchmarks/bench_mixed_model.py``). Fixed-effect tests use Satterthwaite degrees of freedom
(as lmerTest); variance components are reported as SDs and the intercept-slope correlation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import _kenward_roger as kr
from toolkit.stats._common import (
    check_alpha,
    check_columns,
    check_frame,
    check_numeric,
    complete_cases,
    group_levels,
    result_frame,
    t_interval,
    with_notes,
    z_interval,
)
from toolkit.stats._lmm_reml import _Blocks, _fixed_cov, _full_deviance, fit_lmm
from toolkit.stats._satterthwaite import satterthwaite_df

__all__ = ["PreparedLMM", "_Blocks", "fit_lmm", "mixed_model", "prepare_lmm"]


@dataclass
class PreparedLMM:
    """The rows used and the model matrices of ``outcome ~ time [* group] + (1 [+ time] | s)``."""

    kept: pl.DataFrame
    excluded: int
    x: np.ndarray
    z: np.ndarray
    y: np.ndarray
    codes: np.ndarray
    n_subjects: int
    names: list[str]
    levels: list[str]


def prepare_lmm(
    frame: pl.DataFrame,
    func: str,
    outcome: str,
    time: str,
    subject: str,
    group: str | None,
    random_slope: bool,
    reference: str | None,
) -> PreparedLMM:
    """Complete cases and design matrices (fixed: intercept, time, arm, time x arm)."""
    needed = [outcome, time, subject] + ([group] if group else [])
    kept, excluded = complete_cases(frame, needed, func)
    y = kept[outcome].cast(pl.Float64).to_numpy()
    if y.size and np.ptp(y) == 0:
        raise UsageError(
            f"{func}: the outcome {outcome!r} is constant ({y[0]:g}) in the rows used; there "
            "is no variation to model."
        )
    t = kept[time].cast(pl.Float64).to_numpy()
    names = ["(Intercept)", time]
    columns = [np.ones(kept.height), t]
    levels: list[str] = []
    if group is not None:
        levels = group_levels(kept, group, reference, func)
        values = kept[group].cast(pl.String).to_numpy()
        for level in levels[1:]:
            dummy = (values == level).astype(float)
            columns.append(dummy)
            names.append(f"{group}[{level}]")
        for level in levels[1:]:
            dummy = (values == level).astype(float)
            columns.append(dummy * t)
            names.append(f"{time}:{group}[{level}]")
    x = np.column_stack(columns)
    z = np.column_stack([np.ones(kept.height), t]) if random_slope else np.ones((kept.height, 1))
    subjects = kept[subject].cast(pl.String)
    codes = subjects.rank("dense").cast(pl.Int64).to_numpy()
    n_subjects = int(codes.max()) if codes.size else 0
    if n_subjects < 3:
        raise UsageError(f"{func} needs at least 3 subjects with data. Got {n_subjects} instead.")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise UsageError(f"{func}: the fixed-effects design is rank deficient in the rows used.")
    return PreparedLMM(kept, excluded, x, z, y, codes, n_subjects, names, levels)


@with_notes
def mixed_model(
    data: pl.DataFrame,
    *,
    outcome: str,
    time: str,
    subject: str = "participant_id",
    group: str | None = None,
    random_slope: bool = True,
    reference: str | None = None,
    alpha: float = 0.05,
    df_method: str = "satterthwaite",
) -> pl.DataFrame:
    """Fit ``outcome ~ time [* group] + (1 + time | subject)`` by REML.

    Parameters
    ----------
    data
        One row per measurement (long format), e.g.
        :func:`toolkit.analysis_frames.trajectory_frame`.
    outcome, time, subject
        Response, time (numeric, e.g. study week) and subject columns.
    group
        Optional arm column: adds the arm main effects and arm-by-time interactions (the
        difference in slope between arms is the usual trial estimand).
    random_slope
        Random slope on ``time`` as well as a random intercept (default), or intercept only.
    reference
        Reference arm (default: first in sorted order).
    alpha
        1 - confidence level.
    df_method
        ``"satterthwaite"`` (t tests, as lmerTest), ``"kenward-roger"`` (adjusted SEs and df,
        as lmerTest ``ddf = "Kenward-Roger"`` / pbkrtest) or ``"wald"`` (z tests).

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role`` (``"fixed"`` or ``"variance"``), ``std_error`` and
        ``n_subjects``. Fixed-effect terms: ``(Intercept)``, ``time``, ``group[level]``,
        ``time:group[level]``. Variance rows: ``sd((Intercept) | subject)``,
        ``sd(time | subject)``, ``cor((Intercept), time | subject)``, ``sd(Residual)``
        (estimates only). ``n`` counts measurements used.
    """
    func = "mixed_model"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    if not isinstance(random_slope, bool):
        raise UsageError(
            f"The 'random_slope' parameter of {func} must be a bool. Got {random_slope!r} instead."
        )
    if df_method not in ("satterthwaite", "kenward-roger", "wald"):
        raise UsageError(
            f"The 'df_method' parameter of {func} must be one of 'satterthwaite', "
            f"'kenward-roger', 'wald'. Got {df_method!r} instead."
        )
    check_columns(frame, [outcome, time, subject, group], func)
    check_numeric(frame, [outcome, time], func)
    prep = prepare_lmm(frame, func, outcome, time, subject, group, random_slope, reference)
    kept, excluded, names, n_subjects = prep.kept, prep.excluded, prep.names, prep.n_subjects
    fit = fit_lmm(prep.codes, prep.x, prep.z, prep.y)
    if not fit["converged"]:
        warnings.warn(f"{func}: the REML optimiser did not converge.", StatsWarning, stacklevel=2)
    if fit["boundary"]:
        warnings.warn(
            f"{func}: a random-effect variance is estimated at zero (singular fit); consider "
            "random_slope=False.",
            StatsWarning,
            stacklevel=2,
        )
    beta, cov = fit["beta"], fit["cov_beta"]
    p = beta.size
    contrasts = [np.eye(p)[j] for j in range(p)]
    use_satterthwaite = df_method == "satterthwaite"
    dfs: list[float] = [float("nan")] * p
    if use_satterthwaite:
        # Variances estimated at zero stay fixed there (as lmerTest does on the boundary).
        full = np.r_[fit["theta"], np.log(fit["sigma2"])]
        free = [k for k in range(full.size) if k not in fit["fixed_at_zero"]]
        blocks = fit["blocks"]

        def embed(values: np.ndarray) -> np.ndarray:
            out = full.copy()
            out[free] = values
            return out

        dfs = satterthwaite_df(
            lambda v: _full_deviance(embed(v), blocks),
            lambda v: _fixed_cov(embed(v), blocks),
            full[free],
            contrasts,
        )
    if df_method == "kenward-roger":
        sigma2_hat = fit["sigma2"]
        adjusted = kr.adjusted_covariance(
            kr.mixed_model_groups(
                prep.codes,
                prep.x,
                prep.z,
                sigma2_hat * fit["lambda"] @ fit["lambda"].T,
                sigma2_hat,
            )
        )
        cov = adjusted.phi_adjusted
        dfs = [kr.ddf(adjusted, c) for c in contrasts]
        use_satterthwaite = True  # t tests on the Kenward-Roger df
    if use_satterthwaite and not all(np.isfinite(dfs)):
        warnings.warn(
            f"{func}: Satterthwaite df undefined for some terms (ill-conditioned REML "
            "Hessian); Wald z used for them.",
            StatsWarning,
            stacklevel=2,
        )
    df_text = {
        "satterthwaite": "Satterthwaite df",
        "kenward-roger": "Kenward-Roger df and adjusted SEs (pbkrtest)",
        "wald": "Wald z (large-sample)",
    }[df_method]
    if fit["boundary"]:
        df_text += " (singular fit: zero variance held fixed)"
    method = (
        f"linear mixed model, REML (lme4 formulation); {outcome} ~ {time}"
        + (f" * {group}" if group else "")
        + f" + (1{' + ' + time if random_slope else ''} | {subject}); {df_text}; "
        f"{100 * (1 - alpha):g}% CIs; complete cases ({excluded} measurement(s) excluded)"
    )
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(names):
        estimate = float(beta[j])
        se = float(np.sqrt(cov[j, j]))
        df = dfs[j]
        if use_satterthwaite and np.isfinite(df):
            low, high, stat, pval = t_interval(estimate, se, df, alpha)
        else:
            low, high, stat, pval = z_interval(estimate, se, alpha)
            df = float("nan")
        rows.append(
            {
                "term": name,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": stat,
                "df": df,
                "p_value": pval,
                "n": kept.height,
                "method": method,
                "role": "fixed",
                "std_error": se,
                "n_subjects": n_subjects,
            }
        )
    sigma2 = fit["sigma2"]
    psi = sigma2 * fit["lambda"] @ fit["lambda"].T
    sds = np.sqrt(np.diag(psi))
    variance_rows: list[tuple[str, float]] = [(f"sd((Intercept) | {subject})", float(sds[0]))]
    if random_slope:
        variance_rows.append((f"sd({time} | {subject})", float(sds[1])))
        corr = float(psi[0, 1] / (sds[0] * sds[1])) if sds[0] > 0 and sds[1] > 0 else float("nan")
        variance_rows.append((f"cor((Intercept), {time} | {subject})", corr))
    variance_rows.append(("sd(Residual)", float(np.sqrt(sigma2))))
    for term, value in variance_rows:
        rows.append(
            {
                "term": term,
                "estimate": value,
                "n": kept.height,
                "method": method,
                "role": "variance",
                "n_subjects": n_subjects,
            }
        )
    return result_frame(rows)
