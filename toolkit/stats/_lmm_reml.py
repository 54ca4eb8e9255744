"""The REML engine of the random-intercept-and-slope model (lme4's profiled criterion).

Per-subject cross-products are built once; the profiled REML deviance of the relative
covariance factor ``Lambda`` is then O(subjects) vectorised numpy work (Bates et al. 2015,
J. Stat. Softw. 67(1), section 3). Split from :mod:`toolkit.stats.mixed`, which prepares the
data and reports the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from toolkit.stats._satterthwaite import at_optimum, newton_polish


@dataclass
class _Blocks:
    """Per-subject cross-products: the sufficient statistics of the REML criterion."""

    ztz: np.ndarray  # (G, q, q)
    ztx: np.ndarray  # (G, q, p)
    zty: np.ndarray  # (G, q)
    xtx: np.ndarray  # (p, p)
    xty: np.ndarray  # (p,)
    yty: float
    n: int
    p: int
    q: int


def _blocks(subject_codes: np.ndarray, x: np.ndarray, z: np.ndarray, y: np.ndarray) -> _Blocks:
    order = np.argsort(subject_codes, kind="stable")
    codes, x, z, y = subject_codes[order], x[order], z[order], y[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ztz = np.add.reduceat(z[:, :, None] * z[:, None, :], starts, axis=0)
    ztx = np.add.reduceat(z[:, :, None] * x[:, None, :], starts, axis=0)
    zty = np.add.reduceat(z * y[:, None], starts, axis=0)
    return _Blocks(
        ztz=ztz,
        ztx=ztx,
        zty=zty,
        xtx=x.T @ x,
        xty=x.T @ y,
        yty=float(y @ y),
        n=y.size,
        p=x.shape[1],
        q=z.shape[1],
    )


def _lambda(theta: np.ndarray, q: int) -> np.ndarray:
    lam = np.zeros((q, q))
    lam[np.tril_indices(q)] = theta
    return lam


@dataclass
class _Pieces:
    deviance: float
    a: np.ndarray
    c: np.ndarray
    r2: float
    logdet_m: float


def _logdet_inverse(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-determinants and inverses of a stack of small SPD matrices (closed form for q <= 2,
    which avoids numpy's per-matrix overhead on tens of thousands of blocks)."""
    q = m.shape[-1]
    if q == 1:
        return np.log(m[:, 0, 0]), 1.0 / m
    if q == 2:
        a, b, c, d = m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1]
        det = a * d - b * c
        inv = np.empty_like(m)
        inv[:, 0, 0], inv[:, 0, 1], inv[:, 1, 0], inv[:, 1, 1] = d, -b, -c, a
        return np.log(det), inv / det[:, None, None]
    return np.linalg.slogdet(m)[1], np.linalg.inv(m)


def _pieces(theta: np.ndarray, b: _Blocks) -> _Pieces:
    lam = _lambda(theta, b.q)
    m = lam.T @ b.ztz @ lam + np.eye(b.q)  # (G, q, q), batched
    logdet, m_inv = _logdet_inverse(m)
    u = lam.T @ b.ztx  # Lambda' Z_g' X_g, (G, q, p)
    v = b.zty @ lam  # Lambda' Z_g' y_g, (G, q)
    w = m_inv @ u
    wv = np.einsum("gij,gj->gi", m_inv, v)
    a = b.xtx - np.einsum("gip,gir->pr", u, w)
    c = b.xty - np.einsum("gip,gi->p", u, wv)
    ryy = b.yty - float(np.einsum("gi,gi->", v, wv))
    sign_a, logdet_a = np.linalg.slogdet(a)
    if sign_a <= 0:
        return _Pieces(np.inf, a, c, float("nan"), float("nan"))
    beta = np.linalg.solve(a, c)
    r2 = ryy - float(c @ beta)
    dof = b.n - b.p
    if r2 <= 0:
        return _Pieces(np.inf, a, c, r2, float(logdet.sum()))
    deviance = float(logdet.sum()) + logdet_a + dof * (1 + np.log(2 * np.pi * r2 / dof))
    return _Pieces(deviance, a, c, r2, float(logdet.sum()))


def _full_deviance(params: np.ndarray, b: _Blocks) -> float:
    """REML deviance at (theta, log sigma^2), not profiled: the Satterthwaite Hessian's input."""
    theta, log_s2 = params[:-1], params[-1]
    pieces = _pieces(theta, b)
    if not np.isfinite(pieces.deviance):
        return np.inf
    logdet_m = pieces.logdet_m
    logdet_a = float(np.linalg.slogdet(pieces.a)[1])
    s2 = float(np.exp(log_s2))
    dof = b.n - b.p
    # log|V| = n log s2 + log|M|; log|X'V^-1 X| = log|A| - p log s2.
    return logdet_m + logdet_a + dof * np.log(2 * np.pi * s2) + pieces.r2 / s2


def _fixed_cov(params: np.ndarray, b: _Blocks) -> np.ndarray:
    pieces = _pieces(params[:-1], b)
    return float(np.exp(params[-1])) * np.linalg.inv(pieces.a)


def fit_lmm(
    subject_codes: np.ndarray, x: np.ndarray, z: np.ndarray, y: np.ndarray
) -> dict[str, Any]:
    """REML fit of ``y = X beta + Z b + e``, ``b ~ N(0, sigma^2 Lambda Lambda')`` per subject.

    Returns a dict with ``beta``, ``cov_beta``, ``sigma2``, ``lambda``, ``deviance``,
    ``theta``, ``blocks`` and ``converged``.
    """
    b = _blocks(subject_codes, x, z, y)
    q = b.q
    start = _lambda(np.zeros(q * (q + 1) // 2), q)
    np.fill_diagonal(start, 1.0)
    theta0 = start[np.tril_indices(q)]
    diag = {i * (i + 1) // 2 + i for i in range(q)}
    bounds = [(0.0, None) if k in diag else (None, None) for k in range(theta0.size)]

    def objective(t: np.ndarray) -> float:
        return _pieces(t, b).deviance

    result = optimize.minimize(objective, theta0, method="L-BFGS-B", bounds=bounds)
    theta = newton_polish(objective, result.x, diag)
    pieces = _pieces(theta, b)
    beta = np.linalg.solve(pieces.a, pieces.c)
    sigma2 = pieces.r2 / (b.n - b.p)
    return {
        "beta": beta,
        "cov_beta": sigma2 * np.linalg.inv(pieces.a),
        "sigma2": sigma2,
        "lambda": _lambda(theta, q),
        "theta": theta,
        "deviance": pieces.deviance,
        "blocks": b,
        "converged": at_optimum(objective, theta, diag),
        "boundary": any(theta[k] < 1e-6 for k in diag),
        "fixed_at_zero": [k for k in sorted(diag) if theta[k] < 1e-6],
    }
