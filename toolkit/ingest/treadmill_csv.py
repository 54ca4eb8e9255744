"""Generic treadmill CSV, in either of two documented layouts (chosen by the header).

**Segment layout**, one row per lap or interval (* required): participant_id*, session_id*,
started_at*, duration_s*, segment (0-based order; default: by started_at), direction
(backward/forward; empty means unknown), distance_m, mean_speed_mps, incline_pct, device,
timezone.

**Sample layout**, one row per recorded sample (usually each second): participant_id*,
session_id*, timestamp*, speed_mps, distance_m (cumulative), incline_pct, heart_rate_bpm,
cadence_spm, direction, device, timezone. Segments are the runs of equal direction within a
session; each sample lasts until the next one (the last lasts the session's median interval).

Units are SI (m, s, m/s) and incline in percent grade; vendor layouts with other units go
through a column mapping instead. Timestamps need a UTC offset, or are read as local time in
the ``timezone`` column's zone or else the participant's roster zone. Missing directions stay
``unknown`` and are counted in the report, never guessed.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE
from toolkit.ingest.core.csv_text import (
    as_float,
    as_int,
    as_utc_timestamp,
    header_of,
    read_text_csv,
    require_columns,
)
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.plausibility import screen
from toolkit.ingest.core.zones import zones_for_rows

FORMAT = "treadmill_csv"
LOAD_ORDER = 10
LOADS: tuple[str, ...] = (
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
)
SEGMENT_COLUMNS = ("participant_id", "session_id", "started_at", "duration_s")
SAMPLE_COLUMNS = ("participant_id", "session_id", "timestamp")
SAMPLE_FLOATS = ("speed_mps", "distance_m", "incline_pct", "heart_rate_bpm", "cadence_spm")


def sniff(head: bytes, name: str) -> bool:
    """A CSV with participant and session ids and either segment or sample timing columns."""
    header = header_of(head)
    return all(c in header for c in SEGMENT_COLUMNS) or all(c in header for c in SAMPLE_COLUMNS)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a generic treadmill file into sessions, segments and (sample layout) samples."""
    text = read_text_csv(path)
    if "timestamp" in text.columns:
        require_columns(text, SAMPLE_COLUMNS, "a treadmill sample file")
        return _parse_samples(text, ctx)
    require_columns(text, SEGMENT_COLUMNS, "a treadmill segment file")
    return _parse_segments(text, ctx)


def _directions(text: pl.DataFrame) -> pl.Series:
    if "direction" not in text.columns:
        return pl.Series("direction", ["unknown"] * text.height)
    aliases = {
        "backwards": "backward",
        "retro": "backward",
        "reverse": "backward",
        "forwards": "forward",
    }
    raw = text["direction"]
    # a file holds a handful of distinct spellings: map those, not every row
    mapping = {
        value: aliases.get(value.lower(), value.lower())
        for value in raw.drop_nulls().unique().to_list()
    }
    return raw.replace_strict(mapping, default=None).fill_null("unknown").alias("direction")


def _optional_text(text: pl.DataFrame, column: str) -> pl.Series:
    if column in text.columns:
        return text[column]
    return pl.Series(column, [None] * text.height, dtype=pl.String)


def _parse_segments(text: pl.DataFrame, ctx: ParseContext) -> ParsedFile:
    segments = pl.DataFrame(
        {
            "participant_id": text["participant_id"],
            "session_id": text["session_id"],
            "started_at": as_utc_timestamp(text, "started_at", zones=zones_for_rows(text, ctx)),
            "duration_s": as_float(text, "duration_s"),
            "direction": _directions(text),
            "distance_m": _float_or_null(text, "distance_m"),
            "mean_speed_mps": _float_or_null(text, "mean_speed_mps"),
            "incline_pct": _float_or_null(text, "incline_pct"),
            "device": _optional_text(text, "device"),
            LINE: text[LINE],
        }
    )
    if "segment" in text.columns:
        segments = segments.with_columns(as_int(text, "segment").cast(pl.Int32).alias("segment"))
    else:
        segments = segments.with_columns(
            (pl.col("started_at").rank("ordinal").over("participant_id", "session_id") - 1)
            .cast(pl.Int32)
            .alias("segment")
        )
    missing_speed = segments["mean_speed_mps"].is_null() & segments["distance_m"].is_not_null()
    segments = segments.with_columns(
        pl.when(missing_speed)
        .then(pl.col("distance_m") / pl.col("duration_s"))
        .otherwise(pl.col("mean_speed_mps"))
        .alias("mean_speed_mps")
    )
    sessions = (
        segments.group_by("participant_id", "session_id", maintain_order=True)
        .agg(
            pl.col("started_at").min(),
            pl.col("duration_s").sum(),
            pl.when(pl.col("distance_m").is_not_null().any())
            .then(pl.col("distance_m").sum())
            .alias("distance_m"),
            pl.col("device").drop_nulls().first(),
            pl.col(LINE).min(),
        )
        .with_columns(pl.lit(FORMAT).alias("source"))
    )
    unknown = int((segments["direction"] == "unknown").sum())
    return ParsedFile(
        {
            "raw_treadmill_sessions": sessions,
            "raw_treadmill_segments": segments.drop("device"),
        },
        notes={"unknown_direction_segments": unknown},
    )


def _float_or_null(text: pl.DataFrame, column: str) -> pl.Series:
    if column in text.columns:
        return as_float(text, column)
    return pl.Series(column, [None] * text.height, dtype=pl.Float64)


def _parse_samples(text: pl.DataFrame, ctx: ParseContext) -> ParsedFile:
    samples = pl.DataFrame(
        {
            "participant_id": text["participant_id"],
            "session_id": text["session_id"],
            "recorded_at": as_utc_timestamp(text, "timestamp", zones=zones_for_rows(text, ctx)),
            **{c: _float_or_null(text, c) for c in SAMPLE_FLOATS},
            "direction": _directions(text),
            LINE: text[LINE],
        }
    )
    # glitching samples are quarantined before segments are derived from them
    samples, quarantined, notes = screen("raw_treadmill_samples", samples)
    segments, sessions = _segments_from_samples(samples)
    device = _optional_text(text, "device")
    if device.null_count() < text.height:
        sessions = sessions.with_columns(pl.lit(device.drop_nulls()[0]).alias("device"))
    unknown = int((segments["direction"] == "unknown").sum())
    return ParsedFile(
        {
            "raw_treadmill_sessions": sessions,
            "raw_treadmill_segments": segments,
            "raw_treadmill_samples": samples,
            **quarantined,
        },
        notes={"unknown_direction_segments": unknown, **notes},
    )


def _session_runs(samples: pl.DataFrame) -> pl.Series:
    """An integer id per run of rows of one session (runs change where the session does)."""
    starts = (
        (samples["participant_id"] != samples["participant_id"].shift(1))
        | (samples["session_id"] != samples["session_id"].shift(1))
    ).fill_null(True)
    return starts.cum_sum().cast(pl.Int64).alias("_s")


def _in_session_time_order(samples: pl.DataFrame, runs: pl.Series) -> bool:
    """Whether each session's samples are contiguous and in time order (exports usually are)."""
    later = samples["recorded_at"].diff().dt.total_microseconds()
    same_run = runs == runs.shift(1)
    if (same_run & (later <= 0)).fill_null(False).any():
        return False
    firsts = samples.select("participant_id", "session_id").filter(~same_run.fill_null(False))
    return firsts.n_unique() == firsts.height


def _segments_from_samples(samples: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Derive segments (runs of one direction) and session headers from samples.

    Two samples of one session at the same instant are an error (found on the ordered rows).
    Files already in session and time order (the usual case) are not sorted again.
    """
    session = ["participant_id", "session_id"]
    runs = _session_runs(samples)
    if not _in_session_time_order(samples, runs):
        samples = samples.sort([*session, "recorded_at"])
        runs = _session_runs(samples)
    ordered = samples.with_columns(runs).with_columns(
        (pl.col("recorded_at").shift(-1).over("_s") - pl.col("recorded_at"))
        .dt.total_microseconds()
        .truediv(1e6)
        .alias("dt")
    )
    repeated = ordered["dt"] == 0
    if repeated.any():
        row = int(repeated.arg_true()[0])
        line = max(ordered[LINE][row], ordered[LINE][row + 1])
        raise IngestError(
            f"session {ordered['session_id'][row]!r} has two samples at "
            f"{ordered['recorded_at'][row]}",
            f"line {line}, column 'timestamp'",
        )
    timed = (
        ordered.lazy()
        .with_columns(pl.col("dt").fill_null(pl.col("dt").median().over("_s")).fill_null(1.0))
        .with_columns(
            (pl.col("direction") != pl.col("direction").shift(1))
            .or_(pl.col("_s") != pl.col("_s").shift(1))
            .fill_null(True)
            .cum_sum()
            .over("_s")
            .sub(1)
            .cast(pl.Int32)
            .alias("segment")
        )
    )
    segments = (
        timed.group_by(["_s", "segment"])
        .agg(
            pl.col("participant_id").first(),
            pl.col("session_id").first(),
            pl.col("direction").first(),
            pl.col("recorded_at").min().alias("started_at"),
            pl.col("dt").sum().alias("duration_s"),
            (pl.col("speed_mps") * pl.col("dt")).sum().alias("distance_m"),
            (
                (pl.col("incline_pct") * pl.col("dt")).sum()
                / pl.col("dt").filter(pl.col("incline_pct").is_not_null()).sum()
            )
            .fill_nan(None)  # no incline recorded: unknown, not 0/0
            .alias("incline_pct"),
            pl.col("speed_mps").is_not_null().any().alias("_has_speed"),
        )
        .with_columns(
            pl.when(pl.col("_has_speed")).then(pl.col("distance_m")).alias("distance_m"),
        )
        .with_columns((pl.col("distance_m") / pl.col("duration_s")).alias("mean_speed_mps"))
        .sort([*session, "segment"])
        .drop("_has_speed", "_s")
        .collect()
    )
    sessions = (
        segments.group_by(session, maintain_order=True)
        .agg(
            pl.col("started_at").min(),
            pl.col("duration_s").sum(),
            pl.when(pl.col("distance_m").is_not_null().any())
            .then(pl.col("distance_m").sum())
            .alias("distance_m"),
        )
        .with_columns(pl.lit(FORMAT).alias("source"))
    )
    return segments, sessions
