"""A small vectorised FIT activity encoder for the demo and the FIT benchmark.

The official ``garmin_fit_sdk.Encoder`` writes about 14 000 records/s here, too slow for a demo
of thousands of sessions; this encoder writes each run of records as one numpy structured array
(``tobytes``), so a whole file takes milliseconds. It writes only what a treadmill console
records: ``file_id``, per-second ``record`` messages (speed, distance, grade, heart rate,
cadence), one ``lap`` per interval, ``session`` and ``activity``; field numbers, base types and
scales as in the FIT profile (``garmin_fit_sdk.Profile``). Reading is tested against the SDK.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from toolkit.ingest.fit.crc import crc16, crc16_small

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
#: base type bytes (FIT protocol table 4-6), little-endian numpy codes
_BASE = {"enum": (0x00, "u1"), "uint8": (0x02, "u1"), "sint16": (0x83, "<i2"),
         "uint16": (0x84, "<u2"), "uint32": (0x86, "<u4"), "uint32z": (0x8C, "<u4")}  # fmt: skip

#: (field number, name, base type) per message, profile numbering
FILE_ID = (0, [(0, "type", "enum"), (1, "manufacturer", "uint16"), (2, "product", "uint16"),
               (3, "serial_number", "uint32z"), (4, "time_created", "uint32")])  # fmt: skip
RECORD = (20, [(253, "timestamp", "uint32"), (6, "speed", "uint16"),
               (5, "distance", "uint32"), (9, "grade", "sint16"), (3, "heart_rate", "uint8"),
               (4, "cadence", "uint8")])  # fmt: skip
LAP = (19, [(253, "timestamp", "uint32"), (254, "message_index", "uint16"),
            (2, "start_time", "uint32"), (7, "total_elapsed_time", "uint32"),
            (8, "total_timer_time", "uint32"), (9, "total_distance", "uint32"),
            (13, "avg_speed", "uint16"), (45, "avg_grade", "sint16")])  # fmt: skip
SESSION = (18, [(253, "timestamp", "uint32"), (2, "start_time", "uint32"),
                (7, "total_elapsed_time", "uint32"), (8, "total_timer_time", "uint32"),
                (9, "total_distance", "uint32"), (5, "sport", "enum"), (6, "sub_sport", "enum"),
                (26, "num_laps", "uint16")])  # fmt: skip
ACTIVITY = (34, [(253, "timestamp", "uint32"), (1, "num_sessions", "uint16"),
                 (2, "type", "enum")])  # fmt: skip


@dataclass(frozen=True)
class Lap:
    """One interval of a session: its first and last record index (inclusive, exclusive)."""

    first: int
    stop: int


def fit_seconds(moment: datetime) -> int:
    """Whole seconds since the FIT epoch."""
    return int((moment - FIT_EPOCH).total_seconds())


def _dtype(fields: list[tuple[int, str, str]]) -> np.dtype:
    return np.dtype([("header", "u1")] + [(name, _BASE[base][1]) for _, name, base in fields])


def _definition(local: int, message: tuple[int, list[tuple[int, str, str]]]) -> bytes:
    number, fields = message
    out = bytes([0x40 | local, 0, 0]) + struct.pack("<HB", number, len(fields))
    for field_number, _, base in fields:
        out += bytes([field_number, np.dtype(_BASE[base][1]).itemsize, _BASE[base][0]])
    return out


def _messages(
    local: int, message: tuple[int, list[tuple[int, str, str]]], **values: object
) -> bytes:
    fields = message[1]
    first = next(iter(values.values()))
    count = len(first) if isinstance(first, np.ndarray) else 1
    array = np.zeros(count, dtype=_dtype(fields))
    array["header"] = local
    for _, name, base in fields:
        array[name] = values.get(name, _invalid(base))
    return array.tobytes()


def _invalid(base: str) -> int:
    return {"enum": 0xFF, "uint8": 0xFF, "sint16": 0x7FFF, "uint16": 0xFFFF,
            "uint32": 0xFFFFFFFF, "uint32z": 0}[base]  # fmt: skip


def encode_activity(
    start: datetime,
    speed_mps: np.ndarray,
    grade_pct: np.ndarray,
    heart_rate: np.ndarray,
    cadence_spm: np.ndarray,
    laps: list[Lap],
    *,
    sub_sport: int = 1,
    serial: int = 1,
) -> bytes:
    """A FIT activity of one record per second from ``start``; laps cut the records.

    ``cadence_spm`` is in steps per minute and is stored per foot (strides per minute), as
    watches and consoles store walking cadence. Sport is walking (11); ``sub_sport`` 1 is
    treadmill. Distance is the running sum of speed.
    """
    t0 = fit_seconds(start)
    n = len(speed_mps)
    seconds = t0 + np.arange(n, dtype=np.int64)
    distance = np.concatenate([[0.0], np.cumsum(speed_mps)[:-1]])
    body = bytearray()
    for local, message in enumerate((FILE_ID, RECORD, LAP, SESSION, ACTIVITY)):
        body += _definition(local, message)
    body += _messages(0, FILE_ID, type=4, manufacturer=255, product=1, serial_number=serial,
                      time_created=t0)  # fmt: skip
    record_values = {
        "timestamp": seconds,
        "speed": np.round(speed_mps * 1000),
        "distance": np.round(distance * 100),
        "grade": np.round(grade_pct * 100),
        "heart_rate": np.clip(np.round(heart_rate), 0, 254),
        "cadence": np.clip(np.round(cadence_spm / 2), 0, 254),
    }
    for index, lap in enumerate(laps):
        chunk = {k: v[lap.first : lap.stop] for k, v in record_values.items()}
        body += _messages(1, RECORD, **chunk)
        length = lap.stop - lap.first
        lap_distance = float(speed_mps[lap.first : lap.stop].sum())
        body += _messages(
            2,
            LAP,
            timestamp=t0 + lap.stop,
            message_index=index,
            start_time=t0 + lap.first,
            total_elapsed_time=length * 1000,
            total_timer_time=length * 1000,
            total_distance=round(lap_distance * 100),
            avg_speed=round(lap_distance / max(length, 1) * 1000),
            avg_grade=round(float(grade_pct[lap.first : lap.stop].mean()) * 100),
        )
    body += _messages(3, SESSION, timestamp=t0 + n, start_time=t0, total_elapsed_time=n * 1000,
                      total_timer_time=n * 1000, total_distance=round(float(speed_mps.sum()) * 100),
                      sport=11, sub_sport=sub_sport, num_laps=len(laps))  # fmt: skip
    body += _messages(4, ACTIVITY, timestamp=t0 + n, num_sessions=1, type=0)
    header = bytearray([14, 0x20]) + struct.pack("<HI", 2132, len(body)) + b".FIT"
    header += struct.pack("<H", crc16_small(bytes(header)))
    content = bytes(header) + bytes(body)
    return content + struct.pack("<H", crc16(np.frombuffer(content, dtype=np.uint8)))
