"""Participant roster CSV: one row per enrolled participant.

Columns (header names case-insensitive; * required): participant_id*, arm*, condition*,
enrolled_on* (YYYY-MM-DD), sex (female/male/other), age (years), bmi (kg/m2), site,
timezone (IANA name such as Europe/London; default UTC), prescribed_direction
(backward/forward, empty for no walking prescription), prescribed_minutes_per_week.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, position
from toolkit.ingest.core.csv_text import (
    as_date,
    as_float,
    header_of,
    read_text_csv,
    require_columns,
)
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.zones import known_zones

FORMAT = "roster_csv"
#: Rosters load before every other format in a batch, so later files can be linked.
LOAD_ORDER = 0
LOADS: tuple[str, ...] = ("raw_participants",)
REQUIRED = ("participant_id", "arm", "condition", "enrolled_on")


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header names a participant and their arm and enrolment date."""
    header = header_of(head)
    return all(c in header for c in REQUIRED) and "session_id" not in header


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a roster file into ``raw_participants``."""
    text = read_text_csv(path)
    require_columns(text, REQUIRED, "a participant roster")
    zone = text["timezone"] if "timezone" in text.columns else pl.Series([None] * text.height)
    zone = zone.fill_null("UTC")
    unknown = ~zone.is_in(list(known_zones()))
    if unknown.any():
        row = int(unknown.arg_true()[0])
        raise IngestError(f"unknown time zone {zone[row]!r}", position(text, row, "timezone"))
    frame = pl.DataFrame(
        {
            "participant_id": text["participant_id"],
            "arm": text["arm"],
            "condition": text["condition"],
            "sex": _optional(text, "sex").str.to_lowercase(),
            "age": as_float(text, "age") if "age" in text.columns else None,
            "bmi": as_float(text, "bmi") if "bmi" in text.columns else None,
            "enrolled_on": as_date(text, "enrolled_on"),
            "site": _optional(text, "site"),
            "timezone": zone,
            "prescribed_direction": _optional(text, "prescribed_direction").str.to_lowercase(),
            "prescribed_minutes_per_week": (
                as_float(text, "prescribed_minutes_per_week")
                if "prescribed_minutes_per_week" in text.columns
                else None
            ),
            LINE: text[LINE],
        },
        strict=False,
    )
    return ParsedFile({"raw_participants": frame})


def _optional(text: pl.DataFrame, column: str) -> pl.Series:
    if column in text.columns:
        return text[column]
    return pl.Series(column, [None] * text.height, dtype=pl.String)
