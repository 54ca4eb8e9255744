"""Assemble a scanned FIT file into one table of raw columns per message type.

Steps, each vectorised over whole columns:
1. developer field descriptions are read first, so developer fields can be typed;
2. each definition's messages become raw columns (:mod:`toolkit.ingest.fit_raw`), and the
   definitions of one global message are stacked in file order;
3. compressed-timestamp headers get their full timestamp (FIT protocol 3.3.2: each 5-bit offset
   advances the last timestamp, with roll-over every 32 s) via one cumulative sum;
4. sub-fields and components (e.g. ``compressed_speed_distance`` -> ``speed``, ``distance``;
   ``speed`` -> ``enhanced_speed``) are expanded with the official profile's bit widths, scales
   and accumulation rule (``garmin_fit_sdk.Accumulator``).
Scaling and naming for output are in :mod:`toolkit.ingest.fit_frames`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.ingest.fit_profile import (
    BASE_TYPE_BY_NAME,
    BASE_TYPES,
    FIELD_DESCRIPTION,
    TIMESTAMP_FIELD,
    BaseType,
    FieldSpec,
    message_spec,
    numpy_dtype,
)
from toolkit.ingest.fit_raw import RawColumn, column, concat, empty_like, records
from toolkit.ingest.fit_scan import Definition, Scan

#: Component bit fields wider than this are not expanded (no profile field of interest is).
_MAX_COMPONENT_BITS = 64


@dataclass(frozen=True)
class DevDescription:
    """A developer field's description (from a ``field_description`` message)."""

    name: str
    base: BaseType
    scale: float | None
    offset: float | None
    units: str


@dataclass
class RawTable:
    """Every message of one global message number, in file order."""

    number: int
    offsets: np.ndarray
    headers: np.ndarray
    chains: np.ndarray
    fields: dict[int, RawColumn] = field(default_factory=dict)
    developer: dict[str, tuple[DevDescription, RawColumn]] = field(default_factory=dict)
    subfields: dict[str, tuple[FieldSpec, RawColumn]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Number of messages."""
        return len(self.offsets)


def assemble(raw: bytes, scanned: Scan) -> dict[int, RawTable]:
    """Raw tables keyed by global message number, with timestamps and components resolved."""
    by_number: dict[int, list[Definition]] = {}
    for d in scanned.definitions:
        if d.runs:
            by_number.setdefault(d.global_number, []).append(d)
    descriptions: dict[tuple[int, int, int], DevDescription] = {}
    tables: dict[int, RawTable] = {}
    if FIELD_DESCRIPTION in by_number:
        tables[FIELD_DESCRIPTION] = _table(raw, FIELD_DESCRIPTION, by_number[FIELD_DESCRIPTION], {})
        descriptions = _descriptions(tables[FIELD_DESCRIPTION])
    for number, defs in by_number.items():
        if number != FIELD_DESCRIPTION:
            tables[number] = _table(raw, number, defs, descriptions)
    _resolve_compressed_timestamps(tables)
    for table in tables.values():
        _expand(table)
    return tables


def _table(
    raw: bytes,
    number: int,
    defs: list[Definition],
    descriptions: dict[tuple[int, int, int], DevDescription],
) -> RawTable:
    parts: list[
        tuple[np.ndarray, dict[int, RawColumn], dict[str, tuple[DevDescription, RawColumn]]]
    ]
    parts = []
    for d in defs:
        extra, dev_names = _developer_layout(d, descriptions)
        array = records(raw, d, extra)
        fields = {}
        for f in d.fields:
            fields[f.number] = column(array[f"f{f.number}_{f.offset}"], f.base)
        dev = {
            name: (desc, column(array[key], desc.base)) for key, (name, desc) in dev_names.items()
        }
        parts.append((array["header"], fields, dev))
    offsets = np.concatenate([d.offsets() for d in defs])
    chains = np.concatenate([np.full(d.count, d.chain, dtype=np.int32) for d in defs])
    headers = np.concatenate([p[0] for p in parts])
    order = np.argsort(offsets, kind="stable") if len(defs) > 1 else None
    table = RawTable(number, offsets, headers, chains)
    sizes = [d.count for d in defs]
    for num in dict.fromkeys(n for p in parts for n in p[1]):
        cols = [p[1].get(num) for p in parts]
        template = next(c for c in cols if c is not None)
        stacked = concat(
            [
                c if c is not None else empty_like(template, s)
                for c, s in zip(cols, sizes, strict=True)
            ]
        )
        table.fields[num] = stacked
    for name in dict.fromkeys(n for p in parts for n in p[2]):
        entries = [p[2].get(name) for p in parts]
        desc, template = next(e for e in entries if e is not None)
        stacked = concat(
            [
                e[1] if e is not None else empty_like(template, s)
                for e, s in zip(entries, sizes, strict=True)
            ]
        )
        table.developer[name] = (desc, stacked)
    if order is not None:
        table.offsets, table.headers, table.chains = offsets[order], headers[order], chains[order]
        table.fields = {k: c.take(order) for k, c in table.fields.items()}
        table.developer = {k: (d, c.take(order)) for k, (d, c) in table.developer.items()}
    return table


def _developer_layout(
    d: Definition, descriptions: dict[tuple[int, int, int], DevDescription]
) -> tuple[list[tuple[str, np.dtype, int]], dict[str, tuple[str, DevDescription]]]:
    """Structured-dtype entries and output names for the developer fields of ``d``."""
    extra: list[tuple[str, np.dtype, int]] = []
    names: dict[str, tuple[str, DevDescription]] = {}
    native = {f.name for f in message_spec(d.global_number).fields.values()}
    for f in d.dev_fields:
        desc = descriptions.get((d.chain, f.developer_index, f.number))
        if desc is None or f.size % desc.base.size:
            continue  # no description: the bytes cannot be interpreted (the SDK skips them too)
        key = f"d{f.developer_index}_{f.number}_{f.offset}"
        dtype = (
            np.dtype(f"S{f.size}")
            if desc.base.is_string
            else np.dtype((numpy_dtype(desc.base, d.big_endian), (f.size // desc.base.size,)))
            if f.size > desc.base.size
            else numpy_dtype(desc.base, d.big_endian)
        )
        extra.append((key, dtype, f.offset))
        name = desc.name if desc.name not in native else f"developer_{desc.name}"
        names[key] = (name, desc)
    return extra, names


def _descriptions(table: RawTable) -> dict[tuple[int, int, int], DevDescription]:
    """Developer field descriptions keyed by (chain, developer data index, field number)."""
    out: dict[tuple[int, int, int], DevDescription] = {}
    f = table.fields
    needed = (0, 1, 2)
    if not all(n in f for n in needed):
        return out
    for row in range(table.rows):
        if not all(f[n].valid[row] for n in needed):
            continue
        base = BASE_TYPES.get(int(f[2].values[row]) & 0x1F)
        if base is None:
            continue
        name = str(f[3].values[row]) if 3 in f and f[3].valid[row] else ""
        key = (int(table.chains[row]), int(f[0].values[row]), int(f[1].values[row]))
        out[key] = DevDescription(
            name or f"developer_{key[1]}_{key[2]}",
            base,
            float(f[6].values[row]) if 6 in f and f[6].valid[row] else None,
            float(f[7].values[row]) if 7 in f and f[7].valid[row] else None,
            str(f[8].values[row]) if 8 in f and f[8].valid[row] else "",
        )
    return out


def _resolve_compressed_timestamps(tables: dict[int, RawTable]) -> None:
    """Give every compressed-timestamp message its full ``timestamp`` (raw FIT seconds)."""
    if not any((t.headers & 0x80).any() for t in tables.values()):
        return
    positions, values, kinds, chains, owners = [], [], [], [], []
    for number, t in tables.items():
        compressed = (t.headers & 0x80) != 0
        if compressed.any():
            rows = np.flatnonzero(compressed)
            positions.append(t.offsets[rows])
            values.append((t.headers[rows] & 0x1F).astype(np.int64))
            kinds.append(np.zeros(len(rows), dtype=bool))
            chains.append(t.chains[rows])
            owners.append(np.stack([np.full(len(rows), number), rows], axis=1))
        stamp = t.fields.get(TIMESTAMP_FIELD)
        if stamp is not None and not stamp.is_array:
            rows = np.flatnonzero(stamp.valid & ~compressed)
            positions.append(t.offsets[rows])
            values.append(stamp.values[rows].astype(np.int64))
            kinds.append(np.ones(len(rows), dtype=bool))
            chains.append(t.chains[rows])
            owners.append(np.stack([np.full(len(rows), -1), rows], axis=1))
    pos = np.concatenate(positions)
    order = np.argsort(pos, kind="stable")
    value = np.concatenate(values)[order]
    full = np.concatenate(kinds)[order]
    chain = np.concatenate(chains)[order]
    owner = np.concatenate(owners)[order]
    starts = full | np.concatenate([[True], chain[1:] != chain[:-1]])
    group = np.cumsum(starts) - 1
    low = np.where(full, value & 0x1F, value)
    previous = np.concatenate([[0], low[:-1]])
    step = np.where(starts, 0, (low - previous) & 0x1F)
    total = np.cumsum(step)
    first = np.flatnonzero(starts)
    base = np.where(full[first], value[first], -1)[group]
    stamped = base + total - total[first][group]
    known = base >= 0
    for number, t in tables.items():
        mine = (owner[:, 0] == number) & ~full
        if not mine.any():
            continue
        rows = owner[mine, 1]
        current = t.fields.get(TIMESTAMP_FIELD)
        if current is None or current.is_array:
            current = RawColumn(
                np.zeros(t.rows, dtype=np.int64), np.zeros(t.rows, dtype=bool), BASE_TYPES[0x06]
            )
        current.values[rows] = np.where(known[mine], stamped[mine], 0)
        current.valid[rows] = known[mine]
        t.fields[TIMESTAMP_FIELD] = current


def _expand(table: RawTable) -> None:
    """Add sub-field columns and expand component fields, as the official SDK decoder does."""
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


def _expand_one(
    table: RawTable,
    fields: dict[int, FieldSpec],
    spec: FieldSpec,
    source: RawColumn,
    pending: list[tuple[FieldSpec, RawColumn]],
) -> None:
    base = BASE_TYPE_BY_NAME.get(spec.type)
    if base is None or source.values.dtype == object:
        return  # the SDK expands only fields whose profile type is a base type
    values = source.values
    if source.is_array:
        width = min(values.shape[1], _MAX_COMPONENT_BITS // (8 * source.base.size))
        packed = np.zeros(len(values), dtype=np.uint64)
        for j in range(width):
            element = values[:, j].astype(np.uint64) & np.uint64((1 << (8 * source.base.size)) - 1)
            packed |= element << np.uint64(8 * source.base.size * j)
        available = width * 8 * source.base.size
    else:
        packed = values.astype(np.uint64)
        available = 8 * source.base.size
    rows = source.valid
    shift = 0
    for i, target_number in enumerate(spec.components):
        bits = spec.bits[i]
        if shift + bits > available or target_number not in fields:
            break
        target = fields[target_number]
        part = ((packed >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)
        shift += bits
        if target.accumulated:
            part = _accumulate(part, rows, bits)
        scale = spec.scale[i] if i < len(spec.scale) else 1.0
        offset = spec.offset[i] if i < len(spec.offset) else 0.0
        value = part / scale - offset
        t_scale, t_offset = target.single_scale
        # rounded, not truncated as the SDK does: int(2.03 * 1000) is 2029 in floating point
        raw_target = np.round((value + t_offset) * t_scale).astype(np.int64)
        t_base = BASE_TYPE_BY_NAME.get(target.type)
        invalid = t_base.invalid if t_base is not None else 0xFF
        good = rows & (raw_target != invalid)
        existing = table.fields.get(target_number)
        if existing is not None and not existing.is_array and existing.values.dtype != object:
            merged_raw = np.where(rows, raw_target, existing.values)
            merged_valid = np.where(rows, good, existing.valid)
            old_value = existing.value if existing.value is not None else _scaled(existing, target)
            merged_value = np.where(rows, value, old_value)
        else:
            merged_raw, merged_valid, merged_value = raw_target, good, value
        new = RawColumn(
            merged_raw, merged_valid, t_base or BASE_TYPES[0x02], value=merged_value.astype(float)
        )
        table.fields[target_number] = new
        if target.components:
            pending.append((target, RawColumn(raw_target, good, new.base)))


def _scaled(col: RawColumn, spec: FieldSpec) -> np.ndarray:
    scale, offset = spec.single_scale
    return col.values / scale - offset


def _accumulate(part: np.ndarray, rows: np.ndarray, bits: int) -> np.ndarray:
    """Undo roll-over of an accumulated component over the valid rows, in file order.

    ``garmin_fit_sdk.Accumulator``: the first value starts the total; each next value adds
    ``(value - last) & mask``.
    """
    out = part.copy()
    idx = np.flatnonzero(rows)
    if idx.size:
        seq = part[idx]
        steps = np.diff(seq) & ((1 << bits) - 1)
        out[idx] = seq[0] + np.concatenate([[0], np.cumsum(steps)])
    return out
