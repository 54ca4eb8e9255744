"""Apple Health exports: ``export.zip`` / ``apple_health_export/export.xml``.

The Health app's "Export All Health Data" writes ``export.zip`` holding
``apple_health_export/export.xml`` (the data, often several GB) next to companion files:
``export_cda.xml`` (a clinical summary), ``workout-routes/*.gpx``, ``electrocardiograms/*.csv``
and others. retrowalk reads ``export.xml``:

- ``Record`` elements of the types in :data:`toolkit.ingest.apple_health.records.METRICS`
  become ``raw_wearable_samples`` rows in SI units (other types are counted and skipped);
- ``Workout`` elements become ``raw_wearable_workouts`` rows (activity, indoor flag from the
  ``HKIndoorWorkout`` metadata entry, duration, distance).

Companion files: any file below a folder named ``apple_health_export`` other than
``export.xml``, and any ``export_cda.xml``, is recognised as part of an Apple Health export and
logged as loaded with no rows (note ``apple_health_companion_files_skipped``), so unzipping or
ingesting a whole export does not produce rejections for files that hold nothing retrowalk
reads.

The export is linked to a participant by its path (:mod:`toolkit.ingest.core.linkage`). Exact
repeats within one export are dropped and counted (``duplicate_samples_dropped``); samples
already in the study (an overlapping, newer export of the same phone) are skipped by the loader
on the key ``participant_id, metric, source, start_at, end_at, value``. Reading is streamed
and safe (:mod:`toolkit.ingest.apple_health.scan`): a DTD declaring entities, a malformed or
truncated file is rejected and nothing from it is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import polars as pl

from toolkit.ingest.apple_health.records import METRICS, records_to_samples, workouts_frame
from toolkit.ingest.apple_health.scan import BLOCK_BYTES, ScanResult, scan_export
from toolkit.ingest.core.canonical import TABLES
from toolkit.ingest.core.linkage import link_participant
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.repeats import drop_exact_repeats

FORMAT = "apple_health"
LOAD_ORDER = 30
LOADS: tuple[str, ...] = ("raw_wearable_samples", "raw_wearable_workouts", "raw_source_links")
#: every export holds the participant's whole history so far: with ``ingest --replace`` a
#: newer export of the same participant replaces the earlier one (toolkit.ingest.core.loader)
CUMULATIVE = True
EXPORT_FOLDER = "apple_health_export"
_ROOT = re.compile(rb"<HealthData[\s>/]|<!DOCTYPE\s+HealthData[\s\[>]")


def _path_parts(name: str) -> list[str]:
    """Path components of a source name (``archive.zip!member`` or a plain path)."""
    return [p for part in name.replace("\\", "/").split("!") for p in PurePosixPath(part).parts]


def is_companion(name: str) -> bool:
    """Whether ``name`` is a file of an Apple Health export that holds nothing we read."""
    parts = _path_parts(name)
    if not parts:
        return False
    filename = parts[-1].lower()
    if filename == "export_cda.xml":
        return True
    return EXPORT_FOLDER in parts[:-1] and filename != "export.xml"


def sniff(head: bytes, name: str) -> bool:
    """An XML file whose root is ``HealthData``, or a companion file of an export."""
    return bool(_ROOT.search(head)) or is_companion(name)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read one ``export.xml`` into samples and workouts of one participant."""
    if is_companion(ctx.source_name):
        return ParsedFile({}, notes={"apple_health_companion_files_skipped": 1})
    participant = link_participant(ctx, "an Apple Health export")
    return read_export(path, participant, on_progress=ctx.progress)


def read_export(
    path: Path,
    participant: str,
    *,
    block_bytes: int = BLOCK_BYTES,
    on_progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Scan ``path``, converting each block's records to canonical rows as it goes
    (``on_progress``: called with the bytes read so far)."""
    scan = scan_export(
        path,
        METRICS,
        on_progress=on_progress,
        block_bytes=block_bytes,
        convert=lambda records: records_to_samples(records, participant),
    )
    return _finish(scan.records, scan, participant)


def to_parsed(scan: ScanResult, participant: str) -> ParsedFile:
    """Canonical frames from a scan that kept raw Record attributes (the reference reader)."""
    return _finish(records_to_samples(scan.records, participant), scan, participant)


def _first_of_each(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """``frame`` without exact repeats of ``table``'s key (the first is kept).

    Rows are first compared by a 64-bit hash of the key (cheap in memory on millions of rows);
    only rows whose hash repeats are compared exactly, so a hash collision never drops a row.
    """
    key = list(TABLES[table].key)
    hashes = frame.select(pl.struct(key).hash()).to_series()
    suspects = hashes.is_duplicated().arg_true()
    if suspects.is_empty():
        return frame
    first = frame[suspects].select(pl.struct(key).is_first_distinct()).to_series()
    keep = pl.repeat(True, frame.height, eager=True).scatter(suspects.filter(~first), False)
    return frame.filter(keep)


def _finish(samples: pl.DataFrame, scan: ScanResult, participant: str) -> ParsedFile:
    unique = _first_of_each(samples, "raw_wearable_samples")
    workouts = workouts_frame(scan.workouts, participant)
    unique_workouts, _ = drop_exact_repeats(workouts, "raw_wearable_workouts", "workouts")
    return ParsedFile(
        {"raw_wearable_samples": unique, "raw_wearable_workouts": unique_workouts},
        notes={
            "apple_health_records_read": scan.records_seen,
            "apple_health_records_other_types": scan.records_seen - samples.height,
            "duplicate_samples_dropped": samples.height - unique.height,
            "duplicate_workouts_dropped": workouts.height - unique_workouts.height,
        },
    )
