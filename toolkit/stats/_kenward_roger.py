"""Kenward-Roger (1997) adjusted covariance of the fixed effects and denominator df.

Ported from pbkrtest (Halekoh & Hojsgaard 2014, J. Stat. Softw. 59(9)): ``vcovAdj`` for the
adjusted covariance ``Phi_A = Phi + 2 Phi U Phi`` and ``Lb_ddf`` for the df of one contrast,
the functions lmerTest calls for ``ddf = "Kenward-Roger"``. The variance parameters are those in
which ``V`` is linear, ``V = sum_a s_a G_a`` (pbkrtest's variance components; the elements of an
unstructured matrix), so the second-derivative terms vanish, as in pbkrtest.

``V`` is block diagonal: the caller gives groups of subjects sharing a block (``W = V_g^-1``),
their design rows ``X`` (m, k, p) and the blocks of the G matrices (n_G, k, k); every trace is a
sum over groups, so memory and time grow with the number of distinct blocks, not with n^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Group:
    """Subjects sharing one covariance block."""

    x: np.ndarray  # (m, k, p)
    w: np.ndarray  # (k, k), the inverse of the block
    g: np.ndarray  # (n_G, k, k), the block of each G matrix


@dataclass
class Adjusted:
    """pbkrtest's ``vcovAdj`` result: Phi_A with its attributes P and W."""

    phi: np.ndarray  # unadjusted (X'V^-1X)^-1
    phi_adjusted: np.ndarray
    p_matrices: np.ndarray  # (n_G, p, p)
    w_matrix: np.ndarray  # (n_G, n_G) = 2 * inverse expected information


def adjusted_covariance(groups: Sequence[Group]) -> Adjusted:
    """Kenward-Roger adjusted covariance of the GLS fixed effects."""
    p = groups[0].x.shape[2]
    n_g = groups[0].g.shape[0]
    xtwx = np.zeros((p, p))
    for gr in groups:
        xtwx += np.tensordot(gr.x, np.matmul(gr.w, gr.x), axes=([0, 1], [0, 1]))
    phi = np.linalg.inv(xtwx)
    pp = np.zeros((n_g, p, p))
    ktrace = np.zeros((n_g, n_g))
    tr_phi_q = np.zeros((n_g, n_g))
    parts = []
    for gr in groups:
        b = np.matmul(gr.w, gr.x)  # (m, k, p)
        m, k, _ = b.shape
        flat = b.reshape(m, k * p)
        s = (flat.T @ flat).reshape(k, p, k, p).transpose(0, 2, 1, 3)  # S[u, t] = sum B_u B_t'
        c = np.einsum("utpq,qp->ut", s, phi)  # tr(Phi S[u, t])
        pp -= np.einsum("auv,uvpq->apq", gr.g, s)
        gw = np.matmul(gr.g, gr.w)  # G_a W
        ktrace += m * np.einsum("akl,blk->ab", gw, gw)
        # tr(Phi Q_ab) = sum_ut (G_a W G_b)_ut tr(Phi S_ut)
        tr_phi_q += np.einsum("akl,blt,kt->ab", gw, gr.g, c)
        parts.append((gw, gr.g, s))
    phi_p = np.einsum("pq,aqr->apr", phi, pp)
    info = ktrace - 2 * tr_phi_q + np.einsum("apq,bqp->ab", phi_p, phi_p)
    info = (info + info.T) / 2
    eig = np.linalg.eigvalsh(info)
    w_matrix = 2 * (np.linalg.inv(info) if np.min(np.abs(eig)) > 1e-10 else np.linalg.pinv(info))
    w_matrix = (w_matrix + w_matrix.T) / 2
    # U = sum_ab W_ab (Q_ab - P_a Phi P_b); sum_ab W_ab Q_ab = sum_ut M_ut S_ut per group.
    u = -np.einsum("ab,apq,qr,brs->ps", w_matrix, pp, phi, pp)
    for gw, g, s in parts:
        m_ut = np.einsum("ab,akl,blt->kt", w_matrix, gw, g)
        u += np.einsum("ut,utpq->pq", m_ut, s)
    u = (u + u.T) / 2
    return Adjusted(phi, phi + 2 * phi @ u @ phi, pp, w_matrix)


def ddf(adjusted: Adjusted, contrast: np.ndarray) -> float:
    """Kenward-Roger denominator df of one contrast (pbkrtest ``Lb_ddf``, q = 1)."""
    lb = contrast[None, :]
    phi = adjusted.phi
    theta = lb.T @ np.linalg.solve(lb @ phi @ lb.T, lb)
    theta_phi = theta @ phi
    us = [theta_phi @ pa @ phi for pa in adjusted.p_matrices]
    w = adjusted.w_matrix
    n_g = len(us)
    a1 = a2 = 0.0
    for i in range(n_g):
        for j in range(i, n_g):
            e = 1.0 if i == j else 2.0
            a1 += e * w[i, j] * float(np.trace(us[i])) * float(np.trace(us[j]))
            a2 += e * w[i, j] * float(np.sum(us[i] * us[j].T))
    q = 1
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2) if a2 != 0 else 0.0
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v0 = 1 + c1 * b
    v1 = 1 - c2 * b
    v2 = 1 - c3 * b
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    x = 1 - a2 / q
    ratio = 1.0 if abs(x) < 1e-14 and abs(v1) < 1e-14 else x / v1
    rho = ratio**2 * v0 / v2 / q
    return float(4 + (q + 2) / (q * rho - 1))


def mixed_model_groups(
    subject_codes: np.ndarray, x: np.ndarray, z: np.ndarray, psi: np.ndarray, sigma2: float
) -> list[Group]:
    """Groups for a random-effects model ``V_i = Z_i Psi Z_i' + sigma2 I``.

    The variance parameters are pbkrtest's: the distinct entries of ``Psi`` (a symmetric unit
    matrix each, ``G = Z E Z'``) and the residual variance (``G = I``). Subjects with the same
    ``Z`` rows share a block.
    """
    q = z.shape[1]
    order = np.argsort(subject_codes, kind="stable")
    codes, x, z = subject_codes[order], x[order], z[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], codes.size]
    units = []
    for i, j in zip(*np.tril_indices(q), strict=True):
        e = np.zeros((q, q))
        e[i, j] = e[j, i] = 1.0
        units.append(e)
    by_z: dict[bytes, list[int]] = {}
    for s, e in zip(starts, ends, strict=True):
        key = np.ascontiguousarray(z[s:e]).tobytes() + bytes([e - s])
        by_z.setdefault(key, []).append(int(s))
    groups = []
    for members in by_z.values():
        s0 = members[0]
        k = int(ends[np.searchsorted(starts, s0)] - s0)
        zi = z[s0 : s0 + k]
        v = zi @ psi @ zi.T + sigma2 * np.eye(k)
        gs = np.stack([zi @ u @ zi.T for u in units] + [np.eye(k)])
        rows = np.asarray(members)[:, None] + np.arange(k)[None, :]
        groups.append(Group(x[rows], np.linalg.inv(v), gs))
    return groups
