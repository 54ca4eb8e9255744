"""Read CSV files as text and convert columns strictly, naming the line of any bad value.

Shared by the CSV parsers: values are read as strings first so that a value which is not a
number, date or timestamp is reported with its line rather than silently turned into null.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, UTC_DATETIME, position
from toolkit.ingest.core.csv_check import check_csv

#: Timestamp layouts tried in order; each must carry a UTC offset (or Z).
OFFSET_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%:z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%:z",
    "%Y-%m-%dT%H:%M:%S%z",
)
#: Layouts for local (offset-free) times, used only with an explicit time zone.
LOCAL_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def header_of(head: bytes) -> list[str]:
    """The normalised column names on the first line of ``head`` (empty if not text)."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # the head may end inside a multi-byte character: drop the partial last line
            cut = head[: head.rfind(b"\n")] if b"\n" in head else b""
            text = cut.decode("utf-8-sig", errors="strict")
        except UnicodeDecodeError:  # binary (a workbook, a FIT file): no CSV header
            return []
    first = text.splitlines()[0] if text else ""
    return [c.strip().strip('"').strip().lower() for c in first.split(",")]


def read_text_csv(path: Path, *, repeated_header: bool = False) -> pl.DataFrame:
    """Read ``path`` with every column as text, names normalised, plus a ``_line`` column.

    The file's structure is checked first (:func:`~toolkit.ingest.core.csv_check.check_csv`):
    a NUL byte, an unclosed quote, a row with too many or too few fields or a repeated header
    name rejects it with the line. ``repeated_header=True`` is for vendor mappings, which name
    each copy of a repeated column themselves (Strava repeats ``Distance``: the second copy,
    in metres, is ``distance_duplicated_0``).
    """
    check_csv(path, unique_header=not repeated_header)
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        raise IngestError(f"not a readable CSV file: {_first_line(exc)}") from exc
    except (pl.exceptions.NoDataError, UnicodeDecodeError) as exc:
        raise IngestError(f"not a readable CSV file: {_first_line(exc)}") from exc
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    frame = frame.with_columns(
        [
            pl.when(stripped == "").then(None).otherwise(stripped).alias(c)
            for c in frame.columns
            for stripped in [pl.col(c).str.strip_chars()]
        ]
    )
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_columns(frame: pl.DataFrame, names: Sequence[str], what: str) -> None:
    """Raise naming the missing columns if ``frame`` lacks any of ``names``."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise IngestError(
            f"{what} needs the column(s) {', '.join(missing)}; found "
            + ", ".join(c for c in frame.columns if c != LINE),  # not the internal line number
            "line 1",
        )


def _fail_unparsed(
    frame: pl.DataFrame, raw: pl.Series, parsed: pl.Series, column: str, kind: str
) -> None:
    bad = raw.is_not_null() & parsed.is_null()
    if bad.any():
        rows = bad.arg_true()
        more = f" ({len(rows) - 1} more in this column)" if len(rows) > 1 else ""
        raise IngestError(
            f"{raw[int(rows[0])]!r} is not {kind}{more}", position(frame, int(rows[0]), column)
        )


def as_float(frame: pl.DataFrame, column: str) -> pl.Series:
    """Column ``column`` as Float64; an unparseable value raises with its line."""
    raw = frame[column]
    parsed = raw.cast(pl.Float64, strict=False)
    _fail_unparsed(frame, raw, parsed, column, "a number")
    return parsed


def as_int(frame: pl.DataFrame, column: str) -> pl.Series:
    """Column ``column`` as Int64; a fractional, unparseable or out-of-range value (beyond
    +-2,147,483,647, which no count, order or lap number here reaches, and which every
    whole-number column can store) raises with its line."""
    floats = as_float(frame, column)
    frac = floats.is_not_null() & (floats != floats.round(0))
    if frac.any():
        row = int(frac.arg_true()[0])
        raise IngestError(
            f"{frame[column][row]!r} is not a whole number", position(frame, row, column)
        )
    huge = floats.is_not_null() & (floats.abs() > _INT32_MAX)
    if huge.any():
        row = int(huge.arg_true()[0])
        raise IngestError(
            f"{frame[column][row]!r} is too large for a whole number here (at most {_INT32_MAX:,})",
            position(frame, row, column),
        )
    return floats.cast(pl.Int64)


_INT32_MAX = 2_147_483_647


def as_date(frame: pl.DataFrame, column: str) -> pl.Series:
    """Column ``column`` as Date from ISO ``YYYY-MM-DD``; anything else raises with its line."""
    raw = frame[column]
    parsed = raw.str.to_date("%Y-%m-%d", strict=False)
    _fail_unparsed(frame, raw, parsed, column, "a date in YYYY-MM-DD form")
    return parsed


def as_utc_timestamp(
    frame: pl.DataFrame, column: str, *, zones: pl.Series | None = None
) -> pl.Series:
    """Column ``column`` as UTC timestamps.

    A value must carry its UTC offset, or ``zones`` (an IANA time-zone name per row, e.g. from
    a ``timezone`` column or the participant's roster entry) must say where the local time was
    read. A local time that does not exist or is ambiguous in that zone (a DST change) is
    rejected, never shifted.
    """
    raw = frame[column]
    fast = _fixed_offset_timestamps(raw)
    if fast is not None:
        return fast.alias(column)
    parsed = pl.Series(column, [None] * frame.height, dtype=UTC_DATETIME)
    remaining = raw.is_not_null()
    for fmt in OFFSET_FORMATS:
        if not remaining.any():
            break
        attempt = raw.str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us")
        parsed = parsed.zip_with(parsed.is_not_null() | attempt.is_null(), attempt)
        remaining = raw.is_not_null() & parsed.is_null()
    if remaining.any() and zones is not None:
        parsed = _localise(frame, raw, parsed, remaining, zones, column)
    if (raw.is_not_null() & parsed.is_null()).any():
        row = int((raw.is_not_null() & parsed.is_null()).arg_true()[0])
        value = raw[row]
        hint = (
            "it has no UTC offset; add one (e.g. 2024-03-01T08:15:00+01:00) or a timezone"
            if _is_local(value)
            else "it is not an ISO 8601 timestamp"
        )
        raise IngestError(
            f"timestamp {value!r} cannot be read: {hint}", position(frame, row, column)
        )
    return parsed.alias(column)


def _fixed_offset_timestamps(raw: pl.Series) -> pl.Series | None:
    """Fast path for the common machine layout ``YYYY-MM-DDTHH:MM:SS+HH:MM``.

    Used only when every value has exactly that shape and parses; otherwise ``None`` and the
    general (slower, per-format) path decides and reports.
    """
    values = raw.drop_nulls()
    if values.len() == 0:
        return None
    shaped = (
        (values.str.len_bytes() == 25)
        & (values.str.slice(10, 1) == "T")
        & values.str.slice(19, 1).is_in(["+", "-"])
        & (values.str.slice(22, 1) == ":")
    )
    if not shaped.all():
        return None
    frame = pl.DataFrame({"v": raw})
    local = (
        pl.col("v")
        .str.slice(0, 19)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    )
    sign = pl.when(pl.col("v").str.slice(19, 1) == "-").then(-1).otherwise(1)
    hours = pl.col("v").str.slice(20, 2).cast(pl.Int64, strict=False)
    minutes = pl.col("v").str.slice(23, 2).cast(pl.Int64, strict=False)
    out = frame.select(
        local.alias("local"),
        (sign * (hours * 60 + minutes)).alias("offset"),
        hours.alias("hours"),
        minutes.alias("minutes"),
    )
    valid = (
        out["local"].is_not_null()
        & out["offset"].is_not_null()
        & (out["hours"] <= 23)
        & (out["minutes"] <= 59)
    )
    if not valid.fill_null(False).eq(raw.is_not_null()).all():
        return None
    utc = out.select(
        (pl.col("local") - pl.duration(minutes=pl.col("offset"))).dt.replace_time_zone("UTC")
    ).to_series()
    return utc


def _is_local(value: str) -> bool:
    probe = pl.Series([value])
    return any(probe.str.to_datetime(f, strict=False).is_not_null()[0] for f in LOCAL_FORMATS)


def _localise(
    frame: pl.DataFrame,
    raw: pl.Series,
    parsed: pl.Series,
    remaining: pl.Series,
    zones: pl.Series,
    column: str,
) -> pl.Series:
    """Fill ``parsed`` for offset-free rows by reading them as local times in ``zones``."""
    local = pl.Series([None] * frame.height, dtype=pl.Datetime("us"))
    for fmt in LOCAL_FORMATS:
        attempt = raw.str.to_datetime(fmt, strict=False, time_unit="us")
        local = local.zip_with(local.is_not_null() | attempt.is_null(), attempt)
    work = pl.DataFrame({"local": local, "zone": zones, "todo": remaining})
    out = parsed
    for zone in work.filter(pl.col("todo") & pl.col("zone").is_not_null())["zone"].unique():
        mask = remaining & (zones == zone).fill_null(False)
        try:
            converted = local.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
        except pl.exceptions.PolarsError as exc:
            row = int(mask.arg_true()[0])
            raise IngestError(f"unknown time zone {zone!r}", position(frame, row)) from exc
        converted = converted.dt.convert_time_zone("UTC")
        gap = mask & local.is_not_null() & converted.is_null()
        if gap.any():
            row = int(gap.arg_true()[0])
            raise IngestError(
                f"local time {raw[row]!r} does not exist or is ambiguous in {zone} "
                "(daylight-saving change); give it with its UTC offset",
                position(frame, row, column),
            )
        out = out.zip_with(~mask, converted)
    return out
