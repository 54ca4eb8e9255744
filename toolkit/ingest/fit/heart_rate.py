"""Merge the heart rates of FIT ``hr`` messages into ``record`` messages, as the SDK does.

A chest strap with memory (HRM-Pro, HRM-Run, HRM-Swim) stores heart rate in ``hr`` messages
while the watch cannot receive it live (swimming, a lost signal); the watch writes them at the
end of the activity. The official FIT SDK merges them into the records by default
(``Decoder.read(merge_heart_rates=True)``): the beats are expanded to 250 ms steps, carried
across gaps of up to 5 s, and each record gets the rounded mean of the beats since the previous
record. This module applies the SDK's own functions (``garmin_fit_sdk.hr_mesg_utils``) to the
decoded frames, so the merge is the SDK's, not a re-implementation.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from garmin_fit_sdk import hr_mesg_utils

from toolkit.errors import IngestError

#: the record column that keeps the heart rate the record itself stored (null if none)
RECORDED = "heart_rate_record"


def _value(cell: Any) -> Any:
    """A cell as the SDK holds it: a list without invalid elements, a single value unwrapped."""
    if isinstance(cell, list | pl.Series):
        values = [v for v in cell if v is not None]
        return values[0] if len(values) == 1 else values
    return cell


def merge_hr_messages(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """``frames`` with ``record.heart_rate`` filled from ``hr`` messages (where there are any).

    The record's own value stays available as ``heart_rate_record``. Files without ``hr``
    messages are returned unchanged.
    """
    hr, record = frames.get("hr"), frames.get("record")
    if hr is None or record is None or hr.height == 0 or record.height == 0:
        return frames
    needed = {"filtered_bpm", "event_timestamp"}
    if not needed <= set(hr.columns) or "timestamp" not in record.columns:
        return frames
    hr_mesgs = [
        {
            "timestamp": row.get("timestamp"),
            "fractional_timestamp": row.get("fractional_timestamp"),
            "event_timestamp": _value(row["event_timestamp"]),
            "filtered_bpm": _value(row["filtered_bpm"]),
        }
        for row in hr.iter_rows(named=True)
    ]
    own = record["heart_rate"] if "heart_rate" in record.columns else None
    record_mesgs: list[dict[str, Any]] = [
        {"timestamp": t, **({"heart_rate": own[i]} if own is not None else {})}
        for i, t in enumerate(record["timestamp"])
    ]
    if any(m["timestamp"] is None for m in record_mesgs):
        return frames  # the SDK cannot place records without a time
    try:
        hr_mesg_utils.merge_heart_rates(hr_mesgs, record_mesgs)  # type: ignore[arg-type]
    except (RuntimeError, TypeError, KeyError) as exc:
        raise IngestError(
            f"the hr messages cannot be merged into the records: {exc}", "hr messages"
        ) from exc
    merged = pl.Series("heart_rate", [m.get("heart_rate") for m in record_mesgs], dtype=pl.Float64)
    kept = (own if own is not None else pl.Series([None] * record.height)).cast(pl.Float64)
    out = dict(frames)
    out["record"] = record.with_columns(merged, kept.alias(RECORDED))
    return out
