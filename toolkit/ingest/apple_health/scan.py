"""Stream the Record and Workout elements out of an Apple Health ``export.xml``, fast and safely.

Apple Health exports are 1-5 GB of one flat ``<HealthData>`` element, so this is not a general XML
parser: it reads the file in blocks of ``BLOCK_BYTES``, cut just before their last ``<`` by
:mod:`toolkit.ingest.apple_health.blocks` (so every tag before the cut is complete; ``<`` cannot
occur inside an attribute value), and reads the kept ``<Record ...>`` start tags of the block with
one regex pass over the bytes that expects Apple's fixed attribute order (:func:`_fast_pattern`;
records of other types are passed over inside the regex engine, repeated text such as source and
device is parsed once per distinct value). A block holding any record written otherwise (type not
first, other order, single quotes, line breaks between attributes) is read by a general path that
extracts each attribute wherever it is (polars, in Rust). Two blocks are processed at a time in
threads, so the polars work of one (which releases the GIL) overlaps the regex pass of the other.
``<Workout>`` elements, which are few, are read in Python with their ``MetadataEntry`` and
``WorkoutStatistics`` children.

Safety and correctness rules, each tested against a reference reader built on lxml iterparse
(:mod:`tests.ingest.apple_health_lxml`):

- No entity is ever expanded. An export whose DTD declares entities (``<!ENTITY``; Apple's own
  DTD declares none) is refused, which also stops "billion laughs" files. In the attributes read,
  only XML's predefined entities and character references are decoded; any other reference is
  an error. Nothing is fetched from outside the file.
- Attribute values are normalised as XML requires (literal tabs and line breaks become spaces).
- Comments, CDATA sections and processing instructions are blanked before scanning, so a
  ``<Record`` inside them is not read.
- A start tag whose attributes do not follow XML syntax, a file that is not UTF-8, or a file
  that does not end with ``</HealthData>`` (truncated) raises :class:`IngestError` with a byte
  position; the caller then loads nothing.

Memory is bounded by three blocks (two in flight, one being read) plus the rows kept (only
the record types the caller asks for).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.apple_health.blocks import (
    BLOCK_BYTES,
    HIDDEN_MARKUP,
    MARKUP_START,
    WORKOUT_START,
    check_end,
    decode_value,
    iter_blocks,
    read_prolog,
)

#: Record attributes kept, in output column order.
RECORD_ATTRIBUTES = ("type", "sourceName", "device", "unit", "startDate", "endDate", "value")

_NAME = r"[A-Za-z_:][-A-Za-z0-9._:]*"
_ATTR_SYNTAX = rf"""^<Record(?:\s+{_NAME}\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>$"""
_FAST_TAG = r"<Record\s[^>]*>"
_SLOW_TAG = re.compile(rb"""<Record\s(?:[^>"']|"[^"]*"|'[^']*')*>""")
_PY_ATTR = re.compile(rf"""({_NAME})\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_WORKOUT_TAG = re.compile(rb"""<Workout((?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?/?)>""")
_CHILD = re.compile(rb"""<(MetadataEntry|WorkoutStatistics)\s((?:[^>"']|"[^"]*"|'[^']*')*)>""")


@dataclass
class Workout:
    """One ``<Workout>`` element: its attributes and what its children say."""

    attributes: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)
    statistics: dict[str, dict[str, str]] = field(default_factory=dict)
    byte: int = 0


@dataclass
class ScanResult:
    """What one export holds, as text exactly as written (decoded and normalised).

    Attributes
    ----------
    records
        One row per kept ``Record``: the columns of ``RECORD_ATTRIBUTES`` (String, null when
        absent) plus ``_byte``, the record's block start offset for messages.
    workouts
        Every ``Workout`` element, in file order.
    records_seen
        ``Record`` elements of any type.
    """

    records: pl.DataFrame
    workouts: list[Workout]
    records_seen: int


def _column(tags: pl.Series, name: str) -> pl.Series:
    """Attribute ``name`` of every tag (null when absent), quotes of either kind."""
    pattern = rf"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"""
    groups = tags.str.extract_groups(pattern)
    fields = groups.struct.unnest()
    return fields[fields.columns[0]].fill_null(fields[fields.columns[1]]).alias(name)


def _record_tags(block: bytes, offset: int) -> pl.Series:
    """Every ``<Record ...>`` start tag in the block, checked for attribute syntax."""
    try:
        text = pl.Series([block], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.InvalidOperationError as exc:
        raise IngestError("the export is not valid UTF-8", f"near byte {offset}") from exc
    tags = text.str.extract_all(_FAST_TAG).explode(empty_as_null=False)
    if tags.len() and not tags.str.contains(_ATTR_SYNTAX).all():
        # a '>' inside a quoted value, or a malformed tag: read this block the careful way
        found = [m.group(0).decode("utf-8") for m in _SLOW_TAG.finditer(block)]
        tags = pl.Series(found, dtype=pl.String)
        bad = ~tags.str.contains(_ATTR_SYNTAX)
        if bad.any():
            tag = str(tags.filter(bad)[0])
            at = offset + block.find(tag.encode("utf-8"))
            raise IngestError(f"malformed Record start tag {tag[:80]!r}", f"byte {at}")
    return tags


@cache
def _fast_pattern(types: tuple[str, ...]) -> re.Pattern[bytes]:
    """One regex for a whole block that matches only the records it must look at.

    Apple writes every Record's attributes in one fixed order with double quotes and the type
    first, so a kept record starts with ``<Record type="KEPT"``; a record of another type is
    passed over without producing a match. For a kept record the first branch captures, in
    Apple's order, the "head" (type, source, version, device, unit: a handful of distinct texts
    per export, parsed once each by :func:`_heads`), the dates and the value. A kept record
    written otherwise (another order, single quotes) matches the second branch, and a
    ``<Record`` not followed by ``type="`` the third, both with every group empty: an empty
    final group sends the block to the general path. Values are captured with ``[^"]*`` (much
    faster in Python's engine than a class excluding whitespace too), so they may hold tabs or
    line breaks: :func:`_decode_columns` normalises them as XML requires. Optional parts are
    written ``(?:X|)`` rather than ``(?:X)?``: the same language, a fifth faster.
    """
    kept = b"(?:" + b"|".join(re.escape(t.encode("utf-8")) for t in types) + b")"
    parts = (
        rb'<Record(?:( type="(?:KEPT)" sourceName=ANY(?: sourceVersion=ANY|)(?: device=ANY|)',
        rb"(?: unit=ANY|))(?: creationDate=ANY|) startDate=VALUE endDate=VALUE(?: value=VALUE|)",
        rb'\s*(/?>)| type="(?=(?:KEPT)")|(?! type="))',
    )
    pattern = b"".join(parts).replace(b"VALUE", rb'"([^"]*)"').replace(b"ANY", rb'"[^"]*"')
    pattern = pattern.replace(b"KEPT", kept)
    return re.compile(pattern)


def _records(
    block: bytes, cut: int, offset: int, types: tuple[str, ...]
) -> tuple[pl.DataFrame, int]:
    """The kept records of ``block[:cut]``, and how many Record elements it held.

    Fast path (every record of the block starts ``<Record type="``, every kept one is in
    Apple's attribute order): one regex pass that visits only the kept records, one Series per
    attribute. Otherwise the general path reads every tag wherever its attributes are.
    """
    total = block.count(b"<Record", 0, cut)
    if not total:
        return pl.DataFrame(), 0
    rows = _fast_pattern(types).findall(block, 0, cut)
    # one list per group (list(map(itemgetter)) is a third of the time of zip(*rows))
    columns = [list(map(itemgetter(i), rows)) for i in range(len(rows[0]))] if rows else []
    # a record not starting with its type, or a kept one written otherwise
    fast = not columns or b"" not in columns[-1]
    raw: tuple[str, ...] = RECORD_ATTRIBUTES  # columns holding attribute text as written
    if fast:
        if not rows:
            return pl.DataFrame(), total
        names = ("_head", "startDate", "endDate", "value")
        try:
            frame = pl.DataFrame(
                {
                    name: pl.Series(name, values, dtype=pl.Binary).cast(pl.String)
                    for name, values in zip(names, columns, strict=False)
                }
            )
        except pl.exceptions.InvalidOperationError as exc:
            raise IngestError("the export is not valid UTF-8", f"near byte {offset}") from exc
        heads = _heads(frame["_head"].unique(), f"block at byte {offset}")
        frame = frame.join(heads, on="_head", how="left", maintain_order="left")
        frame = frame.select(RECORD_ATTRIBUTES)
        raw = ("startDate", "endDate", "value")
    else:
        tags = _record_tags(block[:cut], offset)
        total = tags.len()
        tags = tags.filter(_column(tags, "type").is_in(list(types)))
        if not tags.len():
            return pl.DataFrame(), total
        frame = pl.DataFrame({name: _column(tags, name) for name in RECORD_ATTRIBUTES})
    # an absent or empty optional attribute reads as null on both paths
    frame = frame.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
        for c in ("device", "unit", "value")
        if frame[c].is_null().any() or (frame[c] == "").any()
    )
    frame = frame.with_columns(pl.lit(offset, dtype=pl.Int64).alias("_byte"))
    return _decode_columns(frame, offset, raw), total


def _heads(heads: pl.Series, where: str) -> pl.DataFrame:
    """Type, source, device and unit (decoded as XML requires) of each distinct record head."""
    parsed = [_attributes(head.encode("utf-8"), where) for head in heads.to_list()]
    return pl.DataFrame(
        {
            "_head": heads,
            **{
                name: pl.Series([attrs.get(name) for attrs in parsed], dtype=pl.String)
                for name in ("type", "sourceName", "device", "unit")
            },
        }
    )


def _decode_columns(frame: pl.DataFrame, offset: int, names: tuple[str, ...]) -> pl.DataFrame:
    """Decode entities and normalise whitespace in every kept attribute (XML's rules).

    Columns with few distinct values (type, source, device, unit: Apple escapes every device
    description) are decoded once per distinct value; others only in the rows that need it.
    """
    where = f"block at byte {offset}"
    for name in names:
        col = frame[name]
        needs = col.str.contains(r"[&\t\n\r]").fill_null(False)
        if not needs.any():
            continue
        distinct = col.filter(needs).unique()
        decoded = pl.Series([decode_value(v, where) for v in distinct.to_list()], dtype=pl.String)
        mapped = col.replace(distinct, decoded)
        frame = frame.with_columns(mapped.alias(name))
    return frame


def _attributes(raw: bytes, where: str) -> dict[str, str]:
    """Decoded attributes of a start tag's attribute text."""
    text = raw.decode("utf-8")
    return {
        m.group(1): decode_value(m.group(2) if m.group(2) is not None else m.group(3), where)
        for m in _PY_ATTR.finditer(text)
    }


def _workouts(block: bytes, cut: int, offset: int) -> list[Workout]:
    """Every Workout element of ``block[:cut]`` (the cut rule keeps each one whole)."""
    found = []
    at = block.find(b"<Workout", 0, cut)
    while at >= 0:  # bytes.find skips ahead far faster than a regex search
        start, match = at, _WORKOUT_TAG.match(block, at, cut)
        at = block.find(b"<Workout", at + 8, cut)
        if match is None:
            if WORKOUT_START.match(block, start, cut):  # <Workout ...> but not a valid start tag
                raise IngestError("malformed Workout start tag", f"byte {offset + start}")
            continue  # <WorkoutStatistics>, <WorkoutEvent>, ...: children, read below
        where = f"byte {offset + match.start()}"
        raw = match.group(1)
        workout = Workout(_attributes(raw, where), byte=offset + match.start())
        if not raw.endswith(b"/"):
            end = block.find(b"</Workout>", match.end(), cut)
            if end < 0:
                raise IngestError("a Workout element is not closed", where)
            for child in _CHILD.finditer(block, match.end(), end):
                attrs = _attributes(child.group(2), where)
                if child.group(1) == b"MetadataEntry" and "key" in attrs:
                    workout.metadata[attrs["key"]] = attrs.get("value", "")
                elif child.group(1) == b"WorkoutStatistics" and "type" in attrs:
                    workout.statistics[attrs["type"]] = attrs
        found.append(workout)
    return found


@dataclass
class _Block:
    """What one block holds (see :func:`_read_block`)."""

    frame: pl.DataFrame | None
    count: int
    workouts: list[Workout]
    tail: bytes
    end: int
    root_end: int | None = None  # byte offset of the first </HealthData> in the block


ROOT_END = b"</HealthData>"


def _read_block(
    offset: int,
    block: bytes,
    cut: int,
    kept: tuple[str, ...],
    convert: Callable[[pl.DataFrame], pl.DataFrame] | None,
) -> _Block:
    """Records (converted) and Workouts of ``block[:cut]``, with its last bytes."""
    nul = block.find(b"\x00", 0, cut)
    if nul >= 0:  # XML 1.0 allows no NUL anywhere, even in content retrowalk does not read
        raise IngestError(
            "the export is not well-formed XML: it holds a NUL byte (the file is damaged)",
            f"byte {offset + nul}",
        )
    if (b"!" in block or b"?" in block) and MARKUP_START.search(block, 0, cut):
        block = HIDDEN_MARKUP.sub(lambda m: b" " * len(m.group(0)), block[:cut])
        cut = len(block)
    frame, count = _records(block, cut, offset, kept)
    converted = None
    if frame.height:
        converted = convert(frame) if convert is not None else frame
    tail = block[max(0, cut - 64) : cut]
    found = block.find(ROOT_END, 0, cut)
    root_end = offset + found if found >= 0 else None
    return _Block(converted, count, _workouts(block, cut, offset), tail, offset + cut, root_end)


def scan_export(
    path: Path,
    types: Collection[str],
    *,
    on_progress: Callable[[int], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
    convert: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> ScanResult:
    """Read the Records of ``types`` and every Workout of an Apple Health ``export.xml``.

    ``convert``, if given, is applied to each block's records as they are read (e.g. to turn
    them into compact canonical rows), so only its output is kept in memory; ``records`` then
    holds the concatenated results.

    Raises
    ------
    IngestError
        For an unsafe DTD, bad encoding, a malformed tag, or a truncated file; nothing is
        returned in that case.
    """
    frames: list[pl.DataFrame] = []
    workouts: list[Workout] = []
    seen = 0
    kept = tuple(sorted(types))
    last = b""
    first_root_end: int | None = None
    # two blocks in flight: polars work on one (which releases the GIL) overlaps the regex
    # pass on the other; results are taken in file order, so errors surface in file order
    with ThreadPoolExecutor(max_workers=2) as pool, path.open("rb") as handle:
        base = len(read_prolog(handle))
        end = base
        pending: deque[Future[_Block]] = deque()
        blocks = iter_blocks(handle, base, block_bytes)
        while True:
            while len(pending) < 2:
                item = next(blocks, None)
                if item is None:
                    break
                pending.append(pool.submit(_read_block, *item, kept, convert))
            if not pending:
                break
            done = pending.popleft().result()
            seen += done.count
            if done.frame is not None:
                frames.append(done.frame)
            workouts.extend(done.workouts)
            last = (last + done.tail)[-64:]
            end = done.end
            if first_root_end is None:
                first_root_end = done.root_end
            if on_progress is not None:
                on_progress(end)
        check_end(last, end)
        final_root_end = end - (len(last) - len(last.rstrip())) - len(ROOT_END)
        if first_root_end is not None and first_root_end != final_root_end:
            raise IngestError(
                "the export is not well-formed XML: markup follows the root element's end tag "
                "</HealthData> (nothing after it may be read); nothing was loaded",
                f"byte {first_root_end + len(ROOT_END)}",
            )
    if frames:
        records = pl.concat(frames, rechunk=False)
    else:
        empty = pl.DataFrame(schema={name: pl.String for name in RECORD_ATTRIBUTES})
        records = convert(empty) if convert is not None else empty
    return ScanResult(records, workouts, seen)
