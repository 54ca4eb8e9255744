"""Fitting an MMRM: a covariance structure with a stated fallback, and df of its contrasts.

Fallback rule (announced in the result's notes): the requested structure is fitted first; if
its REML fit fails (no positive-definite start, or the optimum is not a proper minimum: the
analytic Hessian is not positive definite or a Newton step would still lower the deviance by
more than 1e-3), the next structure in the order unstructured -> Toeplitz -> AR(1) -> compound
symmetry is tried, the usual order of a statistical analysis plan (e.g. Mallinckrodt et al.
2008). Only structures after the requested one are tried.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.stats import _kenward_roger as kr
from toolkit.stats._covstruct import FALLBACK_ORDER, STRUCTURES, Structure
from toolkit.stats._mmrm_reml import Fit, Reml, fit_structure, patterns_of, satterthwaite

DF_METHODS = ("satterthwaite", "kenward-roger")


def _theta(sigma: np.ndarray) -> np.ndarray:
    """Unstructured parameters (Cholesky factor, log diagonal) of a covariance matrix."""
    lower = np.linalg.cholesky(sigma)
    lower[np.diag_indices(sigma.shape[0])] = np.log(np.diag(lower))
    return lower[np.tril_indices(sigma.shape[0])]


def fit_mmrm(
    subject_codes: np.ndarray,
    visit_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    t: int,
    *,
    covariance: str = "unstructured",
    fallback: bool = True,
) -> dict[str, Any]:
    """REML fit of ``y = X beta + e``, ``e`` ~ N(0, Sigma) over each subject's visits.

    Returns a dict with ``beta``, ``cov_beta``, ``sigma``, ``theta`` (the structure's
    parameters), ``deviance``, ``converged``, ``structure`` (the one used), ``tried`` (names
    that failed before it), ``fit`` (the :class:`Fit`), ``reml``, ``deviance_at`` (the
    deviance as a function of the structure's parameters) and ``n_patterns``.
    """
    patterns = patterns_of(subject_codes, visit_index, x, y)
    reml = Reml(patterns, t)
    beta_ols = np.linalg.lstsq(x, y, rcond=None)[0]
    resid = y - x @ beta_ols
    variances = np.array(
        [np.var(resid[visit_index == v]) if np.any(visit_index == v) else 1.0 for v in range(t)]
    )
    variances = np.maximum(variances, 1e-8 * max(float(variances.max()), 1.0))
    order = [covariance]
    if fallback:
        order += [s for s in FALLBACK_ORDER[FALLBACK_ORDER.index(covariance) + 1 :]]
    tried: list[str] = []
    chosen: Fit | None = None
    first: Fit | None = None
    for name in order:
        structure = Structure(name, t)
        fit = fit_structure(reml, structure, structure.start(variances))
        if fit is not None and first is None:
            first = fit
        if fit is not None and fit.converged:
            chosen = fit
            break
        tried.append(name)
    if chosen is None:
        if first is None:
            raise ValueError("no covariance structure gave a positive-definite start")
        chosen, tried = first, [n for n in tried if n != first.structure.name]
    structure = chosen.structure
    return {
        "beta": chosen.evaluation.beta,
        "cov_beta": chosen.evaluation.phi_beta,
        "sigma": chosen.sigma,
        "theta": chosen.params,
        "deviance": chosen.evaluation.deviance,
        "converged": chosen.converged,
        "structure": structure.name,
        "tried": tried,
        "fit": chosen,
        "reml": reml,
        "deviance_at": lambda th: _deviance(reml, structure, th),
        "n_patterns": len(patterns),
    }


def _deviance(reml: Reml, structure: Structure, params: np.ndarray) -> float:
    ev = reml.evaluate(structure.sigma(params))
    return float("inf") if ev is None else ev.deviance


def kenward_roger(fit: Fit, reml: Reml) -> kr.Adjusted | None:
    """pbkrtest's adjusted covariance for a structure linear in its variance parameters."""
    basis = fit.structure.linear_basis()
    if basis is None:
        return None
    groups = [
        kr.Group(pt.x, w[np.ix_(pt.visits, pt.visits)], basis[:, pt.visits][:, :, pt.visits])
        for pt, w in zip(reml.patterns, fit.evaluation.w, strict=True)
    ]
    return kr.adjusted_covariance(groups)


def contrast_tests(
    fitted: dict[str, Any], contrasts: list[np.ndarray], df_method: str, fallback_df: float
) -> tuple[list[tuple[float, float]], str, list[str]]:
    """(variance, df) of each contrast, the df text for the method, and notes.

    Satterthwaite uses the model-based covariance; Kenward-Roger its adjusted covariance and
    df (AR(1) is not linear in its parameters: Satterthwaite is used then, with a note).
    """
    fit: Fit = fitted["fit"]
    notes: list[str] = []
    if df_method == "kenward-roger":
        adjusted = kenward_roger(fit, fitted["reml"])
        if adjusted is not None:
            out = []
            for c in contrasts:
                out.append((float(c @ adjusted.phi_adjusted @ c), kr.ddf(adjusted, c)))
            return out, "Kenward-Roger df and adjusted SEs (pbkrtest, linear parameters)", notes
        notes.append(
            f"Kenward-Roger is not available for the {fit.structure.name} structure (not "
            "linear in its parameters); Satterthwaite df used"
        )
    cov = fitted["cov_beta"]
    dfs = satterthwaite(fit, contrasts)
    text = "Satterthwaite df"
    if not all(np.isfinite(dfs)):
        dfs = [df if np.isfinite(df) else fallback_df for df in dfs]
        text = f"Satterthwaite df where defined, else {fallback_df:g} (subjects - rank)"
        notes.append(
            f"Satterthwaite df undefined for some contrasts (ill-conditioned REML Hessian); "
            f"{fallback_df:g} df used for them"
        )
    return [(float(c @ cov @ c), df) for c, df in zip(contrasts, dfs, strict=True)], text, notes


__all__ = ["DF_METHODS", "STRUCTURES", "_theta", "contrast_tests", "fit_mmrm"]
