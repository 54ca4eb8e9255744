"""Treadmill console and app CSV exports, read through TOML column mappings.

A new vendor is a data file, not code: ``toolkit/ingest/vendor_csv/mappings/<vendor>.toml``
says how to recognise the export (``detect``: header names that must all be present, compared in
lower case), which rows are treadmill sessions (``keep``), and where each canonical value comes
from:

``{ column = "Distance (mi)", kind = "distance", unit = "mi" }``
    a column converted to SI (:mod:`toolkit.ingest.core.units`: speed m/s, km/h, mph, min/km,
    min/mi; distance m, km, mi, ft, yd; duration s, min, h, clock ``h:mm:ss``; incline percent
    or degrees); ``optional = true`` when the column may be absent; ``prefix`` for text ids.
``{ column = "Workout Timestamp", format = "%Y-%m-%d %H:%M", zone = "parenthesised" }``
    a timestamp: ``format`` is a strftime pattern or ``iso`` (ISO 8601 with offset, or local
    time in the roster zone); ``zone`` is ``UTC`` or ``parenthesised`` (a trailing ``(PDT)``
    or ``(-04)`` gives the offset).
``{ from = "started_at", prefix = "peloton-" }``
    a session id made from the start time; ``{ value = "Peloton Tread" }`` a constant.

Layout ``segments``: one row per session or lap (segment order by start time); layout
``samples``: one row per recorded sample, with a ``timestamp`` mapping
(:mod:`toolkit.ingest.vendor_csv.samples`). Shipped: ``peloton_tread`` and
``peloton_tread_metric`` (Peloton workout history), ``strava_activities`` (Strava bulk export),
and the templates ``generic_segments`` and ``generic_samples``. Participant: a
``participant_id`` column, else the folder convention or a direction manifest, as for FIT.
Direction: a ``direction`` column, else direction manifests; otherwise ``unknown``, counted.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE
from toolkit.ingest.core.csv_text import header_of, read_text_csv
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction.label import manifest_rules, participant_for
from toolkit.ingest.vendor_csv.mapping import (
    DIRECTION_ALIASES,
    Mapping,
    detect,
    keep_rows,
    session_ids,
    timestamp,
    value,
)
from toolkit.ingest.vendor_csv.samples import parse_samples

FORMAT = "vendor_csv"
LOAD_ORDER = 10
LOADS: tuple[str, ...] = (
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
    "raw_source_links",  # how the file was linked to its participant (no participant column)
)
SEGMENT_FIELDS = ("duration_s", "distance_m", "mean_speed_mps", "incline_pct")


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header matches a shipped vendor mapping."""
    return detect(header_of(head)) is not None


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a vendor export with the mapping its header matches."""
    text = read_text_csv(path, repeated_header=True)  # mappings name each copy themselves
    mapping = detect(list(text.columns))
    if mapping is None:
        raise IngestError("the header matches no vendor mapping", "line 1")
    return parse_with(mapping, path, text, ctx)


def parse_with(mapping: Mapping, path: Path, text: pl.DataFrame, ctx: ParseContext) -> ParsedFile:
    """Read ``text`` (from :func:`read_text_csv`) with ``mapping``."""
    text, notes = keep_rows(text, mapping)
    if mapping.layout == "samples":
        return parse_samples(mapping, path, text, ctx, notes)
    cols = mapping.columns
    rules = manifest_rules(path, ctx.parts)
    if "participant_id" in cols:
        participant = value(text, "participant_id", cols["participant_id"], mapping, ctx)
    else:
        participant = pl.Series("participant_id", [participant_for(path, ctx, rules)] * text.height)
    frame = pl.DataFrame({"participant_id": participant.cast(pl.String), LINE: text[LINE]})
    frame = frame.with_columns(timestamp(text, cols["started_at"], mapping, ctx, frame))
    frame = frame.with_columns(session_ids(text, cols["session_id"], mapping, ctx, frame))
    for name in (*SEGMENT_FIELDS, "direction", "device"):
        if name in cols:
            frame = frame.with_columns(value(text, name, cols[name], mapping, ctx).alias(name))
        else:
            dtype = pl.String if name in ("direction", "device") else pl.Float64
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    frame, repeated = _without_repeats(frame)
    if repeated:
        notes["duplicate_rows_dropped"] = repeated
    frame = frame.with_columns(
        pl.col("direction").str.to_lowercase().replace(DIRECTION_ALIASES),
        pl.coalesce("mean_speed_mps", pl.col("distance_m") / pl.col("duration_s")).alias(
            "mean_speed_mps"
        ),
        (pl.col("started_at").rank("ordinal").over("participant_id", "session_id") - 1)
        .cast(pl.Int32)
        .alias("segment"),
    )
    frame, unknown_duration = _unknown_durations(frame)
    if unknown_duration:
        notes.update(unknown_duration)
    segments = _directions(frame)
    sessions = (
        segments.group_by("participant_id", "session_id", maintain_order=True)
        .agg(
            pl.col("started_at").min(),
            pl.col("duration_s").sum(),
            pl.when(pl.col("distance_m").is_not_null().any()).then(pl.col("distance_m").sum()),
            pl.col("device").drop_nulls().first(),
            pl.col(LINE).min(),
        )
        .with_columns(pl.lit(FORMAT).alias("source"), pl.lit("laps").alias("labelling"))
    )
    notes["unknown_direction_segments"] = int((segments["direction"] == "unknown").sum())
    return ParsedFile(
        {"raw_treadmill_sessions": sessions, "raw_treadmill_segments": segments.drop("device")},
        notes=notes,
    )


def _without_repeats(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Drop rows an export repeats exactly (a Strava activity listed twice would double the
    session); the same session and start with other values is a conflict, rejected."""
    values = [c for c in frame.columns if c != LINE]
    unique = frame.unique(subset=values, keep="first", maintain_order=True)
    key = ["participant_id", "session_id", "started_at"]
    clash = unique.select(key).is_duplicated()
    if clash.any():
        lines = unique.filter(clash)[LINE].to_list()[:2]
        raise IngestError(
            f"two rows give session {unique.filter(clash)['session_id'][0]!r} with the same "
            "start but different values; which is right cannot be told",
            f"lines {lines[0]} and {lines[1]}",
        )
    return unique, frame.height - unique.height


def _unknown_durations(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """Rows whose duration is unknown (Peloton writes ``None`` for distance-based classes).

    The duration is distance / mean speed where the row has both (counted as
    ``duration_from_distance_and_speed``); otherwise the row cannot be a segment and is left
    out, counted as ``rows_unknown_duration``.
    """
    missing = frame["duration_s"].is_null()
    if not missing.any():
        return frame, {}
    derivable = missing & frame["distance_m"].is_not_null() & (frame["mean_speed_mps"] > 0)
    derivable = derivable.fill_null(False)
    out = frame.with_columns(
        pl.when(pl.Series(derivable))
        .then(pl.col("distance_m") / pl.col("mean_speed_mps"))
        .otherwise(pl.col("duration_s"))
        .alias("duration_s")
    )
    dropped = missing & ~derivable
    notes = {}
    if derivable.any():
        notes["duration_from_distance_and_speed"] = int(derivable.sum())
    if dropped.any():
        notes["rows_unknown_duration"] = int(dropped.sum())
    return out.filter(~pl.Series(dropped)), notes


def _directions(frame: pl.DataFrame) -> pl.DataFrame:
    """Directions from the file, else ``unknown``: a lap the file leaves blank is labelled by
    the stored direction manifests in the views (``int_segment_directions``); summary rows
    have no samples to cut, so a manifest's time ranges and plans do not apply to them."""
    return frame.with_columns(pl.col("direction").fill_null("unknown"))
