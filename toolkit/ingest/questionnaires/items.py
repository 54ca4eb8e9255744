"""Item-level questionnaire spreadsheets (CSV or XLSX), wide or long, stored as answered.

Two layouts, told apart by their header (first sheet of a workbook; for a workbook "line" in
messages is the spreadsheet row):

- **wide**: ``participant_id, measured_at`` (+ ``visit, timezone``) and one column per item,
  named as in ``toolkit.instruments.scoring.item_columns`` (``koos_p1`` ... ``koos_q4``,
  ``womac_p1`` ... ``womac_f17``, ``kujala_1`` ... ``kujala_13``, ``nrs``, ``nrs_worst_week``,
  ``nrs_average_week``, ``vas``); one row per filled-in form;
- **long**: ``participant_id, measured_at, item, value`` (+ ``visit, timezone``); one row per
  answer, grouped into forms by participant, time and questionnaire.

A value is the item's points (KOOS and WOMAC 0-4, Kujala the option's points, NRS 0-10, VAS
0-100 mm) or the answer's printed wording (``Moderate``). ``measured_at`` is ISO 8601 with its
UTC offset, or local time in the ``timezone`` column or the participant's roster zone; a date
alone means 12:00 local time. Unknown columns or items, impossible values and repeated answers
are rejected with their line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, position
from toolkit.ingest.core.csv_text import as_utc_timestamp, header_of, read_text_csv, require_columns
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.tabular import workbook_rows
from toolkit.ingest.core.zones import zones_for_rows
from toolkit.ingest.questionnaires.rows import Response, to_tables
from toolkit.instruments.definition_rows import DEFINITION_SCHEMAS
from toolkit.instruments.scoring import Item, item_columns

FORMAT = "questionnaire_items"
LOAD_ORDER = 20
LOADS: tuple[str, ...] = (
    "raw_pain_scores",
    "raw_questionnaire_items",
    *DEFINITION_SCHEMAS,
)
KEYS = ("participant_id", "measured_at")
OPTIONAL = ("visit", "timezone")
_XLSX_MAGIC = b"PK\x03\x04"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sniff(head: bytes, name: str) -> bool:
    """A workbook (``.xlsx``), or a CSV with the keys and item columns or ``item, value``."""
    if head.startswith(_XLSX_MAGIC):
        return name.lower().endswith(".xlsx")
    header = header_of(head)
    if not all(k in header for k in KEYS):
        return False
    return {"item", "value"} <= set(header) or any(c in item_columns() for c in header)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a wide or long item file into items and scores."""
    text = _read_xlsx(path) if path.name.lower().endswith(".xlsx") else read_text_csv(path)
    require_columns(text, KEYS, "a questionnaire item file")
    text = text.with_columns(
        pl.when(pl.col("measured_at").str.contains(_DATE_ONLY.pattern))
        .then(pl.col("measured_at") + "T12:00:00")
        .otherwise(pl.col("measured_at"))
        .alias("measured_at")
    )
    if text["participant_id"].null_count():
        row = int(text["participant_id"].is_null().arg_true()[0])
        raise IngestError("a value is required here", position(text, row, "participant_id"))
    when = as_utc_timestamp(text, "measured_at", zones=zones_for_rows(text, ctx))
    if when.null_count():
        row = int(when.is_null().arg_true()[0])
        raise IngestError("a value is required here", position(text, row, "measured_at"))
    text = text.with_columns(when)
    long = "item" in text.columns and "value" in text.columns
    responses = list(_long(text) if long else _wide(text))
    parsed = to_tables(responses)
    parsed.notes["long_layout" if long else "wide_layout"] = 1
    return parsed


def _points(item: Item, value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        wording = item.points_for_label(value)
        if wording is None:
            raise IngestError(
                f"{value!r} is neither a number nor an answer of item {item.column}", where
            ) from None
        return wording
    if not item.accepts(number):
        raise IngestError(f"{value} is not allowed for {item.column}; {item.allowed()}", where)
    return number


def _wide(text: pl.DataFrame) -> Iterator[Response]:
    known = item_columns()
    unknown = [c for c in text.columns if c not in (*KEYS, *OPTIONAL, LINE) and c not in known]
    if unknown:
        raise IngestError(
            f"column {unknown[0]!r} is not a questionnaire item (items are named like koos_p1, "
            "womac_f17, kujala_1, nrs, vas)",
            f"line 1, column '{unknown[0]}'",
        )
    columns = [c for c in text.columns if c in known]
    for row, record in enumerate(text.iter_rows(named=True)):
        forms: dict[str, dict[str, float | None]] = {}
        exported: dict[str, dict[str, str | None]] = {}
        for column in columns:
            item = known[column]
            value = record[column]
            points = None if value is None else _points(item, value, position(text, row, column))
            forms.setdefault(item.questionnaire, {})[item.id] = points
            exported.setdefault(item.questionnaire, {})[item.id] = value
        for questionnaire, answers in forms.items():
            if any(v is not None for v in answers.values()):
                yield Response(
                    record["participant_id"],
                    record["measured_at"],
                    record.get("visit"),
                    questionnaire,
                    answers,
                    record[LINE],
                    exported[questionnaire],
                )


def _long(text: pl.DataFrame) -> Iterator[Response]:
    known = item_columns()
    groups: dict[tuple[str, datetime, str], Response] = {}
    for row, record in enumerate(text.iter_rows(named=True)):
        name = (record["item"] or "").lower()
        if name not in known:
            raise IngestError(
                f"{record['item']!r} is not a questionnaire item (items are named like koos_p1, "
                "womac_f17, kujala_1, nrs, vas)",
                position(text, row, "item"),
            )
        item = known[name]
        value = record["value"]
        points = None if value is None else _points(item, value, position(text, row, "value"))
        key = (record["participant_id"], record["measured_at"], item.questionnaire)
        response = groups.setdefault(
            key, Response(*key[:2], record.get("visit"), item.questionnaire, {}, record[LINE])
        )
        if item.id in response.answers:
            raise IngestError(
                f"{name} is answered twice for this participant and time",
                position(text, row, "item"),
            )
        response.answers[item.id] = points
        response.exported[item.id] = value
    yield from groups.values()


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The first sheet as text columns (names normalised) with the row number in ``_line``,
    read by the one workbook reader (formulas without a cached value and NULs rejected); a
    repeated header name is rejected too."""
    rows = workbook_rows(path)
    header = [h.strip().lower() for h in rows[0]] if rows else []
    _unique(header)
    data: dict[str, list[str | None]] = {h: [] for h in header if h}
    lines: list[int] = []
    for number, values in enumerate(rows[1:], start=2):
        cells = [v.strip() or None for v in values]
        if not any(cells):
            continue
        lines.append(number)
        for h, cell in zip(header, cells, strict=False):
            if h:
                data[h].append(cell)
        for h in header[len(cells) :]:
            if h:
                data[h].append(None)
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))


def _unique(header: list[str]) -> None:
    """Raise when the header names a column twice (the second copy would be dropped)."""
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if name and name in seen:
            raise IngestError(
                f"the header names the column {name!r} twice (columns {seen[name]} and {index})",
                "row 1",
            )
        seen[name] = index
