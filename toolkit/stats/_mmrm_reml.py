"""The MMRM's REML criterion with analytic gradient and Hessian.

For ``y_i ~ N(X_i beta, Sigma_i)`` (``Sigma_i`` the rows and columns of ``Sigma`` at subject
``i``'s visits), the REML deviance is ``l = log|V| + log|X'V^-1 X| + y'P y`` with
``P = V^-1 - V^-1 X Phi X' V^-1`` and ``Phi = (X'V^-1 X)^-1``. With respect to the entries of
``Sigma`` (Harville 1977; the matrix calculus of Magnus & Neudecker):

    dl = tr(D dSigma),  D = sum_i [W_i - W_i X_i Phi X_i' W_i - u_i u_i'],  W_i = Sigma_i^-1,
                        u_i = W_i (y_i - X_i beta)
    d2l(E, F) = -tr(P E P F) + 2 y'P E P F P y,

both sums of per-pattern pieces (subjects seen at the same visits share ``W``), so one
evaluation costs O(n p^2) BLAS work and the Hessian O(T^4 p^2), whatever the number of
subjects. The chain rule through :class:`~toolkit.stats._covstruct.Structure` gives the
gradient and Hessian in the optimiser's parameters (R's mmrm gets the same by automatic
differentiation). Satterthwaite degrees of freedom use the same pieces:
``d Phi / d Sigma_ab = Phi S_ab Phi`` with ``S_ab = sum_i B_ia B_ib'``, ``B_i = W_i X_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from toolkit.stats._covstruct import Structure


@dataclass
class Pattern:
    """Subjects observed at the same visits."""

    visits: np.ndarray  # visit indexes
    x: np.ndarray  # (m, k, p)
    y: np.ndarray  # (m, k)


def patterns_of(
    subject_codes: np.ndarray, visit_index: np.ndarray, x: np.ndarray, y: np.ndarray
) -> list[Pattern]:
    """Group rows into per-pattern arrays (rows of one subject sorted by visit)."""
    n = y.size
    order = np.lexsort((visit_index, subject_codes))
    codes, visits, x, y = subject_codes[order], visit_index[order], x[order], y[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], n]
    by_pattern: dict[tuple[int, ...], list[int]] = {}
    for s, e in zip(starts, ends, strict=True):
        by_pattern.setdefault(tuple(visits[s:e].tolist()), []).append(int(s))
    out = []
    for key, subject_starts in by_pattern.items():
        rows = np.asarray(subject_starts)[:, None] + np.arange(len(key))[None, :]
        out.append(Pattern(np.asarray(key), x[rows], y[rows]))
    return out


@dataclass
class Evaluation:
    """The REML deviance at one Sigma and what its derivatives reuse."""

    deviance: float
    beta: np.ndarray
    phi_beta: np.ndarray  # (X'V^-1X)^-1
    w: np.ndarray  # (patterns, T, T): Sigma_o^-1 embedded (zero outside the pattern's visits)


def _sandwich(w: np.ndarray, block: np.ndarray) -> np.ndarray:
    """sum_n sum_uv W_n[a, u] W_n[b, v] block_n[u, v, ...] as (T, T, ...), by two BLAS calls."""
    n, t = w.shape[:2]
    rest = block.shape[3:]
    size = int(np.prod(rest)) if rest else 1
    step = np.matmul(w, block.reshape(n, t, t * size))  # [n, a, v, ...]
    step = step.reshape(n, t, t, size).transpose(0, 2, 1, 3).reshape(n * t, t * size)
    out = w.transpose(1, 0, 2).reshape(t, n * t) @ step  # [b, (a, ...)]
    return out.reshape(t, t, *rest).swapaxes(0, 1)


class Reml:
    """The REML problem of one data set: deviance, gradient and Hessian in Sigma's entries.

    Per pattern the data enter only through the cross products XX[u, v] = sum_i x_iu x_iv',
    XY[u, v] = sum_i x_iu y_iv and YY[u, v] = sum_i y_iu y_iv (embedded in T x T visit
    space), computed once; every evaluation is then a few batched matrix products whose cost
    does not grow with the number of subjects.
    """

    def __init__(self, patterns: list[Pattern], t: int) -> None:
        self.patterns = patterns
        self.t = t
        self.n = int(sum(pt.y.size for pt in patterns))
        self.p = p = patterns[0].x.shape[2]
        k = len(patterns)
        self.mask = np.zeros((k, t, t), dtype=bool)
        self.counts = np.array([pt.y.shape[0] for pt in patterns], dtype=float)
        self.xx = np.zeros((k, t, t, p, p))
        self.xy = np.zeros((k, t, t, p))
        self.yy = np.zeros((k, t, t))
        for j, pt in enumerate(patterns):
            o = pt.visits
            m, kk, _ = pt.x.shape
            self.mask[j][np.ix_(o, o)] = True
            flat = pt.x.reshape(m, kk * p)
            xx = (flat.T @ flat).reshape(kk, p, kk, p).transpose(0, 2, 1, 3)
            self.xx[j][np.ix_(o, o)] = xx
            self.xy[j][np.ix_(o, o)] = np.einsum("mup,mv->uvp", pt.x, pt.y)
            self.yy[j][np.ix_(o, o)] = pt.y.T @ pt.y

    def evaluate(self, sigma: np.ndarray) -> Evaluation | None:
        """Deviance and pieces at ``sigma`` (None when a block is not positive definite)."""
        p, t = self.p, self.t
        padded = np.where(self.mask, sigma[None, :, :], np.eye(t)[None, :, :])
        try:
            chol = np.linalg.cholesky(padded)
        except np.linalg.LinAlgError:
            return None
        logdet = 2 * float(self.counts @ np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1))
        w = np.where(self.mask, np.linalg.inv(padded), 0.0)
        w = (w + w.transpose(0, 2, 1)) / 2
        flat_w = w.reshape(-1)
        xtwx = (flat_w @ self.xx.reshape(-1, p * p)).reshape(p, p)
        xtwy = flat_w @ self.xy.reshape(-1, p)
        ytwy = float(flat_w @ self.yy.reshape(-1))
        try:
            chol_x = np.linalg.cholesky(xtwx)
        except np.linalg.LinAlgError:
            return None
        phi_beta = np.linalg.inv(xtwx)
        beta = phi_beta @ xtwy
        quad = ytwy - float(xtwy @ beta)
        deviance = (
            logdet
            + 2 * float(np.log(np.diag(chol_x)).sum())
            + quad
            + (self.n - p) * np.log(2 * np.pi)
        )
        return Evaluation(float(deviance), beta, phi_beta, w)

    def _pieces(self, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """Per pattern sum_i X_i Phi X_i' and sum_i r_i r_i' (patterns, T, T)."""
        k, t, p = len(self.patterns), self.t, self.p
        xpx = (self.xx.reshape(-1, p * p) @ ev.phi_beta.reshape(-1)).reshape(k, t, t)
        xyb = (self.xy.reshape(-1, p) @ ev.beta).reshape(k, t, t)
        bxxb = (self.xx.reshape(-1, p * p) @ np.outer(ev.beta, ev.beta).reshape(-1)).reshape(
            k, t, t
        )
        rr = self.yy - xyb - xyb.transpose(0, 2, 1) + bxxb
        return xpx, rr

    def gradient(self, ev: Evaluation) -> np.ndarray:
        """dl/dSigma (T x T, symmetric)."""
        xpx, rr = self._pieces(ev)
        inner = ev.w @ (xpx + rr) @ ev.w
        return np.einsum("n,nab->ab", self.counts, ev.w) - inner.sum(axis=0)

    def cross_products(self, ev: Evaluation) -> np.ndarray:
        """S[a, b] = sum_i B_ia B_ib' (T, T, p, p), B_ia the row of W X_i at visit a."""
        return _sandwich(ev.w, self.xx)

    def hessian(self, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """d2l/dSigma_ab dSigma_cd as a (T, T, T, T) tensor, and the cross products S."""
        k, t, p = len(self.patterns), self.t, self.p
        w = ev.w
        xpx, rr = self._pieces(ev)
        c = w @ xpx @ w
        u = w @ rr @ w
        k1 = np.einsum("n,nbc,nda->abcd", self.counts, w, w, optimize=True)
        k2 = np.einsum("nbc,nda->abcd", w, c, optimize=True)
        k4 = np.einsum("nbc,nda->abcd", w, u, optimize=True)
        xxb = (self.xx.reshape(-1, p, p) @ ev.beta).reshape(k, t, t, p)
        rx = self.xy.transpose(0, 2, 1, 3) - xxb.transpose(0, 2, 1, 3)  # sum_i r_iu x_iv
        r = _sandwich(w, rx)
        s = self.cross_products(ev)
        phi_s = np.einsum("pq,abqr->abpr", ev.phi_beta, s)
        k3 = np.einsum("abpq,cdqp->abcd", phi_s, phi_s, optimize=True)
        k5 = np.einsum("abp,pq,cdq->abcd", r, ev.phi_beta, r, optimize=True)
        trace = k1 - k2 - k2.transpose(2, 3, 0, 1) + k3
        h = -trace + 2 * (k4 - k5)
        return (h + h.transpose(2, 3, 0, 1)) / 2, s


@dataclass
class Fit:
    """A converged (or not) REML fit under one covariance structure."""

    structure: Structure
    params: np.ndarray
    sigma: np.ndarray
    evaluation: Evaluation
    hessian: np.ndarray  # in the structure's parameters
    cross: np.ndarray  # S tensor at the optimum
    converged: bool
    iterations: int


def fit_structure(reml: Reml, structure: Structure, start: np.ndarray) -> Fit | None:
    """REML fit under ``structure``: L-BFGS-B on the analytic gradient, then Newton steps on
    the analytic Hessian. None when no positive-definite start exists; ``converged`` is False
    unless the optimum is a proper, identified minimum."""

    def value_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        ev = reml.evaluate(structure.sigma(params))
        if ev is None or not np.isfinite(ev.deviance):
            return 1e300, np.zeros(params.size)
        d = reml.gradient(ev)
        return ev.deviance, np.einsum("kab,ab->k", structure.jacobian(params), d)

    def newton_parts(params: np.ndarray) -> tuple[Evaluation, np.ndarray, np.ndarray, np.ndarray]:
        ev = reml.evaluate(structure.sigma(params))
        assert ev is not None  # only called at points already evaluated finite
        jac = structure.jacobian(params)
        d = reml.gradient(ev)
        h_sigma, s = reml.hessian(ev)
        grad = np.einsum("kab,ab->k", jac, d)
        hess = np.einsum("kab,abcd,lcd->kl", jac, h_sigma, jac)
        hess += np.einsum("ab,klab->kl", d, structure.second(params))
        return ev, grad, (hess + hess.T) / 2, s

    if reml.evaluate(structure.sigma(start)) is None:
        return None
    result = optimize.minimize(
        value_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    params = result.x
    ev, grad, hess, s = newton_parts(params)
    iterations = int(result.nit)
    for _ in range(25):
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or float(grad @ step) >= 0:
            break
        if -0.5 * float(grad @ step) < 1e-12:
            break
        scale, moved = 1.0, False
        while scale > 1e-6:
            trial = params + scale * step
            tried = reml.evaluate(structure.sigma(trial))
            if tried is not None and tried.deviance <= ev.deviance + 1e-12 * abs(ev.deviance):
                params, moved = trial, True
                break
            scale /= 2
        if not moved:
            break
        ev, grad, hess, s = newton_parts(params)
        iterations += 1
    try:
        np.linalg.cholesky(hess)
        decrement = 0.5 * float(grad @ np.linalg.solve(hess, grad))
        eigen = np.linalg.eigvalsh(hess)
        # A proper minimum: Newton decrement small, and the curvature not vanishing in any
        # direction (a covariance the data cannot identify, e.g. two visits never observed
        # together, leaves an eigenvalue ~1e-9 of the largest).
        converged = bool(decrement < 1e-3 and eigen[0] > 1e-7 * eigen[-1])
    except np.linalg.LinAlgError:
        converged = False
    return Fit(structure, params, structure.sigma(params), ev, hess, s, converged, iterations)


def satterthwaite(fit: Fit, contrasts: list[np.ndarray]) -> list[float]:
    """Satterthwaite df of each contrast from the analytic Hessian (NaN where undefined)."""
    try:
        w = 2 * np.linalg.inv(fit.hessian)
    except np.linalg.LinAlgError:
        return [float("nan")] * len(contrasts)
    jac = fit.structure.jacobian(fit.params)
    phi = fit.evaluation.phi_beta
    out = []
    for c in contrasts:
        v = phi @ c
        variance = float(c @ v)
        s_ab = np.einsum("abpq,p,q->ab", fit.cross, v, v)
        g = np.einsum("kab,ab->k", jac, s_ab)
        denominator = float(g @ w @ g)
        out.append(2 * variance * variance / denominator if denominator > 0 else float("nan"))
    return out
