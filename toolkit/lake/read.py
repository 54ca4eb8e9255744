"""Read a Parquet lake: which files make up each table, from the shards' manifests.

Readers take file lists from the manifests rather than globbing folders, so a shard that is being
written (files moved in, manifest not yet replaced) or one that crashed half-way is never read in
part. The folders are plain hive-partitioned Parquet as well, so a glob works for a quiet lake:
``pl.scan_parquet("LAKE/raw_participants/**/*.parquet")`` or DuckDB's ``read_parquet``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from toolkit.db.migrate import latest_version
from toolkit.lake.write import LAKE_FORMAT, LakeError


@dataclass
class Lake:
    """An opened lake folder: its descriptor and every shard's manifest."""

    root: Path
    descriptor: dict[str, Any]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def schema_version(self) -> int:
        """The study schema version every shard was written with."""
        return int(self.descriptor["schema_version"])

    def tables(self) -> list[str]:
        """Every table the lake holds (from its schema files), sorted."""
        return sorted(p.stem for p in (self.root / "_schema").glob("*.parquet"))

    def kind(self, table: str) -> str:
        """``participant``, ``file`` or ``study`` (from any manifest that lists the table)."""
        for manifest in self.manifests.values():
            entry = manifest["tables"].get(table)
            if entry is not None:
                return str(entry["kind"])
        raise LakeError(f"the lake at {self.root} has no table {table!r}")

    def files(self, table: str) -> list[Path]:
        """The Parquet files holding ``table``'s rows; the empty schema file if there are none."""
        if self.kind(table) == "study":
            found = [self.root / table / "study.parquet"]
        else:
            found = [
                self.root / f["path"]
                for shard in sorted(self.manifests)
                for f in self.manifests[shard]["tables"].get(table, {}).get("files", [])
            ]
        missing = [p for p in found if not p.exists()]
        if missing:
            raise LakeError(
                f"the lake at {self.root} lists {missing[0]} but the file is missing; re-run the "
                "shard that wrote it"
            )
        return found or [self.schema_file(table)]

    def schema_file(self, table: str) -> Path:
        """An empty Parquet file with ``table``'s columns and types."""
        return self.root / "_schema" / f"{table}.parquet"

    def rows(self, table: str) -> int:
        """Rows of ``table`` across shards, from the manifests (study tables: from the file)."""
        if self.kind(table) == "study":
            return pl.scan_parquet(self.files(table)).select(pl.len()).collect().item()
        return sum(int(m["tables"].get(table, {}).get("rows", 0)) for m in self.manifests.values())

    def scan(self, table: str) -> pl.LazyFrame:
        """``table`` as a polars LazyFrame (timestamps UTC, no partition columns)."""
        return pl.scan_parquet(self.files(table), hive_partitioning=False)

    def attach(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Create a DuckDB view per lake table in ``conn`` (reading the Parquet in place)."""
        for table in self.tables():
            relation = conn.read_parquet(
                [str(p) for p in self.files(table)], hive_partitioning=False
            )
            relation.create_view(table, replace=True)


def open_lake(root: Path | str) -> Lake:
    """Open the lake at ``root``: read ``_lake.json`` and every shard's manifest."""
    folder = Path(root)
    descriptor_path = folder / "_lake.json"
    if not descriptor_path.exists():
        raise LakeError(
            f"no lake at {folder} (no _lake.json); write one with `retrowalk export-lake` or "
            "`retrowalk ingest --lake`"
        )
    descriptor = json.loads(descriptor_path.read_text("utf-8"))
    if descriptor.get("format") != LAKE_FORMAT:
        raise LakeError(f"{descriptor_path} is not a retrowalk lake descriptor")
    manifests: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / "_manifests").glob("*.json")):
        manifest = json.loads(path.read_text("utf-8"))
        if manifest.get("schema_version") != descriptor["schema_version"]:
            raise LakeError(
                f"shard {path.stem} was written with schema version "
                f"{manifest.get('schema_version')}, the lake has {descriptor['schema_version']}"
            )
        manifests[path.stem] = manifest
    if not manifests:
        raise LakeError(f"the lake at {folder} has no shard manifests yet")
    if descriptor["schema_version"] != latest_version():
        raise LakeError(
            f"the lake at {folder} has schema version {descriptor['schema_version']}, this "
            f"toolkit reads {latest_version()}; export it again with this toolkit "
            "(`retrowalk export-lake` or `retrowalk ingest --lake` into a new folder)"
        )
    return Lake(folder, descriptor, manifests)
