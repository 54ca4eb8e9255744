"""Write many validated files in one transaction, each file still all-or-nothing.

At scale the cost of ingest is per file, not per row: a commit (a WAL sync) and three
statements per table per file. A group of files that :func:`~toolkit.ingest.core.loader.
validate_file` has checked completely is written with one commit and a few statements per
table for the whole group. The outcome equals loading the group's files one by one, in order,
each in its own transaction:

- a file whose key clashes (same key, other values) with a stored row or with a row of an
  earlier file of the group is rejected, writes nothing, and the group is checked again
  without it, so it never stops the others;
- rows whose key is stored already (or given by an earlier file of the group) with the same
  values are skipped and counted; keyless child rows of such a parent are skipped too;
- should DuckDB refuse the group's write all the same, the transaction is rolled back and the
  group's files are loaded one transaction each, so only the failing file is rejected.

A kill at any moment leaves whole groups committed (with their ``ingest_log`` rows) and nothing
of the group in flight; the next run skips what is logged as loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb
import polars as pl
import pyarrow as pa

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, TABLES
from toolkit.ingest.core.loader import (
    CHILD_OF,
    CONFLICT_KEYS,
    LOG_COLUMNS,
    TABLE_ORDER,
    FileResult,
    Validated,
    arrow_batches,
    differs,
    key_clash,
    load_validated,
    log_row,
    mark_rejected,
    path_of,
    sample_conflict,
)

#: Which file of the group (its index) and which row of that file a staged row is.
FILE, ROW = "_file", "_row"


@dataclass
class _Staged:
    """One table's rows of every live file of the group, with file, row and line columns."""

    frame: pl.DataFrame
    #: files of the group whose frame for this table has file lines (else rows are counted)
    with_lines: set[int]


def load_group(
    conn: duckdb.DuckDBPyConnection, items: Sequence[Validated], *, replace: bool = False
) -> list[FileResult]:
    """Write ``items`` (validated files and duplicates, in load order); one result per item.

    With ``replace`` (``ingest --replace``: a file removes the earlier export from its
    location in its own transaction) the files are written one transaction each.
    """
    if len(items) <= 1 or replace:
        return [load_validated(conn, item, replace=replace) for item in items]
    attempt = [_fresh(item) for item in items]
    conn.execute("begin transaction")
    try:
        _load(conn, attempt)
        conn.execute("commit")
    except duckdb.Error as exc:
        _rollback(conn)
        if "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc):
            raise  # not a file's fault: the batch reports it
        # one transaction per file: the file DuckDB refuses is rejected alone
        return [load_validated(conn, item) for item in items]
    except BaseException:
        _rollback(conn)
        raise
    _count_unknown_directions(conn, attempt)
    return [item.result for item in attempt]


def _count_unknown_directions(conn: duckdb.DuckDBPyConnection, items: list[Validated]) -> None:
    """Fill the ``unknown_direction_segments`` note of the group's files with one query (what
    :func:`~toolkit.ingest.core.loader.unknown_segments` counts per file); the ``sessions``
    view is asked only about the group's participant range, so its cost stays per group."""
    noted = [
        item
        for item in items
        if item.result.status in ("loaded", "salvaged")
        and "unknown_direction_segments" in item.result.notes
    ]
    if not noted:
        return
    ids = pl.concat(
        [
            frame["participant_id"]
            for item in noted
            for name, frame in item.frames.items()
            if name == "raw_treadmill_segments" and frame.height
        ]
        or [pl.Series("participant_id", [], pl.String)]
    )
    counts = dict(
        conn.execute(
            "select r.source_sha256, count(*) from sessions s join (select distinct "
            "source_sha256, participant_id, session_id, segment from raw_treadmill_segments "
            "where source_sha256 in (select unnest(?::varchar[]))) r "
            "using (participant_id, session_id, segment) where s.direction = 'unknown' "
            "and s.participant_id between ? and ? group by r.source_sha256",
            [[item.result.sha256 for item in noted], ids.min(), ids.max()],
        ).fetchall()
    )
    for item in noted:
        item.result.notes["unknown_direction_segments"] = int(counts.get(item.result.sha256, 0))


def log_many(conn: duckdb.DuckDBPyConnection, results: Sequence[FileResult]) -> None:
    """Append ``results`` to ``raw_ingest_log`` with one statement (in the open transaction)."""
    if not results:
        return
    rows = [log_row(result) for result in results]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(LOG_COLUMNS)}
    conn.register("_log_rows", pa.table(columns))
    try:
        cols = ", ".join(LOG_COLUMNS)
        conn.execute(f"insert into raw_ingest_log ({cols}) select {cols} from _log_rows")
    finally:
        conn.unregister("_log_rows")


def _fresh(item: Validated) -> Validated:
    """A copy whose result this attempt may change without touching the caller's."""
    result = replace(item.result, rows=dict(item.result.rows), notes=dict(item.result.notes))
    return Validated(result, item.frames, item.error)


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # DuckDB may have ended a failed transaction itself
        conn.execute("rollback")


def _load(conn: duckdb.DuckDBPyConnection, items: list[Validated]) -> None:
    live = []
    for index, item in enumerate(items):
        if item.error is not None:
            mark_rejected(item.result, IngestError(*item.error))
        elif item.result.status != "duplicate":
            live.append(index)
    while True:
        staged = _stage(items, live)
        clash = _first_clash(conn, staged, items)
        if clash is None:
            break
        index, exc = clash
        mark_rejected(items[index].result, exc)
        live.remove(index)
    _insert(conn, staged, items, live)
    log_many(conn, [item.result for item in items])


def _stage(items: list[Validated], live: list[int]) -> dict[str, _Staged]:
    parts: dict[str, list[pl.DataFrame]] = {}
    with_lines: dict[str, set[int]] = {}
    for index in live:
        for name, frame in items[index].frames.items():
            cols = TABLES[name].column_names
            has_lines = LINE in frame.columns
            line = pl.col(LINE) if has_lines else pl.int_range(1, pl.len() + 1)
            parts.setdefault(name, []).append(
                frame.select(
                    *cols,
                    line.cast(pl.Int64).alias(LINE),
                    pl.lit(index, dtype=pl.Int32).alias(FILE),
                    pl.int_range(0, pl.len(), dtype=pl.Int64).alias(ROW),
                )
            )
            if has_lines:
                with_lines.setdefault(name, set()).add(index)
    return {
        name: _Staged(pl.concat(frames, how="vertical"), with_lines.get(name, set()))
        for name, frames in parts.items()
    }


def _stored(name: str, frame: pl.DataFrame) -> tuple[str, list[object]]:
    """A condition on the stored table ``t`` that keeps only the group's participant range,
    and its parameters.

    The staged rows could only match stored rows of their own participants; saying so with
    constants lets DuckDB skip the row groups of every other participant (their min/max
    statistics), so a check costs what the group holds, not what the study holds.
    """
    if "participant_id" not in TABLES[name].key or not frame.height:
        return "true", []
    ids = frame["participant_id"]
    return "t.participant_id between ? and ?", [ids.min(), ids.max()]


def _checks(name: str) -> list[tuple[tuple[str, ...], str]]:
    """The clash checks of a table in the order the one-file load runs them: a sample given
    another value (:data:`CONFLICT_KEYS`), then a key given other values."""
    table = TABLES[name]
    checks: list[tuple[tuple[str, ...], str]] = []
    if name in CONFLICT_KEYS:
        key = CONFLICT_KEYS[name]
        values = [c for c in table.key if c not in key]
        checks.append((key, " or ".join(f"t.{c} is distinct from i.{c}" for c in values)))
    if table.key:
        checks.append((table.key, differs(name)))
    return checks


def _first_clash(
    conn: duckdb.DuckDBPyConnection, staged: dict[str, _Staged], items: list[Validated]
) -> tuple[int, IngestError] | None:
    """The earliest file (in load order) that would be rejected for a clash, and why."""
    found: list[tuple[int, int, int]] = []  # file, table order, check
    for name, stage in staged.items():
        if not stage.frame.height:
            continue
        stored, params = _stored(name, stage.frame)
        for number, (key, differ) in enumerate(_checks(name)):
            on = " and ".join(f"t.{k} = i.{k}" for k in key)
            conn.register("_incoming", arrow_batches(stage.frame))
            try:
                rows = conn.execute(
                    f"select distinct i.{FILE} from _incoming i join {name} t on {on} "
                    f"and {stored} where {differ} union "
                    f"select distinct i.{FILE} from _incoming i join _incoming t "
                    f"on {on} and t.{FILE} < i.{FILE} where {differ}",
                    params,
                ).fetchall()
            finally:
                conn.unregister("_incoming")
            found += [(row[0], TABLE_ORDER.index(name), number) for row in rows]
    if not found:
        return None
    index, order, number = min(found)
    name = TABLE_ORDER[order]
    return index, _clash_error(conn, staged[name], items, name, index, number)


def _clash_error(
    conn: duckdb.DuckDBPyConnection,
    stage: _Staged,
    items: list[Validated],
    name: str,
    index: int,
    number: int,
) -> IngestError:
    """What the one-file load would say about file ``index``'s first clash in ``name``."""
    key, differ = _checks(name)[number]
    on = " and ".join(f"t.{k} = i.{k}" for k in key)
    keys = ", ".join(f"i.{k}" for k in key)
    stored, params = _stored(name, stage.frame)
    conn.register("_incoming", arrow_batches(stage.frame))
    try:
        line, sha, other, *values = conn.execute(
            f"select i.{LINE}, t.source_sha256, null::integer, {keys} from _incoming i "
            f"join {name} t on {on} and {stored} where i.{FILE} = ? and ({differ}) union all "
            f"select i.{LINE}, null, t.{FILE}, {keys} from _incoming i join _incoming t "
            f"on {on} and t.{FILE} < i.{FILE} where i.{FILE} = ? and ({differ}) "
            "order by 1, 3 nulls first limit 1",
            [*params, index, index],
        ).fetchone() or (0, None, None)
    finally:
        conn.unregister("_incoming")
    source = path_of(conn, sha) if sha is not None else items[other].result.path
    if number == 0 and name in CONFLICT_KEYS:
        return sample_conflict(key, dict(zip(key, values, strict=True)), source)
    return key_clash(key, source, line, index in stage.with_lines)


def _insert(
    conn: duckdb.DuckDBPyConnection,
    staged: dict[str, _Staged],
    items: list[Validated],
    live: list[int],
) -> None:
    """Insert the rows of the live files that are new; fill each file's row counts and notes."""
    shas = pa.table(
        {
            FILE: pa.array(live, pa.int32()),
            "sha": [items[i].result.sha256 for i in live],
        }
    )
    present_keys: dict[str, pl.DataFrame] = {}
    conn.register("_files", shas)
    try:
        for name in sorted(staged, key=TABLE_ORDER.index):
            frame = staged[name].frame
            if name in CHILD_OF:
                parent, keys = CHILD_OF[name]
                if parent in present_keys and present_keys[parent].height:
                    frame = frame.join(present_keys[parent], on=[FILE, *keys], how="anti")
            new = frame
            if TABLES[name].key and frame.height:
                present = _present(conn, name, frame)
                present_keys[name] = present
                new = frame.join(present.select(FILE, ROW), on=[FILE, ROW], how="anti")
            if new.height:
                cols = TABLES[name].column_names
                conn.register("_incoming", arrow_batches(new))
                try:
                    conn.execute(
                        f"insert into {name} ({', '.join(cols)}, source_sha256) "
                        f"select {', '.join('i.' + c for c in cols)}, f.sha "
                        f"from _incoming i join _files f using ({FILE})"
                    )
                finally:
                    conn.unregister("_incoming")
            _count(items, name, frame, new)
    finally:
        conn.unregister("_files")


def _present(conn: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``frame`` whose key is stored already or given by an earlier file of the group
    (the values are equal: a clash would have rejected the file)."""
    key = TABLES[name].key
    cols = ", ".join(f"i.{c}" for c in (FILE, ROW, *key))
    on = " and ".join(f"t.{k} = i.{k}" for k in key)
    stored, params = _stored(name, frame)
    conn.register("_incoming", arrow_batches(frame))
    try:
        return conn.execute(
            f"select {cols} from _incoming i semi join {name} t on {on} and {stored} "
            f"union all "
            f"select {cols} from _incoming i "
            f"where exists (select 1 from _incoming t where {on} and t.{FILE} < i.{FILE})",
            params,
        ).pl()
    finally:
        conn.unregister("_incoming")


def _count(items: list[Validated], name: str, offered: pl.DataFrame, new: pl.DataFrame) -> None:
    offered_n = _per_file(offered)
    new_n = _per_file(new)
    for index in offered_n.keys() | {i for i, item in enumerate(items) if name in item.frames}:
        result = items[index].result
        if result.status not in ("loaded", "salvaged"):
            continue
        inserted = new_n.get(index, 0)
        result.rows[name] = inserted
        if offered_n.get(index, 0) - inserted:
            result.notes[f"{name}_rows_already_present"] = offered_n.get(index, 0) - inserted


def _per_file(frame: pl.DataFrame) -> dict[int, int]:
    counts = frame.group_by(FILE).len()
    return dict(zip(counts[FILE].to_list(), counts["len"].to_list(), strict=True))
