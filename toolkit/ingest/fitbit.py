"""Fitbit exports (Fitbit account export / Google Takeout ``Fitbit/Physical Activity/``).

Files read (one JSON array per file, usually a month from the date in the name):

- ``steps-YYYY-MM-DD.json``: ``{"dateTime": "03/01/24 08:15:00", "value": "12"}`` per minute,
  stored as ``steps`` over that minute (minutes with 0 steps are not stored);
- ``heart_rate-YYYY-MM-DD.json``: ``{"dateTime": ..., "value": {"bpm": 62, "confidence": 2}}``,
  stored as ``heart_rate`` (bpm);
- ``resting_heart_rate-YYYY-MM-DD.json``: ``{"dateTime": ..., "value": {"date": "03/01/24",
  "value": 57.8, "error": 6.8}}``, stored as ``resting_heart_rate`` (bpm) for that day;
- ``very_active_minutes-...json`` and ``moderately_active_minutes-...json``:
  ``{"dateTime": "03/01/24 00:00:00", "value": "12"}``, stored as ``very_active_time`` and
  ``moderately_active_time`` (s) for that day.

Intraday times (steps, heart rate) are written by Fitbit in UTC and stored as such; daily
values (resting heart rate, active minutes) belong to a calendar day and are stored at local
midnight of that day in the participant's roster time zone. A resting heart rate of 0 is
Fitbit's "not computed" and is skipped (counted as ``fitbit_resting_hr_not_computed``), as is a
day written with ``"date": null``; implausible values (a 1,021-step minute) are quarantined by
the plausibility rules (:mod:`toolkit.ingest.core.plausibility`), the rest of the file loads. A file
may start with a UTF-8 byte-order mark. Current Google Takeout CSV files (``steps_2024-09-01.csv``
...) are read by :mod:`toolkit.ingest.fitbit_takeout`. Fitbit's "active minutes" are very plus
moderately (fairly) active minutes; ``wearable_daily.active_minutes`` adds them.

Other files below a folder named ``Fitbit`` (sleep, calories, profile, ...) are recognised as
part of the export and logged as loaded with no rows (``fitbit_files_skipped``). Files are
linked to a participant by their path (:mod:`toolkit.ingest.core.linkage`); the source is
``Fitbit``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import UTC_DATETIME
from toolkit.ingest.core.csv_text import header_of
from toolkit.ingest.core.linkage import link_participant
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.fitbit_takeout import HEADERS, parse_takeout_csv, takeout_kind

FORMAT = "fitbit"
LOAD_ORDER = 30
LOADS: tuple[str, ...] = ("raw_wearable_samples", "raw_source_links")
SOURCE = "Fitbit"
_FILE = re.compile(
    r"^(steps|heart_rate|resting_heart_rate|very_active_minutes|moderately_active_minutes)"
    r"-\d{4}-\d{2}-\d{2}\.json$"
)
_TIME = "%m/%d/%y %H:%M:%S"
#: kind -> (metric, unit, seconds per value unit or None, low, high)
_KINDS: dict[str, tuple[str, str, float, float, float]] = {
    "steps": ("steps", "count", 1.0, 0, 1000),
    "heart_rate": ("heart_rate", "bpm", 1.0, 20, 250),
    "resting_heart_rate": ("resting_heart_rate", "bpm", 1.0, 20, 200),
    "very_active_minutes": ("very_active_time", "s", 60.0, 0, 86_400),
    "moderately_active_minutes": ("moderately_active_time", "s", 60.0, 0, 86_400),
}


def _parts(name: str) -> list[str]:
    return [p for part in name.replace("\\", "/").split("!") for p in PurePosixPath(part).parts]


def kind_of(name: str) -> str | None:
    """The Fitbit JSON file kind read from a file name, or None."""
    parts = _parts(name)
    match = _FILE.match(parts[-1]) if parts else None
    return match.group(1) if match else None


def _takeout_kind(name: str) -> str | None:
    """The Takeout CSV kind of a file below a ``Fitbit`` folder, or None."""
    parts = _parts(name)
    if not parts or not any(p.lower() == "fitbit" for p in parts[:-1]):
        return None
    return takeout_kind(parts[-1])


def is_companion(name: str) -> bool:
    """A file of a Fitbit export that retrowalk does not read (below a ``Fitbit`` folder)."""
    parts = _parts(name)
    return (
        kind_of(name) is None
        and _takeout_kind(name) is None
        and any(p.lower() == "fitbit" for p in parts[:-1])
    )


def sniff(head: bytes, name: str) -> bool:
    """A Fitbit JSON array named like ``steps-2024-03-01.json``, or a companion file."""
    if kind_of(name) is not None:
        return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"")
    takeout = _takeout_kind(name)
    if takeout is not None:
        return tuple(header_of(head)) == HEADERS[takeout]
    return is_companion(name)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read one Fitbit JSON file into ``raw_wearable_samples`` rows."""
    kind = kind_of(ctx.source_name)
    takeout = _takeout_kind(ctx.source_name)
    if kind is None and takeout is None:
        return ParsedFile({}, notes={"fitbit_files_skipped": 1})
    participant = link_participant(ctx, "a Fitbit export")
    if takeout is not None:
        return parse_takeout_csv(path, takeout, participant, SOURCE)
    assert kind is not None
    try:
        entries = json.loads(path.read_bytes().decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"not a readable JSON file: {exc.msg}",
            f"line {exc.lineno}, column {exc.colno} (byte {exc.pos + 1})",
        ) from exc
    except UnicodeDecodeError as exc:
        raise IngestError(
            "not a readable JSON file: not UTF-8 text", f"byte {exc.start + 1}"
        ) from exc
    if not isinstance(entries, list):
        raise IngestError("a Fitbit file holds a JSON array of entries", "the top level")
    metric, unit, factor, low, _ = _KINDS[kind]
    times, values, skipped = _columns(kind, entries)
    frame = pl.DataFrame(
        {"time": pl.Series(times, dtype=pl.String), "raw": pl.Series(values, dtype=pl.Float64)}
    ).with_row_index("record", offset=1)
    daily = kind in ("resting_heart_rate", "very_active_minutes", "moderately_active_minutes")
    start = _daily_starts(frame, ctx, participant) if daily else _utc_times(frame)
    value = frame["raw"] * factor
    # implausible values (a 1,021-step minute) are quarantined by the plausibility rules;
    # only what cannot be a measurement at all (negative, not a number) rejects the file
    bad = value.is_nan() | (frame["raw"] < low)
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"{frame['raw'][row]} is not a possible {kind} value (below {low:g})",
            f"record {frame['record'][row]}",
        )
    end = start + timedelta(minutes=1) if kind == "steps" else start
    samples = pl.DataFrame({"start_at": start, "end_at": end, "value": value}).select(
        pl.lit(participant, dtype=pl.String).alias("participant_id"),
        pl.lit(metric, dtype=pl.String).alias("metric"),
        "start_at",
        "end_at",
        "value",
        pl.lit(unit, dtype=pl.String).alias("unit"),
        pl.lit(SOURCE, dtype=pl.String).alias("source"),
        pl.lit(None, dtype=pl.String).alias("device"),
    )
    if kind == "steps":
        samples = samples.filter(pl.col("value") > 0)  # Fitbit writes every minute, mostly 0
    notes = {"fitbit_resting_hr_not_computed": skipped} if skipped else {}
    return ParsedFile({"raw_wearable_samples": samples}, notes=notes)


def _columns(kind: str, entries: list[Any]) -> tuple[list[str | None], list[float], int]:
    """Time text and numeric value of every entry; resting-HR zeros dropped and counted."""
    times: list[str | None] = []
    values: list[float] = []
    skipped = 0
    for index, entry in enumerate(entries, start=1):
        try:
            raw = entry["value"]
            if kind == "heart_rate":
                number, when = float(raw["bpm"]), entry["dateTime"]
            elif kind == "resting_heart_rate":
                # Fitbit writes {"date": null, "value": 0.0, "error": 0.0} on days it could
                # not compute a resting rate: skipped and counted, like a 0
                if raw.get("date") is None or float(raw["value"]) == 0:
                    skipped += 1
                    continue
                number, when = float(raw["value"]), raw["date"] + " 00:00:00"
            else:
                number, when = float(raw), entry["dateTime"]
        except (KeyError, TypeError, ValueError) as exc:
            raise IngestError(
                f"entry is not a Fitbit {kind} entry ({type(exc).__name__}: {exc})",
                f"record {index}",
            ) from exc
        times.append(when if isinstance(when, str) else None)
        values.append(number)
    return times, values, skipped


def _utc_times(frame: pl.DataFrame) -> pl.Series:
    parsed = frame["time"].str.to_datetime(_TIME, time_zone="UTC", strict=False, time_unit="us")
    _fail_times(frame, parsed)
    return parsed.cast(UTC_DATETIME).alias("start_at")


def _daily_starts(frame: pl.DataFrame, ctx: ParseContext, participant: str) -> pl.Series:
    """Local midnight of each entry's day in the participant's zone, in UTC."""
    zone = ctx.participants[participant].timezone
    local = frame["time"].str.to_datetime(_TIME, strict=False, time_unit="us")
    _fail_times(frame, local)
    try:
        converted = local.dt.truncate("1d").dt.replace_time_zone(
            zone, ambiguous="raise", non_existent="raise"
        )
    except pl.exceptions.PolarsError as exc:
        raise IngestError(f"a day's midnight does not exist in {zone}: {exc}") from exc
    return converted.dt.convert_time_zone("UTC").cast(UTC_DATETIME).alias("start_at")


def _fail_times(frame: pl.DataFrame, parsed: pl.Series) -> None:
    bad = parsed.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"time {frame['time'][row]!r} is not like '03/01/24 08:15:00' (MM/DD/YY)",
            f"record {frame['record'][row]}",
        )
