"""Walking direction for device exports, which never record it: manifests and interval plans.

A **direction manifest** is a CSV file placed in the folder of the exports it describes (or in
any folder above them, within what is ingested). One row per rule (* one of the first two is
required):

``file``*
    the export's file name or its path relative to the manifest's folder; ``*`` and ``?``
    wildcards allowed (``P001/*.fit``).
``session_id``*
    the session id as stored (``fit-20250305T100000Z`` for FIT and TCX files).
``participant_id``
    links the matched files to this participant (instead of the ``P001/`` folder convention).
``lap``
    0-based lap (segment) index this rule labels; empty: every lap of the session.
``start_s``, ``end_s``
    a time range in seconds from the session start; the session is then cut into intervals.
``direction``
    ``backward`` (also ``retro``, ``reverse``) or ``forward``.
``plan``
    an interval plan instead of a direction, e.g. ``1 min forward, 1 min backward``: the
    session is cut into those intervals from its start, the plan repeating until the end.

Rules are applied in file order; a later matching rule overrides an earlier one. Segments no
rule labels stay ``unknown`` and are counted in the ingest report, never guessed.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, position
from toolkit.ingest.core.csv_text import as_float, as_int, read_text_csv

MANIFEST_KEYS = ("file", "session_id")
MANIFEST_COLUMNS = (
    "file",
    "session_id",
    "participant_id",
    "lap",
    "start_s",
    "end_s",
    "direction",
    "plan",
)
_ALIASES = {
    "backward": "backward",
    "backwards": "backward",
    "retro": "backward",
    "reverse": "backward",
    "forward": "forward",
    "forwards": "forward",
}
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60}
_UNITS |= {"minute": 60, "minutes": 60, "m": 60}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s+([a-z]+)\s*$")


@dataclass(frozen=True)
class Rule:
    """One manifest row."""

    folder: Path
    line: int
    source: str
    file: str | None
    session_id: str | None
    participant_id: str | None
    lap: int | None
    start_s: float | None
    end_s: float | None
    direction: str | None
    plan: tuple[tuple[float, str], ...] | None

    def matches(self, path: Path, session_id: str | None) -> bool:
        """Whether this rule is about the file at ``path`` (resolved; and session, if given)."""
        if self.session_id is not None and session_id is not None:
            if self.session_id != session_id:
                return False
        elif self.session_id is not None:
            return False
        if self.file is None:
            return True
        try:  # both paths are resolved by the caller and read_manifest (one resolve per file)
            relative = PurePosixPath(path.relative_to(self.folder))
        except ValueError:
            return False
        return any(
            fnmatch.fnmatchcase(candidate, self.file) for candidate in (str(relative), path.name)
        )


def parse_direction(value: str, where: str) -> str:
    """``backward`` or ``forward`` from a manifest or plan word; anything else raises."""
    found = _ALIASES.get(value.strip().lower())
    if found is None:
        raise IngestError(
            f"{value!r} is not a walking direction (backward, retro, reverse, forward)", where
        )
    return found


def parse_plan(text: str, where: str = "plan") -> tuple[tuple[float, str], ...]:
    """An interval plan such as ``1 min forward, 1 min backward`` as (seconds, direction) steps."""
    steps = []
    for item in re.split(r"[,;]|\bthen\b", text.strip().lower()):
        if not item.strip():
            continue
        match = _STEP.match(item)
        if match is None or match.group(2) not in _UNITS:
            raise IngestError(
                f"plan step {item.strip()!r} is not like '1 min backward' or '30 s forward'", where
            )
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
        if seconds <= 0:
            raise IngestError(f"plan step {item.strip()!r} has no duration", where)
        steps.append((seconds, parse_direction(match.group(3), where)))
    if not steps:
        raise IngestError("the interval plan is empty", where)
    return tuple(steps)


def read_manifest(path: Path) -> list[Rule]:
    """The rules of one manifest file; a bad row raises with its line and column."""
    text = read_text_csv(path)
    if not any(k in text.columns for k in MANIFEST_KEYS):
        raise IngestError("a direction manifest needs a 'file' or 'session_id' column", "line 1")
    if "direction" not in text.columns and "plan" not in text.columns:
        raise IngestError("a direction manifest needs a 'direction' or 'plan' column", "line 1")
    for column in MANIFEST_COLUMNS:
        if column not in text.columns:
            text = text.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    laps = as_int(text, "lap")
    starts = as_float(text, "start_s")
    ends = as_float(text, "end_s")
    rules = []
    for row in range(text.height):
        rules.append(_rule(path, text, row, laps[row], starts[row], ends[row]))
    return rules


def _rule(
    path: Path,
    text: pl.DataFrame,
    row: int,
    lap: int | None,
    start: float | None,
    end: float | None,
) -> Rule:
    def cell(name: str) -> str | None:
        value = text[name][row]
        return None if value is None else str(value)

    where = position(text, row)
    if cell("file") is None and cell("session_id") is None:
        raise IngestError("a rule needs a file or a session_id", where)
    direction = cell("direction")
    plan_text = cell("plan")
    if (direction is None) == (plan_text is None):
        raise IngestError("give either a direction or a plan (one of them, not both)", where)
    if (start is None) != (end is None):
        raise IngestError("a time range needs both start_s and end_s", where)
    if start is not None and end is not None and not 0 <= start < end:
        raise IngestError(f"the time range {start:g}-{end:g} s is empty or negative", where)
    if lap is not None and lap < 0:
        raise IngestError("lap is a 0-based index; it cannot be negative", where)
    if plan_text is not None and (lap is not None or start is not None):
        raise IngestError("a plan labels the whole session; leave lap and start_s empty", where)
    return Rule(
        folder=path.parent.resolve(),
        line=int(text[LINE][row]),
        source=path.name,
        file=cell("file"),
        session_id=cell("session_id"),
        participant_id=cell("participant_id"),
        lap=lap,
        start_s=start,
        end_s=end,
        direction=None
        if direction is None
        else parse_direction(direction, where + ", column 'direction'"),
        plan=None if plan_text is None else parse_plan(plan_text, where + ", column 'plan'"),
    )
