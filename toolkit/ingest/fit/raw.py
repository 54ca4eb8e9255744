"""Read raw field values of FIT data messages, vectorised: one numpy view per definition.

Every data message of one definition has the same layout, so a run of them is a numpy record
array over the file's bytes (``np.frombuffer`` with a structured dtype: no copy). Each field is
then one column; invalid values (the base type's "no value" pattern) become a validity mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.ingest.fit.profile import BaseType, FieldSpec, numpy_dtype
from toolkit.ingest.fit.scan import Definition


@dataclass
class RawColumn:
    """One field's values for every message of a table.

    ``values`` is int64, float64 or (strings) object; 2-D (rows x elements) for array fields,
    with ``elements_valid`` saying which elements hold a value. ``valid`` is per row. Expanded
    component fields carry their final scaled value in ``value`` (the SDK's rule).
    """

    values: np.ndarray
    valid: np.ndarray
    base: BaseType
    elements_valid: np.ndarray | None = None
    value: np.ndarray | None = None

    @property
    def is_array(self) -> bool:
        """Whether the field holds several elements per message."""
        return self.values.ndim == 2

    def take(self, index: np.ndarray) -> RawColumn:
        """Rows ``index`` of this column."""
        return RawColumn(
            self.values[index],
            self.valid[index],
            self.base,
            None if self.elements_valid is None else self.elements_valid[index],
            None if self.value is None else self.value[index],
        )


def records(
    raw: bytes, definition: Definition, extra: list[tuple[str, np.dtype, int]]
) -> np.ndarray:
    """All data messages of ``definition`` as one structured array (a view when contiguous).

    ``extra`` adds (name, dtype, offset) entries, used for developer fields.
    """
    names = ["header"]
    formats: list[object] = [np.dtype("u1")]
    offsets = [0]
    for f in definition.fields:
        names.append(f"f{f.number}_{f.offset}")
        if f.base.is_string:
            formats.append(np.dtype(f"S{f.size}"))
        elif f.count > 1:
            formats.append((numpy_dtype(f.base, definition.big_endian), (f.count,)))
        else:
            formats.append(numpy_dtype(f.base, definition.big_endian))
        offsets.append(1 + f.offset)
    for name, dtype, offset in extra:
        names.append(name)
        formats.append(dtype)
        offsets.append(1 + offset)
    dtype = np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": definition.size}
    )
    runs = definition.runs
    if len(runs) == 1:
        return np.frombuffer(raw, dtype=dtype, count=runs[0][1], offset=runs[0][0])
    size = definition.size
    joined = b"".join(raw[start : start + n * size] for start, n in runs)
    return np.frombuffer(joined, dtype=dtype)


def column(values: np.ndarray, base: BaseType) -> RawColumn:
    """Turn one structured-array field into a :class:`RawColumn` with its validity mask."""
    if base.is_string:
        texts = np.array(
            [v.split(b"\x00", 1)[0].decode("utf-8", "replace") for v in values.tolist()],
            dtype=object,
        )
        valid = np.fromiter((bool(t) for t in texts), dtype=bool, count=len(texts))
        return RawColumn(texts, valid, base)
    bits = np.ascontiguousarray(values)
    invalid = bits == np.array(base.invalid).astype(bits.dtype)
    if base.is_float:
        floats = bits.view(bits.dtype.byteorder + ("f4" if base.size == 4 else "f8"))
        converted = floats.astype(np.float64)
    else:
        converted = bits.astype(np.int64)
    if converted.ndim == 2:
        elements_valid = ~invalid
        return RawColumn(converted, elements_valid.any(axis=1), base, elements_valid)
    return RawColumn(converted, ~invalid, base)


def empty_like(template: RawColumn, rows: int) -> RawColumn:
    """An all-invalid column shaped like ``template`` with ``rows`` rows."""
    shape = (rows, *template.values.shape[1:])
    values = np.zeros(shape, dtype=template.values.dtype)
    if template.values.dtype == object:
        values[:] = ""
    elements = None if template.elements_valid is None else np.zeros(shape, dtype=bool)
    value = None if template.value is None else np.full(rows, np.nan)
    return RawColumn(values, np.zeros(rows, dtype=bool), template.base, elements, value)


def concat(columns: list[RawColumn]) -> RawColumn:
    """Stack columns of several definitions (array widths padded with invalid elements)."""
    if len(columns) == 1:
        return columns[0]
    width = max(c.values.shape[1] if c.is_array else 0 for c in columns)
    if width:
        padded = []
        for c in columns:
            values = c.values if c.is_array else c.values[:, None]
            elements = c.elements_valid if c.elements_valid is not None else c.valid[:, None]
            extra = width - values.shape[1]
            padded.append(
                RawColumn(
                    np.pad(values, ((0, 0), (0, extra))),
                    c.valid,
                    c.base,
                    np.pad(elements, ((0, 0), (0, extra))),
                    c.value,
                )
            )
        columns = padded
    kinds = {c.values.dtype.kind for c in columns}
    dtype = object if "O" in kinds else (np.float64 if "f" in kinds else np.int64)
    with_value = any(c.value is not None for c in columns)
    return RawColumn(
        np.concatenate([c.values.astype(dtype) for c in columns]),
        np.concatenate([c.valid for c in columns]),
        columns[0].base,
        None
        if not width
        else np.concatenate([c.elements_valid for c in columns if c.elements_valid is not None]),
        None
        if not with_value
        else np.concatenate(
            [c.value if c.value is not None else np.full(len(c.valid), np.nan) for c in columns]
        ),
    )


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
