"""Long-format pain score CSV: one row per scored measurement.

Columns (* required): participant_id*, measured_at* (ISO 8601 with UTC offset, or local time
read in the ``timezone`` column's zone or else the participant's roster zone), instrument*
(a name from ``toolkit.instruments``, e.g. ``nrs``, ``kujala``), score*, visit (free label such as
``baseline`` or ``week6``), timezone.

A score outside its instrument's range is rejected with its line and the allowed range; an
unknown instrument is rejected with the list of known names.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, position
from toolkit.ingest.core.csv_text import (
    as_float,
    as_utc_timestamp,
    header_of,
    read_text_csv,
    require_columns,
)
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.zones import zones_for_rows
from toolkit.instruments import instruments

FORMAT = "pain_csv"
LOAD_ORDER = 20
LOADS: tuple[str, ...] = ("raw_pain_scores",)
REQUIRED = ("participant_id", "measured_at", "instrument", "score")


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header has a participant, a time, an instrument and a score."""
    header = header_of(head)
    return all(c in header for c in REQUIRED)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a long-format score file into ``raw_pain_scores``."""
    text = read_text_csv(path)
    require_columns(text, REQUIRED, "a pain score file")
    known = instruments()
    names = text["instrument"].str.to_lowercase()
    unknown = names.is_not_null() & ~names.is_in(list(known))
    if unknown.any():
        row = int(unknown.arg_true()[0])
        raise IngestError(
            f"unknown instrument {text['instrument'][row]!r}; known: {', '.join(sorted(known))}",
            position(text, row, "instrument"),
        )
    scores = as_float(text, "score")
    lows = names.replace_strict({n: i.scale_min for n, i in known.items()}, default=None)
    highs = names.replace_strict({n: i.scale_max for n, i in known.items()}, default=None)
    outside = scores.is_not_null() & ((scores < lows) | (scores > highs) | scores.is_nan())
    if outside.any():
        row = int(outside.arg_true()[0])
        inst = known[names[row]]
        raise IngestError(
            f"score {text['score'][row]} is outside {inst.name}'s range "
            f"{inst.scale_min:g} to {inst.scale_max:g}",
            position(text, row, "score"),
        )
    frame = pl.DataFrame(
        {
            "participant_id": text["participant_id"],
            "measured_at": as_utc_timestamp(text, "measured_at", zones=zones_for_rows(text, ctx)),
            "instrument": names,
            "score": scores,
            "visit": text["visit"] if "visit" in text.columns else None,
            LINE: text[LINE],
        },
        strict=False,
    )
    return ParsedFile({"raw_pain_scores": frame})
