"""Print frames as the CLI's three formats: a human table, CSV (header first), JSON rows.

CSV and JSON are exact (full precision, ISO 8601 times with their offsets). The table is for
reading: numbers formatted by :mod:`toolkit.format` (p-values ``<0.001``, one number of
decimals per column), no value ever split across lines: columns that do not fit the terminal's
width continue in a further block of columns (the first column repeated), and a text longer
than the width is cut with ``…``. On a terminal, long results stop after ``--limit`` rows with
a line saying how many more there are.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import TextIO

import polars as pl

from toolkit.format import format_column

FORMATS = ("table", "csv", "json")
#: Rows a table shows on a terminal unless ``--limit`` says otherwise.
TERMINAL_LIMIT = 50
_GAP = "  "


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Temporal values as ISO 8601 text, so CSV and JSON carry offsets unambiguously."""
    return frame.with_columns(
        [
            pl.col(name).map_elements(lambda v: v.isoformat(), return_dtype=pl.String)
            for name, dtype in frame.schema.items()
            if dtype.is_temporal()
        ]
    )


def terminal_width(out: TextIO = sys.stdout) -> int | None:
    """The width to fit: ``$COLUMNS`` if set, else the terminal's, else None (not a terminal:
    nothing is cut or wrapped)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _is_terminal(out):
        return shutil.get_terminal_size().columns
    return None


def default_limit(fmt: str, out: TextIO = sys.stdout) -> int | None:
    """Rows shown when ``--limit`` is not given: :data:`TERMINAL_LIMIT` for a table on a
    terminal, else every row."""
    return TERMINAL_LIMIT if fmt == "table" and _is_terminal(out) else None


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def write_frame(
    frame: pl.DataFrame,
    fmt: str,
    out: TextIO = sys.stdout,
    *,
    width: int | None = None,
    limit: int | None = None,
) -> None:
    """Write ``frame`` to ``out`` in ``fmt`` (one of :data:`FORMATS`).

    ``width`` fits a table to that many characters; ``limit`` (> 0) keeps the first rows and
    says how many were left out (in the table, or on stderr for CSV and JSON).
    """
    more = 0
    if limit is not None and 0 < limit < frame.height:
        more = frame.height - limit
        frame = frame.head(limit)
    if fmt == "csv":
        out.write(_plain(frame).write_csv())
    elif fmt == "json":
        out.write(json.dumps(_plain(frame).to_dicts(), indent=2, default=str) + "\n")
    else:
        out.write(render_table(frame, width))
    if more:
        note = f"… {more:,} more row{'s' if more != 1 else ''} (--limit 0 shows all)\n"
        if fmt == "table":
            out.write(note)
        else:
            sys.stderr.write(note)


def render_table(frame: pl.DataFrame, width: int | None = None) -> str:
    """``frame`` as aligned text columns (numbers right, text left), fitted to ``width``."""
    if frame.width == 0:
        return "(no columns)\n"
    columns = []
    for name in frame.columns:
        cells = format_column(frame[name].to_list(), name)
        numeric = frame.schema[name].is_numeric()
        columns.append((name, cells, numeric))
    if width is not None:
        # the first column is repeated in every block; the others must fit beside it
        name, cells, numeric = columns[0]
        columns[0] = (name, [_cut(c, max(8, width // 2)) for c in cells], numeric)
        widest = max(8, width - _col_width(*columns[0][:2]) - len(_GAP))
        columns[1:] = [(n, [_cut(c, widest) for c in cells], num) for n, cells, num in columns[1:]]
    blocks = _blocks(columns, width)
    text = "\n\n".join(_render_block(block, frame.height) for block in blocks)
    if frame.height == 0:
        text += "\n(no rows)"
    return text + "\n"


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _col_width(name: str, cells: list[str]) -> int:
    return max([len(name), *map(len, cells)])


def _blocks(
    columns: list[tuple[str, list[str], bool]], width: int | None
) -> list[list[tuple[str, list[str], bool]]]:
    """Columns in groups that fit ``width``; every group after the first repeats column 1."""
    if width is None:
        return [columns]
    first, rest = columns[0], columns[1:]
    blocks: list[list[tuple[str, list[str], bool]]] = []
    current = [first]
    used = _col_width(first[0], first[1])
    for column in rest:
        need = len(_GAP) + _col_width(column[0], column[1])
        if used + need > width and len(current) > 1:
            blocks.append(current)
            current = [first]
            used = _col_width(first[0], first[1])
        current.append(column)
        used += need
    blocks.append(current)
    return blocks


def _render_block(columns: list[tuple[str, list[str], bool]], height: int) -> str:
    widths = [_col_width(name, cells) for name, cells, _ in columns]
    lines = [
        _GAP.join(
            name.rjust(w) if numeric else name.ljust(w)
            for (name, _, numeric), w in zip(columns, widths, strict=True)
        ).rstrip(),
        _GAP.join("-" * w for w in widths),
    ]
    for row in range(height):
        lines.append(
            _GAP.join(
                cells[row].rjust(w) if numeric else cells[row].ljust(w)
                for (_, cells, numeric), w in zip(columns, widths, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)
