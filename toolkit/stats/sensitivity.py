"""Missing-data sensitivity analyses: delta-adjusted tipping point, reference-based imputation.

- :func:`tipping_point` repeats the delta-adjusted multiple-imputation ANCOVA
  (``ancova(missing="mice", delta=...)``) over a grid of shifts and reports where the
  conclusion about the arm difference tips (Ratitch, O'Kelly & Tosiello 2013).
- :func:`reference_based` imputes the visits after a participant's last observed one as if they
  had switched to the reference arm: jump-to-reference (J2R: own-arm mean until the last
  observed visit, reference-arm mean after it) or copy-reference (CR: the reference arm's mean
  throughout, so earlier benefit decays through the correlation), Carpenter, Roger & Kenward
  (2013, J. Biopharm. Stat. 23:1352). Visits missing before the last observed one are imputed
  under MAR in the own arm. The imputation model is the MMRM ``visit * arm + visit *
  baseline`` with unstructured covariance; each imputation draws Sigma from an inverse-Wishart
  centred on its REML estimate (n_subjects df) and the fixed effects from their normal
  approximation given it (an approximate Bayesian draw; rbmi's default draws by MCMC), then the
  last visit is analysed by ANCOVA and pooled by Rubin's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from toolkit.errors import UsageError
from toolkit.stats._common import (
    check_alpha,
    check_choice,
    check_columns,
    check_frame,
    check_positive_int,
    group_levels,
    result_frame,
    t_interval,
    with_notes,
)
from toolkit.stats._mmrm_fit import fit_mmrm
from toolkit.stats.ancova import _rubin, ancova, ols
from toolkit.stats.mmrm import natural_key


@with_notes
def tipping_point(
    data: pl.DataFrame,
    *,
    deltas: Sequence[float],
    term: str | None = None,
    alpha: float = 0.05,
    **ancova_options: Any,
) -> pl.DataFrame:
    """Delta-adjusted MI ANCOVA at each shift in ``deltas``: where does the result tip?

    Parameters
    ----------
    data, ancova_options
        As for :func:`toolkit.stats.ancova` (``missing="mice"`` is implied; ``delta_arms``
        says which arms' imputed outcomes are shifted, default all but the reference).
    deltas
        Shifts to try, in the order to search (e.g. 0, 0.5, 1, ... toward the null).
    term
        The difference whose conclusion is followed (default: the first difference row).

    Returns
    -------
    polars.DataFrame
        The ``"difference"`` rows of every fit with a ``delta`` column, in grid order;
        ``tipping_delta`` (the first delta at which ``term`` is no longer significant at
        ``alpha``, null if none) and ``notes`` saying so.
    """
    func = "tipping_point"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    grid = [float(d) for d in deltas]
    if not grid:
        raise UsageError(f"The 'deltas' parameter of {func} must list at least one shift.")
    parts = []
    for delta in grid:
        options = {"missing": "mice", **ancova_options, "delta": delta, "alpha": alpha}
        result = ancova(frame, **options)
        parts.append(
            result.filter(pl.col("role") == "difference").with_columns(pl.lit(delta).alias("delta"))
        )
    out = pl.concat(parts, how="diagonal_relaxed")
    followed = term if term is not None else out["term"][0]
    if followed not in set(out["term"].to_list()):
        raise UsageError(f"The 'term' parameter of {func} must be a difference. Got {followed!r}.")
    tipping = None
    for row in out.filter(pl.col("term") == followed).iter_rows(named=True):
        if row["p_value"] is None or row["p_value"] >= alpha:
            tipping = row["delta"]
            break
    text = (
        f"tipping point: {followed} is no longer significant at alpha {alpha:g} from delta "
        f"{tipping:+g}"
        if tipping is not None
        else f"no tipping point in the grid: {followed} stays significant at alpha {alpha:g}"
    )
    return out.with_columns(
        pl.lit(tipping, dtype=pl.Float64).alias("tipping_delta"),
        pl.lit(text).alias("notes"),
    )


def _wide(
    data: pl.DataFrame, outcome: str, visit: str, subject: str, group: str, baseline: str
) -> tuple[pl.DataFrame, list[str]]:
    frame = data.with_columns(pl.col(visit).cast(pl.String))
    visits = sorted(set(frame[visit].drop_nulls().to_list()), key=natural_key)
    wide = frame.pivot(on=visit, index=[subject, group, baseline], values=outcome)
    for v in visits:
        if v not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(v))
    return wide.select([subject, group, baseline, *visits]), visits


@with_notes
def reference_based(
    data: pl.DataFrame,
    *,
    outcome: str,
    visit: str,
    subject: str = "participant_id",
    group: str = "arm",
    baseline: str = "baseline",
    reference: str | None = None,
    method: str = "J2R",
    n_imputations: int = 50,
    seed: int = 20261125,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Arm differences at the last visit under reference-based multiple imputation.

    ``method`` is ``"J2R"`` (jump to reference), ``"CR"`` (copy reference) or ``"MAR"`` (the
    same machinery under missing at random, for comparison). ``data`` is long (one row per
    subject and visit, missing visits absent or null); every subject needs a baseline.

    Returns
    -------
    polars.DataFrame
        ``"difference"`` rows (term ``"retro - usual_care at week12"``) pooled by Rubin's rules
        with Barnard-Rubin df, plus ``role``, ``std_error``, ``n_imputed`` (subjects with an
        imputed last visit).
    """
    func = "reference_based"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_choice(method, "method", ("J2R", "CR", "MAR"), func)
    n_imputations = check_positive_int(n_imputations, "n_imputations", func, minimum=2)
    check_columns(frame, [outcome, visit, subject, group, baseline], func)
    wide, visits = _wide(
        frame.drop_nulls([subject, group, visit]), outcome, visit, subject, group, baseline
    )
    if wide[baseline].null_count():
        raise UsageError(f"{func} needs a {baseline!r} value for every subject.")
    levels = group_levels(wide, group, reference, func)
    t, n = len(visits), wide.height
    y = wide.select(visits).cast(pl.Float64).to_numpy()
    y = np.where(np.isfinite(y), y, np.nan)
    arm_index = np.array([levels.index(str(a)) for a in wide[group].to_list()])
    base = wide[baseline].cast(pl.Float64).to_numpy()
    centre = float(base.mean())

    def row_design(a: int, j: int, b: float) -> np.ndarray:
        """Cell mean of arm ``a`` at visit ``j`` plus a visit-specific baseline slope."""
        vector = np.zeros(len(levels) * t + t)
        vector[a * t + j] = 1.0
        vector[len(levels) * t + j] = b - centre
        return vector

    obs_rows = [(i, j) for i in range(n) for j in range(t) if np.isfinite(y[i, j])]
    x = np.array([row_design(arm_index[i], j, base[i]) for i, j in obs_rows])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise UsageError(f"{func}: every arm needs observed values at every visit.")
    fitted = fit_mmrm(
        np.array([i for i, _ in obs_rows]),
        np.array([j for _, j in obs_rows]),
        x,
        np.array([y[i, j] for i, j in obs_rows]),
        t,
    )
    beta_hat, cov_hat, sigma_hat = fitted["beta"], fitted["cov_beta"], fitted["sigma"]
    rng = np.random.default_rng(seed)
    ref = 0
    missing_last = ~np.isfinite(y[:, -1])
    estimates: dict[str, list[tuple[float, float]]] = {}
    df_complete = 0.0
    for _ in range(n_imputations):
        nu = max(n, t + 2)
        sigma = stats.invwishart.rvs(df=nu, scale=(nu - t - 1) * sigma_hat, random_state=rng)
        sigma = np.atleast_2d(sigma)
        beta = rng.multivariate_normal(beta_hat, cov_hat)
        completed = y.copy()
        for i in np.flatnonzero(~np.isfinite(y).all(axis=1)):
            observed = np.isfinite(y[i])
            last = int(np.flatnonzero(observed).max()) if observed.any() else -1
            own, b = arm_index[i], base[i]
            mean = np.empty(t)
            for j in range(t):
                arm_for_mean = own
                if method == "CR" or (method == "J2R" and j > last):
                    arm_for_mean = ref
                mean[j] = row_design(arm_for_mean, j, b) @ beta
            o, m = np.flatnonzero(observed), np.flatnonzero(~observed)
            if o.size:
                weights = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
                cond_mean = mean[m] + weights @ (y[i, o] - mean[o])
                cond_cov = sigma[np.ix_(m, m)] - weights @ sigma[np.ix_(o, m)]
            else:
                cond_mean, cond_cov = mean[m], sigma[np.ix_(m, m)]
            completed[i, m] = rng.multivariate_normal(cond_mean, (cond_cov + cond_cov.T) / 2)
        design = np.column_stack(
            [np.ones(n)] + [(arm_index == a).astype(float) for a in range(1, len(levels))] + [base]
        )
        coef, cov, _s, df = ols(design, completed[:, -1])
        df_complete = float(df)
        for a in range(1, len(levels)):
            estimates.setdefault(levels[a], []).append((float(coef[a]), float(cov[a, a])))
    label = {"J2R": "jump to reference", "CR": "copy reference", "MAR": "missing at random"}[method]
    rows = []
    for level, values in estimates.items():
        arr = np.asarray(values)
        estimate, se, df_pooled = _rubin(arr[:, 0], arr[:, 1], df_complete)
        low, high, tstat, p = t_interval(estimate, se, df_pooled, alpha)
        rows.append(
            {
                "term": f"{level} - {levels[0]} at {visits[-1]}",
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": tstat,
                "df": df_pooled,
                "p_value": p,
                "n": n,
                "method": (
                    f"reference-based multiple imputation ({label}, reference {levels[0]}) from "
                    f"an MMRM {visit} * {group} + {visit} * {baseline}, unstructured covariance; "
                    f"{n_imputations} imputations (approximate Bayesian draws); ANCOVA of "
                    f"{visits[-1]} on {group} + {baseline}; Rubin's rules, Barnard-Rubin df"
                ),
                "notes": f"{int(missing_last.sum())} subject(s) with an imputed {visits[-1]}",
                "role": "difference",
                "std_error": se,
                "n_imputed": int(missing_last.sum()),
            }
        )
    return result_frame(rows)
