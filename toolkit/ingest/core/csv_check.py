"""The structure of a CSV file, checked before any value is read: the first fault names its line.

Every CSV parser calls :func:`check_csv` (``read_text_csv`` does for the polars-based ones), so
a malformed file is rejected rather than half read:

- a NUL byte (never text; a file cut or overwritten on disk);
- a quoted field that is never closed (one stray ``"`` would swallow the rest of the file);
- a row with more or fewer fields than the header (a truncated row must not load as nulls);
- a header naming the same column twice (the second copy would be ignored silently).

Files without any quote character are checked with numpy over the raw bytes (field counts per
line), so large machine-written exports cost little; quoted files are matched record by record
with a regular expression (RFC 4180 quoting). Text that is not UTF-8 is rejected too.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from toolkit.errors import IngestError

_BOM = b"\xef\xbb\xbf"


def check_csv(
    path: Path, data: bytes | None = None, *, unique_header: bool = True, file_name: bool = False
) -> None:
    """Raise :class:`IngestError` naming the line of the first structural fault of a CSV.

    ``unique_header=False`` allows repeated header names (a REDCap label export repeats
    ``Complete?``); ``file_name`` prefixes positions with the file's name (for a side file,
    such as a data dictionary, whose fault rejects another file).
    """
    try:
        _check(path.read_bytes() if data is None else data, unique_header)
    except IngestError as exc:
        if not file_name:
            raise
        raise IngestError(f"{path.name}: {exc.message}", f"{path.name} {exc.position}") from exc


#: bytes checked at a time (cut at a line end), so a large file needs little working memory
_CHUNK = 16 * 1024**2


def _check(raw: bytes, unique_header: bool) -> None:
    raw = raw.removeprefix(_BOM)
    if not raw.strip():
        return
    for start, chunk in _chunks(raw):
        _check_text(raw, start, chunk)
    if b'"' in raw:
        _check_quoted(raw, unique_header)
    else:
        _check_plain(raw, unique_header)


def _chunks(raw: bytes) -> list[tuple[int, memoryview]]:
    """``raw`` in pieces of about ``_CHUNK`` bytes, each ending at a line end (or the end)."""
    out, start, view = [], 0, memoryview(raw)
    while start < len(raw):
        end = raw.find(b"\n", min(start + _CHUNK, len(raw)) - 1)
        end = len(raw) if end < 0 else end + 1
        out.append((start, view[start:end]))
        start = end
    return out


def _check_text(raw: bytes, start: int, chunk: memoryview) -> None:
    """No NUL byte, and UTF-8 (a chunk ends at a line end, never inside a character)."""
    nul = raw.find(b"\x00", start, start + len(chunk))
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise IngestError(
            "the file holds a NUL byte, which is never part of a text export (the file may be "
            "damaged or not a CSV file)",
            f"line {line}, byte {nul + 1}",
        )
    try:
        str(chunk, "utf-8")
    except UnicodeDecodeError as exc:
        at = start + exc.start
        line = raw.count(b"\n", 0, at) + 1
        raise IngestError(
            "the file is not UTF-8 text (save or export it as UTF-8 CSV)",
            f"line {line}, byte {at + 1}",
        ) from exc


def _header_names(fields: list[str], unique: bool) -> None:
    if not unique:
        return
    seen: dict[str, int] = {}
    for index, name in enumerate(fields, start=1):
        key = name.strip().lower()
        if key and key in seen:
            raise IngestError(
                f"the header names the column {name.strip()!r} twice (columns {seen[key]} and "
                f"{index}); rename one",
                "line 1",
            )
        seen[key] = index


def _fields_error(line: int, found: int, expected: int) -> IngestError:
    what = "more" if found > expected else "fewer"
    return IngestError(
        f"this row has {found} fields, {what} than the header's {expected} (a truncated row, an "
        "unquoted comma or a missing separator)",
        f"line {line}",
    )


def _check_plain(raw: bytes, unique_header: bool) -> None:
    """Field counts per line, vectorised (commas between line ends), one chunk at a time."""
    first_end = raw.find(b"\n")
    header = raw[: len(raw) if first_end < 0 else first_end].decode("utf-8").rstrip("\r")
    _header_names(header.split(","), unique_header)
    expected = header.count(",") + 1
    lines_before = 0
    for _, chunk in _chunks(raw):
        data = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.flatnonzero(data == ord("\n"))
        if not len(ends) or ends[-1] != len(data) - 1:
            ends = np.append(ends, len(data))
        starts = np.concatenate(([0], ends[:-1] + 1))
        commas = np.flatnonzero(data == ord(","))
        counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
        lengths = ends - starts
        # a line holding only \r or nothing is blank: skipped, as CSV readers do
        first = data[np.minimum(starts, len(data) - 1)] if len(data) else starts
        blank = (lengths == 0) | ((lengths == 1) & (first == 13))
        bad = np.flatnonzero((counts != expected) & ~blank)
        if bad.size:
            row = int(bad[0])
            raise _fields_error(lines_before + row + 1, int(counts[row]), expected)
        lines_before += int((data == ord("\n")).sum())


#: one CSV field (RFC 4180): quoted (quotes doubled inside) or unquoted without quotes
_FIELD = r'(?:"(?:[^"]|"")*"|[^,"\r\n]*)'
#: one record: fields separated by commas, up to a line end or the end of the text
_RECORD = re.compile(rf"{_FIELD}(?:,{_FIELD})*(?:\r\n|\n|\r|\Z)")


def _check_quoted(raw: bytes, unique_header: bool) -> None:
    """Records matched one at a time by a regular expression (in C), fields counted per record.

    Stricter than the standard library's reader, as the polars reader that follows is: a
    quote inside an unquoted field, or text after a closing quote, is a fault.
    """
    text = raw.decode("utf-8", errors="replace")
    pos, line = 0, 1
    expected: int | None = None
    while pos < len(text):
        match = _RECORD.match(text, pos)
        end = match.end() if match else pos
        if end == pos or (end < len(text) and text[end - 1] not in ("\n", "\r")):
            starts_field = end == pos or text[end - 1] == ","
            if starts_field and text[end] == '"' and '"' not in text[end + 1 :]:
                raise IngestError(
                    'a quoted field opened on this line is never closed (a stray " swallows '
                    "the rest of the file)",
                    f"line {line}",
                )
            raise IngestError(
                'the row starting on this line has a quote (") inside a field that does not '
                "start with one, or text after a closing quote (a stray quote): quote the "
                "whole field and double the quotes inside it",
                f"line {line}",
            )
        record = text[pos:end]
        if record.strip("\r\n"):
            fields = _count_fields(record)
            if expected is None:
                _header_names(next(csv.reader([record.rstrip("\r\n")])), unique_header)
                expected = fields
            elif fields != expected:
                raise _fields_error(line, fields, expected)
        line += record.count("\n") or (1 if record.endswith("\r") else 0)
        pos = end if end > pos else pos + 1


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _count_fields(record: str) -> int:
    """Commas outside quoted fields, plus one (the record is known well-formed here)."""
    body = record.rstrip("\r\n")
    if '"' in body:
        body = _QUOTED.sub("", body)
    return body.count(",") + 1
