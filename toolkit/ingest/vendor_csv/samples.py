"""Vendor CSV sample layout: one row per recorded sample (usually each second).

Mapped columns (see :mod:`toolkit.ingest.vendor_csv.export`): ``timestamp``* and ``session_id``*
(a column, or ``from = "started_at"``: the whole file is one session named after its first
timestamp), and any of ``speed_mps``, ``distance_m`` (cumulative), ``incline_pct``,
``heart_rate_bpm``, ``cadence_spm``, ``direction``, ``device``, ``participant_id``.

Segments: with a ``direction`` column, the runs of one direction within a session; without
one, the whole session, labelled (or cut into intervals) by direction manifests exactly as a
FIT session is. Each sample lasts until the next; the last lasts the median interval.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, UTC_DATETIME, position
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction.label import label_session, manifest_rules, participant_for
from toolkit.ingest.direction.rules import Rule
from toolkit.ingest.vendor_csv.mapping import (
    DIRECTION_ALIASES,
    Mapping,
    session_ids,
    timestamp,
    value,
)

SAMPLE_FIELDS = ("speed_mps", "distance_m", "incline_pct", "heart_rate_bpm", "cadence_spm")


def parse_samples(
    mapping: Mapping, path: Path, text: pl.DataFrame, ctx: ParseContext, notes: dict[str, int]
) -> ParsedFile:
    """Sessions, segments and samples of a vendor sample file."""
    cols = mapping.columns
    rules = manifest_rules(path, ctx.parts)
    if "participant_id" in cols:
        participant = value(text, "participant_id", cols["participant_id"], mapping, ctx)
    else:
        participant = pl.Series([participant_for(path, ctx, rules)] * text.height)
    frame = pl.DataFrame({"participant_id": participant.cast(pl.String), LINE: text[LINE]})
    frame = frame.with_columns(
        timestamp(text, cols["timestamp"], mapping, ctx, frame, "recorded_at")
    )
    frame = frame.with_columns(session_ids(text, cols["session_id"], mapping, ctx, frame))
    for name in (*SAMPLE_FIELDS, "direction", "device"):
        if name in cols:
            frame = frame.with_columns(value(text, name, cols[name], mapping, ctx).alias(name))
        else:
            dtype = pl.String if name in ("direction", "device") else pl.Float64
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    frame = frame.with_columns(pl.col("direction").str.to_lowercase().replace(DIRECTION_ALIASES))
    keys = ["participant_id", "session_id", "recorded_at"]
    repeated = frame.select(keys).is_duplicated()
    if repeated.any():
        row = int(repeated.arg_true()[0])
        raise IngestError(
            f"session {frame['session_id'][row]!r} has two samples at {frame['recorded_at'][row]}",
            position(frame, row),
        )
    sessions, segments, samples = [], [], []
    for (pid, sid), rows in frame.sort(keys).group_by(
        "participant_id", "session_id", maintain_order=True
    ):
        seg, smp, session = _session(path, str(pid), str(sid), rows, rules)
        segments.append(seg)
        samples.append(smp)
        sessions.append(session)
    all_segments = pl.concat(segments, how="diagonal_relaxed")
    notes["unknown_direction_segments"] = int((all_segments["direction"] == "unknown").sum())
    return ParsedFile(
        {
            "raw_treadmill_sessions": pl.DataFrame(
                sessions, schema_overrides={"started_at": UTC_DATETIME}
            ),
            "raw_treadmill_segments": all_segments,
            "raw_treadmill_samples": pl.concat(samples, how="diagonal_relaxed"),
        },
        notes=notes,
    )


def _session(
    path: Path, pid: str, sid: str, rows: pl.DataFrame, rules: list[Rule]
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, object]]:
    seconds = rows["recorded_at"].dt.epoch("us").to_numpy() / 1e6
    gaps = np.diff(seconds)
    last = float(np.median(gaps)) if gaps.size else 1.0
    start: datetime = rows["recorded_at"][0]
    duration = float(seconds[-1] - seconds[0]) + last
    samples = rows.select("recorded_at", *SAMPLE_FIELDS, "direction", LINE)
    ids = [pl.lit(pid).alias("participant_id"), pl.lit(sid).alias("session_id")]
    labelling = "export"
    if samples["direction"].null_count() < samples.height:
        labelled = samples.with_columns(pl.col("direction").fill_null("unknown"))
        segments = _runs(labelled, last)
    else:
        distance = samples["distance_m"].drop_nulls().to_numpy()
        covered = float(distance.max() - distance.min()) if distance.size else None
        whole = pl.DataFrame(
            [(0, start, duration, covered, None, None)], schema=_WHOLE, orient="row"
        )
        segments, labelled, labelling = label_session(
            path, sid, start, duration, whole, samples.drop("direction"), rules
        )
    device = rows["device"].drop_nulls()
    distances = segments["distance_m"]
    session = {
        "participant_id": pid,
        "session_id": sid,
        "started_at": start,
        "duration_s": duration,
        "distance_m": float(distances.sum()) if distances.null_count() == 0 else None,
        "source": "vendor_csv",
        "device": device[0] if device.len() else None,
        "labelling": labelling,
    }
    return segments.with_columns(ids), labelled.with_columns(ids), session


_WHOLE: dict[str, pl.DataType] = {
    "segment": pl.Int32(),
    "started_at": UTC_DATETIME,
    "duration_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "mean_speed_mps": pl.Float64(),
    "incline_pct": pl.Float64(),
}


def _runs(samples: pl.DataFrame, last: float) -> pl.DataFrame:
    """Segments as runs of one direction; each sample lasts until the next one."""
    timed = samples.with_columns(
        (pl.col("recorded_at").shift(-1) - pl.col("recorded_at"))
        .dt.total_microseconds()
        .truediv(1e6)
        .fill_null(last)
        .alias("dt"),
        (pl.col("direction") != pl.col("direction").shift(1))
        .fill_null(True)
        .cum_sum()
        .sub(1)
        .cast(pl.Int32)
        .alias("segment"),
    )
    return (
        timed.group_by("segment", maintain_order=True)
        .agg(
            pl.col("direction").first(),
            pl.col("recorded_at").min().alias("started_at"),
            pl.col("dt").sum().alias("duration_s"),
            (pl.col("speed_mps") * pl.col("dt")).sum().alias("distance_m"),
            pl.col("incline_pct").mean(),
            pl.col("speed_mps").is_not_null().any().alias("_speed"),
        )
        .with_columns(
            pl.when(pl.col("_speed")).then(pl.col("distance_m")).alias("distance_m"),
        )
        .with_columns((pl.col("distance_m") / pl.col("duration_s")).alias("mean_speed_mps"))
        .drop("_speed")
    )
