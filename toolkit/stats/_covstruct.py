"""Covariance structures of an MMRM's within-subject residuals over ``T`` visits.

Each structure maps an unconstrained parameter vector ``phi`` to a positive-definite ``T x T``
matrix ``Sigma(phi)`` and gives its first and second derivatives (the REML engine's chain rule),
plus, where ``Sigma`` is linear in variance parameters, that linear basis (Kenward-Roger's
``G`` matrices, as pbkrtest's for variance components):

- ``unstructured``: Cholesky factor with log diagonal (R mmrm's ``us()``), T(T+1)/2 parameters;
  basis: one symmetric unit matrix per distinct entry.
- ``toeplitz``: common variance, correlation by lag (mmrm's ``toep()``), the lag correlations
  parameterised by partial autocorrelations ``tanh(z)`` (always positive definite); basis: the
  band matrices.
- ``ar1``: common variance, correlation ``rho ** lag`` (lag in visit order), ``rho = tanh(z)``;
  not linear, so no Kenward-Roger basis.
- ``cs``: compound symmetry, common variance and correlation in ``(-1 / (T - 1), 1)``; basis:
  the identity and the all-ones matrix (a random intercept's variance components).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRUCTURES = ("unstructured", "toeplitz", "ar1", "cs")
#: The fallback order when a structure's fit fails (most to least flexible).
FALLBACK_ORDER = ("unstructured", "toeplitz", "ar1", "cs")


def _pacf_to_acf(pacf: np.ndarray) -> np.ndarray:
    """Autocorrelations at lags 1..K from partial autocorrelations (Durbin-Levinson)."""
    k = pacf.size
    acf = np.zeros(k + 1)
    acf[0] = 1.0
    phi = np.zeros(0)
    for j in range(1, k + 1):
        pj = pacf[j - 1]
        rest = phi @ acf[j - 1 : 0 : -1] if j > 1 else 0.0
        variance = np.prod(1 - pacf[: j - 1] ** 2) if j > 1 else 1.0
        acf[j] = rest + pj * variance
        phi = np.r_[phi - pj * phi[::-1], pj]
    return acf[1:]


@dataclass(frozen=True)
class Structure:
    """One covariance structure over ``t`` visits."""

    name: str
    t: int

    @property
    def n_params(self) -> int:
        t = self.t
        return {
            "unstructured": t * (t + 1) // 2,
            "toeplitz": t,
            "ar1": 2 if t > 1 else 1,
            "cs": 2 if t > 1 else 1,
        }[self.name]

    def sigma(self, phi: np.ndarray) -> np.ndarray:
        t = self.t
        if self.name == "unstructured":
            lower = self._lower(phi)
            return lower @ lower.T
        s2 = float(np.exp(phi[0]))
        if t == 1:
            return np.array([[s2]])
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        if self.name == "ar1":
            return s2 * np.tanh(phi[1]) ** lag
        if self.name == "cs":
            low = -1.0 / (t - 1)
            rho = low + (1 - low) / (1 + np.exp(-phi[1]))
            return s2 * np.where(lag == 0, 1.0, rho)
        acf = np.r_[1.0, _pacf_to_acf(np.tanh(phi[1:]))]
        return s2 * acf[lag]

    def _lower(self, phi: np.ndarray) -> np.ndarray:
        lower = np.zeros((self.t, self.t))
        lower[np.tril_indices(self.t)] = phi
        lower[np.diag_indices(self.t)] = np.exp(np.diag(lower))
        return lower

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        """dSigma/dphi_k as a (k, T, T) stack."""
        if self.name == "unstructured":
            lower = self._lower(phi)
            return np.stack([a @ lower.T + lower @ a.T for a in self._dl(phi)])
        return self._numeric(phi, self.sigma)

    def _dl(self, phi: np.ndarray) -> list[np.ndarray]:
        lower = self._lower(phi)
        rows, cols = np.tril_indices(self.t)
        out = []
        for i, j in zip(rows, cols, strict=True):
            e = np.zeros((self.t, self.t))
            e[i, j] = lower[i, j] if i == j else 1.0
            out.append(e)
        return out

    def second(self, phi: np.ndarray) -> np.ndarray:
        """d2 Sigma / dphi_k dphi_l as a (k, k, T, T) array."""
        n = self.n_params
        if self.name == "unstructured":
            lower = self._lower(phi)
            dl = self._dl(phi)
            out = np.zeros((n, n, self.t, self.t))
            for k in range(n):
                for m in range(k + 1):
                    value = dl[k] @ dl[m].T + dl[m] @ dl[k].T
                    if k == m and np.count_nonzero(dl[k] * np.eye(self.t)):
                        value = value + dl[k] @ lower.T + lower @ dl[k].T
                    out[k, m] = out[m, k] = value
            return out
        steps = 1e-4 * np.maximum(np.abs(phi), 1.0)
        out = np.zeros((n, n, self.t, self.t))
        for k in range(n):
            e = np.zeros(n)
            e[k] = steps[k]
            out[k] = (self._numeric(phi + e, self.sigma) - self._numeric(phi - e, self.sigma)) / (
                2 * steps[k]
            )
        return (out + out.transpose(1, 0, 2, 3)) / 2

    def _numeric(self, phi: np.ndarray, f: object) -> np.ndarray:
        steps = 1e-6 * np.maximum(np.abs(phi), 1.0)
        out = []
        for k in range(phi.size):
            e = np.zeros(phi.size)
            e[k] = steps[k]
            out.append((self.sigma(phi + e) - self.sigma(phi - e)) / (2 * steps[k]))
        return np.stack(out)

    def start(self, variances: np.ndarray) -> np.ndarray:
        """Starting values: independent visits with the given variances (their mean if common)."""
        if self.name == "unstructured":
            lower = np.diag(np.sqrt(variances))
            lower[np.diag_indices(self.t)] = np.log(np.diag(lower))
            return lower[np.tril_indices(self.t)]
        out = np.zeros(self.n_params)
        out[0] = float(np.log(np.mean(variances)))
        if self.name == "cs" and self.t > 1:
            low = -1.0 / (self.t - 1)
            out[1] = float(np.log((0.3 - low) / (1 - 0.3)))  # rho = 0.3
        elif self.t > 1:
            out[1] = 0.3
        return out

    def linear_basis(self) -> np.ndarray | None:
        """G matrices with Sigma = sum_a s_a G_a (Kenward-Roger), or None (not linear)."""
        t = self.t
        if self.name == "unstructured":
            out = []
            for i, j in zip(*np.tril_indices(t), strict=True):
                g = np.zeros((t, t))
                g[i, j] = g[j, i] = 1.0
                out.append(g)
            return np.stack(out)
        if self.name == "cs":
            return np.stack([np.eye(t), np.ones((t, t))]) if t > 1 else np.eye(1)[None]
        if self.name == "toeplitz":
            lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
            return np.stack([(lag == d).astype(float) for d in range(t)])
        return None
