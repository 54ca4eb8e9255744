"""A study: one DuckDB file holding raw tables, reference data and views.

``open_study`` is the researcher's entry point: it creates the file if needed, upgrades an older
schema in place, refreshes views and reference data, and hands back a :class:`Study` whose
``sql`` returns polars frames from parameterised queries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from toolkit.db.migrate import current_version, latest_version, migrate
from toolkit.db.reference import sync_instruments
from toolkit.db.study_file import check_input_paths, check_study_path, check_study_schema
from toolkit.db.user_sql import check_user_sql, connect_read_only, explain_permission_error
from toolkit.db.views_sql import create_views
from toolkit.errors import StudyError

if TYPE_CHECKING:
    from toolkit.cohorts import Cohort
    from toolkit.ingest.core.batch import IngestReport
    from toolkit.ingest.core.loader import FileResult
    from toolkit.ingest.core.remove import Removed
    from toolkit.ingest.core.sources import ZipLimits


class Study:
    """An open study database. Use :func:`open_study` to get one; close it (or use ``with``)."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        progress: bool | None = None,
        salvage: bool = False,
        replace: bool = False,
        limits: ZipLimits | None = None,
        on_result: Callable[[FileResult], None] | None = None,
    ) -> IngestReport:
        """Ingest files, folders and zips; one transaction per file. See ``retrowalk ingest``.

        ``salvage`` keeps the complete records of a damaged device file (status ``salvaged``).
        ``replace``: a file from the same location as a loaded one (a newer export written
        over it) replaces it, in the same transaction; the report names what it replaced.
        ``limits`` bound what zip archives may unpack (default :class:`ZipLimits`); paths
        that do not exist are a usage error, raised before anything is ingested.
        ``on_result`` is called with each file's result as soon as it is known.
        """
        if self.read_only:
            raise StudyError("this study was opened read-only; open it with read_only=False")
        check_input_paths(paths)
        # imported here: reading a study must not load the parsers (or the FIT SDK)
        from toolkit.ingest.core.batch import ingest_paths

        return ingest_paths(
            self.conn,
            paths,
            progress=progress,
            salvage=salvage,
            replace=replace,
            limits=limits,
            on_result=on_result,
        )

    def remove(self, sources: Sequence[Path | str]) -> list[Removed]:
        """Remove everything the named files contributed (a path or sha256 each, as
        ``ingest_log`` shows them), in one transaction, logged as ``removed``. Ingesting a
        file again afterwards loads it again. See ``retrowalk remove``."""
        from toolkit.ingest.core.remove import remove_sources

        if self.read_only:
            raise StudyError("this study was opened read-only; open it with read_only=False")
        return remove_sources(self.conn, [str(s) for s in sources])

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run ``query`` with ``params`` bound (``?`` or ``$name``); return a polars frame.

        On a read-only study this is user SQL (see :mod:`toolkit.db.user_sql`): exactly one
        query, no file access, no settings; anything else raises
        :class:`~toolkit.db.user_sql.ReadOnlyQueryError`.
        """
        cursor = self.conn.cursor()
        try:
            if self.read_only:
                check_user_sql(cursor, query)
            try:
                result = (
                    cursor.execute(query, params) if params is not None else cursor.execute(query)
                )
            except duckdb.Error as exc:
                clearer = explain_permission_error(exc) if self.read_only else None
                if clearer is not None:
                    raise clearer from exc
                raise
            if result.description is None:
                return pl.DataFrame()
            return result.pl()
        finally:
            cursor.close()

    def cohort(self, definition: Cohort | str | None = None, **filters: Any) -> pl.DataFrame:
        """Participants in a cohort: a :class:`~toolkit.cohorts.Cohort`, a saved cohort's name,
        or filters such as ``arms=("retro",), age_min=40`` (see ``Cohort``)."""
        from toolkit.cohorts import members, resolve_cohort

        return members(self, resolve_cohort(self, definition, **filters))

    def close(self) -> None:
        """Close the connection (commits nothing: every write commits as it happens)."""
        self.conn.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Study({str(self.path)!r}, {mode})"


def connect(path: Path, *, read_only: bool, file_access: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, turning DuckDB's lock errors into a message a person can act on.

    A read-only connection is the user-SQL connection of :mod:`toolkit.db.user_sql` (no file
    access, settings locked), unless ``file_access`` (toolkit code that writes files from the
    study, e.g. ``export-lake``; never for SQL a user wrote).
    """
    if read_only and not file_access:
        return connect_read_only(path)
    try:
        conn = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StudyError(
                f"{path} is open for writing in another process (DuckDB allows one writer and "
                "no readers meanwhile); try again when that process finishes"
            ) from exc
        raise StudyError(f"cannot open {path}: {exc}") from exc
    conn.execute("set TimeZone = 'UTC'")
    # rows of raw tables have no meaningful order; letting DuckDB insert in parallel is faster
    conn.execute("set preserve_insertion_order = false")
    return conn


def open_study(path: Path | str, *, read_only: bool = False, file_access: bool = False) -> Study:
    """Open (creating and upgrading as needed) the study at ``path``.

    A read-only open needs an existing file at the current schema version; it never writes to
    the study, and its connection reads nothing but the study unless ``file_access`` (for
    toolkit code such as ``export-lake`` that writes files with ``COPY``; never pass it for SQL
    a user wrote).
    A new study is created only in an existing folder; a path that is not a retrowalk study
    file raises :class:`~toolkit.errors.StudyPathError` (see :mod:`toolkit.db.study_file`).
    """
    target = Path(path)
    check_study_path(target, create=not read_only)
    if read_only:
        conn = connect(target, read_only=True, file_access=file_access)
        try:
            check_study_schema(conn, target)
        except StudyError:
            conn.close()
            raise
        have = current_version(conn)
        if have != latest_version():
            conn.close()
            raise StudyError(
                f"{target} has schema version {have}, this toolkit expects {latest_version()}; "
                "open it once read-write (e.g. `retrowalk ingest` with no new files) to upgrade"
            )
        return Study(target, conn, read_only=True)
    conn = connect(target, read_only=False)
    try:
        check_study_schema(conn, target)
        migrate(conn)
        sync_instruments(conn)
        create_views(conn)
    except Exception:
        conn.close()
        raise
    return Study(target, conn, read_only=False)
