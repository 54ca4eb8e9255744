"""Vendor CSV mappings: loading the TOML files and reading mapped columns into SI values.

Shared by the segment and sample layouts of :mod:`toolkit.ingest.vendor_csv.export`; the mapping
format is documented there.
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
from toolkit.ingest.core.canonical import UTC_DATETIME, position
from toolkit.ingest.core.csv_text import as_float, as_utc_timestamp
from toolkit.ingest.core.model import ParseContext
from toolkit.ingest.core.units import clock_seconds, to_si
from toolkit.ingest.core.zones import zones_for_rows

MAPPINGS = Path(__file__).with_name("mappings")
#: offsets of the zone abbreviations vendors print, in minutes east of UTC
ZONE_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "BST": 60, "CET": 60, "CEST": 120,
                      "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360,
                      "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
                      "AKST": -540, "AKDT": -480, "HST": -600, "AEST": 600, "AEDT": 660,
                      "JST": 540, "IST": 330}  # fmt: skip
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")
DIRECTION_ALIASES = {
    "backwards": "backward",
    "retro": "backward",
    "reverse": "backward",
    "forwards": "forward",
}


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


def keep_rows(text: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, dict[str, int]]:
    """The rows the mapping's ``keep`` rule selects, and a note counting the others."""
    if not mapping.keep:
        return text, {}
    column = mapping.keep["column"].lower()
    require(text, column, mapping)
    kept = text[column].is_in(list(mapping.keep["values"]))
    skipped = int((~kept).sum())
    return text.filter(kept), ({"rows_skipped_other_activities": skipped} if skipped else {})


def require(text: pl.DataFrame, column: str, mapping: Mapping) -> None:
    """Raise naming the layout if ``column`` is missing."""
    if column not in text.columns:
        raise IngestError(
            f"the {mapping.name} layout needs the column {column!r}; "
            f"found {', '.join(text.columns)}",
            "line 1",
        )


def value(
    text: pl.DataFrame, name: str, spec: dict[str, Any], mapping: Mapping, ctx: ParseContext
) -> pl.Series:
    """A mapped value column: a constant, text (with an optional prefix) or a number in SI."""
    if "value" in spec:
        return pl.Series(name, [spec["value"]] * text.height)
    column = spec["column"].lower()
    if column not in text.columns and spec.get("optional"):
        dtype = pl.Float64 if "kind" in spec else pl.String
        return pl.Series(name, [None] * text.height, dtype=dtype)
    require(text, column, mapping)
    if spec.get("missing"):  # vendor words for "no value", e.g. Peloton's None
        markers = list(spec["missing"])
        text = text.with_columns(
            pl.when(pl.col(column).is_in(markers))
            .then(None)
            .otherwise(pl.col(column))
            .alias(column)
        )
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


def timestamp(
    text: pl.DataFrame,
    spec: dict[str, Any],
    mapping: Mapping,
    ctx: ParseContext,
    frame: pl.DataFrame,
    name: str = "started_at",
) -> pl.Series:
    """A mapped timestamp column as UTC (``frame`` supplies participant ids for roster zones)."""
    column = spec["column"].lower()
    require(text, column, mapping)
    raw = text[column]
    if spec.get("format", "iso") == "iso":
        zones = zones_for_rows(text.with_columns(frame["participant_id"]), ctx)
        return as_utc_timestamp(text, column, zones=zones).alias(name)
    zone = spec.get("zone", "UTC")
    offsets = pl.Series([0] * text.height, dtype=pl.Int64)
    if zone == "parenthesised":
        parts = raw.str.extract_groups(r"^(.*?)\s*\(([^)]+)\)\s*$")
        local, token = parts.struct.field("1"), parts.struct.field("2")
        minutes = [offset_minutes(t) for t in token.to_list()]
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
    return utc.to_series().dt.replace_time_zone("UTC").cast(UTC_DATETIME).alias(name)


def offset_minutes(token: str | None) -> int | None:
    """Minutes east of UTC for ``PDT``, ``-04``, ``+05:30``; None if unknown."""
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


def session_ids(
    text: pl.DataFrame,
    spec: dict[str, Any],
    mapping: Mapping,
    ctx: ParseContext,
    frame: pl.DataFrame,
) -> pl.Series:
    """Session ids from a column, or from the start time (``from = "started_at"``; for a sample
    file, the first timestamp: the whole file is one session)."""
    if spec.get("from") == "started_at":
        if "recorded_at" in frame.columns:
            first = frame["recorded_at"].min()
            stamps = pl.Series([first] * frame.height, dtype=UTC_DATETIME)
        else:
            stamps = frame["started_at"]
        text_stamps = stamps.dt.strftime("%Y%m%dT%H%M%SZ")
        return (spec.get("prefix", "") + text_stamps).alias("session_id")
    return value(text, "session_id", spec, mapping, ctx).cast(pl.String).alias("session_id")
