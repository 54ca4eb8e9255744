"""Walk a FIT file's structure: headers, CRCs, definition messages and where each data message is.

The walk is the only sequential part of decoding (each message's size depends on its header and
the definitions before it). It is kept cheap by jumping over **runs**: once a data message of
local type L and size S is found, the headers at p+S, p+2S, ... are compared with numpy in one
step, and the whole run is recorded as one arithmetic progression of offsets. Field values are
not touched here; :mod:`toolkit.ingest.fit.decode` reads them later, vectorised per definition.

FIT protocol (Garmin FIT SDK, "FIT Protocol" document, sections 3.3-3.4):
- file header: size (12 or 14), protocol version, profile version (uint16 LE), data size (uint32
  LE), ".FIT", optional header CRC (uint16 LE; 0 means not computed);
- record header: bit 7 compressed timestamp (local type in bits 5-6, time offset bits 0-4);
  otherwise bit 6 definition, bit 5 developer data flag (definitions only), bits 0-3 local type;
- definition: reserved, architecture (0 little-, 1 big-endian), global message number (uint16
  in that byte order), field count, 3 bytes per field (number, size, base type), then, with the
  developer flag, a count and 3 bytes per developer field (number, size, developer data index);
- file CRC (uint16 LE) over header and data; several FIT files may follow each other (chained).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.errors import IngestError
from toolkit.ingest.fit.crc import crc16, crc16_small
from toolkit.ingest.fit.profile import BASE_TYPES, BYTE, BaseType

#: Longest run probed in one numpy comparison (runs longer than this take several probes).
_PROBE = 4096


@dataclass(frozen=True)
class FieldDef:
    """One field of a definition message: where its bytes lie inside the message."""

    number: int
    offset: int  # from the start of the message content (after the record header byte)
    size: int
    base: BaseType
    count: int  # number of elements (size // base size); strings: 1


@dataclass(frozen=True)
class DevFieldDef:
    """One developer field of a definition message."""

    number: int
    offset: int
    size: int
    developer_index: int


@dataclass
class Definition:
    """A definition message and every data message read with it."""

    index: int  # order of appearance in the file
    chain: int  # which file of a chained FIT file
    global_number: int
    big_endian: bool
    fields: tuple[FieldDef, ...]
    dev_fields: tuple[DevFieldDef, ...]
    size: int  # whole data message, header byte included
    position: int  # byte offset of the definition message
    runs: list[tuple[int, int]] = field(default_factory=list)  # (first offset, count)
    last_run: int = 0  # length of the latest run: the first guess for the next one

    def offsets(self) -> np.ndarray:
        """Byte offsets of this definition's data messages, in file order."""
        if not self.runs:
            return np.zeros(0, dtype=np.int64)
        runs = np.array(self.runs, dtype=np.int64)
        counts = runs[:, 1]
        firsts = np.cumsum(counts) - counts  # index of each run's first message
        run = np.repeat(np.arange(len(counts)), counts)
        index = np.arange(int(counts.sum()), dtype=np.int64)
        return runs[run, 0] + self.size * (index - firsts[run])

    @property
    def count(self) -> int:
        """Number of data messages read with this definition."""
        return sum(count for _, count in self.runs)


@dataclass
class Scan:
    """The structure of a whole (possibly chained) FIT file."""

    data: np.ndarray  # the file's bytes
    definitions: list[Definition]
    messages: int
    chains: int
    protocol_versions: list[int] = field(default_factory=list)
    #: salvage only: what was wrong and where (``"byte N"``); None for an intact file
    damage: IngestError | None = None


def where(message: int, byte: int) -> str:
    """A position as reported to the user."""
    return f"message {message} (byte {byte})"


def scan(raw: bytes, *, check_crc: bool = True, salvage: bool = False) -> Scan:
    """Check headers and CRCs and locate every message of every chained file in ``raw``.

    With ``salvage``, damage does not raise: the scan keeps every complete message before the
    first damaged byte (a truncated file: up to where it ends; a wrong checksum: every message
    that can be walked) and records what was wrong in :attr:`Scan.damage`.
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    if not raw:
        raise IngestError("the file is empty (0 bytes); a FIT file has at least a 12-byte header")
    definitions: list[Definition] = []
    messages = 0
    start = 0
    chain = 0
    versions: list[int] = []
    damage: IngestError | None = None
    while start < len(raw):
        try:
            header_size, data_end, protocol = _header(raw, data, start, chain, check_crc)
        except IngestError as exc:
            if not salvage or (chain == 0 and not _has_signature(raw)):
                raise
            header_size, data_end, protocol, damage = _salvage_header(raw, start, exc)
            if header_size == 0:
                break
        versions.append(protocol)
        try:
            messages = _walk(raw, data, start + header_size, data_end, chain, definitions, messages)
        except IngestError as exc:
            if not salvage:
                raise
            # the first byte the walk could not use: more precise than the header's
            if isinstance(damage, HeaderSizeRepaired):
                exc = IngestError(f"{exc.message} (and {damage.message})", exc.position)
            damage = exc
            break
        start = data_end + 2
        chain += 1
    return Scan(data, definitions, messages, chain, versions, damage)


def _has_signature(raw: bytes) -> bool:
    """The ``.FIT`` signature at bytes 8-11, whatever the header-size byte says."""
    return len(raw) >= 12 and raw[8:12] == b".FIT"


class HeaderSizeRepaired(IngestError):
    """Salvage read a header whose size byte is wrong at the size where the data starts."""


def _starts_definition(raw: bytes, pos: int) -> bool:
    """Whether a definition message can start at ``pos``: a normal header with the definition
    bit, then the reserved byte (0) and the architecture (0 or 1). A file's data always opens
    with a definition (nothing can be read before one)."""
    return (
        pos + 5 <= len(raw)
        and raw[pos] & 0xC0 == 0x40
        and raw[pos + 1] == 0
        and raw[pos + 2] in (0, 1)
    )


def _header_size(raw: bytes, start: int) -> int:
    """The header's real size: the size byte if the data opens there, else 14 or 12 (the two
    sizes the FIT protocol defines) where the first definition message is; 0 if none fits."""
    declared = raw[start]
    for size in dict.fromkeys((declared, 14, 12)):
        if 12 <= size <= len(raw) - start and _starts_definition(raw, start + size):
            return size
    return declared if 12 <= declared <= len(raw) - start else 0


def _salvage_header(raw: bytes, start: int, exc: IngestError) -> tuple[int, int, int, IngestError]:
    """Where to walk a damaged file's data, and what was wrong.

    A wrong header-size byte (an app writing 14 for a 12-byte header, or 12 for a 14-byte one,
    or no size at all) is read at the size where the data's first definition message starts;
    the data then ends where the header's data size says, if that fits the file. Otherwise: a
    truncated file is walked to its end, a bad checksum to the declared end.
    """
    remaining = len(raw) - start
    if remaining < 12 or raw[start + 8 : start + 12] != b".FIT":
        return 0, start, 0, exc  # nothing more to read here
    size = _header_size(raw, start)
    if size == 0:
        return 0, start, 0, exc
    declared = start + size + int.from_bytes(raw[start + 4 : start + 8], "little")
    if size != raw[start]:
        fits = declared + 2 <= len(raw)
        intact = fits and int.from_bytes(raw[declared : declared + 2], "little") == crc16(
            np.frombuffer(raw, dtype=np.uint8)[start:declared]
        )
        exc = HeaderSizeRepaired(
            f"the header-size byte says {raw[start]}, but the data starts after a {size}-byte "
            f"header (its first definition message is at byte {start + size}); read as a "
            f"{size}-byte header" + ("; the data and its checksum are intact" if intact else ""),
            f"byte {start}",
        )
        return size, declared if fits else len(raw), raw[start + 1], exc
    # a truncated file: walk what is there; a bad checksum: the data
    data_end = min(declared, len(raw)) if "checksum" in exc.message else len(raw)
    return min(size, remaining), data_end, raw[start + 1], exc


def _header(
    raw: bytes, data: np.ndarray, start: int, chain: int, check_crc: bool
) -> tuple[int, int, int]:
    """Validate the file header at ``start``; return its size, the data end and protocol."""
    what = "the file" if chain == 0 else f"chained FIT file {chain + 1} (byte {start})"
    remaining = len(raw) - start
    if remaining < 12:
        raise IngestError(
            f"{what} is too short for a FIT header: {remaining} bytes, at least 12 needed",
            f"byte {start}",
        )
    header_size = raw[start]
    if raw[start + 8 : start + 12] != b".FIT":
        if chain:
            raise IngestError(
                f"{remaining} bytes follow the end of the FIT data and are not another FIT file",
                f"byte {start}",
            )
        raise IngestError("not a FIT file: the header lacks the '.FIT' signature", "byte 0")
    if header_size < 12:
        raise IngestError(
            f"the header-size byte of {what} says {header_size}, but a FIT header is 12 or 14 "
            "bytes: the header is wrong",
            f"byte {start}",
        )
    data_size = int.from_bytes(raw[start + 4 : start + 8], "little")
    data_end = start + header_size + data_size
    if header_size > remaining or data_end + 2 > len(raw):
        raise IngestError(
            f"{what} is truncated or its header is wrong: the header declares {data_size} bytes "
            f"of data plus a 2-byte checksum after a {header_size}-byte header, but only "
            f"{remaining} bytes are present",
            f"byte {start}",
        )
    if check_crc and header_size >= 14:
        stored = int.from_bytes(raw[start + 12 : start + 14], "little")
        if stored and stored != crc16_small(raw[start : start + 12]):
            raise IngestError(
                f"the header checksum of {what} is wrong (stored {stored:#06x}, computed "
                f"{crc16_small(raw[start : start + 12]):#06x}): the file is damaged",
                f"byte {start + 12}",
            )
    if check_crc:
        stored = int.from_bytes(raw[data_end : data_end + 2], "little")
        computed = crc16(data[start:data_end])
        if stored != computed:
            raise IngestError(
                f"the checksum of {what} is wrong (stored {stored:#06x}, computed "
                f"{computed:#06x}): the file is damaged or was cut and re-joined",
                f"byte {data_end}",
            )
    return header_size, data_end, raw[start + 1]


def _walk(
    raw: bytes,
    data: np.ndarray,
    pos: int,
    end: int,
    chain: int,
    definitions: list[Definition],
    messages: int,
) -> int:
    """Record every message between ``pos`` and ``end``; return the running message count."""
    local: list[Definition | None] = [None] * 16
    while pos < end:
        header = raw[pos]
        if header & 0x80:
            number = (header >> 5) & 0x03
        elif header & 0x40:
            definition, size = _definition(raw, pos, end, chain, len(definitions), messages)
            definitions.append(definition)
            local[header & 0x0F] = definition
            messages += 1
            pos += size
            continue
        else:
            number = header & 0x0F
        found = local[number]
        if found is None:
            raise IngestError(
                f"a data message uses local message type {number}, but no definition for it "
                "precedes it",
                where(messages, pos),
            )
        definition = found
        size = definition.size
        if pos + size > end:
            raise IngestError(
                f"the file ends inside a message: {size} bytes needed, {end - pos} left "
                "(the file is truncated)",
                where(messages, pos),
            )
        count = _run_length(raw, data, pos, size, header, end, definition.last_run)
        definition.last_run = count
        definition.runs.append((pos, count))
        messages += count
        pos += size * count
    if pos != end:  # pragma: no cover - the loop only stops at end or raises
        raise IngestError("messages overrun the declared data size", where(messages, pos))
    return messages


def _run_length(
    raw: bytes, data: np.ndarray, pos: int, size: int, header: int, end: int, guess: int
) -> int:
    """How many messages with the same local type follow each other from ``pos``.

    The first probe covers the previous run's length plus one, so files with regular
    structure (a lap every N records) need one numpy comparison per run.
    """
    room = (end - pos) // size
    if room < 2:
        return 1
    compressed = header & 0x80
    mask = 0xE0 if compressed else 0xFF
    nxt = raw[pos + size]
    if (nxt & mask) != (header & mask) or (not compressed and nxt & 0x80):
        return 1
    count = 1
    probe = max(16, guess + 1)
    while count < room:
        take = min(probe, room - count)
        first = pos + count * size
        heads = data[first : first + take * size : size]
        bad = np.flatnonzero((heads & mask) != (header & mask))
        if bad.size:
            return count + int(bad[0])
        count += take
        probe = min(probe * 4, _PROBE)
    return count


def _definition(
    raw: bytes, pos: int, end: int, chain: int, index: int, messages: int
) -> tuple[Definition, int]:
    """Parse the definition message at ``pos``; return it and its size in bytes."""
    header = raw[pos]
    if pos + 6 > end:
        raise IngestError("the file ends inside a definition message", where(messages, pos))
    big = raw[pos + 2] == 1
    if raw[pos + 2] not in (0, 1):
        raise IngestError(
            f"a definition message declares architecture {raw[pos + 2]} (0 or 1 expected)",
            where(messages, pos),
        )
    global_number = int.from_bytes(raw[pos + 3 : pos + 5], "big" if big else "little")
    count = raw[pos + 5]
    cursor = pos + 6
    if cursor + 3 * count > end:
        raise IngestError("the file ends inside a definition message", where(messages, pos))
    fields: list[FieldDef] = []
    offset = 0
    for _ in range(count):
        number, size, base_byte = raw[cursor], raw[cursor + 1], raw[cursor + 2]
        base = BASE_TYPES.get(base_byte & 0x1F)
        if base is None:
            raise IngestError(
                f"field {number} of a definition has the unknown base type {base_byte:#04x}",
                where(messages, cursor),
            )
        if size == 0:
            raise IngestError(f"field {number} of a definition has size 0", where(messages, cursor))
        if size % base.size:
            base = BYTE  # the SDK's rule: a size that is no multiple of the type is read as bytes
        elements = 1 if base.is_string else size // base.size
        fields.append(FieldDef(number, offset, size, base, elements))
        offset += size
        cursor += 3
    dev_fields: list[DevFieldDef] = []
    if header & 0x20:
        if cursor + 1 > end:
            raise IngestError("the file ends inside a definition message", where(messages, pos))
        dev_count = raw[cursor]
        cursor += 1
        if cursor + 3 * dev_count > end:
            raise IngestError("the file ends inside a definition message", where(messages, pos))
        for _ in range(dev_count):
            number, size, dev_index = raw[cursor], raw[cursor + 1], raw[cursor + 2]
            dev_fields.append(DevFieldDef(number, offset, size, dev_index))
            offset += size
            cursor += 3
    definition = Definition(
        index, chain, global_number, big, tuple(fields), tuple(dev_fields), 1 + offset, pos
    )
    return definition, cursor - pos
