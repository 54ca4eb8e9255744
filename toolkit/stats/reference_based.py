"""Reference-based imputation: jump to reference and copy reference (Carpenter, Roger & Kenward
2013, J. Biopharm. Stat. 23:1352).

Visits after a participant's last observed one are imputed as if they had switched to the
reference arm: jump to reference (J2R: own-arm mean until the last observed visit, reference-arm
mean after it) or copy reference (CR: the reference arm's mean throughout, so an earlier benefit
decays through the correlation). Visits missing before the last observed one are imputed under
MAR in the own arm. The imputation model is the MMRM ``visit * arm + visit * baseline`` with
unstructured covariance; a missing value is drawn from (or set to) its conditional normal
distribution given the participant's observed visits, with the mean profile the method assigns:
``mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o)``, covariance ``Sigma_mm - Sigma_mo Sigma_oo^-1
Sigma_om``. The last visit is then analysed by ANCOVA on arm and baseline.

Two ways to carry the parameters' uncertainty (``imputation=``):

- ``"bayes"`` (default): each of ``n_imputations`` imputations draws Sigma from an
  inverse-Wishart centred on its REML estimate (n_subjects df) and the fixed effects from their
  normal approximation given it (an approximate Bayesian draw; rbmi's default draws by MCMC),
  draws the missing values, and the ANCOVAs are pooled by Rubin's rules.
- ``"conditional_mean"``: the parameters at their REML estimates and every missing value
  replaced by its conditional mean (deterministic), standard error by the jackknife over
  participants (each left out in turn, the MMRM refitted), normal-theory CI (Wolbers et al.
  2022, Pharm. Stat. 21:1246, "Standard and reference-based conditional mean imputation"). Its
  point estimate is what the Bayesian imputations average to as their number grows (up to the
  parameter draws' small nonlinearity), and it can be checked exactly against another
  implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    z_interval,
)
from toolkit.stats._mmrm_fit import fit_mmrm
from toolkit.stats.ancova import _rubin, ols
from toolkit.stats.mmrm import natural_key

METHODS = ("J2R", "CR", "MAR")
IMPUTATIONS = ("bayes", "conditional_mean")
_LABELS = {"J2R": "jump to reference", "CR": "copy reference", "MAR": "missing at random"}


@dataclass(frozen=True)
class _Trial:
    """The wide data: outcomes (subjects x visits, NaN when missing), arm codes (0 = the
    reference), baselines."""

    y: np.ndarray
    arm: np.ndarray
    base: np.ndarray
    n_arms: int

    @property
    def visits(self) -> int:
        return int(self.y.shape[1])

    def subset(self, keep: np.ndarray) -> _Trial:
        return _Trial(self.y[keep], self.arm[keep], self.base[keep], self.n_arms)


def _design_row(trial: _Trial, centre: float, a: int, j: int, b: float) -> np.ndarray:
    """Cell mean of arm ``a`` at visit ``j`` plus a visit-specific slope on centred baseline."""
    t = trial.visits
    vector = np.zeros(trial.n_arms * t + t)
    vector[a * t + j] = 1.0
    vector[trial.n_arms * t + j] = b - centre
    return vector


def _fit(trial: _Trial, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """REML fit of the imputation MMRM: beta, its covariance, Sigma, and the baseline centre."""
    centre = float(trial.base.mean())
    n, t = trial.y.shape
    cells = [(i, j) for i in range(n) for j in range(t) if np.isfinite(trial.y[i, j])]
    x = np.array(
        [_design_row(trial, centre, int(trial.arm[i]), j, float(trial.base[i])) for i, j in cells]
    )
    if not cells or np.linalg.matrix_rank(x) < x.shape[1]:
        raise UsageError(f"{func}: every arm needs observed values at every visit.")
    fitted = fit_mmrm(
        np.array([i for i, _ in cells]),
        np.array([j for _, j in cells]),
        x,
        np.array([trial.y[i, j] for i, j in cells]),
        t,
    )
    return fitted["beta"], fitted["cov_beta"], fitted["sigma"], centre


def _complete(
    trial: _Trial,
    beta: np.ndarray,
    sigma: np.ndarray,
    centre: float,
    method: str,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """The outcomes with every missing value imputed: drawn from its conditional normal
    distribution (``rng`` given) or set to its conditional mean (``rng`` None)."""
    y = trial.y
    completed = y.copy()
    t = trial.visits
    for i in np.flatnonzero(~np.isfinite(y).all(axis=1)):
        observed = np.isfinite(y[i])
        last = int(np.flatnonzero(observed).max()) if observed.any() else -1
        own, b = int(trial.arm[i]), float(trial.base[i])
        mean = np.empty(t)
        for j in range(t):
            switched = method == "CR" or (method == "J2R" and j > last)
            mean[j] = _design_row(trial, centre, 0 if switched else own, j, b) @ beta
        o, m = np.flatnonzero(observed), np.flatnonzero(~observed)
        if o.size:
            weights = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
            cond_mean = mean[m] + weights @ (y[i, o] - mean[o])
            cond_cov = sigma[np.ix_(m, m)] - weights @ sigma[np.ix_(o, m)]
        else:
            cond_mean, cond_cov = mean[m], sigma[np.ix_(m, m)]
        completed[i, m] = (
            cond_mean
            if rng is None
            else rng.multivariate_normal(cond_mean, (cond_cov + cond_cov.T) / 2)
        )
    return completed


def _ancova_last(trial: _Trial, completed: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """ANCOVA of the last visit on arm and baseline: arm coefficients, their variances, df."""
    n = completed.shape[0]
    design = np.column_stack(
        [np.ones(n)]
        + [(trial.arm == a).astype(float) for a in range(1, trial.n_arms)]
        + [trial.base]
    )
    coef, cov, _s, df = ols(design, completed[:, -1])
    arms = slice(1, trial.n_arms)
    return np.asarray(coef[arms], float), np.diag(cov)[arms].astype(float), float(df)


def _bayes(
    trial: _Trial, method: str, n_imputations: int, seed: int, func: str
) -> list[tuple[float, float, float]]:
    """Estimate, standard error and df per non-reference arm, pooled by Rubin's rules."""
    beta_hat, cov_hat, sigma_hat, centre = _fit(trial, func)
    rng = np.random.default_rng(seed)
    n, t = trial.y.shape
    draws: list[tuple[np.ndarray, np.ndarray]] = []
    df_complete = 0.0
    for _ in range(n_imputations):
        nu = max(n, t + 2)
        sigma = stats.invwishart.rvs(df=nu, scale=(nu - t - 1) * sigma_hat, random_state=rng)
        sigma = np.atleast_2d(sigma)
        beta = rng.multivariate_normal(beta_hat, cov_hat)
        coef, var, df_complete = _ancova_last(
            trial, _complete(trial, beta, sigma, centre, method, rng)
        )
        draws.append((coef, var))
    out = []
    for a in range(trial.n_arms - 1):
        estimates = np.array([d[0][a] for d in draws])
        variances = np.array([d[1][a] for d in draws])
        out.append(_rubin(estimates, variances, df_complete))
    return out


def _conditional_mean(trial: _Trial, method: str, func: str) -> list[tuple[float, float]]:
    """Estimate and jackknife standard error per non-reference arm."""
    beta, _cov, sigma, centre = _fit(trial, func)
    estimate, _var, _df = _ancova_last(trial, _complete(trial, beta, sigma, centre, method, None))
    n = trial.y.shape[0]
    leave_out = np.empty((n, trial.n_arms - 1))
    for k in range(n):
        keep = np.arange(n) != k
        part = trial.subset(keep)
        b_k, _c, s_k, centre_k = _fit(part, func)
        leave_out[k] = _ancova_last(part, _complete(part, b_k, s_k, centre_k, method, None))[0]
    spread = ((leave_out - leave_out.mean(axis=0)) ** 2).sum(axis=0)
    se = np.sqrt((n - 1) / n * spread)
    return [(float(e), float(s)) for e, s in zip(estimate, se, strict=True)]


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
    imputation: str = "bayes",
    n_imputations: int = 50,
    seed: int = 20261125,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Arm differences at the last visit under reference-based imputation.

    ``method`` is ``"J2R"`` (jump to reference), ``"CR"`` (copy reference) or ``"MAR"`` (the
    same machinery under missing at random, for comparison); ``imputation`` is ``"bayes"``
    (multiple imputation, Rubin's rules) or ``"conditional_mean"`` (deterministic, jackknife
    standard error); see the module docstring. ``data`` is long (one row per subject and
    visit, missing visits absent or null); every subject needs a baseline.

    Returns
    -------
    polars.DataFrame
        ``"difference"`` rows (term ``"retro - usual_care at week12"``): with ``"bayes"``
        pooled by Rubin's rules with Barnard-Rubin df, with ``"conditional_mean"`` a normal
        interval (df null); plus ``role``, ``std_error``, ``n_imputed`` (subjects with an
        imputed last visit).
    """
    func = "reference_based"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_choice(method, "method", METHODS, func)
    check_choice(imputation, "imputation", IMPUTATIONS, func)
    n_imputations = check_positive_int(n_imputations, "n_imputations", func, minimum=2)
    check_columns(frame, [outcome, visit, subject, group, baseline], func)
    wide, visits = _wide(
        frame.drop_nulls([subject, group, visit]), outcome, visit, subject, group, baseline
    )
    if wide[baseline].null_count():
        raise UsageError(f"{func} needs a {baseline!r} value for every subject.")
    levels = group_levels(wide, group, reference, func)
    y = wide.select(visits).cast(pl.Float64).to_numpy()
    trial = _Trial(
        np.where(np.isfinite(y), y, np.nan),
        np.array([levels.index(str(a)) for a in wide[group].to_list()]),
        wide[baseline].cast(pl.Float64).to_numpy(),
        len(levels),
    )
    n = wide.height
    imputed = int((~np.isfinite(trial.y[:, -1])).sum())
    common = (
        f"reference-based imputation ({_LABELS[method]}, reference {levels[0]}) from an MMRM "
        f"{visit} * {group} + {visit} * {baseline}, unstructured covariance; "
    )
    rows = []
    results: list[tuple[float, float, float | None, float, float, float, float]]
    if imputation == "bayes":
        pooled = _bayes(trial, method, n_imputations, seed, func)
        how = (
            f"{n_imputations} imputations (approximate Bayesian draws); ANCOVA of {visits[-1]} "
            f"on {group} + {baseline}; Rubin's rules, Barnard-Rubin df"
        )
        results = [(e, s, d, *t_interval(e, s, d, alpha)) for e, s, d in pooled]
    else:
        how = (
            f"conditional mean imputation at the REML estimates; ANCOVA of {visits[-1]} on "
            f"{group} + {baseline}; jackknife SE over {n} subjects, normal CI"
        )
        results = [(e, s, None, *z_interval(e, s, alpha)) for e, s in _conditional_mean(
            trial, method, func
        )]  # fmt: skip
    for level, (estimate, se, df, low, high, statistic, p) in zip(levels[1:], results, strict=True):
        rows.append(
            {
                "term": f"{level} - {levels[0]} at {visits[-1]}",
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": statistic,
                "df": df,
                "p_value": p,
                "n": n,
                "method": common + how,
                "notes": f"{imputed} subject(s) with an imputed {visits[-1]}",
                "role": "difference",
                "std_error": se,
                "n_imputed": imputed,
            }
        )
    return result_frame(rows)
