"""The mutation corpus (issue 11, item 17): damaged copies of every demo and real file type.

Each target is one file the demo generator writes (or one shared real export), picked by a
pattern so the corpus does not depend on participant numbering. Each mutation is a pure
function of the file's bytes (seeded where it picks positions) with what a correct ingest must
do with it:

- ``reject``: the damage can always be seen (an empty file, a record cut in half, text where a
  number belongs, a NUL byte, a repeated header column): rejected, naming file and position;
- ``same``: the content is unchanged (columns reordered, a byte-order mark, Windows line ends):
  loaded with the same rows as the original, or rejected with a reason;
- ``any``: anything may have happened (a flipped byte, a dropped column, a deleted span): only
  the invariants hold.

The invariants, for every mutation: no traceback (no "reader failure"), a rejection has a
message and a position in words and leaves no row of the file in any raw table, a load writes
exactly the rows it reports and never 0 rows without a note.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Targets: name -> (where: ``demo`` or ``real``, glob under that root, kind).
TARGETS: dict[str, tuple[str, str, str]] = {
    "roster": ("demo", "roster.csv", "csv"),
    "treadmill_segments": ("demo", "treadmill/*/*.csv", "csv"),
    "treadmill_samples": ("demo", "treadmill_samples/*.csv", "csv"),
    "pain_visits": ("demo", "pain/visits.csv", "csv"),
    "pain_diary": ("demo", "pain/nrs_diary.csv", "csv"),
    "redcap_data": ("demo", "redcap/*_DATA.csv", "csv"),
    "redcap_events": ("demo", "redcap/*_events.csv", "csv"),
    "direction_manifest": ("demo", "devices/*/directions.csv", "csv"),
    "fit": ("demo", "devices/*/*.fit", "binary"),
    "tcx": ("demo", "devices/*/*.tcx", "text"),
    "fitbit_json": ("demo", "wearables/*/Fitbit/*/*.json", "text"),
    "apple_zip": ("demo", "wearables/*/export.zip", "binary"),
    "real_fit": ("real", "fit/garmin-fenix-5-walk.fit", "binary"),
    "real_tcx": ("real", "tcx/dblock-tcx__treadmill_1.tcx", "text"),
    "real_apple_xml": ("real", "apple_health/healthkit-to-sqlite__export.xml", "text"),
    "real_apple_zip": ("real", "apple_health/apple-health-parser__export.zip", "binary"),
    "real_redcap_data": ("real", "redcap/checkboxes-1/data.csv", "csv"),
}

#: Files a target needs beside it (read at detection), copied unchanged.
COMPANIONS = {
    "redcap_data": ("*_DataDictionary.csv", "*_events.csv"),
    "real_redcap_data": ("dictionary.csv",),
}


@dataclass(frozen=True)
class Mutation:
    """One way to damage a file: its name, what must happen, and the function."""

    name: str
    expect: str
    apply: Callable[[bytes], bytes | None]  # None: not applicable to this file


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _write_rows(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _numeric_column(rows: list[list[str]]) -> int | None:
    """The first column whose first data value is a number."""
    if len(rows) < 2:
        return None
    for i, value in enumerate(rows[1]):
        try:
            float(value)
        except ValueError:
            continue
        return i
    return None


def _time_column(rows: list[list[str]]) -> int | None:
    """The first column whose first data value looks like a date or time."""
    if len(rows) < 2:
        return None
    for i, value in enumerate(rows[1]):
        if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            return i
    return None


def _set_cell(
    data: bytes, column: Callable[[list[list[str]]], int | None], text: str
) -> bytes | None:
    rows = _rows(data)
    col = column(rows)
    if col is None or len(rows) < 2:
        return None
    rows[1][col] = text
    return _write_rows(rows)


def _cut_inside_a_record(data: bytes, fraction: float) -> bytes | None:
    """Cut the file inside a line, before that line's last comma: a record missing fields."""
    lines = _lines(data)
    index = max(1, min(len(lines) - 1, int(len(lines) * fraction)))
    if index >= len(lines) or b"," not in lines[index].rstrip(b"\r\n"):
        return None
    head = b"".join(lines[:index])
    return head + lines[index][: lines[index].rindex(b",")]


def _columns(
    data: bytes, change: Callable[[list[list[str]]], list[list[str]] | None]
) -> bytes | None:
    rows = _rows(data)
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    changed = change(rows)
    return None if changed is None else _write_rows(changed)


def _drop(position: str) -> Callable[[list[list[str]]], list[list[str]]]:
    def change(rows: list[list[str]]) -> list[list[str]]:
        i = {"first": 0, "middle": len(rows[0]) // 2, "last": len(rows[0]) - 1}[position]
        return [r[:i] + r[i + 1 :] for r in rows]

    return change


def _flip(seed: int, mask: int) -> Callable[[bytes], bytes | None]:
    def apply(data: bytes) -> bytes | None:
        if len(data) < 2:
            return None
        rng = random.Random(seed)
        at = rng.randrange(len(data))
        return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]

    return apply


def _truncate(fraction: float) -> Callable[[bytes], bytes | None]:
    return lambda data: data[: int(len(data) * fraction)] if len(data) > 8 else None


def _delete_span(seed: int) -> Callable[[bytes], bytes | None]:
    def apply(data: bytes) -> bytes | None:
        if len(data) < 200:
            return None
        at = random.Random(seed).randrange(50, len(data) - 100)
        return data[:at] + data[at + 37 :]

    return apply


def _insert_nul(data: bytes) -> bytes | None:
    lines = _lines(data)
    if len(lines) < 3:
        return None
    middle = lines[len(lines) // 2]
    return (
        b"".join(lines[: len(lines) // 2])
        + middle[:3]
        + b"\x00"
        + middle[3:]
        + b"".join(lines[len(lines) // 2 + 1 :])
    )


def _duplicate_line(data: bytes) -> bytes | None:
    lines = _lines(data)
    if len(lines) < 3:
        return None
    return b"".join([*lines[:2], lines[1], *lines[2:]])


def _unbalanced_quote(data: bytes) -> bytes | None:
    lines = _lines(data)
    if len(lines) < 3:
        return None
    return b"".join([lines[0], b'"' + lines[1], *lines[2:]])


def _extra_field(data: bytes) -> bytes | None:
    lines = _lines(data)
    if len(lines) < 3:
        return None
    line = lines[1].rstrip(b"\r\n")
    return b"".join([lines[0], line + b",surplus\n", *lines[2:]])


#: an Apple Health record of a type retrowalk reads (others are skipped unread)
_HEART = b'type="HKQuantityTypeIdentifierHeartRate"'


def _first(*choices: Callable[[bytes], bytes | None]) -> Callable[[bytes], bytes | None]:
    """The first of ``choices`` that applies (JSON, then XML spellings of one mutation)."""

    def apply(data: bytes) -> bytes | None:
        for choice in choices:
            out = choice(data)
            if out is not None:
                return out
        return None

    return apply


def _between(
    opening: bytes, closing: bytes, new: bytes, after: bytes = b""
) -> Callable[[bytes], bytes | None]:
    """Replace the text between the first ``opening`` (after ``after``) and the next
    ``closing``."""

    def apply(data: bytes) -> bytes | None:
        anchor = data.find(after)
        if anchor < 0:
            return None
        at = data.find(opening, anchor)
        if at < 0:
            return None
        start = at + len(opening)
        end = data.find(closing, start)
        return None if end < 0 else data[:start] + new + data[end:]

    return apply


def _json_value(old: bytes, new: bytes) -> Callable[[bytes], bytes | None]:
    """Replace the first JSON value after ``old`` (a key with its colon) with ``new``."""

    def apply(data: bytes) -> bytes | None:
        at = data.find(old)
        if at < 0:
            return None
        start = at + len(old)
        end = start
        while end < len(data) and data[end : end + 1] not in (b",", b"}"):
            end += 1
        return data[:start] + new + data[end:]

    return apply


def csv_mutations(flips: int) -> list[Mutation]:
    """Mutations of a CSV export."""
    out = [
        Mutation("empty", "reject", lambda d: b""),
        Mutation("header_only", "reject", lambda d: _lines(d)[0] if len(_lines(d)) > 1 else None),
        Mutation("cut_in_record_40", "reject", lambda d: _cut_inside_a_record(d, 0.4)),
        Mutation("cut_in_record_90", "reject", lambda d: _cut_inside_a_record(d, 0.9)),
        Mutation("bad_number", "reject", lambda d: _set_cell(d, _numeric_column, "12abc")),
        Mutation("bad_time", "reject", lambda d: _set_cell(d, _time_column, "2025-13-45T99:00:00")),
        Mutation(
            "huge_number", "reject_or_notes", lambda d: _set_cell(d, _numeric_column, "1e300")
        ),
        Mutation("nul_byte", "reject", _insert_nul),
        Mutation("unbalanced_quote", "reject", _unbalanced_quote),
        Mutation("extra_field", "reject", _extra_field),
        Mutation(
            "duplicate_header_column",
            "reject",
            lambda d: _columns(d, lambda r: [[row[0], *row] for row in r]),
        ),
        Mutation(
            "reorder_columns", "same", lambda d: _columns(d, lambda r: [row[::-1] for row in r])
        ),
        Mutation("bom", "same", lambda d: b"\xef\xbb\xbf" + d),
        Mutation("crlf", "same", lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")),
        Mutation("utf16", "same", lambda d: d.decode("utf-8").encode("utf-16")),
        Mutation("drop_first_column", "any", lambda d: _columns(d, _drop("first"))),
        Mutation("drop_middle_column", "any", lambda d: _columns(d, _drop("middle"))),
        Mutation("drop_last_column", "any", lambda d: _columns(d, _drop("last"))),
        Mutation("duplicate_line", "any", _duplicate_line),
        Mutation("truncate_half", "any", _truncate(0.5)),
        Mutation("delete_span", "any", _delete_span(1)),
    ]
    out += [Mutation(f"flip_case_{i}", "any", _flip(i, 0x20)) for i in range(flips)]
    out += [Mutation(f"flip_high_{i}", "any", _flip(100 + i, 0xFF)) for i in range(flips)]
    return out


def text_mutations(flips: int) -> list[Mutation]:
    """Mutations of an XML or JSON export."""
    out = [
        Mutation("empty", "reject", lambda d: b""),
        Mutation("truncate_half", "reject", _truncate(0.5)),
        Mutation("truncate_90", "reject", _truncate(0.9)),
        Mutation("nul_byte", "reject", _insert_nul),
        Mutation(
            "bad_time",
            "reject",
            _first(
                _json_value(b'"dateTime":', b'"13/45/25 99:00:00"'),
                _between(b'startDate="', b'"', b"2025-13-45 99:00:00 +0000", _HEART),
                _between(b"<Time>", b"</Time>", b"2025-13-45T99:00:00Z"),
            ),
        ),
        Mutation(
            "bad_number",
            "reject",
            _first(
                _json_value(b'"value":', b'"12abc"'),
                _between(b' value="', b'"', b"12abc", _HEART),
                _between(b"<DistanceMeters>", b"</DistanceMeters>", b"12abc"),
            ),
        ),
        Mutation(
            "huge_number",
            "reject_or_notes",
            _first(
                _json_value(b'"value":', b"1e300"),
                _between(b' value="', b'"', b"1e300", _HEART),
                _between(b"<DistanceMeters>", b"</DistanceMeters>", b"1e300"),
            ),
        ),
        Mutation("bom", "same", lambda d: b"\xef\xbb\xbf" + d),
        Mutation("utf16", "same", lambda d: d.decode("utf-8").encode("utf-16")),
        Mutation("delete_span", "any", _delete_span(1)),
        Mutation("duplicate_line", "any", _duplicate_line),
    ]
    out += [Mutation(f"flip_case_{i}", "any", _flip(i, 0x20)) for i in range(flips)]
    out += [Mutation(f"flip_high_{i}", "any", _flip(100 + i, 0xFF)) for i in range(flips)]
    return out


def binary_mutations(flips: int) -> list[Mutation]:
    """Mutations of a FIT file or a zip archive."""
    out = [
        Mutation("empty", "reject", lambda d: b""),
        Mutation("truncate_header", "reject", lambda d: d[:10]),
        Mutation("truncate_half", "reject", _truncate(0.5)),
        Mutation("truncate_90", "reject", _truncate(0.9)),
        Mutation("truncate_last_byte", "reject", lambda d: d[:-1]),
        Mutation("delete_span", "reject", _delete_span(1)),
        Mutation("appended_garbage", "any", lambda d: d + b"\x00garbage" * 4),
        Mutation("doubled", "any", lambda d: d + d),
    ]
    out += [Mutation(f"flip_bit_{i}", "any", _flip(i, 0x01)) for i in range(flips)]
    out += [Mutation(f"flip_byte_{i}", "any", _flip(100 + i, 0xFF)) for i in range(flips)]
    return out


def mutations(kind: str, flips: int) -> list[Mutation]:
    """The mutations for a target of ``kind`` (``csv``, ``text``, ``binary``)."""
    return {"csv": csv_mutations, "text": text_mutations, "binary": binary_mutations}[kind](flips)


def find_target(name: str, demo: Path, real: Path | None) -> Path | None:
    """The (smallest) file of target ``name``; None when its root is absent."""
    where, pattern, _ = TARGETS[name]
    root = demo if where == "demo" else real
    if root is None:
        return None
    found = sorted(root.glob(pattern), key=lambda p: (p.stat().st_size, str(p)))
    return found[0] if found else None
