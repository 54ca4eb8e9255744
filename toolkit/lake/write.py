"""Write an open study's tables into a Parquet lake as one shard.

A shard is what one process writes: the whole study (``retrowalk export-lake``, shard ``study``)
or one batch job's files (``retrowalk ingest --lake``). Its files carry the shard's name and a
fresh run token, so shards never collide and a re-run never overwrites a file a reader may hold.
The shard's manifest is written last, atomically: it is the commit. Re-running a shard replaces
its manifest and then deletes the files the old manifest listed, so a re-run is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq

from toolkit.db.migrate import current_version
from toolkit.errors import StudyError
from toolkit.lake.layout import DEFAULT_BUCKETS
from toolkit.version import toolkit_version

LAKE_FORMAT = "retrowalk-lake"
LAKE_VERSION = 1
_SHARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: Tables that describe the study rather than hold exported records; one copy per lake.
_NOT_EXPORTED = ("schema_version",)


class LakeError(StudyError):
    """A lake cannot be written or read as asked."""


@dataclass(frozen=True)
class TableSpec:
    """One table to export: its name, kind and columns ``(name, duckdb type)``."""

    name: str
    kind: str  # "participant" (bucketed), "file" (per shard) or "study" (one copy)
    columns: tuple[tuple[str, str], ...]


def bucket_of(participant_id: str, buckets: int = DEFAULT_BUCKETS) -> int:
    """The participant's hash bucket: the first 32 bits of sha256(UTF-8 id), modulo ``buckets``.

    Stable across processes, machines and engines (unlike a hash function of one engine).
    """
    return int(hashlib.sha256(participant_id.encode("utf-8")).hexdigest()[:8], 16) % buckets


def _bucket_sql(buckets: int) -> str:
    # the same rule as bucket_of, inside DuckDB (buckets is an int we validated)
    return f"cast(('0x' || left(sha256(participant_id), 8)) as ubigint) % {int(buckets)}"


def study_tables(conn: duckdb.DuckDBPyConnection) -> list[TableSpec]:
    """Every base table of the study, with its kind, in name order."""
    rows = conn.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name in (select table_name from "
        "information_schema.tables where table_schema = 'main' and table_type = 'BASE TABLE') "
        "order by table_name, ordinal_position"
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        if table not in _NOT_EXPORTED:
            columns.setdefault(table, []).append((column, dtype))
    specs = []
    for table, cols in sorted(columns.items()):
        names = {c for c, _ in cols}
        if "participant_id" in names:
            kind = "participant"
        elif table.startswith("raw_"):
            kind = "file"
        else:
            kind = "study"
        specs.append(TableSpec(table, kind, tuple(cols)))
    return specs


def check_shard_name(shard: str) -> str:
    """``shard`` if it is usable in file names (letters, digits, ``_.-``), else a LakeError."""
    if not _SHARD_NAME.match(shard):
        raise LakeError(
            f"The 'shard' name must be 1-100 letters, digits, '_', '.' or '-', starting with a "
            f"letter or digit. Got {shard!r} instead."
        )
    return shard


def _literal(path: Path) -> str:
    """A file path as a SQL string literal (COPY TO takes no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, content: dict[str, Any]) -> None:
    """Write JSON atomically (a temporary file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, path)


def _check_descriptor(lake: Path, schema_version: int, buckets: int) -> None:
    """Create ``_lake.json`` or check that the lake was written with the same layout."""
    path = lake / "_lake.json"
    wanted = {
        "format": LAKE_FORMAT,
        "lake_version": LAKE_VERSION,
        "schema_version": schema_version,
        "buckets": buckets,
    }
    if not path.exists():
        _write_json(path, wanted)
        return
    have = json.loads(path.read_text("utf-8"))
    for key, value in wanted.items():
        if have.get(key) != value:
            raise LakeError(
                f"{path} has {key} {have.get(key)!r}, this shard would write {value!r}; write "
                "to a new lake folder (or export every shard with the same toolkit and buckets)"
            )


def _same_rows(old: Path, new: Path) -> bool:
    """Whether two Parquet files hold the same rows (in any order)."""
    left, right = pl.read_parquet(old), pl.read_parquet(new)
    if left.schema != right.schema or left.height != right.height:
        return False
    return left.sort(left.columns, nulls_last=True).equals(
        right.sort(right.columns, nulls_last=True)
    )


def export_connection(
    conn: duckdb.DuckDBPyConnection,
    lake: Path,
    shard: str,
    *,
    buckets: int = DEFAULT_BUCKETS,
    skip_sources: Iterable[str] = (),
    study_tables_mode: str = "replace",
) -> dict[str, Any]:
    """Write the open study's tables into ``lake`` as shard ``shard``; return its manifest.

    ``skip_sources`` are sha256s of files whose rows stay out of the shard (files loaded only so
    that others could be linked, which another shard writes). ``study_tables_mode`` is
    ``"replace"`` (the study is the authority: export-lake) or ``"check"`` (a batch shard: the
    lake's copy must hold the same rows, else a LakeError).
    """
    check_shard_name(shard)
    if not 1 <= buckets <= 4096:
        raise LakeError(f"The 'buckets' must be an integer in 1..4096. Got {buckets} instead.")
    lake.mkdir(parents=True, exist_ok=True)
    schema_version = current_version(conn)
    _check_descriptor(lake, schema_version, buckets)
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    staging = lake / f".staging-{shard}-{run}"
    staging.mkdir()
    try:
        conn.execute("create or replace temp table _lake_skip (sha256 varchar)")
        skipped = [[s] for s in sorted(set(skip_sources))]
        if skipped:
            conn.executemany("insert into _lake_skip values (?)", skipped)
        specs = study_tables(conn)
        tables = {
            spec.name: _export_table(conn, spec, staging, shard, run, buckets) for spec in specs
        }
        study_files = _place_study_tables(lake, staging, specs, study_tables_mode)
        old = _read_manifest(lake, shard)
        placed = _place_files(lake, staging, tables)
        manifest = {
            "format": f"{LAKE_FORMAT}-shard",
            "lake_version": LAKE_VERSION,
            "shard": shard,
            "run": run,
            "schema_version": schema_version,
            "toolkit_version": toolkit_version(),
            "written_at": datetime.now(UTC).isoformat(),
            "buckets": buckets,
            "tables": placed,
            "study_tables": study_files,
            "sources": _lineage(conn),
        }
        _write_json(lake / "_manifests" / f"{shard}.json", manifest)
        _remove_replaced(lake, old, placed)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        conn.execute("drop table if exists _lake_skip")
    return manifest


def _export_table(
    conn: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    staging: Path,
    shard: str,
    run: str,
    buckets: int,
) -> dict[str, Any]:
    """COPY one table into the staging folder; the files' names are lake-relative."""
    names = {c for c, _ in spec.columns}
    target = staging / spec.name
    (staging / "_schema").mkdir(exist_ok=True)
    conn.execute(
        f'copy (select * from "{spec.name}" limit 0) to '
        f"{_literal(staging / '_schema' / f'{spec.name}.parquet')} (format parquet)"
    )
    if spec.kind == "study":
        target.mkdir()
        conn.execute(
            f'copy (select * from "{spec.name}") to {_literal(target / "study.parquet")} '
            "(format parquet)"
        )
        return {"kind": spec.kind, "columns": [list(c) for c in spec.columns], "files": []}
    where = "true"
    if "source_sha256" in names:
        where = "source_sha256 not in (select sha256 from _lake_skip)"
    elif spec.name == "raw_ingest_log":
        where = "sha256 not in (select sha256 from _lake_skip)"
    pattern = f"part-{shard}-{run}-{{i}}"
    if spec.kind == "participant":
        conn.execute(
            f'copy (select *, {_bucket_sql(buckets)} as bucket from "{spec.name}" where {where}) '
            f"to {_literal(target)} (format parquet, partition_by (bucket), "
            f"filename_pattern '{pattern}')"
        )
    else:
        part = target / f"shard={shard}"
        part.mkdir(parents=True)
        conn.execute(
            f'copy (select * from "{spec.name}" where {where}) to '
            f"{_literal(part / f'part-{shard}-{run}-0.parquet')} (format parquet)"
        )
    return {"kind": spec.kind, "columns": [list(c) for c in spec.columns], "files": []}


def _place_study_tables(
    lake: Path, staging: Path, specs: list[TableSpec], mode: str
) -> dict[str, str]:
    """Move the study-level tables and the schema files into the lake; return their sha256s."""
    out: dict[str, str] = {}
    for spec in specs:
        schema_file = staging / "_schema" / f"{spec.name}.parquet"
        (lake / "_schema").mkdir(exist_ok=True)
        os.replace(schema_file, lake / "_schema" / f"{spec.name}.parquet")
        if spec.kind != "study":
            continue
        new = staging / spec.name / "study.parquet"
        dest = lake / spec.name / "study.parquet"
        if mode == "check" and dest.exists() and not _same_rows(dest, new):
            raise LakeError(
                f"the lake's {spec.name} differs from this shard's; every shard of a lake must "
                "use the same study settings and reference data"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        if mode == "replace" or not dest.exists():
            os.replace(new, dest)
        out[spec.name] = _sha256(dest)
    return out


def _place_files(lake: Path, staging: Path, tables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Move the shard's data files into the lake; record rows and sha256 of each."""
    for table, entry in tables.items():
        if entry["kind"] == "study":
            continue
        for path in sorted((staging / table).rglob("*.parquet")):
            rel = path.relative_to(staging)
            rows = pq.ParquetFile(path).metadata.num_rows
            if rows == 0 and entry["kind"] == "participant":
                continue
            dest = lake / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            entry["files"].append({"path": rel.as_posix(), "rows": rows, "sha256": _sha256(path)})
            os.replace(path, dest)
        entry["rows"] = sum(f["rows"] for f in entry["files"])
    return tables


def _read_manifest(lake: Path, shard: str) -> dict[str, Any] | None:
    path = lake / "_manifests" / f"{shard}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def _remove_replaced(lake: Path, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Delete the files an earlier run of the shard wrote and this run replaced."""
    if old is None:
        return
    keep = {f["path"] for entry in new.values() for f in entry["files"]}
    for entry in old.get("tables", {}).values():
        for f in entry.get("files", []):
            if f["path"] not in keep:
                (lake / f["path"]).unlink(missing_ok=True)


def _lineage(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The source files behind the shard's rows: path, sha256, format and status."""
    rows = conn.execute(
        "select path, sha256, format, status from raw_ingest_log "
        "where sha256 not in (select sha256 from _lake_skip) and status <> 'rejected' "
        "order by attempt_id"
    ).fetchall()
    return [{"path": p, "sha256": s, "format": f, "status": st} for p, s, f, st in rows]


def export_study(study_path: Path, lake: Path, *, buckets: int = DEFAULT_BUCKETS) -> dict[str, Any]:
    """``retrowalk export-lake``: every table of the study at ``study_path`` as shard ``study``."""
    from toolkit.study import open_study

    # file_access: COPY writes the lake's Parquet files (the study itself stays read-only)
    with open_study(study_path, read_only=True, file_access=True) as study:
        return export_connection(study.conn, lake, "study", buckets=buckets)
