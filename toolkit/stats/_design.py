"""Design matrices with readable column names, built from a polars frame.

Numeric columns enter as they are; string, categorical and boolean columns become treatment
(dummy) contrasts against a reference level (the first in sorted order unless given), named
``"column[level]"``. Kept separate so every model names its terms the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Design:
    """A model matrix and what each column means."""

    matrix: np.ndarray
    names: list[str]
    #: For each source column, the slice of matrix columns it produced.
    slices: dict[str, slice]
    #: For each categorical source column, its levels (reference first).
    levels: dict[str, list[str]]


def is_categorical(frame: pl.DataFrame, column: str) -> bool:
    """Whether ``column`` enters a model as dummies rather than as a number."""
    dtype = frame.schema[column]
    return not dtype.is_numeric()


def categorical_levels(series: pl.Series, reference: str | None = None) -> list[str]:
    """Sorted distinct non-null values as text, ``reference`` first."""
    levels = sorted(str(v) for v in series.drop_nulls().unique().to_list())
    if reference is not None and reference in levels:
        levels.remove(reference)
        levels.insert(0, reference)
    return levels


def build_design(
    frame: pl.DataFrame,
    columns: Sequence[str],
    *,
    intercept: bool = True,
    references: dict[str, str] | None = None,
    levels: dict[str, list[str]] | None = None,
) -> Design:
    """Model matrix of ``columns`` (in order) for the rows of ``frame``.

    ``levels`` fixes the levels of categorical columns (e.g. to build rows for prediction);
    otherwise they are taken from ``frame`` with ``references`` moved first.
    """
    references = references or {}
    blocks: list[np.ndarray] = []
    names: list[str] = []
    slices: dict[str, slice] = {}
    found_levels: dict[str, list[str]] = {}
    n = frame.height
    if intercept:
        blocks.append(np.ones((n, 1)))
        names.append("(Intercept)")
    for column in columns:
        start = len(names)
        if is_categorical(frame, column):
            chosen = (
                levels[column]
                if levels and column in levels
                else categorical_levels(frame[column], references.get(column))
            )
            found_levels[column] = chosen
            values = frame[column].cast(pl.String).to_numpy()
            for level in chosen[1:]:
                blocks.append((values == level).astype(float)[:, None])
                names.append(f"{column}[{level}]")
        else:
            blocks.append(frame[column].cast(pl.Float64).to_numpy()[:, None])
            names.append(column)
        slices[column] = slice(start, len(names))
    matrix = np.hstack(blocks) if blocks else np.empty((n, 0))
    return Design(matrix=matrix, names=names, slices=slices, levels=found_levels)
