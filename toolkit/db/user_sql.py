"""The one way to open a study for SQL that a person wrote: read-only, and nothing but the study.

``retrowalk query``, ``open_study(path, read_only=True).sql()`` and the dashboard (which reads a
snapshot through ``open_study(..., read_only=True)``) all run on a connection from
:func:`connect_read_only`. What that connection may do, and who enforces it:

- DuckDB itself (checked by ``tests/db/test_user_sql.py`` against every attack in issue 15):
  ``access_mode = read_only`` (no writes to the study), ``enable_external_access = false`` (no
  file read or written outside the study: ``COPY ... TO``, ``read_csv('/etc/passwd')``,
  ``read_text``, ``glob``, ``EXPORT DATABASE``, ``ATTACH``, ``INSTALL``, loading extensions from
  disk), no extension auto-install or auto-load, and ``lock_configuration = true`` (no ``SET``,
  so none of the above can be switched back on).
- :func:`check_user_sql` here: exactly one statement, and only a query (``SELECT``, ``WITH``,
  ``FROM``, ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, ``EXPLAIN``); anything else gets a message
  naming the statement, e.g. "queries are read-only: COPY is not allowed". This also keeps out
  what DuckDB would still allow on such a connection (``LOAD`` of a built-in extension, temporary
  tables and macros, ``CHECKPOINT``, ``PRAGMA`` settings, ``PREPARE``/``EXECUTE``).

The study's views read only its own tables, so they work unchanged on this connection.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from toolkit.errors import ReadOnlyQueryError, StudyError

__all__ = [
    "ReadOnlyQueryError",
    "check_user_sql",
    "connect_read_only",
    "explain_permission_error",
]

#: Statement types a user query may have (DuckDB parses DESCRIBE/SHOW/SUMMARIZE/PRAGMA-as-query
#: and FROM-first queries as SELECT).
ALLOWED_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})

#: The settings a user-SQL connection is opened with (before its configuration is locked).
READ_ONLY_CONFIG: dict[str, str | bool] = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    # as every study connection: raw rows have no meaningful order
    "preserve_insertion_order": False,
}


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the study at ``path`` for user SQL: read-only, no file or network access, settings
    locked. Lock errors become a :class:`~toolkit.errors.StudyError` a person can act on."""
    try:
        conn = duckdb.connect(str(path), config=dict(READ_ONLY_CONFIG))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StudyError(
                f"{path} is open for writing in another process (DuckDB allows one writer and "
                "no readers meanwhile); try again when that process finishes"
            ) from exc
        raise StudyError(f"cannot open {path}: {exc}") from exc
    conn.execute("set TimeZone = 'UTC'")
    # Locked last: from here on no statement can change any setting (SET/RESET/PRAGMA).
    conn.execute("set lock_configuration = true")
    return conn


def _statement_name(statement: duckdb.Statement) -> str:
    """The statement's leading keyword as written (``COPY``, ``ATTACH``...) for messages."""
    words = statement.query.split()
    if words:
        return words[0].upper().rstrip(";")
    return str(statement.type).rsplit(".", 1)[-1]


def check_user_sql(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise :class:`ReadOnlyQueryError` unless ``sql`` is exactly one read-only query."""
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        # Let the caller's execute report syntax errors with DuckDB's own position.
        if isinstance(exc, duckdb.ParserException):
            return
        raise
    if len(statements) != 1:
        raise ReadOnlyQueryError(
            f"queries take exactly one statement; found {len(statements)}"
            + (" (separate them, or run them one at a time)" if statements else "")
        )
    statement = statements[0]
    if statement.type not in ALLOWED_STATEMENTS:
        raise ReadOnlyQueryError(
            f"queries are read-only: {_statement_name(statement)} is not allowed "
            "(only SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN)"
        )


def explain_permission_error(exc: duckdb.Error) -> ReadOnlyQueryError | None:
    """A clear message for DuckDB refusing a file or setting on a user-SQL connection."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.PermissionException):
        return ReadOnlyQueryError(
            f"queries are read-only and cannot read or write files outside the study ({first})"
        )
    if "configuration has been locked" in first:
        return ReadOnlyQueryError(f"queries cannot change settings ({first})")
    return None
