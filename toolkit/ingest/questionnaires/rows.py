"""Turn answered questionnaires into item rows and scores (shared by the item-level parsers).

A parser reads its layout into :class:`Response` objects (one filled-in questionnaire: who,
when, which visit, item answers already checked, their points, and each answer as exported);
:func:`to_tables` stores every answered scale's items in ``raw_questionnaire_items`` as
exported (``answer``: the option's wording, or the number the file gives; ``None`` for an item
left blank), with the definition they were read by (``definition_sha256``), and a copy of that
definition (:mod:`toolkit.instruments.definition_rows`). Points and scores are not stored: the
views derive them from the answers by the definition in effect (``int_item_points``,
``int_item_scores``), so a changed definition re-scores; here the rules only count, for the
report, how many scores the answers give and how many the missing-item rule withholds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, UTC_DATETIME
from toolkit.ingest.core.model import ParsedFile
from toolkit.instruments.definition_rows import definition_tables, packaged_definition
from toolkit.instruments.scoring import normalise_label, questionnaires, score_scale

#: Clock time given to a date-only questionnaire date (local time), so it lands on its day.
DATE_ONLY_TIME = time(12, 0)


@dataclass
class Response:
    """One filled-in questionnaire: item id -> points (``None`` when left blank)."""

    participant_id: str
    measured_at: datetime
    visit: str | None
    questionnaire: str
    answers: dict[str, float | None]
    line: int
    #: item id -> the answer as exported (an option's wording, or the number given)
    exported: dict[str, str | None] = field(default_factory=dict)


def local_to_utc(naive: datetime, zone: str) -> datetime | None:
    """``naive`` read as wall-clock time in ``zone``, in UTC; ``None`` when that local time does
    not exist or happens twice (a daylight-saving change), which is never guessed."""
    tz = ZoneInfo(zone)
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        return None
    back = early.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return None
    return early.astimezone(ZoneInfo("UTC"))


def parse_local(value: str, zone: str, where: str) -> datetime:
    """A REDCap/ISO date or datetime (``YYYY-MM-DD[ HH:MM[:SS]]``, or with a UTC offset) as UTC.

    A date alone is read as 12:00 local time on that day.
    """
    text = value.strip().replace("T", " ")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise IngestError(
            f"{value!r} is not a date or date-time (YYYY-MM-DD or YYYY-MM-DD HH:MM)", where
        ) from exc
    if parsed.tzinfo is not None:
        return parsed.astimezone(ZoneInfo("UTC"))
    if len(text) <= 10:
        parsed = datetime.combine(parsed.date(), DATE_ONLY_TIME)
    utc = local_to_utc(parsed, zone)
    if utc is None:
        raise IngestError(
            f"local time {value!r} does not exist or is ambiguous in {zone} (daylight-saving "
            "change); give it with its UTC offset",
            where,
        )
    return utc


def nominal_day(enrolled_on: date, study_day: float, zone: str) -> datetime:
    """12:00 local time on study day ``study_day`` (day 0 = enrolment), in UTC."""
    day = enrolled_on + timedelta(days=int(study_day))
    utc = local_to_utc(datetime.combine(day, DATE_ONLY_TIME), zone)
    if utc is None:  # noon never falls in a DST change
        raise IngestError(f"12:00 on {day} does not exist in {zone}")
    return utc


def to_tables(responses: Iterable[Response]) -> ParsedFile:
    """Item rows for ``responses``, plus counts for the report (scores the views will derive,
    and scales whose missing items withhold a score)."""
    items: list[tuple[object, ...]] = []
    notes = {"questionnaires": 0, "scores": 0, "scores_not_computed_missing_items": 0}
    catalogue = questionnaires()
    used: dict[str, str] = {}
    for r in responses:
        q = catalogue[r.questionnaire]
        sha = used.setdefault(q.name, packaged_definition(q.name)[0])
        answered_any = False
        stamp = _micros(r.measured_at)
        for scale in q.scales:
            present = [i for i in scale.items if i in r.answers]
            if all(r.answers[i] is None for i in present):
                continue
            answered_any = True
            for i in present:
                answer = _as_exported(r, i)
                items.append(
                    (r.participant_id, stamp, scale.instrument, i, _number(answer), r.visit,
                     answer, None if answer is None else normalise_label(answer), sha, r.line)
                )  # fmt: skip
            result = score_scale(q, scale, r.answers)
            if result.score is None:
                notes["scores_not_computed_missing_items"] += 1
                continue
            notes["scores"] += 1
        notes["questionnaires"] += int(answered_any)
    definitions = (
        definition_tables(
            [(sha, catalogue[name], f"{packaged_definition(name)[2]} (toolkit)")
             for name, sha in used.items()]
        )
        if used
        else {}
    )  # fmt: skip
    return ParsedFile(
        {"raw_questionnaire_items": _frame(items, _ITEM_SCHEMA), **definitions},
        notes,
    )


def _as_exported(r: Response, item: str) -> str | None:
    """The answer as the file gave it (the points, written as a number, when a parser kept
    nothing else)."""
    if item in r.exported:
        return r.exported[item]
    points = r.answers[item]
    return None if points is None else f"{points:g}"


def _number(answer: str | None) -> float | None:
    """The answer read as a number (an item's value, or an option's points as exported), or
    None for an option's wording."""
    if answer is None:
        return None
    try:
        return float(answer)
    except ValueError:
        return None


def _micros(at: datetime) -> int:
    """Microseconds since the Unix epoch (polars builds integer columns far faster)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _frame(
    rows: list[tuple[object, ...]], schema: dict[str, pl.DataType | type[pl.DataType]]
) -> pl.DataFrame:
    raw_schema = {k: (pl.Int64 if k == "measured_at" else v) for k, v in schema.items()}
    frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
    return frame.with_columns(pl.col("measured_at").cast(pl.Datetime("us", "UTC")))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ITEM_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "participant_id": pl.String,
    "measured_at": UTC_DATETIME,
    "instrument": pl.String,
    "item": pl.String,
    "value": pl.Float64,
    "visit": pl.String,
    "answer": pl.String,
    "answer_key": pl.String,
    "definition_sha256": pl.String,
    LINE: pl.Int64,
}
