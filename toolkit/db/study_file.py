"""What may be opened as a study: a retrowalk DuckDB file, or a new path in an existing folder.

Why: DuckDB opens many things without complaint. Given a CSV it used an in-memory database, so
``retrowalk ingest mistaken.csv roster.csv`` reported "loaded" and saved nothing; given a
mistyped path it created a new study and every missing parent folder. So before any connection
is made the path is checked here:

- an existing path must be a regular file that starts with DuckDB's header (the ``DUCK`` magic
  after the 8-byte checksum) and, once open, holds our ``schema_version`` table (or no table at
  all: a database just created by DuckDB's own tools);
- a path that does not exist may be created only when its folder exists (and is a folder).

Anything else is a :class:`~toolkit.errors.StudyPathError` (a usage error) (CLI exit code 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from toolkit.errors import StudyPathError, UsageError

#: DuckDB's storage header: an 8-byte checksum, then these four bytes.
DUCKDB_MAGIC = b"DUCK"
_MAGIC_OFFSET = 8


def is_duckdb_file(path: Path) -> bool:
    """Whether ``path`` is a regular file starting with DuckDB's storage header."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    return head[_MAGIC_OFFSET:] == DUCKDB_MAGIC


def check_study_path(path: Path, *, create: bool) -> bool:
    """Check ``path`` before opening it as a study; return True when it will be created.

    ``create`` False (a read-only open) requires an existing study file.
    """
    if path.exists() or path.is_symlink():
        if path.is_dir():
            raise StudyPathError(
                f"{path} is a folder; a study is a file, e.g. {path / 'study.duckdb'}"
            )
        if not is_duckdb_file(path):
            raise StudyPathError(
                f"{path} is not a study file (no DuckDB header); a study is a .duckdb file made "
                "by retrowalk, or a new path in an existing folder. Did you put an input file "
                "first? The study comes first: retrowalk ingest STUDY PATH..."
            )
        return False
    if not create:
        raise StudyPathError(f"no study at {path}")
    parent = path.parent
    # Walk up to the nearest existing ancestor to say exactly what is wrong.
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise StudyPathError(f"cannot create a study at {path}: {ancestor} is a file, not a folder")
    if not parent.is_dir():
        raise StudyPathError(
            f"cannot create a study at {path}: the folder {parent} does not exist (a typo? "
            "create the folder first if a new study is meant)"
        )
    return True


def check_study_schema(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a DuckDB database that is not a retrowalk study (tables, but no schema_version)."""
    tables = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() order by table_name"
        ).fetchall()
    ]
    if tables and "schema_version" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StudyPathError(
            f"{path} is a DuckDB database but not a retrowalk study (it has tables {shown} and "
            "no schema_version); retrowalk leaves it alone"
        )


def check_input_paths(paths: Sequence[Path | str]) -> None:
    """Refuse input paths that do not exist: a usage error (a typo), not a rejected file, so
    nothing about them goes into ``ingest_log``."""
    missing = [str(p) for p in paths if not Path(p).exists() and not Path(p).is_symlink()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)} (nothing was ingested)")


def ingested_paths(path: Path) -> list[str]:
    """Every source path in the ingest log of the study file at ``path`` (read-only; none for
    a study that never ingested anything)."""
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        }
        if "raw_ingest_log" not in tables:
            return []
        return [
            row[0] for row in conn.execute("select distinct path from raw_ingest_log").fetchall()
        ]
