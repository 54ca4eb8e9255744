"""Multiple imputation by chained equations, with R ``mice``'s default imputation models.

Each incomplete column is imputed in turn from all the others (van Buuren & Groothuis-Oudshoorn
2011, J. Stat. Softw. 45(3)):

- numbers by predictive mean matching (``mice.impute.pmm``, "type 1" matching): a Bayesian
  draw of the regression coefficients predicts the incomplete rows, the least-squares fit the
  complete ones, and each missing value is copied from one of the ``donors`` rows whose
  prediction is closest (R's default 5; Morris, White & Royston 2014 advise <= 10, larger
  pools bias toward the null in small samples);
- two-level categories by Bayesian logistic regression (``mice.impute.logreg``) and more
  levels by a Bayesian multinomial logit (``mice.impute.polyreg``): coefficients are drawn from
  the normal approximation of their posterior, then each missing value from its predicted
  category probabilities. Categories enter other columns' models as dummies.

Every imputation is its own chain (random starts from observed values, ``iterations`` sweeps),
as ``mice(m = n_imputations, maxit = iterations)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from toolkit.errors import UsageError

_RIDGE = 1e-5  # mice's ridge penalty in .norm.draw, for near-collinear predictors


@dataclass
class _Column:
    name: str
    categorical: bool
    levels: list[str]
    values: np.ndarray  # float values, or level codes as floats
    missing: np.ndarray  # bool mask


def _encode(frame: pl.DataFrame, name: str) -> _Column:
    series = frame[name]
    if series.dtype.is_numeric() and series.dtype != pl.Boolean:
        values = series.cast(pl.Float64).to_numpy().astype(float)
        missing = ~np.isfinite(values)
        return _Column(name, False, [], values, missing)
    text = series.cast(pl.String)
    levels = sorted(text.drop_nulls().unique().to_list())
    missing = text.is_null().to_numpy()
    lookup = {level: i for i, level in enumerate(levels)}
    codes = np.array([lookup.get(v, -1) if v is not None else -1 for v in text.to_list()], float)
    return _Column(name, True, levels, codes, missing)


def _predictors(columns: list[_Column], target: int, n: int) -> np.ndarray:
    """Intercept plus every other column (categories as dummies against their first level)."""
    blocks = [np.ones((n, 1))]
    for j, column in enumerate(columns):
        if j == target:
            continue
        if column.categorical:
            for code in range(1, len(column.levels)):
                blocks.append((column.values == code).astype(float)[:, None])
        else:
            blocks.append(column.values[:, None])
    x = np.hstack(blocks)
    # Drop columns constant among all rows (a level never seen): they carry no information.
    keep = [0] + [k for k in range(1, x.shape[1]) if np.ptp(x[:, k]) > 0]
    return x[:, keep]


def _norm_draw(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coefficients and one Bayesian draw of them (mice's ``.norm.draw``)."""
    xtx = x.T @ x
    xtx += np.diag(np.maximum(np.diag(xtx), 1e-12) * _RIDGE)
    v = np.linalg.inv(xtx)
    beta = v @ x.T @ y
    resid = y - x @ beta
    df = max(y.size - x.shape[1], 1)
    sigma = float(np.sqrt(resid @ resid / rng.chisquare(df)))
    chol = np.linalg.cholesky((v + v.T) / 2)
    return beta, beta + sigma * chol @ rng.standard_normal(beta.size)


def _pmm(
    x: np.ndarray, y: np.ndarray, miss: np.ndarray, donors: int, rng: np.random.Generator
) -> np.ndarray:
    obs = ~miss
    beta_hat, beta_star = _norm_draw(x[obs], y[obs], rng)
    yhat_obs = x[obs] @ beta_hat
    yhat_mis = x[miss] @ beta_star
    pool = min(donors, int(obs.sum()))
    distance = np.abs(yhat_mis[:, None] - yhat_obs[None, :])
    # Random tie-breaking as mice's matcher does, then a random pick among the closest.
    distance += rng.uniform(0, 1e-9 * (np.abs(distance).max() + 1.0), distance.shape)
    nearest = np.argpartition(distance, pool - 1, axis=1)[:, :pool]
    choice = nearest[np.arange(nearest.shape[0]), rng.integers(0, pool, nearest.shape[0])]
    return y[obs][choice]


def _multinomial_fit(x: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial (k = 2: logistic) regression by Newton-Raphson with a small ridge, as a
    flat coefficient vector for levels 1..k-1 and its covariance (inverse information).

    mice augments the data to survive separation; a ridge penalty (1e-4 of the information's
    scale) serves the same purpose and keeps every draw finite.
    """
    n, p = x.shape
    target = np.zeros((n, k))
    target[np.arange(n), codes.astype(int)] = 1.0
    beta = np.zeros((p, k - 1))
    penalty = 1e-4 * np.eye(p * (k - 1)) * max(float(np.mean(x * x)), 1.0) * n / 100
    info = np.eye(p * (k - 1))
    for _ in range(50):
        eta = np.column_stack([np.zeros(n), x @ beta])
        eta -= eta.max(axis=1, keepdims=True)
        prob = np.exp(eta)
        prob /= prob.sum(axis=1, keepdims=True)
        grad = (x.T @ (target[:, 1:] - prob[:, 1:])).T.reshape(-1) - penalty @ beta.T.reshape(-1)
        info = np.zeros((p * (k - 1), p * (k - 1)))
        for a in range(k - 1):
            for b in range(k - 1):
                w = prob[:, a + 1] * ((a == b) - prob[:, b + 1])
                info[a * p : (a + 1) * p, b * p : (b + 1) * p] = x.T @ (x * w[:, None])
        info += penalty
        step = np.linalg.solve(info, grad)
        beta += step.reshape(k - 1, p).T
        if np.max(np.abs(step)) < 1e-8:
            break
    cov = np.linalg.inv(info)
    return beta.T.reshape(-1), (cov + cov.T) / 2


def _categorical_draw(
    x: np.ndarray, codes: np.ndarray, miss: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    obs = ~miss
    beta, cov = _multinomial_fit(x[obs], codes[obs], k)
    draw = rng.multivariate_normal(beta, cov, method="cholesky")
    p = x.shape[1]
    eta = np.column_stack([np.zeros(int(miss.sum())), x[miss] @ draw.reshape(k - 1, p).T])
    eta -= eta.max(axis=1, keepdims=True)
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    u = rng.uniform(size=(prob.shape[0], 1))
    return (u > np.cumsum(prob, axis=1)).sum(axis=1).clip(0, k - 1).astype(float)


def mice(
    frame: pl.DataFrame,
    columns: list[str],
    *,
    n_imputations: int,
    donors: int,
    iterations: int,
    seed: int,
    func: str,
) -> list[pl.DataFrame]:
    """``n_imputations`` copies of ``frame`` with the missing values of ``columns`` imputed.

    Every column in ``columns`` is used to impute every other; columns outside it are
    untouched. Categorical columns come back as text (their original level labels).
    """
    encoded = [_encode(frame, name) for name in columns]
    n = frame.height
    for column in encoded:
        observed = int((~column.missing).sum())
        if column.missing.any() and observed < 2:
            raise UsageError(
                f"{func}: {column.name!r} has {observed} observed value(s); multiple imputation "
                "needs observed values to impute from."
            )
        if column.categorical and column.missing.any() and len(column.levels) < 2:
            raise UsageError(
                f"{func}: {column.name!r} has a single observed level "
                f"({', '.join(column.levels)}); its missing values cannot be imputed."
            )
    incomplete = [j for j, c in enumerate(encoded) if c.missing.any()]
    out: list[pl.DataFrame] = []
    for m in range(n_imputations):
        rng = np.random.default_rng([seed, m])
        current = [
            _Column(c.name, c.categorical, c.levels, c.values.copy(), c.missing) for c in encoded
        ]
        for j in incomplete:  # random start from the observed values, as mice
            c = current[j]
            c.values[c.missing] = rng.choice(c.values[~c.missing], int(c.missing.sum()))
        for _ in range(iterations):
            for j in incomplete:
                c = current[j]
                x = _predictors(current, j, n)
                if c.categorical:
                    c.values[c.missing] = _categorical_draw(
                        x, c.values, c.missing, len(c.levels), rng
                    )
                else:
                    c.values[c.missing] = _pmm(x, c.values, c.missing, donors, rng)
        replaced = []
        for c in current:
            if c.categorical:
                labels = np.asarray(c.levels, dtype=object)[c.values.astype(int)]
                replaced.append(pl.Series(c.name, labels.tolist(), dtype=pl.String))
            else:
                replaced.append(pl.Series(c.name, c.values, dtype=pl.Float64))
        out.append(frame.with_columns(replaced))
    return out
