"""Intercurrent events CSV (or workbook): one row per event a participant had after randomisation.

Intercurrent events are events after treatment starts that affect the interpretation or the
existence of the measurements (ICH E9(R1) addendum, section A.3.1): stopping the intervention,
being lost to follow-up, taking rescue medication, surgery. A trial records them with their
date and reason so that the CONSORT flow (CONSORT 2010, item 13b: losses and exclusions after
randomisation, with reasons) and the estimand's strategies can use them.

Columns (header names case-insensitive; * required): participant_id*, date* (YYYY-MM-DD, the
participant's local calendar day), event*, reason (free text as recorded). ``event`` is one of
``discontinued`` (stopped the allocated intervention), ``lost_to_follow_up``,
``rescue_medication``, ``surgery`` or ``other``; spaces and hyphens read as underscores, and
``discontinued intervention`` / ``lost to follow-up`` spelled out are accepted. Anything else,
a date that is not a date, or a date before the participant's enrolment, rejects the file with
its line. The file is recognised by its header (participant_id, date, event), whatever its name.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import INTERCURRENT_EVENTS, LINE, position
from toolkit.ingest.core.csv_text import as_date, header_of, read_text_csv, require_columns
from toolkit.ingest.core.model import ParseContext, ParsedFile

FORMAT = "intercurrent_events"
#: After the roster (participants must exist) and with the questionnaires.
LOAD_ORDER = 20
LOADS: tuple[str, ...] = ("raw_intercurrent_events",)
REQUIRED = ("participant_id", "date", "event")
#: Spelled-out names accepted for the stored ones (after lower-casing, spaces and hyphens to _).
ALIASES = {
    "discontinued_intervention": "discontinued",
    "discontinuation": "discontinued",
    "lost_to_followup": "lost_to_follow_up",
    "lost": "lost_to_follow_up",
}


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header names a participant, a date and an event."""
    header = header_of(head)
    return all(c in header for c in REQUIRED)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read an intercurrent-events file into ``raw_intercurrent_events``."""
    text = read_text_csv(path)
    require_columns(text, REQUIRED, "an intercurrent events file")
    events = text["event"].str.to_lowercase().str.replace_all(r"[\s\-]+", "_").replace(ALIASES)
    unknown = events.is_not_null() & ~events.is_in(list(INTERCURRENT_EVENTS))
    if unknown.any():
        row = int(unknown.arg_true()[0])
        raise IngestError(
            f"unknown intercurrent event {text['event'][row]!r}; known: "
            + ", ".join(INTERCURRENT_EVENTS),
            position(text, row, "event"),
        )
    days = as_date(text, "date")
    _check_after_enrolment(text, days, ctx)
    frame = pl.DataFrame(
        {
            "participant_id": text["participant_id"],
            "event_date": days,
            "event": events,
            "reason": text["reason"] if "reason" in text.columns else None,
            LINE: text[LINE],
        },
        strict=False,
    )
    return ParsedFile({"raw_intercurrent_events": frame})


def _check_after_enrolment(text: pl.DataFrame, days: pl.Series, ctx: ParseContext) -> None:
    """An event before the participant was enrolled (randomised) is not an intercurrent event:
    reject it with its line rather than count it in the flow. Unknown participants are left to
    the loader, which names them."""
    enrolled = {p.participant_id: p.enrolled_on for p in ctx.participants.values()}
    for row, (who, day) in enumerate(zip(text["participant_id"], days, strict=True)):
        start = enrolled.get(who)
        if start is not None and day is not None and day < start:
            raise IngestError(
                f"event date {day.isoformat()} is before {who}'s enrolment on {start.isoformat()}",
                position(text, row, "date"),
            )
