"""The format registry: every format module fulfils the ``FormatModule`` contract.

mypy checks the signatures (``FORMAT_MODULES`` is typed with the protocol); these tests check
what mypy cannot: unique names and that ``LOADS`` is true of what each format actually wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from toolkit.ingest.core.canonical import TABLES
from toolkit.ingest.core.registry import FORMAT_MODULES, by_name


def test_format_names_are_unique_and_found_by_name() -> None:
    names = [module.FORMAT for module in FORMAT_MODULES]
    assert len(names) == len(set(names))
    assert all(name == by_name(name).FORMAT for name in names)


def test_each_format_loads_only_canonical_tables() -> None:
    for module in FORMAT_MODULES:
        unknown = set(module.LOADS) - set(TABLES)
        assert not unknown, f"{module.FORMAT} declares unknown tables {unknown}"


def test_demo_files_write_only_the_tables_their_format_declares(demo_study: Path) -> None:
    with duckdb.connect(str(demo_study), read_only=True) as conn:
        logged = conn.execute(
            "select path, format, rows_json from raw_ingest_log where status = 'loaded'"
        ).fetchall()
    formats = set()
    for path, fmt, rows_json in logged:
        written = {table for table, n in json.loads(rows_json).items() if n}
        # raw_quarantine is written by the loader's plausibility rules, for any format
        undeclared = written - set(by_name(fmt).LOADS) - {"raw_quarantine"}
        assert not undeclared, f"{path} ({fmt}) wrote undeclared tables {undeclared}"
        formats.add(fmt)
    assert {"roster_csv", "fit", "redcap"} <= formats
