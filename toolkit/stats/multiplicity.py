"""Multiplicity adjustment of p-values when several outcomes or comparisons are tested."""

from __future__ import annotations

import polars as pl

from toolkit.stats._common import check_choice, check_columns, check_frame

_METHODS = ("holm", "fdr_bh", "bonferroni")


def adjust_pvalues(
    frame: pl.DataFrame, *, method: str = "holm", column: str = "p_value"
) -> pl.DataFrame:
    """``frame`` with a ``p_adjusted`` column (nulls stay null and do not count as tests).

    Parameters
    ----------
    frame
        Any result frame.
    method
        ``"holm"`` (Holm 1979, family-wise error), ``"fdr_bh"`` (Benjamini-Hochberg 1995,
        false discovery rate) or ``"bonferroni"``; the same as R's ``p.adjust`` methods
        ``"holm"``, ``"BH"`` and ``"bonferroni"``.
    column
        The column holding the raw p-values.
    """
    from statsmodels.stats.multitest import multipletests  # imported on use: statsmodels is slow

    func = "adjust_pvalues"
    data = check_frame(frame, func, "frame")
    check_choice(method, "method", _METHODS, func)
    check_columns(data, [column], func)
    raw = data[column].cast(pl.Float64)
    present = raw.is_not_null() & raw.is_not_nan()
    adjusted: list[float | None] = [None] * data.height
    values = raw.filter(present).to_numpy()
    if values.size:
        corrected = multipletests(values, method=method)[1]
        positions = [i for i, ok in enumerate(present.to_list()) if ok]
        for i, value in zip(positions, corrected, strict=True):
            adjusted[i] = float(value)
    return data.with_columns(pl.Series("p_adjusted", adjusted, dtype=pl.Float64))
