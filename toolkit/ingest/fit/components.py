"""Sub-fields and component fields of FIT messages, expanded as the official SDK decoder does.

A component field packs several values into one raw value, least significant bits first, e.g.
``record.compressed_speed_distance`` (12 bits of speed /100 m/s, 12 bits of accumulated
distance /16 m) or ``hr.event_timestamp_12`` (eight 12-bit accumulated timestamps). Each
component is scaled by its own scale and offset, then becomes the target field's value; a target
named by several components becomes an array. Accumulated targets undo roll-over as
``garmin_fit_sdk.Accumulator`` does: the total starts at the first value (or at a value the
message stores natively in the target field, which resets it) and each next value adds
``(value - last) & mask``. All of it runs on whole columns with numpy.
"""

from __future__ import annotations

import numpy as np

from toolkit.ingest.fit.profile import BASE_TYPE_BY_NAME, BASE_TYPES, FieldSpec, message_spec
from toolkit.ingest.fit.raw import RawColumn, RawTable


def expand(table: RawTable) -> None:
    """Add sub-field columns and expand component fields of ``table`` in place."""
    spec = message_spec(table.number)
    pending: list[tuple[FieldSpec, RawColumn]] = []
    for num, col in list(table.fields.items()):
        fs = spec.fields.get(num)
        if fs is None:
            continue
        for sub in fs.subfields:
            mask = np.zeros(table.rows, dtype=bool)
            for ref, raw_value in sub.selectors:
                ref_col = table.fields.get(ref)
                if ref_col is not None and not ref_col.is_array:
                    mask |= ref_col.valid & (ref_col.values == raw_value)
            if mask.any():
                sub_col = RawColumn(col.values, col.valid & mask, col.base, col.elements_valid)
                table.subfields[sub.name] = (sub, sub_col)
                if sub.components:
                    pending.append((sub, sub_col))
        if fs.components:
            pending.append((fs, col))
    while pending:
        source_spec, source = pending.pop(0)
        _expand_one(table, spec.fields, source_spec, source, pending)


def _bits(source: RawColumn) -> tuple[np.ndarray, int]:
    """Each row's raw value as a little-endian bit matrix (rows x bits)."""
    size = source.base.size
    values = source.values if source.is_array else source.values[:, None]
    code = np.uint8 if size == 1 else np.dtype(f"<u{size}")
    as_bytes = np.ascontiguousarray(values.astype(np.uint64).astype(code)).view(np.uint8)
    matrix = np.unpackbits(as_bytes.reshape(len(values), -1), axis=1, bitorder="little")
    return matrix, matrix.shape[1]


def _expand_one(
    table: RawTable,
    fields: dict[int, FieldSpec],
    spec: FieldSpec,
    source: RawColumn,
    pending: list[tuple[FieldSpec, RawColumn]],
) -> None:
    if BASE_TYPE_BY_NAME.get(spec.type) is None or source.values.dtype.kind not in "iu":
        return  # the SDK expands only integer fields whose profile type is a base type
    matrix, available = _bits(source)
    rows = source.valid
    parts: dict[int, list[np.ndarray]] = {}
    scales: dict[int, list[tuple[float, float, int]]] = {}
    shift = 0
    for i, target_number in enumerate(spec.components):
        bits = spec.bits[i]
        if shift + bits > available or target_number not in fields:
            break
        weights = np.left_shift(np.int64(1), np.arange(bits, dtype=np.int64))
        parts.setdefault(target_number, []).append(matrix[:, shift : shift + bits] @ weights)
        scale = spec.scale[i] if i < len(spec.scale) else 1.0
        offset = spec.offset[i] if i < len(spec.offset) else 0.0
        scales.setdefault(target_number, []).append((scale, offset, bits))
        shift += bits
    for target_number, columns in parts.items():
        target = fields[target_number]
        grid = np.stack(columns, axis=1).astype(np.int64)
        existing = table.fields.get(target_number)
        if target.accumulated:
            grid = _accumulate(grid, rows, scales[target_number][0][2], existing)
        scale_row = np.array([s for s, _, _ in scales[target_number]])
        offset_row = np.array([o for _, o, _ in scales[target_number]])
        value = grid / scale_row - offset_row
        t_scale, t_offset = target.single_scale
        # rounded, not truncated as the SDK does: int(2.03 * 1000) is 2029 in floating point
        raw_target = np.round((value + t_offset) * t_scale).astype(np.int64)
        t_base = BASE_TYPE_BY_NAME.get(target.type)
        invalid = t_base.invalid if t_base is not None else 0xFF
        good = rows[:, None] & (raw_target != invalid)
        base = t_base or BASE_TYPES[0x02]
        if raw_target.shape[1] == 1:
            new = _merge_scalar(existing, target, rows, raw_target[:, 0], good[:, 0], value[:, 0])
            new = RawColumn(new.values, new.valid, base, value=new.value)
        else:
            new = _merge_array(existing, rows, raw_target, good, base)
        table.fields[target_number] = new
        if target.components and raw_target.shape[1] == 1:
            pending.append((target, RawColumn(raw_target[:, 0], good[:, 0], base)))


def _merge_scalar(
    existing: RawColumn | None,
    target: FieldSpec,
    rows: np.ndarray,
    raw: np.ndarray,
    good: np.ndarray,
    value: np.ndarray,
) -> RawColumn:
    """Expanded values where the source had one, the stored value elsewhere."""
    if existing is None or existing.is_array or existing.values.dtype.kind not in "iuf":
        return RawColumn(raw, good, BASE_TYPES[0x02], value=value.astype(float))
    scale, offset = target.single_scale
    old = existing.value if existing.value is not None else existing.values / scale - offset
    return RawColumn(
        np.where(rows, raw, existing.values),
        np.where(rows, good, existing.valid),
        existing.base,
        value=np.where(rows, value, old).astype(float),
    )


def _merge_array(
    existing: RawColumn | None,
    rows: np.ndarray,
    raw: np.ndarray,
    good: np.ndarray,
    base: object,
) -> RawColumn:
    """An array target: expanded rows, and stored values (as arrays) in the other rows."""
    values, elements = raw.copy(), good.copy()
    if existing is not None and existing.values.dtype.kind in "iu":
        old = existing.values if existing.is_array else existing.values[:, None]
        old_ok = (
            existing.elements_valid
            if existing.elements_valid is not None
            else existing.valid[:, None] & np.ones(old.shape, dtype=bool)
        )
        width = min(old.shape[1], values.shape[1])
        keep = ~rows
        values[keep, :width] = old[keep, :width]
        elements[keep] = False
        elements[keep, :width] = old_ok[keep, :width]
    assert isinstance(base, type(BASE_TYPES[0x02]))
    return RawColumn(values, np.asarray(elements.any(axis=1)), base, elements)


def _accumulate(
    grid: np.ndarray, rows: np.ndarray, bits: int, native: RawColumn | None
) -> np.ndarray:
    """Accumulated totals for each component value (rows x components), in file order.

    Events in order: per message, a stored (native) value of the target first (it resets the
    total, as the SDK's ``createAccumulatedField``), then the message's component values.
    """
    n, m = grid.shape
    resets = np.zeros(n, dtype=bool)
    reset_values = np.zeros(n, dtype=np.int64)
    if native is not None and native.values.dtype.kind in "iu":
        if native.is_array and native.elements_valid is not None:
            ok = native.elements_valid
            last = np.where(ok.any(axis=1), ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1), 0)
            reset_values = native.values[np.arange(n), last].astype(np.int64)
            resets = np.asarray(ok.any(axis=1))
        elif not native.is_array:
            resets, reset_values = native.valid.copy(), native.values.astype(np.int64)
    events = np.concatenate([reset_values[:, None], grid], axis=1).ravel()
    present = np.concatenate([resets[:, None], np.repeat(rows[:, None], m, axis=1)], axis=1)
    is_reset = np.zeros((n, m + 1), dtype=bool)
    is_reset[:, 0] = True
    flat_present = present.ravel()
    seq = events[flat_present]
    if seq.size == 0:
        return grid
    kind = is_reset.ravel()[flat_present]
    starts = kind.copy()
    starts[0] = True
    previous = np.concatenate([[seq[0]], seq[:-1]])
    step = np.where(starts, 0, (seq - previous) & ((1 << bits) - 1))
    total = np.cumsum(step)
    first = np.flatnonzero(starts)
    group = np.cumsum(starts) - 1
    totals = seq[first][group] + total - total[first][group]
    out = events.copy()
    out[flat_present] = totals
    return out.reshape(n, m + 1)[:, 1:]
