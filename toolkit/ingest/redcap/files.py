"""The files around a REDCap export: recognising them, finding siblings, the event map.

The event map is a small CSV the user writes: ``redcap_event_name, visit`` and optionally
``event_label`` (the event as a label export shows it), ``date_field`` and ``study_day``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.instruments.scoring import normalise_label

EVENT, INSTRUMENT, INSTANCE = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)


def csv_header(head: bytes) -> list[str]:
    """The normalised names on a CSV's first line (empty for binary or non-UTF-8 files)."""
    try:
        text = head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        return []  # binary, or not UTF-8: not a REDCap CSV
    try:
        first = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []
    return [normalise_label(h) for h in first]


def is_event_map(header: Sequence[str]) -> bool:
    """Whether a header is an event map's (``redcap_event_name`` first, a ``visit`` column)."""
    return bool(header) and header[0] == EVENT and "visit" in header


def sibling(path: Path, what: str, test: Callable[[bytes], bool], *, required: bool) -> Path | None:
    """The file beside ``path`` that ``test(head)`` recognises (longest shared name prefix)."""
    found = []
    for other in sorted(path.parent.iterdir()):
        if other == path or not other.is_file() or other.suffix.lower() != ".csv":
            continue
        with other.open("rb") as handle:
            if test(handle.read(4096)):
                found.append(other)
    if not found:
        if required:
            raise IngestError(
                f"a REDCap export needs its {what} CSV in the same folder; none found beside "
                f"{path.name}"
            )
        return None
    ranked = sorted(found, key=lambda p: -_shared(p.name, path.name))
    if len(ranked) > 1 and _shared(ranked[1].name, path.name) == _shared(ranked[0].name, path.name):
        names = ", ".join(p.name for p in ranked)
        raise IngestError(f"several {what} files could belong to {path.name}: {names}")
    return ranked[0]


def _shared(a: str, b: str) -> int:
    """Length of the common leading text of two file names."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@dataclass(frozen=True)
class EventInfo:
    """What the user's event map says about one event."""

    visit: str
    date_field: str | None
    study_day: float | None


def read_event_map(path: Path) -> dict[str, EventInfo]:
    """Event (unique name or label, normalised) -> what the map says about it."""
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    header = [normalise_label(h) for h in rows[0]]
    out: dict[str, EventInfo] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = dict(zip(header, (c.strip() for c in row), strict=False))
        day = cell.get("study_day") or None
        try:
            study_day = float(day) if day is not None else None
        except ValueError as exc:
            raise IngestError(
                f"study_day {day!r} is not a number", f"{path.name} line {number}"
            ) from exc
        if not cell.get(EVENT) or not cell.get("visit"):
            raise IngestError(
                "each event map row needs a redcap_event_name and a visit",
                f"{path.name} line {number}",
            )
        info = EventInfo(cell["visit"], cell.get("date_field") or None, study_day)
        out[normalise_label(cell[EVENT])] = info
        if cell.get("event_label"):  # the same event as a label export shows it
            out[normalise_label(cell["event_label"])] = info
    return out
