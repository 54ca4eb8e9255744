"""A tiny FIT writer for tests: the cases real fixtures do not cover (big-endian definitions,
chained files, compressed-timestamp headers, developer fields) written byte by byte from the
FIT protocol, independently of the decoder under test."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from toolkit.ingest.fit.crc import crc16_small

#: base type byte, struct code
BASE = {
    "enum": (0x00, "B"),
    "uint8": (0x02, "B"),
    "sint16": (0x83, "h"),
    "uint16": (0x84, "H"),
    "uint32": (0x86, "I"),
    "float32": (0x88, "f"),
    "string": (0x07, "s"),
}


@dataclass
class FitWriter:
    """Accumulates messages; :meth:`bytes` returns a complete FIT file."""

    big_endian: bool = False
    body: bytearray = field(default_factory=bytearray)

    def define(
        self,
        local: int,
        global_number: int,
        fields: list[tuple[int, str, int]],
        dev_fields: list[tuple[int, int, int]] = (),  # type: ignore[assignment]
    ) -> None:
        """A definition: ``fields`` are (number, base type name, size)."""
        header = 0x40 | local | (0x20 if dev_fields else 0)
        order = ">" if self.big_endian else "<"
        self.body += bytes([header, 0, 1 if self.big_endian else 0])
        self.body += struct.pack(order + "H", global_number) + bytes([len(fields)])
        for number, base, size in fields:
            self.body += bytes([number, size, BASE[base][0]])
        if dev_fields:
            self.body += bytes([len(dev_fields)])
            for number, size, index in dev_fields:
                self.body += bytes([number, size, index])
        self._fields = fields

    def data(
        self,
        local: int,
        values: list[object],
        fields: list[tuple[int, str, int]],
        *,
        time_offset: int | None = None,
        dev_bytes: bytes = b"",
    ) -> None:
        """A data message (compressed-timestamp header when ``time_offset`` is given)."""
        if time_offset is None:
            self.body.append(local)
        else:
            self.body.append(0x80 | (local << 5) | (time_offset & 0x1F))
        order = ">" if self.big_endian else "<"
        for (_, base, size), value in zip(fields, values, strict=False):
            code = BASE[base][1]
            if code == "s":
                self.body += str(value).encode().ljust(size, b"\x00")[:size]
            else:
                self.body += struct.pack(order + code, value)
        self.body += dev_bytes

    def bytes(self, *, header_size: int = 14) -> bytes:
        """The file: header (with CRC when 14 bytes), messages, file CRC."""
        header = bytearray([header_size, 0x20]) + struct.pack("<HI", 2132, len(self.body))
        header += b".FIT"
        if header_size == 14:
            header += struct.pack("<H", crc16_small(bytes(header)))
        content = bytes(header) + bytes(self.body)
        return content + struct.pack("<H", crc16_small(content))


RECORD_FIELDS = [
    (253, "uint32", 4),
    (6, "uint16", 2),
    (5, "uint32", 4),
    (3, "uint8", 1),
    (4, "uint8", 1),
]


def activity(
    start: int = 1_000_000_000,
    seconds: int = 120,
    *,
    big_endian: bool = False,
    sub_sport: int = 1,
    laps: int = 2,
) -> bytes:
    """A small treadmill activity: file_id, records each second, laps, one session."""
    w = FitWriter(big_endian)
    file_id = [(0, "enum", 1), (1, "uint16", 2), (2, "uint16", 2), (4, "uint32", 4)]
    w.define(0, 0, file_id)
    w.data(0, [4, 1, 2697, start], file_id)
    w.define(1, 20, RECORD_FIELDS)
    for i in range(seconds):
        w.data(1, [start + i, 900 + i % 7, i * 90, 100 + i % 20, 50 + i % 3], RECORD_FIELDS)
    lap_fields = [(253, "uint32", 4), (2, "uint32", 4), (7, "uint32", 4), (9, "uint32", 4)]
    w.define(2, 19, lap_fields)
    length = seconds // laps
    for k in range(laps):
        w.data(
            2,
            [start + (k + 1) * length, start + k * length, length * 1000, length * 90],
            lap_fields,
        )
    session_fields = [
        (253, "uint32", 4),
        (2, "uint32", 4),
        (7, "uint32", 4),
        (9, "uint32", 4),
        (5, "enum", 1),
        (6, "enum", 1),
    ]
    w.define(3, 18, session_fields)
    w.data(3, [start + seconds, start, seconds * 1000, seconds * 90, 11, sub_sport], session_fields)
    return w.bytes()
