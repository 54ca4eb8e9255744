"""Numerical derivatives for REML fits: Satterthwaite degrees of freedom and a Newton polish.

For a contrast ``c`` with variance ``v(phi) = c' Phi(phi) c`` (``Phi`` the covariance of the
fixed effects given variance parameters ``phi``), the approximation is

    df = 2 v^2 / (g' W g),   g = dv/dphi,   W = 2 H^{-1},

with ``H`` the Hessian of the REML deviance (-2 log restricted likelihood) at the estimate, as
in SAS PROC MIXED ``ddfm=satterthwaite``, R's lmerTest and the mmrm package. Derivatives are
taken here by central finite differences (those packages use automatic or analytic ones), so
the df agree with them to a few significant digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Central-difference gradient of ``f`` at ``x``."""
    grad = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = steps[i]
        grad[i] = (f(x + e) - f(x - e)) / (2 * steps[i])
    return grad


def numeric_hessian(
    f: Callable[[np.ndarray], float], x: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    k = x.size
    h = np.zeros((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = steps[i]
        h[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / steps[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = steps[j]
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * steps[i] * steps[j]
            )
            h[i, j] = h[j, i] = value
    return h


def satterthwaite_df(
    deviance: Callable[[np.ndarray], float],
    covariance: Callable[[np.ndarray], np.ndarray],
    estimate: np.ndarray,
    contrasts: Sequence[np.ndarray],
    relative_step: float = 1e-3,
) -> list[float]:
    """Satterthwaite df for each contrast (NaN where the approximation is undefined)."""
    steps = relative_step * np.maximum(np.abs(estimate), 1.0)
    hessian = numeric_hessian(deviance, estimate, steps)
    try:
        w = 2 * np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return [float("nan")] * len(contrasts)
    out = []
    for c in contrasts:

        def variance(params: np.ndarray, c: np.ndarray = c) -> float:
            return float(c @ covariance(params) @ c)

        v = variance(estimate)
        g = numeric_gradient(variance, estimate, steps)
        denominator = float(g @ w @ g)
        out.append(2 * v * v / denominator if denominator > 0 else float("nan"))
    return out


def newton_polish(
    objective: Callable[[np.ndarray], float], theta: np.ndarray, diag: set[int]
) -> np.ndarray:
    """Newton steps on finite-difference derivatives from a quasi-Newton solution.

    REML surfaces are often flat along covariance parameters, where L-BFGS-B on numerical
    gradients stops early; a few Newton steps reach the optimum. Parameters in ``diag`` must
    stay >= 0 and are left alone when on that bound (a zero variance).
    """
    free = [k for k in range(theta.size) if not (k in diag and theta[k] < 1e-6)]
    if not free:
        return theta
    current = theta.copy()
    best = objective(current)
    for _ in range(20):
        steps = 1e-4 * np.maximum(np.abs(current[free]), 1.0)

        def sub(values: np.ndarray, base: np.ndarray = current) -> float:
            trial = base.copy()
            trial[free] = values
            return objective(trial)

        grad = numeric_gradient(sub, current[free], steps)
        hess = numeric_hessian(sub, current[free], steps)
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or float(grad @ step) >= 0:
            break
        scale = 1.0
        improved = False
        while scale > 1e-4:
            trial = current.copy()
            trial[free] = current[free] + scale * step
            if all(trial[k] >= 0 for k in diag):
                value = objective(trial)
                if value < best - 1e-12 * abs(best):
                    current, best, improved = trial, value, True
                    break
            scale /= 2
        if not improved or np.max(np.abs(scale * step)) < 1e-9:
            break
    return current


def at_optimum(
    objective: Callable[[np.ndarray], float], x: np.ndarray, diag: set[int], tolerance: float = 1e-3
) -> bool:
    """Whether ``x`` is a (bound-respecting) minimum: over the free parameters the Hessian is
    positive definite and a Newton step would lower the deviance by less than ``tolerance``
    (half the Newton decrement g' H^-1 g, a scale-free criterion like lme4's scaled gradient)."""
    value = objective(x)
    if not np.isfinite(value):
        return False
    free = [k for k in range(x.size) if not (k in diag and x[k] < 1e-6)]
    if not free:
        return True

    def sub(values: np.ndarray) -> float:
        trial = x.copy()
        trial[free] = values
        return objective(trial)

    steps = 1e-4 * np.maximum(np.abs(x[free]), 1.0)
    grad = numeric_gradient(sub, x[free], steps)
    hess = numeric_hessian(sub, x[free], steps)
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return False
    return bool(0.5 * float(grad @ np.linalg.solve(hess, grad)) < tolerance)
