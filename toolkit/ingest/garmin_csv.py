"""Garmin Connect activity list CSV (``Activities.csv`` from Activities > Export CSV).

Columns used: ``Activity Type`` (e.g. ``Walking``, ``Treadmill Running``, ``Indoor Walking``),
``Date`` (local start time, ``2024-03-01 08:15:00``) and ``Time`` (duration ``hh:mm:ss``,
``mm:ss`` or with fractional seconds). Each row becomes a ``raw_wearable_workouts`` row:
activity in snake case (``treadmill_running``), indoor true when the type names a treadmill or
indoor activity (unknown otherwise, never guessed), source ``Garmin Connect``.

``Date`` carries no UTC offset, so it is read in the participant's roster time zone; a time that
does not exist or is ambiguous there (daylight-saving change) rejects the file. ``Distance`` is
not stored: Garmin writes it in the account's display unit (km or miles) without saying which;
rows with a distance are counted in the note ``garmin_distance_unit_unknown``. FIT files from
Garmin devices are read by the FIT reader, not here. The file is linked to a participant by its
path (:mod:`toolkit.ingest.core.linkage`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, TABLES, position
from toolkit.ingest.core.csv_text import as_utc_timestamp, header_of, read_text_csv, require_columns
from toolkit.ingest.core.linkage import link_participant
from toolkit.ingest.core.model import ParseContext, ParsedFile

FORMAT = "garmin_csv"
LOAD_ORDER = 30
LOADS: tuple[str, ...] = ("raw_wearable_workouts",)
SOURCE = "Garmin Connect"
REQUIRED = ("activity type", "date", "time")
_DURATION = r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$"


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header has Garmin Connect's ``Activity Type``, ``Date`` and ``Time``."""
    header = header_of(head)
    return all(c in header for c in REQUIRED) and ("title" in header or "distance" in header)


def _durations(text: pl.DataFrame) -> pl.Series:
    parts = text["time"].str.extract_groups(_DURATION).struct.unnest()
    seconds = (
        parts[parts.columns[0]].cast(pl.Float64).fill_null(0) * 3600
        + parts[parts.columns[1]].cast(pl.Float64) * 60
        + parts[parts.columns[2]].cast(pl.Float64)
    )
    bad = seconds.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"{text['time'][row]!r} is not a duration like 00:25:13", position(text, row, "Time")
        )
    return seconds


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read Garmin Connect activities into ``raw_wearable_workouts`` rows."""
    participant = link_participant(ctx, "a Garmin Connect activity export")
    text = read_text_csv(path)
    require_columns(text, REQUIRED, "a Garmin Connect activity list")
    zone = ctx.participants[participant].timezone
    zones = pl.Series("timezone", [zone] * text.height, dtype=pl.String)
    started = as_utc_timestamp(text, "date", zones=zones)
    duration = _durations(text)
    kinds = text["activity type"]
    if kinds.is_null().any():
        row = int(kinds.is_null().arg_true()[0])
        raise IngestError("an activity type is required", position(text, row, "Activity Type"))
    lowered = kinds.str.to_lowercase()
    indoor = [True if ("treadmill" in v or "indoor" in v) else None for v in lowered.to_list()]
    frame = pl.DataFrame(
        {
            "participant_id": pl.Series([participant] * text.height, dtype=pl.String),
            "started_at": started,
            "ended_at": started + pl.Series(duration * 1e6).cast(pl.Duration("us")),
            "activity": lowered.str.strip_chars().str.replace_all(r"[^a-z0-9]+", "_"),
            "indoor": pl.Series(indoor, dtype=pl.Boolean),
            "duration_s": duration,
            "distance_m": pl.Series([None] * text.height, dtype=pl.Float64),
            "source": pl.Series([SOURCE] * text.height, dtype=pl.String),
            "device": pl.Series([None] * text.height, dtype=pl.String),
            LINE: text[LINE],
        }
    )
    key = list(TABLES["raw_wearable_workouts"].key)
    unique = frame.unique(subset=key, keep="first", maintain_order=True)
    with_distance = int(text["distance"].is_not_null().sum()) if "distance" in text.columns else 0
    notes = {"duplicate_workouts_dropped": frame.height - unique.height}
    if with_distance:
        notes["garmin_distance_unit_unknown"] = with_distance
    return ParsedFile({"raw_wearable_workouts": unique}, notes=notes)
