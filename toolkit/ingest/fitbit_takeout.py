"""Current Google Takeout Fitbit exports: per-day CSV files of samples in UTC.

Files (below a ``Fitbit`` folder, e.g. ``Fitbit/Global Export Data/steps_2024-09-01.csv``):

- ``steps_YYYY-MM-DD.csv``: ``timestamp,steps`` (``2024-09-01T00:47:00Z``), one minute each,
  stored as ``steps`` over that minute;
- ``heart_rate_YYYY-MM-DD.csv``: ``timestamp,beats per minute``, stored as ``heart_rate``;
- ``active_minutes_YYYY-MM-DD.csv``: ``timestamp,light,moderate,very`` (minutes), stored as
  ``moderately_active_time`` and ``very_active_time`` (s) at that time; Fitbit's active minutes
  are moderate plus very, so light minutes are counted in the notes
  (``fitbit_light_minutes_not_stored``) and not stored.

Implausible values (a 1,021-step minute) are quarantined by the plausibility rules, not
rejected; a malformed file is rejected with its line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_text import as_float, as_utc_timestamp, read_text_csv, require_columns
from toolkit.ingest.core.model import ParsedFile

_FILE = re.compile(r"^(steps|heart_rate|active_minutes)_\d{4}-\d{2}-\d{2}\.csv$")
#: kind -> the columns its header holds, in order
HEADERS: dict[str, tuple[str, ...]] = {
    "steps": ("timestamp", "steps"),
    "heart_rate": ("timestamp", "beats per minute"),
    "active_minutes": ("timestamp", "light", "moderate", "very"),
}


def takeout_kind(file_name: str) -> str | None:
    """The Takeout CSV kind read from a file's name, or None."""
    match = _FILE.match(file_name)
    return match.group(1) if match else None


def parse_takeout_csv(path: Path, kind: str, participant: str, source: str) -> ParsedFile:
    """Read one Takeout CSV into ``raw_wearable_samples`` rows."""
    text = read_text_csv(path)
    require_columns(text, HEADERS[kind], f"a Fitbit Takeout {kind} file")
    start = as_utc_timestamp(text, "timestamp")
    notes: dict[str, int] = {}
    parts: list[pl.DataFrame] = []
    if kind == "steps":
        steps = as_float(text, "steps")
        parts.append(_samples(start, start + timedelta(minutes=1), steps, "steps", "count"))
    elif kind == "heart_rate":
        bpm = as_float(text, "beats per minute")
        parts.append(_samples(start, start, bpm, "heart_rate", "bpm"))
    else:
        light = as_float(text, "light")
        notes["fitbit_light_minutes_not_stored"] = int(light.drop_nulls().sum())
        for column, metric in (
            ("moderate", "moderately_active_time"),
            ("very", "very_active_time"),
        ):
            parts.append(_samples(start, start, as_float(text, column) * 60, metric, "s"))
    frame = pl.concat(parts).with_columns(
        pl.lit(participant, dtype=pl.String).alias("participant_id"),
        pl.lit(source, dtype=pl.String).alias("source"),
        pl.lit(None, dtype=pl.String).alias("device"),
    )
    negative = (frame["value"] < 0).fill_null(False)
    if negative.any():
        row = int(negative.arg_true()[0]) % text.height
        raise IngestError(f"a negative {kind} value is not a measurement", f"line {row + 2}")
    blank = frame["value"].is_null().sum()
    if blank:
        notes["fitbit_blank_values"] = int(blank)
    if kind == "steps":  # Fitbit writes minutes with 0 steps; they add nothing
        zero = int((frame["value"] == 0).sum())
        if zero:
            notes["fitbit_zero_step_minutes"] = zero
        frame = frame.filter(pl.col("value") > 0)
    frame = frame.filter(pl.col("value").is_not_null())
    if frame.height == 0 and not notes:
        notes["fitbit_empty_file"] = 1
    return ParsedFile({"raw_wearable_samples": frame}, notes=notes)


def _samples(
    start: pl.Series, end: pl.Series, value: pl.Series, metric: str, unit: str
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "metric": pl.Series([metric] * len(start), dtype=pl.String),
            "start_at": start,
            "end_at": end,
            "value": value.cast(pl.Float64),
            "unit": pl.Series([unit] * len(start), dtype=pl.String),
        }
    )
