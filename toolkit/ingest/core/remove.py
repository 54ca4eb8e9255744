"""Undo a file: remove everything it contributed, in one transaction, and log it as ``removed``.

Every raw row carries the sha256 of the file it came from (``source_sha256``), so a file's
contribution is exactly the rows with its hash, in every raw table (whatever tables a later
toolkit adds: they are found by that column). The derived views follow by themselves.

A file is named by its sha256 or by the path it was ingested from (as ``ingest_log.path``
shows it, or the same file on disk; a zip archive names all its members). Only files that are
currently loaded can be removed: loaded (or salvaged) and not removed since. Ingesting the file
again afterwards loads it again.

Rules and limits:

- A roster cannot be removed while its participants have rows from other files (remove those
  files first, or in the same call).
- Rows that an overlapping export repeated were stored once, under the file that brought them
  first; removing that file removes them even though the other export also held them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from toolkit.errors import StudyError, UsageError
from toolkit.ingest.core.model import stable_location
from toolkit.version import toolkit_version

_SHA = re.compile(r"^[0-9a-f]{64}$")
#: statuses under which a file's rows are in the study
LOADED = ("loaded", "salvaged")


@dataclass(frozen=True)
class LoadedFile:
    """A file whose rows are in the study now."""

    path: str
    sha256: str
    format: str | None


@dataclass(frozen=True)
class Removed:
    """One removed file: what it was and how many rows left each raw table."""

    path: str
    sha256: str
    format: str | None
    rows: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON output."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "status": "removed",
            "rows": self.rows,
        }


def loaded_files(conn: duckdb.DuckDBPyConnection) -> list[LoadedFile]:
    """Files whose latest load-or-remove attempt is a load, oldest first."""
    rows = conn.execute(
        "select path, sha256, format, status from raw_ingest_log "
        "where status in ('loaded', 'salvaged', 'removed') order by attempt_id"
    ).fetchall()
    latest: dict[str, tuple[str, str | None, str]] = {}
    for path, sha, fmt, status in rows:
        latest.pop(sha, None)  # re-insert to keep the order of the latest attempt
        latest[sha] = (path, fmt, status)
    return [LoadedFile(p, sha, f) for sha, (p, f, s) in latest.items() if s in LOADED]


def is_loaded(conn: duckdb.DuckDBPyConnection, sha: str) -> bool:
    """Whether the file with this sha256 has rows in the study now."""
    row = conn.execute(
        "select status from raw_ingest_log where sha256 = ? "
        "and status in ('loaded', 'salvaged', 'removed') order by attempt_id desc limit 1",
        [sha],
    ).fetchone()
    return bool(row and row[0] in LOADED)


def resolve_sources(conn: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[LoadedFile]:
    """The loaded files ``sources`` name (sha256 or path); a name matching none is an error."""
    loaded = loaded_files(conn)
    chosen: dict[str, LoadedFile] = {}
    for source in sources:
        found = _matching(loaded, source)
        if not found:
            raise UsageError(
                f"{source!r} names no file loaded in this study (give a path or sha256 as "
                "`ingest_log` shows them; a file already removed cannot be removed again)"
            )
        for item in found:
            chosen.setdefault(item.sha256, item)
    return list(chosen.values())


def _matching(loaded: list[LoadedFile], source: str) -> list[LoadedFile]:
    text = source.strip()
    if _SHA.match(text.lower()):
        return [f for f in loaded if f.sha256 == text.lower()]
    where = stable_location(text)
    found = [f for f in loaded if f.path == text or stable_location(f.path) == where]
    # a zip archive names every member loaded from it
    found += [
        f
        for f in loaded
        if "!" in f.path and stable_location(f.path.split("!")[0]) == where and f not in found
    ]
    if found:
        return found
    on_disk = Path(text)
    if on_disk.is_file():
        from toolkit.ingest.core.sources import SourceFile

        sha = SourceFile(text, on_disk, (on_disk.name,)).sha256()
        return [f for f in loaded if f.sha256 == sha]
    return []


def source_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Raw tables whose rows carry the file they came from (``source_sha256``)."""
    rows = conn.execute(
        "select distinct table_name from information_schema.columns "
        "where column_name = 'source_sha256' and table_name like 'raw%' order by table_name"
    ).fetchall()
    return [r[0] for r in rows]


def delete_contributions(
    conn: duckdb.DuckDBPyConnection, files: Sequence[LoadedFile], *, check_dependants: bool = True
) -> dict[str, dict[str, int]]:
    """Delete every row the files contributed and log each as ``removed``; the caller holds
    the transaction. Returns rows deleted per file and table. ``check_dependants`` refuses to
    remove participants other files refer to (a replacement checks after loading instead)."""
    shas = [f.sha256 for f in files]
    if check_dependants:
        _check_roster_dependants(conn, shas)
    marks = ", ".join("?" for _ in shas)
    counts: dict[str, dict[str, int]] = {sha: {} for sha in shas}
    for table in source_tables(conn):
        per_file = conn.execute(
            f"select source_sha256, count(*) from {table} "
            f"where source_sha256 in ({marks}) group by source_sha256",
            shas,
        ).fetchall()
        for sha, n in per_file:
            counts[sha][table] = int(n)
        if per_file:
            conn.execute(f"delete from {table} where source_sha256 in ({marks})", shas)
    now = datetime.now(UTC)
    for f in files:
        conn.execute(
            "insert into raw_ingest_log (path, sha256, format, status, rows_json, error, "
            "error_position, toolkit_version, ingested_at) "
            "values (?, ?, ?, 'removed', ?, null, null, ?, ?)",
            [f.path, f.sha256, f.format, json.dumps(counts[f.sha256], sort_keys=True),
             toolkit_version(), now],
        )  # fmt: skip
    return counts


def _check_roster_dependants(conn: duckdb.DuckDBPyConnection, shas: list[str]) -> None:
    """Refuse to remove participants that files staying in the study still refer to."""
    marks = ", ".join("?" for _ in shas)
    for table in source_tables(conn):
        if table == "raw_participants" or not _has_column(conn, table, "participant_id"):
            continue
        row = conn.execute(
            f"select t.participant_id, t.source_sha256 from {table} t "
            f"where t.source_sha256 not in ({marks}) and t.participant_id in ("
            f"select participant_id from raw_participants where source_sha256 in ({marks})) "
            "limit 1",
            [*shas, *shas],
        ).fetchone()
        if row:
            path = conn.execute(
                "select path from raw_ingest_log where sha256 = ? order by attempt_id desc limit 1",
                [row[1]],
            ).fetchone()
            raise StudyError(
                f"participant {row[0]!r} would be removed with its roster, but "
                f"{path[0] if path else row[1]} still has rows of theirs ({table}); remove "
                "that file first, or in the same command"
            )


def _has_column(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    row = conn.execute(
        "select count(*) from information_schema.columns where table_name = ? and column_name = ?",
        [table, column],
    ).fetchone()
    return bool(row and row[0])


def remove_sources(conn: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[Removed]:
    """Remove every file ``sources`` name, in one transaction (all or none)."""
    if not sources:
        raise UsageError("Name at least one file to remove (a path or sha256 from ingest_log).")
    files = resolve_sources(conn, sources)
    conn.execute("begin transaction")
    try:
        counts = delete_contributions(conn, files)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return [Removed(f.path, f.sha256, f.format, counts[f.sha256]) for f in files]
