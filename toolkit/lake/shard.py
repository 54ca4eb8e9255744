"""``retrowalk ingest --lake``: one batch job's files straight into a shard of a lake.

The files go through the ordinary ingest (the same detection, parsers, validation and per-file
transactions) into a temporary study in a private temporary folder, which is then exported as the
shard and deleted. So independent jobs (one per participant shard, as cohort platforms run them)
need no shared DuckDB file, and there is one parser path, not two.

Files that only provide context (the roster, so device files can be linked to participants) are
passed as ``context``: they are loaded into the temporary study but their rows stay out of the
shard, because another shard (the one given the roster as a PATH) writes them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolkit.ingest.core.batch import IngestReport
from toolkit.lake.write import DEFAULT_BUCKETS, check_shard_name, export_connection
from toolkit.study import open_study


def default_shard_name(paths: Sequence[Path | str]) -> str:
    """``batch-`` and 12 hex digits of the sha256 of the inputs' sorted absolute paths.

    The same inputs give the same name, so re-running a job replaces its own shard.
    """
    joined = "\n".join(sorted(str(Path(p).resolve()) for p in paths))
    return "batch-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]


def ingest_shard(
    lake: Path,
    paths: Sequence[Path | str],
    *,
    shard: str | None = None,
    context: Sequence[Path | str] = (),
    buckets: int = DEFAULT_BUCKETS,
    progress: bool | None = None,
    salvage: bool = False,
) -> tuple[IngestReport, dict[str, Any]]:
    """Ingest ``paths`` and write them to ``lake`` as shard ``shard``; the report and manifest.

    Re-running with the same shard name replaces the shard (idempotent). The lake's study-level
    tables (reference data, settings) must match the temporary study's, else a LakeError.
    ``salvage`` is ``retrowalk ingest --salvage``: complete records of damaged device files.
    """
    name = check_shard_name(shard or default_shard_name(paths))
    workdir = Path(tempfile.mkdtemp(prefix="retrowalk-shard-"))  # mode 0700: private
    try:
        with open_study(workdir / "shard.duckdb") as study:
            context_report = study.ingest(list(context), progress=False) if context else None
            report = study.ingest(list(paths), progress=progress, salvage=salvage)
            own = {f.sha256 for f in report.files}
            skip = (
                {f.sha256 for f in context_report.files if f.status == "loaded"} - own
                if context_report is not None
                else set()
            )
            manifest = export_connection(
                study.conn,
                lake,
                name,
                buckets=buckets,
                skip_sources=skip,
                study_tables_mode="check",
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if context_report is not None and context_report.rejected:
        report.files[:0] = context_report.rejected
    return report, manifest
