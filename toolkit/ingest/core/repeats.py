"""Rows a file repeats: exact repeats are dropped and counted, a key repeated with other values
is a conflict that rejects the file, naming both rows (never one kept silently)."""

from __future__ import annotations

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, TABLES


def drop_exact_repeats(frame: pl.DataFrame, table: str, what: str) -> tuple[pl.DataFrame, int]:
    """``frame`` without exact repeats of a row (the first is kept) and how many were dropped.

    Raises :class:`IngestError` when two rows share ``table``'s key but differ elsewhere (two
    workouts of one source starting at the same second with different durations): which one
    is right cannot be told, so the file is rejected with both rows named.
    """
    key = list(TABLES[table].key)
    columns = [c for c in TABLES[table].column_names if c in frame.columns]
    if frame.height < 2 or not frame.select(key).is_duplicated().any():
        return frame, 0
    unique = frame.unique(subset=columns, keep="first", maintain_order=True)
    clash = unique.select(key).is_duplicated()
    if clash.any():
        first = unique.filter(clash).row(0, named=True)
        same = unique.filter(pl.all_horizontal(pl.col(k) == first[k] for k in key))
        where = (
            f"lines {', '.join(str(v) for v in same[LINE].to_list())}"
            if LINE in same.columns
            else f"{same.height} entries"
        )
        differing = [c for c in columns if c not in key and same[c].n_unique() > 1]
        raise IngestError(
            f"two {what} share {', '.join(f'{k}={first[k]}' for k in key)} but differ in "
            f"{', '.join(differing)}; which is right cannot be told, so nothing is loaded",
            where,
        )
    return unique, frame.height - unique.height
