"""Write one parsed file into the study in a single transaction, or record why it was rejected.

Rules (the ingest contract):
- A file whose sha256 is already loaded is logged as ``duplicate`` and nothing else changes.
- A file either loads completely or not at all; a rejection is logged with file, position and
  reason, and the batch goes on.
- Rows that repeat a key already in the study with identical values (an overlapping, cumulative
  export) are skipped and counted; the same key with different values rejects the file.
- Every row must belong to an enrolled participant.
"""

from __future__ import annotations

import contextlib
import json
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb
import polars as pl
import pyarrow as pa

from toolkit.errors import IngestError
from toolkit.ingest.core import linkage
from toolkit.ingest.core.canonical import LINE, TABLES, conform, position
from toolkit.ingest.core.diagnose import diagnose
from toolkit.ingest.core.model import ParseContext, ParticipantInfo, stable_location
from toolkit.ingest.core.plausibility import apply_rules
from toolkit.ingest.core.registry import (
    FORMAT_MODULES,
    HEAD_BYTES,
    FormatModule,
    by_name,
    detect,
)
from toolkit.ingest.core.remove import (
    LoadedFile,
    delete_contributions,
    is_loaded,
    loaded_files,
    source_tables,
)
from toolkit.ingest.core.sources import SourceFile
from toolkit.version import toolkit_version

#: Statuses of an attempt that wrote rows (a salvaged file kept its complete records).
LOADED_STATUSES = ("loaded", "salvaged")
#: The position given for problems of the file as a whole (format, participant, checksum).
WHOLE_FILE = "the whole file"
#: Rows per Arrow record batch handed to DuckDB (its own vector-group size).
ARROW_BATCH_ROWS = 122_880

#: Insert order: parents before the rows that refer to them.
TABLE_ORDER = (
    "raw_participants",
    "raw_direction_rules",
    "raw_participant_links",
    "raw_source_links",
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
    "raw_pain_scores",
    "raw_questionnaire_scales",
    "raw_questionnaire_scale_items",
    "raw_questionnaire_options",
    "raw_questionnaire_items",
    "raw_wearable_daily",
    "raw_wearable_samples",
    "raw_wearable_workouts",
    "raw_intercurrent_events",
    "raw_quarantine",
)
#: Tables whose key includes the value: the same sample (this key) with another value is a
#: conflict, never a second sample (two values for one interval would be counted twice).
CONFLICT_KEYS = {
    "raw_wearable_samples": ("participant_id", "metric", "source", "start_at", "end_at"),
}
#: Keyless child tables: their rows are skipped when their parent row already existed.
CHILD_OF = {"raw_treadmill_samples": ("raw_treadmill_sessions", ("participant_id", "session_id"))}


@dataclass
class FileResult:
    """The outcome of one file, as shown in the ingest report and ``--json``."""

    path: str
    sha256: str
    format: str | None
    status: str
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    position: str | None = None
    notes: dict[str, int] = field(default_factory=dict)
    #: files this one replaced (``ingest --replace``), as ``ingest_log`` paths
    replaced: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON output."""
        return asdict(self)


def load_participants(conn: duckdb.DuckDBPyConnection) -> dict[str, ParticipantInfo]:
    """The enrolled participants parsers may link to."""
    rows = conn.execute(
        "select participant_id, timezone, enrolled_on from raw_participants"
    ).fetchall()
    return {r[0]: ParticipantInfo(r[0], r[1], r[2]) for r in rows}


@dataclass
class Validated:
    """A file read and checked completely, not yet written: its frames, or why it is refused.

    What :func:`validate_file` returns (in a worker process, too: every field pickles), and
    what :func:`load_validated` or :func:`toolkit.ingest.core.group.load_group` writes.
    """

    result: FileResult
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: (message, position) of the problem that refuses the file, or None
    error: tuple[str, str | None] | None = None

    def rows(self) -> int:
        """Rows the file would write, in all tables."""
        return sum(frame.height for frame in self.frames.values())


def loaded_formats(conn: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """sha256 -> format of every file whose rows the study holds now (read once per batch, so
    that a duplicate costs no query)."""
    return {f.sha256: f.format for f in loaded_files(conn)}


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    source: SourceFile,
    participants: Mapping[str, ParticipantInfo],
    module: FormatModule | None = None,
    *,
    salvage: bool = False,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> FileResult:
    """Load ``source`` (or log it as duplicate or rejected); bad input never raises.

    With ``salvage``, a damaged device file keeps its complete records and is logged as
    ``salvaged`` with what was wrong and the byte where it is. With ``replace``, a loaded file
    from the same location (an earlier export at this path, :attr:`ParseContext.location`), or
    an earlier export of the same whole history for the same participant
    (:func:`earlier_exports`), is
    removed in the same transaction as this one loads, and the result names it; if this file
    is rejected, the earlier one stays.
    """
    sha = source.sha256()
    if is_loaded(conn, sha):
        result = FileResult(source.name, sha, _loaded_format(conn, sha), "duplicate")
        _log(conn, result)
        return result
    checked = validate_file(source, sha, participants, module, salvage=salvage, progress=progress)
    return load_validated(conn, checked, replace=replace)


def validate_file(
    source: SourceFile,
    sha: str,
    participants: Mapping[str, ParticipantInfo],
    module: FormatModule | None = None,
    *,
    salvage: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Read and check ``source`` completely without touching the study (``progress``: bytes
    read so far, for a progress bar within a large file).

    Everything that can refuse a file on its own content happens here (format, parse,
    plausibility, canonical shape and ranges, keys repeated within the file, roster linkage);
    what remains for the write is only the comparison with rows already in the study.
    """
    module = module or detect(source.head(HEAD_BYTES), source.name)
    if module is None:
        formats = [m.FORMAT for m in FORMAT_MODULES]
        how = getattr(source, "how", "")  # a converted copy says what it was read as
        return Validated(
            FileResult(source.name, sha, None, "rejected"),
            error=(diagnose(source.head(HEAD_BYTES), formats, how), None),
        )
    result = FileResult(source.name, sha, module.FORMAT, "loaded")
    ctx = ParseContext(
        source.name, sha, source.parts, participants, salvage=salvage, progress=progress
    )
    try:
        with linkage.recording() as links:
            parsed = module.parse(source.path, ctx)
        linked = linkage.links_frame(links)
        if linked is not None:
            parsed.tables["raw_source_links"] = linked
        _with_location(parsed.tables, ctx)
        checked, quarantined = apply_rules(parsed.tables)
        # rows that map to file lines are checked first, so errors point into the file
        ordered = sorted(checked.items(), key=lambda item: LINE not in item[1].columns)
        frames = {name: conform(name, frame) for name, frame in ordered}
        for name, frame in frames.items():
            conflicts_within(name, frame)
        _check_participants(frames, participants)
    except IngestError as exc:
        return Validated(result, error=(exc.message, exc.position))
    except Exception as exc:  # a parser bug must not stop the batch; report it as one
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        message = (
            f"the {module.FORMAT} reader failed on this file in a way it does not foresee, so "
            "the file is left out; this is a retrowalk defect, please report it with the file "
            f"(internal detail: {detail})"
        )
        return Validated(result, error=(message, "unknown (reader failure)"))
    result.notes = {**parsed.notes, **quarantined}
    contents = [frame.height for name, frame in frames.items() if name != "raw_source_links"]
    if not any(contents) and not any(result.notes.values()):
        # an accepted file never loads 0 rows without saying why (issue 11): a companion file
        # says so in its notes; anything else is rejected
        return Validated(
            result,
            error=(
                f"the file was read as {module.FORMAT} but holds no rows to load and is not a "
                "known companion file of an export",
                None,
            ),
        )
    if parsed.damage is not None:
        result.status = "salvaged"
        result.error = f"damaged file, complete records before the damage kept: {parsed.damage[0]}"
        result.position = parsed.damage[1]
    return Validated(result, frames)


def load_validated(
    conn: duckdb.DuckDBPyConnection, checked: Validated, *, replace: bool = False
) -> FileResult:
    """Write one validated file in its own transaction, or log why it is rejected.

    With ``replace``, see :func:`ingest_file`.
    """
    result = checked.result
    if result.status == "duplicate":
        _log(conn, result)
        return result
    if checked.error is not None:
        return reject(conn, result, IngestError(*checked.error))
    try:
        sha = result.sha256
        earlier = (
            superseded(conn, stable_location(result.path), sha)
            + earlier_exports(conn, checked.frames, result.format, sha)
            if replace
            else []
        )
        kept = [] if replace else earlier_exports(conn, checked.frames, result.format, sha)
        if kept:  # never silently: the report says an earlier export stays beside this one
            result.notes["earlier_exports_kept"] = len(kept)
        _write(conn, checked.frames, result, sha, list(dict.fromkeys(earlier)))
    except IngestError as exc:
        return reject(conn, result, exc)
    if "unknown_direction_segments" in result.notes:
        result.notes["unknown_direction_segments"] = unknown_segments(conn, sha)
    return result


def _with_location(tables: dict[str, pl.DataFrame], ctx: ParseContext) -> None:
    """Sessions record where their file lives (lineage the direction views match manifests
    against), unless the parser said otherwise."""
    sessions = tables.get("raw_treadmill_sessions")
    if sessions is not None and "source_path" not in sessions.columns:
        tables["raw_treadmill_sessions"] = sessions.with_columns(
            pl.lit(ctx.location, dtype=pl.String).alias("source_path"),
            pl.lit(ctx.location.rsplit("/", 1)[-1], dtype=pl.String).alias("source_file"),
        )


def unknown_segments(conn: duckdb.DuckDBPyConnection, sha: str) -> int:
    """Segments the file stored whose walking direction the ``sessions`` view (manifests
    applied) still leaves unknown, for the ingest report."""
    row = conn.execute(
        "select count(*) from sessions s where s.direction = 'unknown' and exists ("
        "select 1 from raw_treadmill_segments r where r.source_sha256 = ? "
        "and r.participant_id = s.participant_id and r.session_id = s.session_id "
        "and r.segment = s.segment)",
        [sha],
    ).fetchone()
    return int(row[0]) if row else 0


def reject(conn: duckdb.DuckDBPyConnection, result: FileResult, exc: IngestError) -> FileResult:
    """Record ``result`` as rejected with the error's message and position.

    Every rejection names a position in words: a problem of the file as a whole (its format,
    its participant) says so rather than leaving the position empty.
    """
    mark_rejected(result, exc)
    _log(conn, result)
    return result


def mark_rejected(result: FileResult, exc: IngestError) -> None:
    """Set ``result`` to rejected with the error's message and position (not logged yet)."""
    result.status = "rejected"
    result.rows = {}
    result.replaced = []
    result.error = exc.message
    result.position = exc.position or WHOLE_FILE


def superseded(conn: duckdb.DuckDBPyConnection, location: str, sha: str) -> list[LoadedFile]:
    """Loaded files (other than ``sha``) that were ingested from ``location``."""
    return [
        f for f in loaded_files(conn) if f.sha256 != sha and stable_location(f.path) == location
    ]


def earlier_exports(
    conn: duckdb.DuckDBPyConnection, frames: Mapping[str, pl.DataFrame], fmt: str | None, sha: str
) -> list[LoadedFile]:
    """Loaded files an export of a whole history supersedes: for a format whose every export
    holds all of a participant's data so far (``CUMULATIVE``, e.g. Apple Health, a Garmin
    Connect activities list), the earlier files of that format linked to the same participant
    (``raw_source_links``), wherever they lived and however they were named."""
    links = frames.get("raw_source_links")
    if fmt is None or links is None or not getattr(by_name(fmt), "CUMULATIVE", False):
        return []
    participants = links["participant_id"].unique().to_list()
    rows = conn.execute(
        "select distinct source_sha256 from raw_source_links "
        "where participant_id = any(?) and source_sha256 <> ?",
        [participants, sha],
    ).fetchall()
    linked = {row[0] for row in rows}
    return [f for f in loaded_files(conn) if f.sha256 in linked and f.format == fmt]


def _loaded_format(conn: duckdb.DuckDBPyConnection, sha: str) -> str | None:
    row = conn.execute(
        "select format from raw_ingest_log "
        "where sha256 = ? and status in ('loaded', 'salvaged') limit 1",
        [sha],
    ).fetchone()
    return row[0] if row else None


def _check_participants(
    frames: dict[str, pl.DataFrame], participants: Mapping[str, ParticipantInfo]
) -> None:
    """Every row names an enrolled participant (or one the file's own roster adds).

    Only the file's distinct ids are looked up, so the cost does not grow with the roster.
    """
    added: set[str] = set()
    if "raw_participants" in frames:
        added = set(frames["raw_participants"]["participant_id"].to_list())
    for name, frame in frames.items():
        if name == "raw_participants" or "participant_id" not in frame.columns:
            continue
        ids = frame["participant_id"].drop_nulls().unique().to_list()
        missing = [p for p in ids if p not in participants and p not in added]
        if not missing:
            continue
        unknown = frame["participant_id"].is_in(missing).fill_null(False)
        row = int(unknown.arg_true()[0])
        raise IngestError(
            f"participant {frame['participant_id'][row]!r} is not in the study's roster; "
            "ingest the roster (or add the participant to it) first",
            position(frame, row, "participant_id"),
        )


def _write(
    conn: duckdb.DuckDBPyConnection,
    frames: dict[str, pl.DataFrame],
    result: FileResult,
    sha: str,
    replaced: list[LoadedFile],
) -> None:
    """Remove the replaced files, insert every frame and the log row, in one transaction."""
    conn.execute("begin transaction")
    try:
        if replaced:
            delete_contributions(conn, replaced, check_dependants=False)
            result.replaced = [f.path for f in replaced]
        existing_parents: dict[str, pl.DataFrame] = {}
        for name in sorted(frames, key=TABLE_ORDER.index):
            frame = frames[name]
            if name in CHILD_OF:
                parent, keys = CHILD_OF[name]
                if parent in existing_parents and existing_parents[parent].height:
                    frame = frame.join(existing_parents[parent], on=list(keys), how="anti")
            inserted, skipped_keys = _merge(conn, name, frame, sha)
            existing_parents[name] = skipped_keys
            result.rows[name] = inserted
            if frame.height - inserted:
                result.notes[f"{name}_rows_already_present"] = frame.height - inserted
        if replaced:
            _check_no_orphans(conn)
        _log(conn, result)
        conn.execute("commit")
    except IngestError:
        conn.execute("rollback")
        raise
    except duckdb.Error as exc:
        _rollback(conn)
        if _disk_full(exc):
            raise  # not the file's fault: the batch reports it (core.batch.ingest_paths)
        raise IngestError(f"the study refused the data: {str(exc).splitlines()[0]}") from exc
    except BaseException:
        conn.execute("rollback")
        raise


def _disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """Roll back; after a failed write DuckDB may have ended the transaction itself."""
    with contextlib.suppress(duckdb.Error):
        conn.execute("rollback")


def _check_no_orphans(conn: duckdb.DuckDBPyConnection) -> None:
    """After a replacement: every stored row still belongs to an enrolled participant."""
    for table in source_tables(conn):
        if table == "raw_participants" or table not in TABLES:
            continue
        if "participant_id" not in TABLES[table].column_names:
            continue
        row = conn.execute(
            f"select participant_id from {table} anti join raw_participants "
            "using (participant_id) limit 1"
        ).fetchone()
        if row:
            raise IngestError(
                f"replacing the earlier file would leave participant {row[0]!r} with rows "
                f"({table}) but no roster entry; the earlier file stays"
            )


def _merge(
    conn: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, sha: str
) -> tuple[int, pl.DataFrame]:
    """Insert ``frame`` into ``name``; return rows inserted and the keys already present."""
    table = TABLES[name]
    incoming = frame if LINE in frame.columns else frame.with_row_index(LINE, offset=1)
    conn.register("_incoming", arrow_batches(incoming))
    try:
        cols = table.column_names
        select_cols = ", ".join(f"i.{c}" for c in cols)
        if not table.key:
            conn.execute(
                f"insert into {name} ({', '.join(cols)}, source_sha256) "
                f"select {select_cols}, ? from _incoming i",
                [sha],
            )
            return frame.height, pl.DataFrame()
        if name in CONFLICT_KEYS:
            _check_conflicts(conn, name, frame, CONFLICT_KEYS[name])
        on = " and ".join(f"t.{k} = i.{k}" for k in table.key)
        clash = conn.execute(
            f"select i.{LINE}, t.source_sha256 from _incoming i join {name} t on {on} "
            f"where {differs(name)} order by i.{LINE} limit 1"
        ).fetchone()
        if clash:
            raise key_clash(table.key, path_of(conn, clash[1]), clash[0], LINE in frame.columns)
        present = conn.execute(
            f"select {', '.join('i.' + k for k in table.key)} from _incoming i "
            f"semi join {name} t on {on}"
        ).pl()
        conn.execute(
            f"insert into {name} ({', '.join(cols)}, source_sha256) "
            f"select {select_cols}, ? from _incoming i anti join {name} t on {on}",
            [sha],
        )
        return frame.height - present.height, present
    finally:
        conn.unregister("_incoming")


def key_clash(key: tuple[str, ...], other: str, line: int, has_lines: bool) -> IngestError:
    """The error for a row whose key is stored already, from file ``other``, with other values."""
    return IngestError(
        f"this row's key ({', '.join(key)}) is already in the study with different "
        f"values, from file {other} (if this file is a newer export of it, ingest with "
        "--replace, or `retrowalk remove` the older one first)",
        f"line {line}" if has_lines else f"row {line}",
    )


def differs(table_name: str, left: str = "t", right: str = "i") -> str:
    """SQL that is true when rows ``left`` and ``right`` (same key) differ in a value."""
    table = TABLES[table_name]
    cols = [c.name for c in table.columns if c.compared and c.name not in table.key]
    return " or ".join(f"{left}.{c} is distinct from {right}.{c}" for c in cols) or "false"


def _check_conflicts(
    conn: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, key: tuple[str, ...]
) -> None:
    """Reject two different values for one sample: within the file, or against the study."""
    conflicts_within(name, frame)
    values = [c for c in TABLES[name].key if c not in key]
    on = " and ".join(f"t.{k} = i.{k}" for k in key)
    differs = " or ".join(f"t.{c} is distinct from i.{c}" for c in values)
    clash = conn.execute(
        f"select i.{LINE}, t.source_sha256, {', '.join('i.' + k for k in key)} "
        f"from _incoming i join {name} t on {on} where {differs} limit 1"
    ).fetchone()
    if clash:
        raise sample_conflict(key, dict(zip(key, clash[2:], strict=True)), path_of(conn, clash[1]))


def sample_conflict(key: tuple[str, ...], row: dict[str, object], other: str) -> IngestError:
    """The error for a sample the study holds already, from file ``other``, with another value."""
    return IngestError(
        f"the study already holds a different value for this sample ({_describe(row, key)}), "
        f"from file {other}; remove one of the two files first"
    )


def conflicts_within(name: str, frame: pl.DataFrame) -> None:
    """Reject a file that gives two different values for one sample (:data:`CONFLICT_KEYS`)."""
    if name not in CONFLICT_KEYS:
        return
    key = CONFLICT_KEYS[name]
    values = [c for c in TABLES[name].key if c not in key]
    distinct = frame.select([*key, *values]).unique()
    clashing = distinct.select(key).is_duplicated()
    if clashing.any():
        row = distinct.filter(clashing).row(0, named=True)
        raise IngestError(
            f"the file gives two different values for one sample ({_describe(row, key)}); "
            "one interval of one source has one value"
        )


def _describe(row: dict[str, object], key: tuple[str, ...]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in key)


def arrow_batches(frame: pl.DataFrame, rows_per_batch: int = ARROW_BATCH_ROWS) -> pa.Table:
    """``frame`` as an Arrow table of many record batches.

    DuckDB scans an Arrow table one batch per thread, so a single-chunk table (what polars
    hands over) is inserted on one core; batches let the insert use them all (about 2x on two
    cores for a large file).
    """
    table = frame.to_arrow()
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows_per_batch), table.schema)


def path_of(conn: duckdb.DuckDBPyConnection, sha: str) -> str:
    row = conn.execute(
        "select path from raw_ingest_log "
        "where sha256 = ? and status in ('loaded', 'salvaged') limit 1",
        [sha],
    ).fetchone()
    return row[0] if row else sha[:12]


#: ``raw_ingest_log`` columns :func:`log_row` fills, in its order.
LOG_COLUMNS = (
    "path",
    "sha256",
    "format",
    "status",
    "rows_json",
    "error",
    "error_position",
    "toolkit_version",
    "ingested_at",
)


def log_row(result: FileResult) -> list[object]:
    """``result`` as the values of :data:`LOG_COLUMNS`."""
    return [
        result.path,
        result.sha256,
        result.format,
        result.status,
        json.dumps(result.rows, sort_keys=True) if result.status in LOADED_STATUSES else None,
        result.error,
        result.position,
        toolkit_version(),
        datetime.now(UTC),
    ]


def _log(conn: duckdb.DuckDBPyConnection, result: FileResult) -> None:
    """Append the attempt to ``raw_ingest_log`` (inside the caller's transaction, if any)."""
    marks = ", ".join("?" for _ in LOG_COLUMNS)
    sql = f"insert into raw_ingest_log ({', '.join(LOG_COLUMNS)}) values ({marks})"
    conn.execute(sql, log_row(result))
