"""Turn raw FIT tables into polars frames: profile names, SI scaling, enum names, UTC datetimes.

Values follow the official SDK decoder's rules (``garmin_fit_sdk.Decoder`` with its default
options): ``value = raw / scale - offset``; enum values by their profile names (an unknown value
keeps its number, as text); ``date_time`` fields as timezone-aware UTC datetimes from the FIT
epoch 1989-12-31 00:00:00 UTC; invalid values as nulls; array fields as lists.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from toolkit.ingest.fit.profile import (
    FIT_EPOCH_S,
    TIMESTAMP_FIELD,
    FieldSpec,
    message_spec,
    type_names,
)
from toolkit.ingest.fit.raw import RawColumn, RawTable

OFFSET_COLUMN = "_offset"


def to_frame(table: RawTable, *, with_offsets: bool = False) -> tuple[str, pl.DataFrame]:
    """The message's name and its frame (one row per message, in file order)."""
    spec = message_spec(table.number)
    arrays: dict[str, pa.Array] = {}
    kinds: dict[str, str] = {}
    numbers = sorted(table.fields, key=lambda n: (n != TIMESTAMP_FIELD, 0))
    for number in numbers:
        fs = spec.fields.get(number)
        if fs is None:
            name = "timestamp" if number == TIMESTAMP_FIELD else f"unknown_{number}"
            kinds[name] = "date_time" if number == TIMESTAMP_FIELD else ""
            arrays[name] = _convert(table.fields[number], kinds[name], 1.0, 0.0)
        else:
            kinds[fs.name] = fs.type
            arrays[fs.name] = _convert_spec(table.fields[number], fs)
    for name, (sub, col) in table.subfields.items():
        if name not in arrays:
            kinds[name] = sub.type
            arrays[name] = _convert_spec(col, sub)
    for name, (desc, col) in table.developer.items():
        scale = desc.scale if desc.scale else 1.0
        offset = desc.offset if desc.offset else 0.0
        arrays[name] = _convert(col, "string" if desc.base.is_string else "", scale, offset)
    if with_offsets:
        arrays[OFFSET_COLUMN] = pa.array(table.offsets, type=pa.int64())
    if not arrays:
        return spec.name, pl.DataFrame()
    frame = pl.from_arrow(pa.table(arrays))
    assert isinstance(frame, pl.DataFrame)
    dates = {
        name: pl.Datetime("us", "UTC" if kind == "date_time" else None)
        for name, kind in kinds.items()
        if kind in ("date_time", "local_date_time") and frame[name].dtype == pl.Int64
    }
    return spec.name, frame.with_columns(pl.col(n).cast(t) for n, t in dates.items())


def _convert_spec(col: RawColumn, fs: FieldSpec) -> pa.Array:
    scale, offset = fs.single_scale
    return _convert(col, fs.type, scale, offset)


def _convert(col: RawColumn, kind: str, scale: float, offset: float) -> pa.Array:
    mask = ~col.valid
    if col.values.dtype == object:
        return pa.array(col.values, type=pa.string(), mask=mask)
    if col.is_array:
        return _array(col, kind, scale, offset)
    if kind == "date_time" or kind == "local_date_time":
        seconds = col.values if col.value is None else np.nan_to_num(col.value).astype(np.int64)
        micros = (seconds + FIT_EPOCH_S) * 1_000_000
        # int64 microseconds, cast in polars by to_frame: a zoned pyarrow timestamp would import
        # pandas (a second on first use)
        return pa.array(micros, type=pa.int64(), mask=mask)
    names = type_names(kind) if kind else None
    if names is not None:
        numbers = col.values if col.value is None else np.nan_to_num(col.value).astype(np.int64)
        unique, inverse = np.unique(numbers, return_inverse=True)
        known = [int(u) in names for u in unique]
        if not any(known) and col.value is None:  # e.g. message_index: a number, not a name
            return pa.array(col.values, mask=mask)
        labels = np.array([names.get(int(u), str(int(u))) for u in unique], dtype=object)
        return pa.array(labels[inverse], type=pa.string(), mask=mask)
    if col.value is not None:
        return pa.array(col.value, type=pa.float64(), mask=mask)
    if scale == 1.0 and offset == 0.0:
        return pa.array(col.values, mask=mask)
    values = col.values / scale if scale != 1.0 else col.values.astype(np.float64)
    return pa.array(values - offset, type=pa.float64(), mask=mask)


def _array(col: RawColumn, kind: str, scale: float, offset: float) -> pa.Array:
    """An array field as a list column (invalid elements as nulls)."""
    values = col.values.astype(np.float64) / scale - offset
    plain = scale == 1.0 and offset == 0.0 and col.values.dtype != np.float64
    elements = col.elements_valid if col.elements_valid is not None else col.valid[:, None]
    if col.base.name == "byte":  # byte arrays are invalid only as a whole (SDK rule)
        elements = np.broadcast_to(col.valid[:, None], col.values.shape)
    names = type_names(kind) if kind else None
    rows: list[list[object] | None] = []
    listed = (col.values if plain else values).tolist()
    for row_values, row_ok, ok in zip(listed, elements.tolist(), col.valid.tolist(), strict=True):
        row = [v if e else None for v, e in zip(row_values, row_ok, strict=True)]
        rows.append(row if ok else None)
    if names is not None and plain:
        labelled = [
            None
            if r is None
            else [None if v is None else names.get(int(str(v)), str(v)) for v in r]
            for r in rows
        ]
        return pa.array(labelled, type=pa.list_(pa.string()))
    return pa.array(rows, type=pa.list_(pa.int64() if plain else pa.float64()))
