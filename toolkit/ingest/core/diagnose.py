"""Why a file matched no format: the closest CSV layout and what differs from it.

A misspelt column (``patient_id``), a missing one (``score``) or an extra one otherwise all end
in the same "not recognised" message. This module compares the file's header with every CSV
layout the toolkit reads and names the closest: its missing columns, each with a "did you
mean" from the file's own columns, and the file's columns that no layout knows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from toolkit.ingest import intercurrent_events, pain_csv, roster_csv, treadmill_csv
from toolkit.ingest.core.csv_text import header_of
from toolkit.ingest.questionnaires.items import KEYS as ITEM_KEYS


@dataclass(frozen=True)
class Layout:
    """A CSV layout: its format name, what it is, its required and optional columns."""

    format: str
    what: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "roster_csv",
        "a participant roster",
        roster_csv.REQUIRED,
        (
            "sex",
            "age",
            "bmi",
            "site",
            "timezone",
            "prescribed_direction",
            "prescribed_minutes_per_week",
        ),
    ),
    Layout("pain_csv", "a pain score file", pain_csv.REQUIRED, ("visit", "timezone")),
    Layout(
        "treadmill_csv",
        "a treadmill segment file",
        treadmill_csv.SEGMENT_COLUMNS,
        ("segment", "direction", "distance_m", "mean_speed_mps", "incline_pct", "device"),
    ),
    Layout(
        "treadmill_csv",
        "a treadmill sample file",
        treadmill_csv.SAMPLE_COLUMNS,
        ("speed_mps", "distance_m", "incline_pct", "heart_rate_bpm", "cadence_spm", "direction"),
    ),
    Layout(
        "questionnaire_items",
        "a long questionnaire item file",
        (*ITEM_KEYS, "item", "value"),
        ("visit", "timezone"),
    ),
    Layout(
        "intercurrent_events",
        "an intercurrent events file",
        intercurrent_events.REQUIRED,
        ("reason",),
    ),
    Layout(
        "wearable_csv",
        "a wearable sample file",
        ("metric", "start_at", "value"),
        ("end_at", "unit", "participant_id", "source", "device", "timezone", "timestamp"),
    ),
)


def closest_layout(header: list[str]) -> tuple[Layout, list[str], float] | None:
    """The layout whose required columns the header comes closest to, the required columns it
    lacks, and the share it has (None for a header with no column in common with any)."""
    best: tuple[Layout, list[str], float] | None = None
    for layout in LAYOUTS:
        have = sum(1 for c in layout.required if c in header or _near(c, header))
        share = have / len(layout.required) if have >= 2 else 0.0
        if share and (best is None or share > best[2]):
            missing = [c for c in layout.required if c not in header]
            best = (layout, missing, share)
    return best


def _near(column: str, header: list[str]) -> str | None:
    found = difflib.get_close_matches(column, header, n=1, cutoff=0.6)
    return found[0] if found else None


def diagnose(head: bytes, formats: list[str], read_as: str = "") -> str:
    """The message for a file no format recognised (``head``: its first bytes, as read)."""
    listed = f"this toolkit reads: {', '.join(formats)}"
    header = [c for c in header_of(head) if c]
    how = f" (read as {read_as})" if read_as else ""
    if not header:
        return f"the file's format is not recognised{how}; {listed}"
    found = closest_layout(header)
    if found is None or found[2] < 0.5:
        return (
            f"the file's format is not recognised{how}: no CSV layout has its columns "
            f"({', '.join(header[:8])}{', ...' if len(header) > 8 else ''}); {listed}"
        )
    layout, missing, _ = found
    known = set(layout.required) | set(layout.optional)
    parts = []
    for column in missing:
        guess = _near(column, [h for h in header if h not in known])
        parts.append(f"'{column}'" + (f" (did you mean '{guess}'?)" if guess else ""))
    unknown = [h for h in header if h not in known]
    text = (
        f"the file's format is not recognised{how}: it is closest to {layout.what} "
        f"({layout.format}) but lacks the column(s) {', '.join(parts)}"
    )
    if unknown:
        text += f"; columns it does not read: {', '.join(unknown)}"
    return f"{text}. {layout.what.capitalize()} needs {', '.join(layout.required)}."
