"""Assemble a scanned FIT file into one table of raw columns per message type.

Steps, each vectorised over whole columns:
1. developer field descriptions are read first, so developer fields can be typed;
2. each definition's messages become raw columns (:mod:`toolkit.ingest.fit.raw`), and the
   definitions of one global message are stacked in file order;
3. compressed-timestamp headers get their full timestamp (FIT protocol 3.3.2: each 5-bit offset
   advances the last timestamp, with roll-over every 32 s) via one cumulative sum;
4. sub-fields and components (e.g. ``compressed_speed_distance`` -> ``speed``, ``distance``;
   ``speed`` -> ``enhanced_speed``) are expanded with the official profile's bit widths, scales
   and accumulation rule (``garmin_fit_sdk.Accumulator``).
Scaling and naming for output are in :mod:`toolkit.ingest.fit.frames`.
"""

from __future__ import annotations

import numpy as np

from toolkit.ingest.fit.components import expand
from toolkit.ingest.fit.profile import (
    BASE_TYPES,
    FIELD_DESCRIPTION,
    TIMESTAMP_FIELD,
    message_spec,
    numpy_dtype,
)
from toolkit.ingest.fit.raw import (
    DevDescription,
    RawColumn,
    RawTable,
    column,
    concat,
    empty_like,
    records,
)
from toolkit.ingest.fit.scan import Definition, Scan


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
        expand(table)
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
