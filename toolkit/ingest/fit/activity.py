"""FIT activity files (treadmills, watches, apps) as treadmill sessions, segments and samples.

Decoding is :func:`read_fit` (vectorised, see :mod:`toolkit.ingest.fit.read`); this module maps
an activity onto the canonical tables:

- one ``raw_treadmill_sessions`` row per FIT ``session`` message (``session_id`` is
  ``fit-`` + its UTC start, e.g. ``fit-20250305T100000Z``, so a re-export of the same session
  has the same key), ``device`` from ``file_id`` (manufacturer and product);
- segments are the session's laps, or the intervals of a direction manifest's time ranges or
  interval plan (:mod:`toolkit.ingest.direction.rules`); FIT never records walking direction, so a
  segment no manifest labels stays ``unknown`` and is counted in the report;
- samples are the ``record`` messages: speed, distance, grade (percent), heart rate and cadence
  in steps per minute (FIT stores walking/running cadence per foot, in strides per minute, plus
  ``fractional_cadence``; Garmin Connect shows twice that as steps per minute).

Only walking and running sessions are loaded: ``sub_sport`` ``treadmill``, ``indoor_walking``
or ``indoor_running``; sport ``walking`` or ``running``; or sport ``generic``, ``training`` or
``fitness_equipment`` without a sub-sport (a console that names none). Other activities (a
road ride, a swim, indoor rowing) are rejected with that reason.
The participant comes from the folder convention (a folder named after an enrolled participant
id, e.g. ``exports/RW0001/2025-03-05.fit``) or a manifest's ``participant_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import TABLES, UTC_DATETIME
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.plausibility import screen
from toolkit.ingest.direction.label import label_session, manifest_rules, participant_for
from toolkit.ingest.fit.read import read_fit, read_fit_salvaged
from toolkit.ingest.fit.scan import HeaderSizeRepaired

__all__ = ["FORMAT", "LOADS", "LOAD_ORDER", "parse", "read_fit", "sniff"]

FORMAT = "fit"
LOAD_ORDER = 10
LOADS: tuple[str, ...] = (
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
    "raw_source_links",  # how the file was linked to its participant
)
TREADMILL_SUB_SPORTS = frozenset({"treadmill", "indoor_walking", "indoor_running"})
FOOT_SPORTS = frozenset({"walking", "running"})
#: sports a console may report for a treadmill session when it names no sub-sport
UNSPECIFIC_SPORTS = frozenset({"generic", "fitness_equipment", "training"})
SAMPLE_COLUMNS = (
    "recorded_at",
    "speed_mps",
    "distance_m",
    "incline_pct",
    "heart_rate_bpm",
    "cadence_spm",
)


def sniff(head: bytes, name: str) -> bool:
    """A FIT file: the ``.FIT`` signature at bytes 8-11 (whatever the header-size byte says:
    a wrong one is reported, or repaired with ``--salvage``)."""
    return len(head) >= 12 and head[8:12] == b".FIT"


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read one FIT activity file into sessions, segments and samples."""
    rules = manifest_rules(path, ctx.parts)
    frames, damage = _read(path, ctx.salvage)
    participant = participant_for(path, ctx, rules)
    _require_activity(frames)
    samples_all, duplicates = _samples(frames.get("record"))
    headers = _sessions(frames.get("session"), samples_all)
    laps_all = _laps(frames.get("lap"))
    device = _device(frames.get("file_id"))
    out_sessions, out_segments, out_samples = [], [], []
    for k, header in enumerate(headers):
        start, duration, end = header.started_at, header.duration_s, header.end
        _require_treadmill(k, header)
        session_id = f"fit-{start:%Y%m%dT%H%M%SZ}"
        window = (pl.col("recorded_at") >= start) & (pl.col("recorded_at") <= end)
        samples = samples_all.filter(window) if len(headers) > 1 else samples_all
        laps = laps_all.filter((pl.col("started_at") >= start) & (pl.col("started_at") <= end))
        if laps.height == 0:
            laps = pl.DataFrame(
                [(0, start, duration, header.distance_m, None, None)],
                schema=_LAP_SCHEMA,
                orient="row",
            )
        laps = laps.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias("segment"))
        segments, labelled, labelling = label_session(
            path, session_id, start, duration, laps, samples, rules
        )
        ids = [pl.lit(participant).alias("participant_id"), pl.lit(session_id).alias("session_id")]
        out_segments.append(segments.with_columns(ids))
        out_samples.append(labelled.with_columns(ids))
        out_sessions.append(
            {
                "participant_id": participant,
                "session_id": session_id,
                "started_at": start,
                "duration_s": duration,
                "distance_m": header.distance_m,
                "source": FORMAT,
                "device": device,
                "labelling": labelling,
            }
        )
    segments = pl.concat(out_segments, how="diagonal_relaxed")
    samples = pl.concat(out_samples, how="diagonal_relaxed")
    # sensor glitches (a 60 m/s record) are quarantined; what no rule covers is checked here
    samples, quarantined, notes = screen("raw_treadmill_samples", samples)
    _check_ranges(samples, "raw_treadmill_samples")
    notes["unknown_direction_segments"] = int((segments["direction"] == "unknown").sum())
    if duplicates:
        notes["duplicate_timestamp_records"] = duplicates
    return ParsedFile(
        {
            "raw_treadmill_sessions": pl.DataFrame(
                out_sessions, schema_overrides={"started_at": UTC_DATETIME}
            ),
            "raw_treadmill_segments": segments,
            "raw_treadmill_samples": samples.drop("_offset"),
            **quarantined,
        },
        notes=notes,
        damage=None if damage is None else (damage.message, damage.position),
    )


def _read(path: Path, salvage: bool) -> tuple[dict[str, pl.DataFrame], IngestError | None]:
    """The file's frames; with ``salvage`` also what was damaged. Without it, a damaged file's
    rejection says how many records ``--salvage`` would keep."""
    if salvage:
        return read_fit_salvaged(path, with_offsets=True)
    try:
        return read_fit(path, with_offsets=True), None
    except IngestError as exc:
        try:
            frames, damage = read_fit_salvaged(path)
        except IngestError:
            raise exc from None
        if damage is None:
            raise
        record = frames.get("record")
        kept = 0 if record is None else record.height
        where = (
            f"({damage.message})"
            if isinstance(damage, HeaderSizeRepaired)
            else f"before {damage.position or 'the damage'}"
        )
        raise IngestError(
            f"{exc.message}; `retrowalk ingest --salvage` would keep the {kept} complete "
            f"record(s) {where}",
            exc.position,
        ) from exc


_LAP_SCHEMA: dict[str, pl.DataType] = {
    "segment": pl.Int32(),
    "started_at": UTC_DATETIME,
    "duration_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "mean_speed_mps": pl.Float64(),
    "incline_pct": pl.Float64(),
}


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType | None = None) -> pl.Expr:
    dtype = dtype or pl.Float64()
    if name in frame.columns:
        have = frame[name].dtype
        if have.is_nested() or (dtype.is_numeric() and not have.is_numeric()):
            raise IngestError(
                f"the FIT field {name!r} holds {have} values where the profile defines one "
                "value per message: the file is malformed"
            )
        return pl.col(name).cast(dtype)
    return pl.lit(None, dtype=dtype)


def _require_activity(frames: dict[str, pl.DataFrame]) -> None:
    file_id = frames.get("file_id")
    if file_id is not None and "type" in file_id.columns and file_id.height:
        kind = file_id["type"][0]
        if kind is not None and kind != "activity":
            raise IngestError(f"this FIT file is a {kind!r} file, not an activity recording")
    if "record" not in frames and "session" not in frames:
        raise IngestError("the FIT file holds no activity: no session and no record messages")


def _samples(records: pl.DataFrame | None) -> tuple[pl.DataFrame, int]:
    """Record messages as samples (plus ``_offset``); repeats of a timestamp are dropped."""
    if records is None or "timestamp" not in records.columns:
        empty = pl.DataFrame(schema={"recorded_at": UTC_DATETIME, "_offset": pl.Int64})
        return empty.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(c) for c in SAMPLE_COLUMNS[1:]]
        ), 0
    cadence = _col(records, "cadence") + _col(records, "fractional_cadence").fill_null(0.0)
    samples = records.select(
        pl.col("timestamp").alias("recorded_at"),
        _col(records, "speed").alias("speed_mps"),
        _col(records, "distance").alias("distance_m"),
        _col(records, "grade").alias("incline_pct"),
        _col(records, "heart_rate").alias("heart_rate_bpm"),
        (cadence * 2).alias("cadence_spm"),
        pl.col("_offset"),
    ).filter(pl.col("recorded_at").is_not_null())
    unique = samples.unique(subset="recorded_at", keep="first", maintain_order=True)
    return unique, samples.height - unique.height


@dataclass(frozen=True)
class SessionHeader:
    """What the parser needs of one FIT ``session`` message."""

    started_at: datetime
    duration_s: float
    distance_m: float | None
    sport: str | None
    sub_sport: str | None

    @property
    def end(self) -> datetime:
        """When the session ended."""
        return self.started_at + timedelta(seconds=self.duration_s)


def _sessions(sessions: pl.DataFrame | None, samples: pl.DataFrame) -> list[SessionHeader]:
    """Session headers from ``session`` messages, else from the records' time span."""
    out: list[SessionHeader] = []
    if sessions is not None and "start_time" in sessions.columns:
        rows = sessions.select(
            pl.col("start_time").alias("started_at"),
            _col(sessions, "total_elapsed_time").alias("duration_s"),
            _col(sessions, "total_distance").alias("distance_m"),
            _col(sessions, "sport", pl.String()).alias("sport"),
            _col(sessions, "sub_sport", pl.String()).alias("sub_sport"),
            _col(sessions, "timestamp", UTC_DATETIME).alias("end"),
        ).to_dicts()
        for row in rows:
            start, duration, end = row["started_at"], row["duration_s"], row["end"]
            if start is None:
                continue
            if duration is None and end is not None:
                duration = (end - start).total_seconds()
            if duration is not None:
                out.append(
                    SessionHeader(
                        start, duration, row["distance_m"], row["sport"], row["sub_sport"]
                    )
                )
    if out:
        return out
    if samples.height == 0:
        raise IngestError("the FIT file's session has no start time and there are no records")
    stamps = samples["recorded_at"].to_list()
    distance = [d for d in samples["distance_m"].to_list() if d is not None]
    return [
        SessionHeader(
            min(stamps),
            (max(stamps) - min(stamps)).total_seconds(),
            max(distance) - min(distance) if distance else None,
            None,
            None,
        )
    ]


def _laps(laps: pl.DataFrame | None) -> pl.DataFrame:
    if laps is None or "start_time" not in laps.columns:
        return pl.DataFrame(schema=_LAP_SCHEMA)
    elapsed = _col(laps, "total_elapsed_time")
    distance = _col(laps, "total_distance")
    return laps.select(
        pl.lit(0, dtype=pl.Int32).alias("segment"),
        pl.col("start_time").alias("started_at"),
        elapsed.alias("duration_s"),
        distance.alias("distance_m"),
        pl.coalesce(_col(laps, "avg_speed"), distance / elapsed).alias("mean_speed_mps"),
        _col(laps, "avg_grade").alias("incline_pct"),
    ).filter(pl.col("started_at").is_not_null() & pl.col("duration_s").is_not_null())


def _device(file_id: pl.DataFrame | None) -> str | None:
    if file_id is None or file_id.height == 0:
        return None
    row = file_id.row(0, named=True)
    product = row.get("product_name") or row.get("garmin_product") or row.get("product")
    parts = [str(p) for p in (row.get("manufacturer"), product) if p is not None]
    return " ".join(parts) or None


def _require_treadmill(k: int, header: SessionHeader) -> None:
    sport, sub_sport = header.sport, header.sub_sport
    if sub_sport in TREADMILL_SUB_SPORTS:
        return
    if sport is None or sport in FOOT_SPORTS:
        return
    if sport in UNSPECIFIC_SPORTS and sub_sport in (None, "generic"):
        return
    raise IngestError(
        f"session {k + 1} records {sport} ({sub_sport or 'no sub-sport'}), not a treadmill or "
        "indoor walking session; only treadmill, indoor walking or running sessions are loaded"
    )


def _check_ranges(samples: pl.DataFrame, table: str) -> None:
    """Reject the first implausible sample value, naming its record and byte in the file."""
    for column in TABLES[table].columns:
        if column.low is None or column.name not in samples.columns:
            continue
        values = samples[column.name]
        bad = values.is_not_null() & ((values < column.low) | (values > column.high))
        if bad.any():
            row = int(bad.arg_true()[0])
            raise IngestError(
                f"{values[row]:g} {column.unit} is outside the plausible range "
                f"{column.low:g} to {column.high:g} for {column.name}",
                f"record {row + 1} (byte {samples['_offset'][row]})",
            )
