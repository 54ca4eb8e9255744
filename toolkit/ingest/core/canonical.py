"""The canonical schema every parser produces, and the checks applied before anything is written.

Each raw table is described once here (columns, types, nullability, allowed values or ranges,
key). A measure bounded by a plausibility rule (``toolkit/instruments/plausibility.toml``) has
no range here: one rule per measure, and the rule decides between quarantine and rejection.
:func:`conform` turns a parser's frame into exactly that shape or raises
:class:`~toolkit.errors.IngestError` naming the first offending line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from toolkit.errors import IngestError

DIRECTIONS = ("backward", "forward", "unknown")
#: How a session's segments got their walking direction: ``export`` (the file says, or nothing
#: does), ``laps`` (device laps; directions from the stored direction manifests, derived in the
#: ``sessions`` view) or ``intervals`` (cut by a manifest's time ranges or plan at ingest).
LABELLINGS = ("export", "laps", "intervals")
#: Intercurrent events (ICH E9(R1) addendum, section A.3.1) a study records per participant.
INTERCURRENT_EVENTS = ("discontinued", "lost_to_follow_up", "rescue_medication", "surgery", "other")
UTC_DATETIME = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    """One canonical column: type, whether it may be null, and its plausible range or values."""

    name: str
    dtype: pl.DataType
    nullable: bool = True
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] | None = None
    unit: str = ""
    #: whether an overlapping export must agree on it (lineage such as a file's path need not)
    compared: bool = True


@dataclass(frozen=True)
class Table:
    """One raw table: its columns and the key that makes a row unique (empty: no key)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return [c.name for c in self.columns]


_S = pl.String()
_F = pl.Float64()

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "raw_participants",
            (
                Column("participant_id", _S, nullable=False),
                Column("arm", _S, nullable=False),
                Column("condition", _S, nullable=False),
                Column("sex", _S, allowed=("female", "male", "other")),
                Column("age", _F, low=10, high=110, unit="years"),
                Column("bmi", _F, low=10, high=80, unit="kg/m2"),
                Column("enrolled_on", pl.Date(), nullable=False),
                Column("site", _S),
                Column("timezone", _S, nullable=False),
                Column("prescribed_direction", _S, allowed=("backward", "forward")),
                Column("prescribed_minutes_per_week", _F, low=0, high=2000, unit="min"),
            ),
            key=("participant_id",),
        ),
        Table(
            "raw_treadmill_sessions",
            (
                Column("participant_id", _S, nullable=False),
                Column("session_id", _S, nullable=False),
                Column("started_at", UTC_DATETIME, nullable=False),
                Column("duration_s", _F, nullable=False, low=0, high=86400, unit="s"),
                Column("distance_m", _F, low=0, high=200000, unit="m"),
                Column("source", _S, nullable=False),
                Column("device", _S),
                Column("source_path", _S, compared=False),
                Column("source_file", _S, compared=False),
                Column("labelling", _S, allowed=LABELLINGS),
            ),
            key=("participant_id", "session_id"),
        ),
        Table(
            "raw_treadmill_segments",
            (
                Column("participant_id", _S, nullable=False),
                Column("session_id", _S, nullable=False),
                Column("segment", pl.Int32(), nullable=False, low=0),
                Column("direction", _S, nullable=False, allowed=DIRECTIONS),
                Column("started_at", UTC_DATETIME, nullable=False),
                Column("duration_s", _F, nullable=False, unit="s"),  # plausibility rule
                Column("distance_m", _F, low=0, high=200000, unit="m"),
                Column("mean_speed_mps", _F, unit="m/s"),  # plausibility rule
                Column("incline_pct", _F, unit="%"),  # bounded by a plausibility rule
            ),
            key=("participant_id", "session_id", "segment"),
        ),
        Table(
            "raw_treadmill_samples",
            (
                Column("participant_id", _S, nullable=False),
                Column("session_id", _S, nullable=False),
                Column("recorded_at", UTC_DATETIME, nullable=False),
                Column("speed_mps", _F, unit="m/s"),  # plausibility rule
                Column("distance_m", _F, low=0, high=200000, unit="m"),
                Column("incline_pct", _F, unit="%"),  # bounded by a plausibility rule
                Column("heart_rate_bpm", _F, unit="bpm"),  # plausibility rule
                Column("cadence_spm", _F, unit="steps/min"),  # plausibility rule
                Column("direction", _S, allowed=DIRECTIONS),
            ),
        ),
        Table(
            "raw_pain_scores",
            (
                Column("participant_id", _S, nullable=False),
                Column("measured_at", UTC_DATETIME, nullable=False),
                Column("instrument", _S, nullable=False),
                Column("score", _F, nullable=False),
                Column("visit", _S),
            ),
            key=("participant_id", "instrument", "measured_at"),
        ),
        Table(
            "raw_questionnaire_items",
            (
                Column("participant_id", _S, nullable=False),
                Column("measured_at", UTC_DATETIME, nullable=False),
                Column("instrument", _S, nullable=False),
                Column("item", _S, nullable=False),
                # the answer read as a number (an item's value, or points as exported)
                Column("value", _F),
                Column("visit", _S),
                # as exported: the option's wording or the number; its matching key; and the
                # definition it was read by (raw_questionnaire_scales.definition_sha256)
                Column("answer", _S),
                Column("answer_key", _S),
                Column("definition_sha256", _S),
            ),
            key=("participant_id", "instrument", "measured_at", "item"),
        ),
        Table(
            "raw_questionnaire_scales",
            (
                Column("definition_sha256", _S, nullable=False),
                Column("questionnaire", _S, nullable=False),
                Column("instrument", _S, nullable=False),
                Column("method", _S, nullable=False, allowed=("single", "sum", "mean_0_100")),
                Column("n_items", pl.Int32(), nullable=False, low=1),
                Column("max_missing", pl.Int32(), nullable=False, low=0),
                Column("min_answered", pl.Int32(), low=0),
                Column("item_max", _F, nullable=False),
                Column("definition", _S, nullable=False),
            ),
        ),
        Table(
            "raw_questionnaire_scale_items",
            (
                Column("definition_sha256", _S, nullable=False),
                Column("instrument", _S, nullable=False),
                Column("item", _S, nullable=False),
            ),
        ),
        Table(
            "raw_questionnaire_options",
            (
                Column("definition_sha256", _S, nullable=False),
                Column("questionnaire", _S, nullable=False),
                Column("item", _S, nullable=False),
                Column("option_index", pl.Int32(), low=0),
                Column("label", _S),
                Column("label_key", _S),
                Column("points", _F),
                Column("low", _F),
                Column("high", _F),
            ),
        ),
        Table(
            "raw_wearable_daily",
            (
                Column("participant_id", _S, nullable=False),
                Column("day", pl.Date(), nullable=False),
                Column("source", _S, nullable=False),
                Column("steps", pl.Int64(), low=0, high=200000, unit="steps"),
                Column("distance_m", _F, low=0, high=300000, unit="m"),
                Column("walking_speed_mps", _F, unit="m/s"),  # plausibility rule
                Column("asymmetry_pct", _F, unit="%"),  # plausibility rule
                Column("resting_hr", _F, low=20, high=200, unit="bpm"),
                Column("active_minutes", _F, low=0, high=1440, unit="min"),
            ),
            key=("participant_id", "day", "source"),
        ),
        Table(
            "raw_wearable_samples",
            (
                Column("participant_id", _S, nullable=False),
                Column("metric", _S, nullable=False),
                Column("start_at", UTC_DATETIME, nullable=False),
                Column("end_at", UTC_DATETIME, nullable=False),
                Column("value", _F, nullable=False),
                Column("unit", _S, nullable=False),
                Column("source", _S, nullable=False),
                Column("device", _S),
            ),
            # No database key (millions of rows); the loader skips rows already present on
            # this key, so re-ingesting an overlapping newer export adds only new samples.
            key=("participant_id", "metric", "source", "start_at", "end_at", "value"),
        ),
        Table(
            "raw_wearable_workouts",
            (
                Column("participant_id", _S, nullable=False),
                Column("started_at", UTC_DATETIME, nullable=False),
                Column("ended_at", UTC_DATETIME, nullable=False),
                Column("activity", _S, nullable=False),
                Column("indoor", pl.Boolean()),
                Column("duration_s", _F, nullable=False, low=0, high=7 * 86400, unit="s"),
                Column("distance_m", _F, low=0, high=1_000_000, unit="m"),
                Column("source", _S, nullable=False),
                Column("device", _S),
            ),
            key=("participant_id", "source", "activity", "started_at"),
        ),
        Table(
            "raw_intercurrent_events",
            (
                Column("participant_id", _S, nullable=False),
                Column("event_date", pl.Date(), nullable=False),
                Column("event", _S, nullable=False, allowed=INTERCURRENT_EVENTS),
                Column("reason", _S),
            ),
            key=("participant_id", "event", "event_date"),
        ),
        Table(
            "raw_direction_rules",
            (
                Column("manifest_path", _S, nullable=False),
                Column("manifest_folder", _S, nullable=False),
                Column("line", pl.Int64(), nullable=False),
                Column("file", _S),
                Column("file_like", _S),
                Column("session_id", _S),
                Column("linked_participant_id", _S),
                Column("lap", pl.Int32(), low=0),
                Column("start_s", _F, low=0),
                Column("end_s", _F, low=0),
                Column("direction", _S, allowed=("backward", "forward")),
                Column("plan", _S),
            ),
        ),
        Table(
            # wearable_manifest.csv rows: which participant a file pattern links to
            "raw_participant_links",
            (
                Column("manifest_path", _S, nullable=False),
                Column("manifest_folder", _S, nullable=False),
                Column("line", pl.Int64(), nullable=False),
                Column("file", _S, nullable=False),
                Column("file_like", _S, nullable=False),
                Column("linked_participant_id", _S, nullable=False),
            ),
        ),
        Table(
            # one row per file linked to a participant by toolkit.ingest.core.linkage: where
            # it lives, the participant its path names (folder convention) and the one linked
            # at ingest; the views link it again from the current manifests
            "raw_source_links",
            (
                Column("source_path", _S, nullable=False),
                Column("source_file", _S, nullable=False),
                Column("convention_participant_id", _S),
                Column("participant_id", _S, nullable=False),
            ),
        ),
        Table(
            # device and sensor values a plausibility rule keeps out of every view
            # (toolkit/ingest/plausibility.py); written by the loader, not by parsers
            "raw_quarantine",
            (
                Column("participant_id", _S, nullable=False),
                Column("measure", _S, nullable=False),
                Column("value", _F),
                Column("recorded_at", UTC_DATETIME, nullable=False),
                Column("reason", _S, nullable=False),
            ),
        ),
    )
}

LINE = "_line"


def position(frame: pl.DataFrame, row: int, column: str | None = None) -> str:
    """Describe where row ``row`` of ``frame`` came from, using its ``_line`` column if any."""
    where = f"line {frame[LINE][row]}" if LINE in frame.columns else f"row {row + 1}"
    return f"{where}, column '{column}'" if column else where


def _first_bad(frame: pl.DataFrame, mask: pl.Series) -> int:
    """Index of the first True in ``mask``."""
    return int(mask.arg_true()[0])


def conform(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` shaped as raw table ``table_name``, or raise on the first bad row.

    Missing nullable columns are added as nulls; extra columns other than ``_line`` are an
    error (a parser bug, reported as such). Values are never coerced: a wrong type, a null in a
    required column, a value outside its range or vocabulary, or a repeated key is rejected.
    """
    table = TABLES[table_name]
    extra = set(frame.columns) - set(table.column_names) - {LINE}
    if extra:
        raise IngestError(f"parser produced unknown columns for {table_name}: {sorted(extra)}")
    for col in table.columns:
        if col.name not in frame.columns:
            if not col.nullable:
                raise IngestError(f"required column '{col.name}' is missing")
            frame = frame.with_columns(pl.lit(None, dtype=col.dtype).alias(col.name))
        series = frame[col.name]
        if series.dtype != col.dtype:
            try:
                series = series.cast(col.dtype, strict=True)
            except pl.exceptions.PolarsError as exc:
                raise IngestError(
                    f"values of '{col.name}' are {series.dtype}, expected {col.dtype}: {exc}"
                ) from exc
            frame = frame.with_columns(series)
        _check_column(frame, col)
    if table.key and frame.height:
        dup = frame.select(table.key).is_duplicated()
        if dup.any():
            row = _first_bad(frame, dup)
            key = ", ".join(f"{k}={frame[k][row]}" for k in table.key)
            raise IngestError(f"the key ({key}) appears more than once", position(frame, row))
    ordered = table.column_names + ([LINE] if LINE in frame.columns else [])
    return frame.select(ordered)


def _check_column(frame: pl.DataFrame, col: Column) -> None:
    """Raise on the first null in a required column or value out of range or vocabulary."""
    series = frame[col.name]
    if not col.nullable and series.null_count():
        row = _first_bad(frame, series.is_null())
        raise IngestError("a value is required here", position(frame, row, col.name))
    if col.allowed is not None:
        bad = series.is_not_null() & ~series.is_in(list(col.allowed))
        if bad.any():
            row = _first_bad(frame, bad)
            raise IngestError(
                f"{series[row]!r} is not one of {', '.join(col.allowed)}",
                position(frame, row, col.name),
            )
    if col.low is not None or col.high is not None:
        low = col.low if col.low is not None else float("-inf")
        high = col.high if col.high is not None else float("inf")
        values = series.cast(pl.Float64)
        bad = values.is_not_null() & (values.is_nan() | (values < low) | (values > high))
        if bad.any():
            row = _first_bad(frame, bad)
            unit = f" {col.unit}" if col.unit else ""
            raise IngestError(
                f"{series[row]} is outside the plausible range {low:g} to {high:g}{unit}",
                position(frame, row, col.name),
            )
