"""Shared plumbing of the statistics functions: input checks, complete cases, result frames.

Every public analysis validates its inputs up front with one message shape ("The 'alpha'
parameter of ancova must be a float in (0, 1). Got 1.5 instead.") and returns a tidy frame
whose first columns are :data:`RESULT_COLUMNS`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec

import numpy as np
import polars as pl
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._caveats import collect_notes

_P = ParamSpec("_P")

#: The fixed vocabulary every analysis result starts with.
RESULT_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "p_value",
    "n",
    "method",
    "notes",
)

_RESULT_SCHEMA: dict[str, Any] = {
    "term": pl.String,
    "estimate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "statistic": pl.Float64,
    "df": pl.Float64,
    "p_value": pl.Float64,
    "n": pl.Int64,
    "method": pl.String,
    "notes": pl.String,
}


def check_frame(data: object, func: str, name: str = "data") -> pl.DataFrame:
    """``data`` must be a polars DataFrame."""
    if not isinstance(data, pl.DataFrame):
        raise UsageError(
            f"The '{name}' parameter of {func} must be a polars DataFrame. "
            f"Got {type(data).__name__} instead."
        )
    return data


def check_columns(data: pl.DataFrame, columns: Iterable[str | None], func: str) -> None:
    """Every named column must exist in ``data``."""
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise UsageError(
            f"{func} needs column(s) {', '.join(repr(c) for c in missing)} in its data. "
            f"Got columns {', '.join(data.columns) or 'none'} instead."
        )


def check_numeric(data: pl.DataFrame, columns: Iterable[str], func: str) -> None:
    """Named columns must hold numbers (booleans are not numbers here)."""
    for column in columns:
        dtype = data.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise UsageError(
                f"The column {column!r} given to {func} must be numeric. Got {dtype} instead."
            )


def check_alpha(alpha: object, func: str) -> float:
    """``alpha`` must be a float strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise UsageError(
            f"The 'alpha' parameter of {func} must be a float in (0, 1). Got {alpha!r} instead."
        )
    return float(alpha)


def check_choice(value: object, name: str, choices: Sequence[object], func: str) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise UsageError(
            f"The '{name}' parameter of {func} must be one of {shown}. Got {value!r} instead."
        )


def check_positive_int(value: object, name: str, func: str, minimum: int = 1) -> int:
    """``value`` must be an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(
            f"The '{name}' parameter of {func} must be an int >= {minimum}. Got {value!r} instead."
        )
    return value


def as_names(value: str | Iterable[str], name: str, func: str) -> tuple[str, ...]:
    """A column name or a sequence of them, as a tuple."""
    if isinstance(value, str):
        return (value,)
    try:
        names = tuple(value)
    except TypeError:
        names = ()
    if not all(isinstance(v, str) for v in names):
        raise UsageError(
            f"The '{name}' parameter of {func} must be a column name or a sequence of them. "
            f"Got {value!r} instead."
        )
    return names


def complete_cases(
    data: pl.DataFrame, columns: Sequence[str], func: str, reason: str = "complete-case analysis"
) -> tuple[pl.DataFrame, int]:
    """Rows with no missing (null or NaN) value in ``columns``, and how many were dropped.

    Dropping rows is announced with a :class:`~toolkit.errors.StatsWarning` because a
    complete-case analysis is unbiased only when data are missing completely at random.
    """
    mask = pl.lit(True)
    for column in columns:
        expr = pl.col(column).is_not_null()
        if data.schema[column].is_float():
            expr = expr & pl.col(column).is_not_nan()
        mask = mask & expr
    kept = data.filter(mask)
    dropped = data.height - kept.height
    if dropped:
        warnings.warn(
            f"{func}: {dropped} of {data.height} row(s) with a missing value in "
            f"{', '.join(columns)} were excluded ({reason}).",
            StatsWarning,
            stacklevel=3,
        )
    return kept, dropped


def result_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Rows as a frame with :data:`RESULT_COLUMNS` first (typed), extra columns after."""
    extras: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in _RESULT_SCHEMA:
                extras.setdefault(key, None)
    normalised = []
    for row in rows:
        out: dict[str, Any] = {}
        for key in (*RESULT_COLUMNS, *extras):
            value = row.get(key)
            if isinstance(value, np.generic):
                value = value.item()
            if key in ("estimate", "ci_low", "ci_high", "statistic", "df", "p_value"):
                value = None if value is None else float(value)
            if key == "n" and value is not None:
                value = int(value)
            out[key] = value
        normalised.append(out)
    frame = pl.DataFrame(normalised, schema_overrides=_RESULT_SCHEMA, infer_schema_length=None)
    if frame.height == 0:
        frame = pl.DataFrame(schema=_RESULT_SCHEMA)
    return frame.with_columns(
        [
            pl.col(c).fill_nan(None)
            for c in ("estimate", "ci_low", "ci_high", "statistic", "df", "p_value")
        ]
    )


def t_interval(
    estimate: float, se: float, df: float, alpha: float
) -> tuple[float, float, float, float]:
    """Lower and upper ``1 - alpha`` t limits, the t statistic and its two-sided p-value."""
    if not np.isfinite(se) or se <= 0 or not np.isfinite(df) or df <= 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    q = float(stats.t.ppf(1 - alpha / 2, df))
    statistic = estimate / se
    p_value = float(2 * stats.t.sf(abs(statistic), df))
    return estimate - q * se, estimate + q * se, statistic, p_value


def z_interval(estimate: float, se: float, alpha: float) -> tuple[float, float, float, float]:
    """Lower and upper ``1 - alpha`` normal limits, the z statistic and its two-sided p-value."""
    if not np.isfinite(se) or se <= 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    q = float(stats.norm.ppf(1 - alpha / 2))
    statistic = estimate / se
    return estimate - q * se, estimate + q * se, statistic, float(2 * stats.norm.sf(abs(statistic)))


def group_levels(data: pl.DataFrame, group: str, reference: str | None, func: str) -> list[str]:
    """Sorted distinct non-null levels of ``group`` with ``reference`` first."""
    levels = sorted(str(v) for v in data[group].drop_nulls().unique().to_list())
    if reference is not None:
        if reference not in levels:
            raise UsageError(
                f"The 'reference' parameter of {func} must be a level of {group!r} "
                f"({', '.join(levels)}). Got {reference!r} instead."
            )
        levels.remove(reference)
        levels.insert(0, reference)
    return levels


def with_notes(func: Callable[_P, pl.DataFrame]) -> Callable[_P, pl.DataFrame]:
    """Record the :class:`StatsWarning` caveats a statistics function raises in its ``notes``.

    The caveats are still raised as warnings afterwards (callers filtering them keep working;
    only StatsWarnings are collected, others pass straight through), and each one's text is
    appended to every row's ``notes`` (after any row-specific note), so a caller reading only
    the frame sees the caveats too.
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> pl.DataFrame:
        # Per-context collection (toolkit.stats._caveats), not warnings.catch_warnings: that
        # swaps process-wide state, so concurrent analyses on threads would swap caveats.
        result, texts = collect_notes(lambda: func(*args, **kwargs))
        for text in texts:
            warnings.warn(text, StatsWarning, stacklevel=2)
        if not texts or "notes" not in result.columns:
            return result
        joined = " | ".join(texts)
        return result.with_columns(
            pl.when(pl.col("notes").is_null() | (pl.col("notes") == ""))
            .then(pl.lit(joined))
            .otherwise(pl.col("notes") + pl.lit(" | " + joined))
            .alias("notes")
        )

    return wrapper


def check_pairs(pairs: object, levels: Sequence[str], func: str) -> list[tuple[str, str]]:
    """``pairs`` as a list of (arm, arm) tuples of known, different levels."""
    out: list[tuple[str, str]] = []
    try:
        items = list(pairs)  # type: ignore[call-overload,unused-ignore]
    except TypeError:
        items = [None]
    for item in items:
        ok = (
            isinstance(item, Sequence)
            and not isinstance(item, str)
            and len(item) == 2
            and all(isinstance(v, str) and v in levels for v in item)
            and item[0] != item[1]
        )
        if not ok:
            raise UsageError(
                f"The 'pairs' parameter of {func} must be a sequence of (arm, other arm) pairs "
                f"of levels {', '.join(levels)}. Got {item!r} instead."
            )
        out.append((str(item[0]), str(item[1])))
    return out


def adjust_family(rows: list[dict[str, Any]], role: str, method: str | None, family: str) -> None:
    """Adjust the p-values of the rows with ``role`` together (one family), in place."""
    if method is None:
        return
    from toolkit.stats.multiplicity import adjusted

    chosen = [r for r in rows if r.get("role") == role and r.get("p_value") is not None]
    chosen = [r for r in chosen if np.isfinite(r["p_value"])]
    for r, value in zip(chosen, adjusted([r["p_value"] for r in chosen], method), strict=True):
        r["p_adjusted"] = value
        r["family"] = family
        r["notes"] = (
            str(r["notes"]) + "; " if r.get("notes") else ""
        ) + f"{method} adjustment within family '{family}' ({len(chosen)} contrasts)"
