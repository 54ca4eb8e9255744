"""Multiplicity: p-value adjustment within declared families, and fixed-sequence testing.

A family is the set of hypotheses whose family-wise error rate is controlled together (ICH E9,
section 5.6): e.g. the arm contrasts a plan declares for the primary endpoint, not every visit
and within-arm test in a report. :func:`adjust_pvalues` adjusts within each family only;
:func:`fixed_sequence` tests hypotheses in a pre-specified order (primary, then key
secondary endpoints), each at the full alpha only while all earlier ones were rejected
(Maurer, Hothorn & Lehmacher 1995), which controls the family-wise error rate strongly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.stats._common import check_alpha, check_choice, check_columns, check_frame

METHODS = ("holm", "fdr_bh", "bonferroni", "hommel")


def adjusted(values: Sequence[float], method: str) -> list[float]:
    """Adjusted p-values of one family (R's ``p.adjust``: holm, BH, bonferroni, hommel)."""
    from statsmodels.stats.multitest import multipletests  # imported on use: slow to import

    if not len(values):
        return []
    return [float(v) for v in multipletests(np.asarray(values, float), method=method)[1]]


def adjust_pvalues(
    frame: pl.DataFrame,
    *,
    method: str = "holm",
    column: str = "p_value",
    family: str | None = None,
) -> pl.DataFrame:
    """``frame`` with a ``p_adjusted`` column (nulls stay null and do not count as tests).

    Parameters
    ----------
    frame
        Any result frame.
    method
        ``"holm"`` (Holm 1979, family-wise error), ``"fdr_bh"`` (Benjamini-Hochberg 1995,
        false discovery rate), ``"bonferroni"`` or ``"hommel"``; the same as R's ``p.adjust``
        methods ``"holm"``, ``"BH"``, ``"bonferroni"`` and ``"hommel"``.
    column
        The column holding the raw p-values.
    family
        Column naming each row's family: p-values are adjusted within each family separately,
        and rows whose family is null are left unadjusted (``p_adjusted`` null). ``None``
        (default): all rows are one family.
    """
    func = "adjust_pvalues"
    data = check_frame(frame, func, "frame")
    check_choice(method, "method", METHODS, func)
    check_columns(data, [column, family], func)
    raw = data[column].cast(pl.Float64)
    present = (raw.is_not_null() & raw.is_not_nan()).to_list()
    keys = data[family].cast(pl.String).to_list() if family else ["all"] * data.height
    out: list[float | None] = [None] * data.height
    for key in dict.fromkeys(k for k in keys if k is not None):
        positions = [i for i, k in enumerate(keys) if k == key and present[i]]
        for i, value in zip(positions, adjusted([raw[i] for i in positions], method), strict=True):
            out[i] = value
    return data.with_columns(pl.Series("p_adjusted", out, dtype=pl.Float64))


def fixed_sequence(
    frame: pl.DataFrame,
    *,
    order: Sequence[str] | None = None,
    alpha: float = 0.05,
    column: str = "p_value",
) -> pl.DataFrame:
    """Hierarchical (fixed-sequence) testing of the rows of ``frame`` in a stated order.

    Parameters
    ----------
    frame
        One row per hypothesis (e.g. the primary then key secondary endpoints' differences),
        with a ``term`` column.
    order
        Terms in testing order (default: the frame's row order). Every term must be present.
    alpha
        The family-wise significance level; each hypothesis is tested at the full ``alpha``.
    column
        The column holding the raw p-values.

    Returns
    -------
    polars.DataFrame
        The rows in testing order with ``sequence`` (1-based), ``p_adjusted`` (the running
        maximum of the p-values, the adjusted p-value of the procedure), ``rejected`` (bool)
        and ``notes`` saying where the sequence stopped.
    """
    func = "fixed_sequence"
    data = check_frame(frame, func, "frame")
    alpha = check_alpha(alpha, func)
    check_columns(data, ["term", column], func)
    terms = data["term"].to_list()
    chosen = list(order) if order is not None else terms
    unknown = [t for t in chosen if t not in terms]
    if unknown:
        raise UsageError(
            f"The 'order' parameter of {func} names term(s) not in the frame: {unknown}."
        )
    ordered = pl.concat([data.filter(pl.col("term") == t).head(1) for t in chosen])
    p = ordered[column].cast(pl.Float64).to_list()
    running: list[float | None] = []
    rejected: list[bool] = []
    notes: list[str] = []
    current = 0.0
    stopped: str | None = None
    for term, value in zip(chosen, p, strict=True):
        finite = value is not None and np.isfinite(value)
        current = max(current, float(value)) if finite else 1.0
        running.append(current)
        ok = stopped is None and current <= alpha
        if not ok and stopped is None:
            stopped = term
        rejected.append(ok)
        notes.append(
            f"fixed-sequence testing at alpha {alpha:g}"
            + (f"; sequence stopped at {stopped}" if stopped is not None else "")
        )
    return ordered.with_columns(
        pl.Series("sequence", list(range(1, len(chosen) + 1)), dtype=pl.Int64),
        pl.Series("p_adjusted", running, dtype=pl.Float64),
        pl.Series("rejected", rejected, dtype=pl.Boolean),
        pl.Series("notes", notes, dtype=pl.String),
    )
