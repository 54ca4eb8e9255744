"""Direction manifests as ingested files: checked on their own, applied by the export parsers.

A manifest (format in :mod:`toolkit.ingest.direction.rules`) is ingested like any other file so that
a mistake in it is reported with its line and column, and so that ``ingest_log`` records which
manifest was present. It loads before the device exports (``LOAD_ORDER`` 5) and writes no rows:
the FIT and TCX parsers read the manifests beside the files they parse
(:func:`toolkit.ingest.direction.label.manifest_rules`).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_text import header_of
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction.rules import read_manifest

FORMAT = "direction_manifest"
LOAD_ORDER = 5
LOADS: tuple[str, ...] = ()


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
    return ParsedFile({}, notes={"direction_rules": len(rules)})
