"""The raw tables the migrations create are the ones the canonical schema declares
(toolkit/ingest/core/canonical.py): same columns plus lineage, same keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit import open_study
from toolkit.ingest.core.canonical import TABLES

#: Tables whose canonical key the loader enforces without a database index (migration 0003:
#: an index on hundreds of millions of samples costs more than it protects).
KEYED_BY_THE_LOADER = {"raw_wearable_samples"}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_migrated_table_matches_the_canonical_declaration(tmp_path: Path, name: str) -> None:
    with open_study(tmp_path / "s.duckdb") as s:
        columns = s.sql(
            "select column_name from information_schema.columns where table_name = ?", [name]
        )["column_name"].to_list()
        keys = s.sql(
            "select constraint_column_names from duckdb_constraints() "
            "where table_name = ? and constraint_type = 'PRIMARY KEY'",
            [name],
        )["constraint_column_names"].to_list()
    table = TABLES[name]
    assert set(columns) == {*table.column_names, "source_sha256"}
    declared = [table.key] if table.key and name not in KEYED_BY_THE_LOADER else []
    assert [tuple(k) for k in keys] == declared
