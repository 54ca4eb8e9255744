"""Ingest a batch of paths: expand, order (rosters first), validate, load in groups, report."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from tqdm import tqdm

from toolkit.errors import DiskFullError, IngestError
from toolkit.ingest.core.group import load_group
from toolkit.ingest.core.loader import (
    FileResult,
    Validated,
    ingest_file,
    load_participants,
    loaded_formats,
    reject,
)
from toolkit.ingest.core.parallel import Validator, default_workers
from toolkit.ingest.core.registry import HEAD_BYTES, FormatModule, detect
from toolkit.ingest.core.sources import SourceFile, Unreadable, ZipLimits, expand
from toolkit.ingest.core.tabular import ReadAs, read_as_csv
from toolkit.private_temp import private_workdir


@dataclass
class IngestReport:
    """Per-file outcomes of one batch."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileResult]:
        """Files that were not loaded because of a problem."""
        return [f for f in self.files if f.status == "rejected"]

    @property
    def exit_code(self) -> int:
        """0 when every file loaded (or was already loaded), 1 when any was rejected."""
        return 1 if self.rejected else 0

    def counts(self) -> dict[str, int]:
        """Number of files per status."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_json(self) -> str:
        """The per-file report as a JSON list."""
        return json.dumps([f.as_dict() for f in self.files], indent=2, default=str)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk or quota is full (an OSError, or DuckDB's own text)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return isinstance(exc, duckdb.Error) and (
        "No space left on device" in text or "Disk quota exceeded" in text
    )


def _disk_full(report: IngestReport, failed: str, exc: BaseException) -> DiskFullError:
    committed = [(f.path, f.status) for f in report.files]
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DiskFullError(failed, committed, detail)


#: Formats whose files take their walking direction from the direction manifests beside them.
_LABELLED_FORMATS = ("fit", "tcx", "vendor_csv")


def _manifests_beside(
    planned: list[tuple[int, int, SourceFile, FormatModule | None]],
) -> list[tuple[int, int, SourceFile, FormatModule | None]]:
    """The direction manifests that device exports in the batch see on disk but that the batch
    does not name (a FIT file ingested on its own beside its ``directions.csv``): they are
    ingested too, since the views label laps from the stored manifests (an already stored
    manifest is logged as a duplicate, which keeps it the current version)."""
    from toolkit.ingest.direction import manifest as direction_manifest
    from toolkit.ingest.direction.label import visible_manifests

    named = {source.path.resolve() for _, _, source, _ in planned}
    extra: dict[Path, SourceFile] = {}
    for _, _, source, module in planned:
        if module is None or module.FORMAT not in _LABELLED_FORMATS:
            continue
        for candidate in visible_manifests(source.path, source.parts):
            resolved = candidate.resolve()
            if resolved not in named and resolved not in extra:
                extra[resolved] = SourceFile(str(candidate), candidate, (candidate.name,))
    start = len(planned)
    return [
        (direction_manifest.LOAD_ORDER, start + i, source, direction_manifest)
        for i, source in enumerate(extra.values())
    ]


def ingest_paths(
    conn: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    *,
    progress: bool | None = None,
    limits: ZipLimits | None = None,
    salvage: bool = False,
    replace: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest every file under ``paths`` into the open study; each file all-or-nothing.

    Files are validated completely first (in ``workers`` processes; default: see
    :func:`~toolkit.ingest.core.parallel.default_workers`), then written many per transaction
    (:mod:`toolkit.ingest.core.group`) with the same outcome as one transaction per file.

    ``on_result`` is called with each file's result as soon as it is known (the CLI prints it
    then). ``progress`` shows a progress bar (default: when stderr is a terminal), measured in
    bytes so that one large file (a multi-GB Apple Health export) moves it too; ``limits`` bound
    what zips may unpack; ``salvage`` keeps the complete records of damaged device files.
    ``replace``: a file ingested from the same location as a loaded one replaces it (see
    :func:`~toolkit.ingest.core.loader.ingest_file`). Zips are extracted into a private
    per-process folder (:mod:`toolkit.private_temp`), removed at the end. A full disk raises
    :class:`~toolkit.errors.DiskFullError` saying which files were committed before it.
    """
    report = IngestReport()
    show = sys.stderr.isatty() if progress is None else progress
    with private_workdir("ingest") as workdir:
        return _ingest_in(
            conn, paths, workdir, report, show, limits, salvage, replace, on_result, workers
        )


def _ingest_in(
    conn: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    workdir: Path,
    report: IngestReport,
    show: bool,
    limits: ZipLimits | None,
    salvage: bool,
    replace: bool,
    on_result: Callable[[FileResult], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    current = "the zip archives"
    writer: _Writer | None = None
    try:
        planned: list[tuple[int, int, SourceFile, FormatModule | None]] = []
        for index, item in enumerate(expand([Path(p) for p in paths], workdir, limits)):
            if isinstance(item, Unreadable):
                result = FileResult(item.name, "", None, "rejected")
                report.files.append(reject(conn, result, item.error))
                if on_result is not None:
                    on_result(report.files[-1])
                continue
            try:  # another CSV dialect or a workbook: read through a UTF-8 comma CSV copy
                item = read_as_csv(item, workdir / "read-as")
            except IngestError as exc:
                result = FileResult(item.name, item.sha256(), None, "rejected")
                report.files.append(reject(conn, result, exc))
                if on_result is not None:
                    on_result(report.files[-1])
                continue
            module = detect(item.head(HEAD_BYTES), item.name)
            order = module.LOAD_ORDER if module is not None else 1000
            planned.append((order, index, item, module))
        planned.extend(_manifests_beside(planned))
        planned.sort(key=lambda p: (p[0], p[1]))
        sizes = {p[2].name: _size(p[2]) for p in planned}
        bar = tqdm(
            total=sum(sizes.values()),
            desc="ingest",
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=not show,
            file=sys.stderr,
        )
        how = {p[2].name: p[2].how for p in planned if isinstance(p[2], ReadAs) and p[2].how}
        writer = _Writer(conn, report, bar, replace, sizes, how, on_result)
        count = default_workers(len(planned)) if workers is None else workers
        with Validator(count, workdir, salvage=salvage) as validator:
            _run(conn, [(p[2], p[3]) for p in planned], validator, writer)
        bar.close()
    except (OSError, duckdb.Error) as exc:
        if is_disk_full(exc):
            failed = writer.current if writer is not None else current
            raise _disk_full(report, failed, exc) from exc
        raise
    return report


def _size(source: SourceFile) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0


def _run(
    conn: duckdb.DuckDBPyConnection,
    planned: list[tuple[SourceFile, FormatModule | None]],
    validator: Validator,
    writer: _Writer,
) -> None:
    """Validate ahead (a bounded window) and write in load order; rosters alone, in between."""
    validator.set_participants(participants := load_participants(conn))
    window: deque[tuple[Future[Any], SourceFile, str, FormatModule | None, int]] = deque()
    ahead_bytes = 0

    def take_one() -> None:
        nonlocal ahead_bytes
        future, source, sha, module, size = window.popleft()
        ahead_bytes -= size
        writer.add(validator.result(future, source, sha, module))

    for source, module in planned:
        if module is not None and "raw_participants" in module.LOADS:
            # later files are parsed knowing this file's participants: finish what is ahead
            while window:
                take_one()
            writer.flush()
            writer.current = source.name
            result = ingest_file(
                conn,
                source,
                participants,
                module,
                salvage=validator.salvage,
                replace=writer.replace,
            )
            writer.done([result])
            if result.status in ("loaded", "salvaged") and result.rows.get("raw_participants"):
                validator.set_participants(participants := load_participants(conn))
            continue
        sha = source.sha256()
        if sha in writer.loaded:
            writer.add(Validated(FileResult(source.name, sha, writer.loaded[sha], "duplicate")))
            continue
        size = source.path.stat().st_size
        window.append((validator.submit(source, sha, module), source, sha, module, size))
        ahead_bytes += size
        while len(window) > AHEAD_FILES or (len(window) > 1 and ahead_bytes > AHEAD_BYTES):
            take_one()
    while window:
        take_one()
    writer.flush()


#: Files validated ahead of the writer at most, and their bytes on disk at most.
AHEAD_FILES = 320
AHEAD_BYTES = 256 * 1024**2
#: A group is written when it holds this many files (``$RETROWALK_INGEST_GROUP_FILES``) or rows.
GROUP_FILES = 256
GROUP_ROWS = 1_000_000
GROUP_FILES_ENV = "RETROWALK_INGEST_GROUP_FILES"


class _Writer:
    """Collects validated files into groups and writes each group in one transaction."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        report: IngestReport,
        bar: tqdm,
        replace: bool,
        sizes: dict[str, int],
        how: dict[str, str],
        on_result: Callable[[FileResult], None] | None,
    ) -> None:
        self.conn = conn
        #: bytes of each file (the bar counts bytes), how a converted copy was read, the
        #: caller's per-file callback
        self.sizes, self.how, self.on_result = sizes, how, on_result
        #: ``ingest --replace``: files are written one per transaction (see ``load_group``)
        self.replace = replace
        self.report = report
        self.bar = bar
        #: sha256 -> format of every file loaded (before this batch, or by it so far)
        self.loaded = loaded_formats(conn)
        self.group: list[Validated] = []
        self.rows = 0
        self.max_files = max(1, int(os.environ.get(GROUP_FILES_ENV) or GROUP_FILES))
        #: the file being written (or the first of the group), for a full-disk message
        self.current = "the first file"

    def add(self, item: Validated) -> None:
        """Queue ``item``; write the group when it is full."""
        sha = item.result.sha256
        if any(queued.result.sha256 == sha for queued in self.group):
            self.flush()  # the same content twice: the second is a duplicate of the first
        if sha in self.loaded and item.result.status != "duplicate":
            item = Validated(FileResult(item.result.path, sha, self.loaded[sha], "duplicate"))
        self.group.append(item)
        self.rows += item.rows()
        if len(self.group) >= self.max_files or self.rows >= GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the queued group."""
        if self.group:
            group, self.group, self.rows = self.group, [], 0
            self.current = group[0].result.path
            self.done(load_group(self.conn, group, replace=self.replace))

    def done(self, results: list[FileResult]) -> None:
        """Record written files in the report, the progress bar and the loaded set."""
        for result in results:
            if result.path in self.how:
                result.notes[f"read as {self.how[result.path]}"] = 1
            self.report.files.append(result)
            if result.status in ("loaded", "salvaged"):
                self.loaded[result.sha256] = result.format
            if self.on_result is not None:
                self.on_result(result)
        if results:
            self.bar.set_postfix_str(Path(results[-1].path).name[-30:])
            self.bar.update(sum(self.sizes.get(r.path, 0) for r in results))
