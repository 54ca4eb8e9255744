"""Ingest a batch of paths: expand, order (rosters first), load each file, report."""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from tqdm import tqdm

from toolkit.errors import DiskFullError
from toolkit.ingest.core.loader import FileResult, ingest_file, load_participants, reject
from toolkit.ingest.core.registry import HEAD_BYTES, FormatModule, detect
from toolkit.ingest.core.sources import SourceFile, Unreadable, ZipLimits, expand
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
) -> IngestReport:
    """Ingest every file under ``paths`` into the open study; one transaction per file.

    ``progress`` shows a progress bar (default: when stderr is a terminal); ``limits`` bound
    what zips may unpack; ``salvage`` keeps the complete records of damaged device files.
    ``replace``: a file ingested from the same location as a loaded one replaces it (see
    :func:`~toolkit.ingest.core.loader.ingest_file`). Zips are extracted into a private
    per-process folder (:mod:`toolkit.private_temp`), removed at the end. A full disk raises
    :class:`~toolkit.errors.DiskFullError` saying which files were committed before it.
    """
    report = IngestReport()
    show = sys.stderr.isatty() if progress is None else progress
    with private_workdir("ingest") as workdir:
        return _ingest_in(conn, paths, workdir, report, show, limits, salvage, replace)


def _ingest_in(
    conn: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    workdir: Path,
    report: IngestReport,
    show: bool,
    limits: ZipLimits | None,
    salvage: bool,
    replace: bool,
) -> IngestReport:
    current = "the zip archives"
    try:
        planned: list[tuple[int, int, SourceFile, FormatModule | None]] = []
        for index, item in enumerate(expand([Path(p) for p in paths], workdir, limits)):
            if isinstance(item, Unreadable):
                result = FileResult(item.name, "", None, "rejected")
                report.files.append(reject(conn, result, item.error))
                continue
            module = detect(item.head(HEAD_BYTES), item.name)
            order = module.LOAD_ORDER if module is not None else 1000
            planned.append((order, index, item, module))
        planned.extend(_manifests_beside(planned))
        planned.sort(key=lambda p: (p[0], p[1]))
        participants = load_participants(conn)
        bar = tqdm(planned, desc="ingest", unit="file", disable=not show, file=sys.stderr)
        for _, _, source, module in bar:
            bar.set_postfix_str(source.path.name[-30:])
            current = source.name
            result = ingest_file(
                conn, source, participants, module, salvage=salvage, replace=replace
            )
            report.files.append(result)
            if result.status in ("loaded", "salvaged") and result.rows.get("raw_participants"):
                participants = load_participants(conn)
    except (OSError, duckdb.Error) as exc:
        if is_disk_full(exc):
            raise _disk_full(report, current, exc) from exc
        raise
    return report
