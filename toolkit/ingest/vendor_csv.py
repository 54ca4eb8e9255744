"""Treadmill console and app CSV exports, read through TOML column mappings.

A new vendor is a data file, not code: ``toolkit/ingest/mappings/<vendor>.toml`` says how to
recognise the export (``detect``: header names that must all be present, compared in lower
case), which rows are treadmill sessions (``keep``), and where each canonical value comes from:

``{ column = "Distance (mi)", kind = "distance", unit = "mi" }``
    a column converted to SI (:mod:`toolkit.ingest.units`: speed m/s, km/h, mph, min/km,
    min/mi; distance m, km, mi, ft, yd; duration s, min, h, clock ``h:mm:ss``; incline percent
    or degrees); ``optional = true`` when the column may be absent; ``prefix`` for text ids.
``{ column = "Workout Timestamp", format = "%Y-%m-%d %H:%M", zone = "parenthesised" }``
    a timestamp: ``format`` is a strftime pattern or ``iso`` (ISO 8601 with offset, or local
    time in the roster zone); ``zone`` is ``UTC`` or ``parenthesised`` (a trailing ``(PDT)``
    or ``(-04)`` gives the offset).
``{ from = "started_at", prefix = "peloton-" }``
    a session id made from the start time; ``{ value = "Peloton Tread" }`` a constant.

Layout ``segments``: one row per session (or lap, with a ``segment`` column). Participant: a
``participant_id`` column, else the folder convention or a direction manifest, as for FIT.
Direction: a ``direction`` column, else direction manifests; otherwise ``unknown``, counted.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.canonical import LINE, UTC_DATETIME, position
from toolkit.ingest.csv_text import as_float, as_utc_timestamp, header_of, read_text_csv
from toolkit.ingest.direction_label import label_session, manifest_rules, participant_for
from toolkit.ingest.model import ParseContext, ParsedFile
from toolkit.ingest.units import clock_seconds, to_si
from toolkit.ingest.zones import zones_for_rows

FORMAT = "vendor_csv"
LOAD_ORDER = 10
MAPPINGS = Path(__file__).with_name("mappings")
#: offsets of the zone abbreviations vendors print, in minutes east of UTC
ZONE_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "BST": 60, "CET": 60, "CEST": 120,
                      "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360,
                      "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
                      "AKST": -540, "AKDT": -480, "HST": -600, "AEST": 600, "AEDT": 660,
                      "JST": 540, "IST": 330}  # fmt: skip
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")
SEGMENT_FIELDS = ("duration_s", "distance_m", "mean_speed_mps", "incline_pct")


@dataclass(frozen=True)
class Mapping:
    """One vendor layout."""

    name: str
    description: str
    layout: str
    detect: tuple[str, ...]
    template: bool
    keep: dict[str, Any] | None
    columns: dict[str, dict[str, Any]]
    path: Path


@cache
def mappings(folder: Path = MAPPINGS) -> tuple[Mapping, ...]:
    """Every mapping file shipped in ``folder``, in name order."""
    out = []
    for path in sorted(folder.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        out.append(
            Mapping(
                name=raw["name"],
                description=raw.get("description", ""),
                layout=raw.get("layout", "segments"),
                detect=tuple(c.lower() for c in raw["detect"]),
                template=bool(raw.get("template", False)),
                keep=raw.get("keep"),
                columns=raw["columns"],
                path=path,
            )
        )
    return tuple(out)


def detect(header: list[str]) -> Mapping | None:
    """The first non-template mapping whose ``detect`` columns are all in ``header``."""
    present = set(header)
    for mapping in mappings():
        if not mapping.template and all(c in present for c in mapping.detect):
            return mapping
    return None


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header matches a shipped vendor mapping."""
    return detect(header_of(head)) is not None


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a vendor export with the mapping its header matches."""
    text = read_text_csv(path)
    mapping = detect(list(text.columns))
    if mapping is None:
        raise IngestError("the header matches no vendor mapping", "line 1")
    return parse_with(mapping, path, text, ctx)


def parse_with(mapping: Mapping, path: Path, text: pl.DataFrame, ctx: ParseContext) -> ParsedFile:
    """Read ``text`` (from :func:`read_text_csv`) with ``mapping``."""
    notes: dict[str, int] = {}
    if mapping.keep:
        column = mapping.keep["column"].lower()
        _require(text, column, mapping)
        kept = text[column].is_in(list(mapping.keep["values"]))
        if (~kept).sum():
            notes["rows_skipped_other_activities"] = int((~kept).sum())
        text = text.filter(kept)
    cols = mapping.columns
    rules = manifest_rules(path, ctx.parts)
    if "participant_id" in cols:
        participant = _value(text, "participant_id", cols["participant_id"], mapping, ctx)
    else:
        participant = pl.Series("participant_id", [participant_for(path, ctx, rules)] * text.height)
    frame = pl.DataFrame({"participant_id": participant.cast(pl.String), LINE: text[LINE]})
    frame = frame.with_columns(_timestamp(text, cols["started_at"], mapping, ctx, frame))
    frame = frame.with_columns(_session_ids(text, cols["session_id"], mapping, ctx, frame))
    for name in (*SEGMENT_FIELDS, "direction", "device"):
        if name in cols:
            frame = frame.with_columns(_value(text, name, cols[name], mapping, ctx).alias(name))
        else:
            dtype = pl.String if name in ("direction", "device") else pl.Float64
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    frame = frame.with_columns(
        pl.col("direction")
        .str.to_lowercase()
        .replace(
            {
                "backwards": "backward",
                "retro": "backward",
                "reverse": "backward",
                "forwards": "forward",
            }
        ),
        pl.coalesce("mean_speed_mps", pl.col("distance_m") / pl.col("duration_s")).alias(
            "mean_speed_mps"
        ),
        (pl.col("started_at").rank("ordinal").over("participant_id", "session_id") - 1)
        .cast(pl.Int32)
        .alias("segment"),
    )
    segments = _directions(frame, path, rules)
    sessions = (
        segments.group_by("participant_id", "session_id", maintain_order=True)
        .agg(
            pl.col("started_at").min(),
            pl.col("duration_s").sum(),
            pl.when(pl.col("distance_m").is_not_null().any()).then(pl.col("distance_m").sum()),
            pl.col("device").drop_nulls().first(),
            pl.col(LINE).min(),
        )
        .with_columns(pl.lit(FORMAT).alias("source"))
    )
    notes["unknown_direction_segments"] = int((segments["direction"] == "unknown").sum())
    return ParsedFile(
        {"raw_treadmill_sessions": sessions, "raw_treadmill_segments": segments.drop("device")},
        notes=notes,
    )


def _require(text: pl.DataFrame, column: str, mapping: Mapping) -> None:
    if column not in text.columns:
        raise IngestError(
            f"the {mapping.name} layout needs the column {column!r}; "
            f"found {', '.join(text.columns)}",
            "line 1",
        )


def _value(
    text: pl.DataFrame, name: str, spec: dict[str, Any], mapping: Mapping, ctx: ParseContext
) -> pl.Series:
    if "value" in spec:
        return pl.Series(name, [spec["value"]] * text.height)
    column = spec["column"].lower()
    if column not in text.columns and spec.get("optional"):
        return pl.Series(name, [None] * text.height, dtype=pl.Float64)
    _require(text, column, mapping)
    if "kind" not in spec:
        values = text[column]
        return (spec.get("prefix", "") + values) if "prefix" in spec else values
    if spec.get("unit") == "clock":
        seconds = clock_seconds(text[column])
        bad = text[column].is_not_null() & seconds.is_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            raise IngestError(
                f"{text[column][row]!r} is not a duration like 1:02:03", position(text, row, column)
            )
        return seconds.alias(name)
    numbers = as_float(text.with_columns(text[column].str.strip_chars_end("%")), column)
    return to_si(numbers, spec["kind"], spec.get("unit", ""), f"{mapping.name}.{name}").alias(name)


def _timestamp(
    text: pl.DataFrame,
    spec: dict[str, Any],
    mapping: Mapping,
    ctx: ParseContext,
    frame: pl.DataFrame,
) -> pl.Series:
    column = spec["column"].lower()
    _require(text, column, mapping)
    raw = text[column]
    if spec.get("format", "iso") == "iso":
        zones = zones_for_rows(text.with_columns(frame["participant_id"]), ctx)
        return as_utc_timestamp(text, column, zones=zones).alias("started_at")
    zone = spec.get("zone", "UTC")
    offsets = pl.Series([0] * text.height, dtype=pl.Int64)
    if zone == "parenthesised":
        parts = raw.str.extract_groups(r"^(.*?)\s*\(([^)]+)\)\s*$")
        local, token = parts.struct.field("1"), parts.struct.field("2")
        minutes = [_offset_minutes(t) for t in token.to_list()]
        for row, (t, m) in enumerate(zip(token.to_list(), minutes, strict=True)):
            if raw[row] is not None and (t is None or m is None):
                raise IngestError(
                    f"{raw[row]!r} has no readable time zone in parentheses (like (PDT) or (-04))",
                    position(text, row, column),
                )
        offsets = pl.Series(minutes, dtype=pl.Int64).fill_null(0)
        raw = local
    parsed = raw.str.to_datetime(spec["format"], strict=False, time_unit="us")
    bad = text[column].is_not_null() & parsed.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"{text[column][row]!r} does not match the date format {spec['format']!r}",
            position(text, row, column),
        )
    utc = pl.DataFrame({"t": parsed, "m": offsets}).select(
        pl.col("t") - pl.duration(minutes=pl.col("m"))
    )
    return utc.to_series().dt.replace_time_zone("UTC").cast(UTC_DATETIME).alias("started_at")


def _offset_minutes(token: str | None) -> int | None:
    if token is None:
        return None
    token = token.strip().upper()
    if token in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[token]
    match = _OFFSET.match(token)
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return sign * (int(match.group(2)) * 60 + int(match.group(3) or 0))


def _session_ids(
    text: pl.DataFrame,
    spec: dict[str, Any],
    mapping: Mapping,
    ctx: ParseContext,
    frame: pl.DataFrame,
) -> pl.Series:
    if spec.get("from") == "started_at":
        stamps = frame["started_at"].dt.strftime("%Y%m%dT%H%M%SZ")
        return (spec.get("prefix", "") + stamps).alias("session_id")
    return _value(text, "session_id", spec, mapping, ctx).cast(pl.String).alias("session_id")


def _directions(frame: pl.DataFrame, path: Path, rules: list[Any]) -> pl.DataFrame:
    """Directions from the file, else from manifests, else ``unknown``."""
    # summary rows have no samples to cut, so only lap and whole-session rules apply here
    rules = [r for r in rules if r.plan is None and r.start_s is None]
    known = frame.filter(pl.col("direction").is_not_null())
    unlabelled = frame.filter(pl.col("direction").is_null())
    if unlabelled.height == 0 or not rules:
        return frame.with_columns(pl.col("direction").fill_null("unknown"))
    labelled = [known]
    for (_, session_id), laps in unlabelled.group_by("participant_id", "session_id"):
        laps = laps.sort("segment")
        start = laps["started_at"].min()
        duration = float(laps["duration_s"].sum())
        empty = pl.DataFrame(
            schema={
                "recorded_at": UTC_DATETIME,
                "speed_mps": pl.Float64,
                "distance_m": pl.Float64,
                "incline_pct": pl.Float64,
            }
        )
        segments, _ = label_session(
            path, str(session_id), start, duration, laps.drop("direction"), empty, rules
        )
        keep = laps.drop("direction").join(
            segments.select("segment", "direction"), on="segment", how="left"
        )
        labelled.append(keep.with_columns(pl.col("direction").fill_null("unknown")))
    return pl.concat(labelled, how="diagonal_relaxed").select(frame.columns)
