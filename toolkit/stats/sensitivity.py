"""Missing-data sensitivity analyses: delta-adjusted tipping point, reference-based imputation.

- :func:`tipping_point` repeats the delta-adjusted multiple-imputation ANCOVA
  (``ancova(missing="mice", delta=...)``) over a grid of shifts and reports where the
  conclusion about the arm difference tips (Ratitch, O'Kelly & Tosiello 2013).
- :func:`reference_based` (in :mod:`toolkit.stats.reference_based`): jump-to-reference and
  copy-reference imputation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit.errors import UsageError
from toolkit.stats._common import (
    check_alpha,
    check_frame,
    with_notes,
)
from toolkit.stats.ancova import ancova
from toolkit.stats.reference_based import reference_based


@with_notes
def tipping_point(
    data: pl.DataFrame,
    *,
    deltas: Sequence[float],
    term: str | None = None,
    alpha: float = 0.05,
    **ancova_options: Any,
) -> pl.DataFrame:
    """Delta-adjusted MI ANCOVA at each shift in ``deltas``: where does the result tip?

    Parameters
    ----------
    data, ancova_options
        As for :func:`toolkit.stats.ancova` (``missing="mice"`` is implied; ``delta_arms``
        says which arms' imputed outcomes are shifted, default all but the reference).
    deltas
        Shifts to try, in the order to search (e.g. 0, 0.5, 1, ... toward the null).
    term
        The difference whose conclusion is followed (default: the first difference row).

    Returns
    -------
    polars.DataFrame
        The ``"difference"`` rows of every fit with a ``delta`` column, in grid order;
        ``tipping_delta`` (the first delta at which ``term`` is no longer significant at
        ``alpha``, null if none) and ``notes`` saying so.
    """
    func = "tipping_point"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    grid = [float(d) for d in deltas]
    if not grid:
        raise UsageError(f"The 'deltas' parameter of {func} must list at least one shift.")
    parts = []
    for delta in grid:
        options = {"missing": "mice", **ancova_options, "delta": delta, "alpha": alpha}
        result = ancova(frame, **options)
        parts.append(
            result.filter(pl.col("role") == "difference").with_columns(pl.lit(delta).alias("delta"))
        )
    out = pl.concat(parts, how="diagonal_relaxed")
    followed = term if term is not None else out["term"][0]
    if followed not in set(out["term"].to_list()):
        raise UsageError(f"The 'term' parameter of {func} must be a difference. Got {followed!r}.")
    tipping = None
    for row in out.filter(pl.col("term") == followed).iter_rows(named=True):
        if row["p_value"] is None or row["p_value"] >= alpha:
            tipping = row["delta"]
            break
    text = (
        f"tipping point: {followed} is no longer significant at alpha {alpha:g} from delta "
        f"{tipping:+g}"
        if tipping is not None
        else f"no tipping point in the grid: {followed} stays significant at alpha {alpha:g}"
    )
    return out.with_columns(
        pl.lit(tipping, dtype=pl.Float64).alias("tipping_delta"),
        pl.lit(text).alias("notes"),
    )


__all__ = ["reference_based", "tipping_point"]
