"""Satterthwaite degrees of freedom for linear combinations of fixed effects in REML models.

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
