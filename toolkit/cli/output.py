"""Print frames as the CLI's three formats: a human table, CSV (header first), JSON rows."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import polars as pl

FORMATS = ("table", "csv", "json")


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Temporal values as ISO 8601 text, so CSV and JSON carry offsets unambiguously."""
    return frame.with_columns(
        [
            pl.col(name).map_elements(lambda v: v.isoformat(), return_dtype=pl.String)
            for name, dtype in frame.schema.items()
            if dtype.is_temporal()
        ]
    )


def write_frame(frame: pl.DataFrame, fmt: str, out: TextIO = sys.stdout) -> None:
    """Write ``frame`` to ``out`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "csv":
        out.write(_plain(frame).write_csv())
    elif fmt == "json":
        out.write(json.dumps(_plain(frame).to_dicts(), indent=2, default=str) + "\n")
    else:
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            fmt_str_lengths=60,
            tbl_width_chars=200,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
            tbl_formatting="ASCII_MARKDOWN",
        ):
            out.write(f"{frame}\n")
