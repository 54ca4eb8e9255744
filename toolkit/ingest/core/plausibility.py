"""Plausibility rules, applied to every parsed file before it is written, whatever its format.

The rules are data (``toolkit/instruments/plausibility.toml``: one table of rules per measure,
each with its source). Two kinds of bad value are told apart:

- a **device or sensor value** (a 1,021-step Fitbit minute, a heart-rate spike, a phone clock
  set to 2030) is a glitch, not a mistake anyone can fix: it is moved to ``raw_quarantine``
  (view ``quarantine``) with the rule's reason, kept out of every view, and counted in the
  file's notes (``quarantined_<measure>``); the rest of the file loads;
- a **data-entry value** (an NRS of 7.5, a score dated 1900) rejects the file with its line,
  to be fixed at the source.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, UTC_DATETIME, position

QUARANTINE = "raw_quarantine"


@dataclass(frozen=True)
class Rule:
    """One plausibility rule for one measure (see the TOML file's header for the fields)."""

    measure: str
    action: str
    table: str
    column: str
    time: str
    source: str
    drop: str = "row"
    where: dict[str, str] = field(default_factory=dict)
    per_minute: bool = False
    divide_by: str | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    unit: str = ""
    not_before: date | None = None
    not_after_days: float | None = None

    @property
    def is_time_rule(self) -> bool:
        """Whether the rule bounds the row's date rather than its value."""
        return self.not_before is not None or self.not_after_days is not None


@cache
def rules() -> tuple[Rule, ...]:
    """Every rule, read once from the packaged TOML file."""
    text = resources.files("toolkit.instruments").joinpath("plausibility.toml").read_text("utf-8")
    out = []
    for measure, entries in tomllib.loads(text).items():
        for entry in entries:
            out.append(Rule(measure=measure, **entry))
    return tuple(out)


def apply_rules(
    tables: dict[str, pl.DataFrame], *, now: datetime | None = None
) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Check every frame against the rules for its table.

    Returns the frames without the quarantined rows or values, plus a ``raw_quarantine`` frame
    when anything was quarantined, and the notes (``quarantined_<measure>`` counts). Raises
    :class:`IngestError` at the first value a ``reject`` rule refuses.
    """
    moment = now or datetime.now(UTC)
    out = dict(tables)
    kept: list[pl.DataFrame] = [out.pop(QUARANTINE)] if QUARANTINE in out else []
    notes: dict[str, int] = {}
    for rule in rules():
        frame = out.get(rule.table)
        if frame is None or frame.height == 0 or not _applies(rule, frame):
            continue
        bad = _violations(rule, frame, moment)
        if not bad.any():
            continue
        if rule.action == "reject":
            raise IngestError(_reject_message(rule, frame, bad), _where(rule, frame, bad))
        kept.append(_quarantine_rows(rule, frame, bad, moment))
        notes[f"quarantined_{rule.measure}"] = notes.get(f"quarantined_{rule.measure}", 0) + int(
            bad.sum()
        )
        if rule.drop == "value":
            out[rule.table] = frame.with_columns(
                pl.when(pl.Series(bad)).then(None).otherwise(pl.col(rule.column)).alias(rule.column)
            )
        else:
            out[rule.table] = frame.filter(~pl.Series(bad))
    if kept:
        out[QUARANTINE] = pl.concat(kept, how="vertical_relaxed")
    return out, notes


def screen(
    table: str, frame: pl.DataFrame, *, now: datetime | None = None
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], dict[str, int]]:
    """Apply the rules to one frame early, before a parser derives other rows from it.

    A parser that derives segments from samples screens the samples first, so a glitching
    sample does not inflate the segment's distance. Returns the screened frame, the
    ``raw_quarantine`` frame to hand on in ``ParsedFile.tables`` (empty dict: nothing
    quarantined), and the notes.
    """
    out, notes = apply_rules({table: frame}, now=now)
    extra = {QUARANTINE: out[QUARANTINE]} if QUARANTINE in out else {}
    return out[table], extra, notes


def violations(table: str, frame: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """Rows of ``frame`` (a raw table's frame) that some rule refuses: measure, value, reason.

    For checking a generator's or a parser's output without writing anything.
    """
    moment = now or datetime.now(UTC)
    found = [
        _quarantine_rows(rule, frame, bad, moment)
        for rule in rules()
        if rule.table == table and frame.height and _applies(rule, frame)
        for bad in [_violations(rule, frame, moment)]
        if bad.any()
    ]
    return pl.concat(found, how="vertical_relaxed") if found else _empty()


def _applies(rule: Rule, frame: pl.DataFrame) -> bool:
    needed = {rule.column, rule.time, *rule.where, *([rule.divide_by] if rule.divide_by else [])}
    return needed <= set(frame.columns)


def _selected(rule: Rule, frame: pl.DataFrame) -> pl.Series:
    mask = pl.Series([True] * frame.height)
    for column, wanted in rule.where.items():
        mask = mask & (frame[column] == wanted).fill_null(False)
    return mask


def _checked_values(rule: Rule, frame: pl.DataFrame) -> pl.Series:
    """The value the rule bounds: the column, per minute, or divided by another column."""
    values = frame[rule.column].cast(pl.Float64)
    if rule.per_minute and "end_at" in frame.columns:
        # a rate needs an interval: a count stamped at one instant is not checked per minute
        minutes = (frame["end_at"] - frame[rule.time]).dt.total_seconds() / 60
        values = pl.Series(
            [
                None if m is None or m <= 0 else v / max(m, 1.0)
                for v, m in zip(values, minutes, strict=True)
            ],
            dtype=pl.Float64,
        )
    if rule.divide_by:
        divisor = frame[rule.divide_by].cast(pl.Float64)
        values = pl.Series(
            [
                None if v is None or d is None or d <= 0 else v / d
                for v, d in zip(values, divisor, strict=True)
            ],
            dtype=pl.Float64,
        )
    return values


def _violations(rule: Rule, frame: pl.DataFrame, now: datetime) -> pl.Series:
    selected = _selected(rule, frame)
    if rule.is_time_rule:
        times = frame[rule.time]
        bad = pl.Series([False] * frame.height)
        if rule.not_before is not None:
            start = datetime.combine(rule.not_before, datetime.min.time(), UTC)
            bad = bad | (times < start).fill_null(False)
        if rule.not_after_days is not None:
            bad = bad | (times > now + timedelta(days=rule.not_after_days)).fill_null(False)
        return selected & bad
    values = _checked_values(rule, frame)
    bad = values.is_nan().fill_null(False)
    if rule.low is not None:
        bad = bad | (values < rule.low).fill_null(False)
    if rule.high is not None:
        bad = bad | (values > rule.high).fill_null(False)
    if rule.step is not None:
        offset = (values - (rule.low or 0)) / rule.step
        bad = bad | ((offset - offset.round(0)).abs() > 1e-9).fill_null(False)
    return selected & bad


def _reason(rule: Rule, value: float | None, when: datetime | None) -> str:
    if rule.is_time_rule:
        bounds = []
        if rule.not_before is not None:
            bounds.append(f"not before {rule.not_before.isoformat()}")
        if rule.not_after_days is not None:
            bounds.append("not in the future")
        return f"dated {when:%Y-%m-%d %H:%M} UTC ({', '.join(bounds)})"
    what = f"{value:g} {rule.unit}".strip() if value is not None else "value"
    allowed = f"{rule.low:g} to {rule.high:g} {rule.unit}".strip()
    if rule.step is not None:
        allowed += f" in steps of {rule.step:g}"
    return f"{what} is outside the plausible {rule.measure.replace('_', ' ')} ({allowed})"


def _quarantine_rows(
    rule: Rule, frame: pl.DataFrame, bad: pl.Series, now: datetime
) -> pl.DataFrame:
    values = frame[rule.column].cast(pl.Float64)
    checked = values if rule.is_time_rule else _checked_values(rule, frame)
    rows = [i for i, b in enumerate(bad) if b]
    # a wearable sample's measure is its metric (steps, heart_rate, ...)
    measures = frame["metric"] if "metric" in frame.columns else None
    return pl.DataFrame(
        {
            "participant_id": [frame["participant_id"][i] for i in rows],
            "measure": [rule.measure if measures is None else measures[i] for i in rows],
            "value": [values[i] for i in rows],
            "recorded_at": [frame[rule.time][i] for i in rows],
            "reason": [_reason(rule, checked[i], frame[rule.time][i]) for i in rows],
        },
        schema=_SCHEMA,
    )


_SCHEMA = {
    "participant_id": pl.String(),
    "measure": pl.String(),
    "value": pl.Float64(),
    "recorded_at": UTC_DATETIME,
    "reason": pl.String(),
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=_SCHEMA)


def _first(bad: pl.Series) -> int:
    return int(bad.arg_true()[0])


def _reject_message(rule: Rule, frame: pl.DataFrame, bad: pl.Series) -> str:
    row = _first(bad)
    checked = _checked_values(rule, frame)[row] if not rule.is_time_rule else None
    more = int(bad.sum()) - 1
    extra = f" ({more} more such values in this file)" if more else ""
    return (
        f"{_reason(rule, checked, frame[rule.time][row])}{extra}; a questionnaire value is "
        f"data entry, fix it at the source (rule {rule.measure}: {rule.source})"
    )


def _where(rule: Rule, frame: pl.DataFrame, bad: pl.Series) -> str:
    row = _first(bad)
    if LINE in frame.columns:
        return position(frame, row, rule.column)
    return f"row {row + 1}, column '{rule.column}'"
