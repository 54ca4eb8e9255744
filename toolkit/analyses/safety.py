"""Safe defaults around the models: collinear covariates, curves inside the scale, singular fits.

- :func:`collinear_covariates` finds adjustment covariates that make the exposure's variance
  inflation factor exceed :data:`VIF_LIMIT` (the usual rule of thumb of 10: Kutner, Nachtsheim,
  Neter & Li, Applied Linear Statistical Models, 5th ed., section 10.5), dropping the worst first.
- :func:`keep_in_range` keeps a fitted curve inside the outcome's possible range.
- :func:`is_singular` reads a mixed model's variance rows for a boundary (singular) fit.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: An exposure whose variance inflation factor exceeds this is (near-)collinear.
VIF_LIMIT = 10.0


def _design(frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """Numeric design columns (text columns as dummies without their first level)."""
    parts: list[np.ndarray] = [np.ones((frame.height, 1))]
    for column in columns:
        series = frame[column]
        if series.dtype.is_numeric() or series.dtype == pl.Boolean:
            parts.append(series.cast(pl.Float64).to_numpy()[:, None])
        else:
            levels = sorted(str(v) for v in series.drop_nulls().unique().to_list())
            values = series.cast(pl.String).to_numpy()
            parts.extend((values == level).astype(float)[:, None] for level in levels[1:])
    return np.hstack(parts)


def variance_inflation(frame: pl.DataFrame, target: str, others: list[str]) -> float:
    """VIF of ``target`` given ``others``: 1 / (1 - R^2) of ``target`` regressed on them."""
    rows = frame.select(target, *others).drop_nulls()
    if rows.height < 3 or not others:
        return 1.0
    y = rows[target].cast(pl.Float64).to_numpy()
    x = _design(rows, others)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = float(np.sum((y - x @ beta) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0:
        return float("inf")
    r2 = 1 - residual / total
    return float("inf") if r2 >= 1 - 1e-12 else 1 / (1 - r2)


def collinear_covariates(
    frame: pl.DataFrame, exposure: str, covariates: list[str], protected: tuple[str, ...] = ()
) -> list[tuple[str, float]]:
    """Covariates to drop so that the exposure's VIF is at most :data:`VIF_LIMIT`.

    Greedy: while the exposure's VIF is over the limit, drop the (unprotected) covariate whose
    removal lowers it most. Returns ``(covariate, exposure VIF with it)`` pairs in drop order.
    """
    kept = list(covariates)
    dropped: list[tuple[str, float]] = []
    while kept:
        vif = variance_inflation(frame, exposure, kept)
        if vif <= VIF_LIMIT:
            break
        candidates = [c for c in kept if c not in protected]
        if not candidates:
            break
        best = min(
            candidates,
            key=lambda c: variance_inflation(frame, exposure, [k for k in kept if k != c]),
        )
        dropped.append((best, vif))
        kept.remove(best)
    return dropped


def keep_in_range(
    curve: pl.DataFrame, low: float, high: float, *, offset: float = 0.0
) -> tuple[pl.DataFrame, list[str]]:
    """The curve's points whose fitted value (``estimate + offset``) lies in ``[low, high]``,
    bands clipped to the range; notes say what was cut.

    ``offset`` turns a fitted change into a fitted score (the mean baseline).
    """
    if curve.height == 0:
        return curve, []
    notes: list[str] = []
    fitted = pl.col("estimate") + offset
    inside = curve.filter((fitted >= low) & (fitted <= high))
    if inside.height < curve.height:
        x = "exposure" if "exposure" in curve.columns else "time"
        outside = curve.filter(~((fitted >= low) & (fitted <= high)))[x].cast(pl.Float64)
        first, last = float(outside.min()), float(outside.max())  # type: ignore[arg-type]
        notes.append(
            f"the fitted curve leaves the outcome's range ({low:g} to {high:g}) for {x} from "
            f"{first:.3g} to {last:.3g}; it is not drawn there"
        )
    lo, hi = low - offset, high - offset
    clipped = inside.with_columns(
        ((pl.col("ci_low") < lo) | (pl.col("ci_high") > hi)).alias("band_clipped"),
        pl.col("ci_low").clip(lo, hi),
        pl.col("ci_high").clip(lo, hi),
    )
    if clipped["band_clipped"].any():
        notes.append(f"the confidence band is cut at the outcome's range ({low:g} to {high:g})")
    return clipped, notes


def is_singular(result: pl.DataFrame) -> bool:
    """Whether a mixed model's random effects are at the boundary: an SD of (about) zero, or an
    intercept-slope correlation of (about) +-1."""
    if "role" not in result.columns:
        return False
    variance = result.filter(pl.col("role") == "variance")
    for term, estimate in variance.select("term", "estimate").iter_rows():
        if estimate is None:
            continue
        if term.startswith("cor(") and abs(estimate) > 0.99:
            return True
        if term.startswith("sd(") and "Residual" not in term and estimate < 1e-4:
            return True
    return False
