"""Bring a study file's schema to the version this toolkit expects.

Each ``migrations/NNNN_name.sql`` is one version. The applied versions are recorded in the file
(``schema_version``), so opening an older study upgrades it in place, one transaction per step,
and a file written by a newer toolkit is refused rather than misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import duckdb

from toolkit.errors import StudyError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step: its version number, name and SQL text."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """All packaged migrations, sorted by version."""
    found = []
    for entry in resources.files("toolkit.db.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def latest_version() -> int:
    """The schema version this toolkit writes."""
    return available_migrations()[-1].version


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The schema version stored in the open file (0 for an empty file)."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_version'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = conn.execute("select coalesce(max(version), 0) from schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: duckdb.DuckDBPyConnection, target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: latest); return the new version."""
    goal = latest_version() if target is None else target
    have = current_version(conn)
    if have > latest_version():
        raise StudyError(
            f"the study was written by a newer retrowalk (schema version {have}; this toolkit "
            f"knows up to {latest_version()}); upgrade retrowalk to open it"
        )
    if have == 0:
        conn.execute(
            "create table if not exists schema_version ("
            "version integer primary key, name varchar not null, applied_at timestamptz not null)"
        )
    for step in available_migrations():
        if have < step.version <= goal:
            conn.execute("begin transaction")
            try:
                conn.execute(step.sql)
                conn.execute(
                    "insert into schema_version values (?, ?, ?)",
                    [step.version, step.name, datetime.now(UTC)],
                )
                conn.execute("commit")
            except duckdb.Error as exc:
                conn.execute("rollback")
                raise StudyError(f"migration {step.version} ({step.name}) failed: {exc}") from exc
            have = step.version
    return have
