"""Direction manifests as ingested files: stored as raw rules, applied in the views.

A manifest (format in :mod:`toolkit.ingest.direction.rules`) is ingested like any other file: a
mistake in it is reported with its line and column, and each of its rows is stored in
``raw_direction_rules`` with its location (absolute path, or ``archive.zip!/member``). The
``sessions`` and ``treadmill_samples`` views label device laps from the current version of each
manifest (the one ingested last), so ingesting a corrected manifest relabels sessions already
stored. It loads before the device exports (``LOAD_ORDER`` 5); those still read the manifests
beside them to link files to participants and to cut sessions by time ranges or plans.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE
from toolkit.ingest.core.csv_text import header_of
from toolkit.ingest.core.linkage import like_pattern
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction.rules import read_manifest

FORMAT = "direction_manifest"
LOAD_ORDER = 5
LOADS: tuple[str, ...] = ("raw_direction_rules",)


def sniff(head: bytes, name: str) -> bool:
    """A CSV naming files or sessions with a direction or an interval plan, and no timing
    columns of its own (those make it a treadmill export)."""
    header = header_of(head)
    has_key = "file" in header or ("session_id" in header and "started_at" not in header)
    has_label = "direction" in header or "plan" in header
    return has_key and has_label and "timestamp" not in header and "started_at" not in header


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Validate the manifest (every row); it contributes no rows of its own."""
    if "direction" not in path.name.lower():
        raise IngestError(
            "this looks like a direction manifest, but manifests are found by name: rename it "
            "so that its name contains 'direction' (e.g. directions.csv)"
        )
    rules = read_manifest(path)
    location = PurePosixPath(ctx.location)
    rows = [
        {
            "manifest_path": str(location),
            "manifest_folder": str(location.parent),
            "line": rule.line,
            "file": rule.file,
            "file_like": None if rule.file is None else like_pattern(rule.file, rule.line),
            "session_id": rule.session_id,
            "linked_participant_id": rule.participant_id,
            "lap": rule.lap,
            "start_s": rule.start_s,
            "end_s": rule.end_s,
            "direction": rule.direction,
            "plan": None if rule.plan is None else plan_text(rule.plan),
            LINE: rule.line,
        }
        for rule in rules
    ]
    frame = pl.DataFrame(rows, schema=_SCHEMA)
    return ParsedFile({"raw_direction_rules": frame}, notes={"direction_rules": len(rules)})


_SCHEMA: dict[str, pl.DataType] = {
    "manifest_path": pl.String(),
    "manifest_folder": pl.String(),
    "line": pl.Int64(),
    "file": pl.String(),
    "file_like": pl.String(),
    "session_id": pl.String(),
    "linked_participant_id": pl.String(),
    "lap": pl.Int32(),
    "start_s": pl.Float64(),
    "end_s": pl.Float64(),
    "direction": pl.String(),
    "plan": pl.String(),
    LINE: pl.Int64(),
}


def plan_text(plan: tuple[tuple[float, str], ...]) -> str:
    """An interval plan as stored: ``60 s forward, 60 s backward``."""
    return ", ".join(f"{seconds:g} s {direction}" for seconds, direction in plan)
