"""Spreadsheet-shaped input read the way people save it: before format detection, a file that is
a CSV in another dialect, or an Excel workbook, is rewritten as the UTF-8, comma-separated CSV
every CSV parser reads, and what was done is recorded.

- An empty file (no bytes, or only blank lines) is rejected as "the file is empty".
- An Excel workbook (``.xlsx``, also when renamed ``.csv``) becomes its first sheet as CSV, so
  its header decides its format (a roster workbook is a roster, not a questionnaire file).
- A legacy encoding is accepted only when it decodes unambiguously: the text is not UTF-8, and
  Windows-1252 decodes it to printable characters (no C1 control characters); otherwise the
  file is rejected naming the bytes.
- A semicolon-separated file (the header has more ``;`` than ``,``) is read with ``;``; its
  numbers may then use decimal commas (``6,5``), read as ``6.5``. A tab-separated file is read
  with tabs.

Line numbers are kept (one CSV line per input line or sheet row), so errors still point into
the user's file. The ingest report lists the conversion under the file's notes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.sources import SourceFile

_ZIP_MAGIC = b"PK\x03\x04"
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_C1 = re.compile("[\x80-\x9f]")


@dataclass(frozen=True)
class ReadAs(SourceFile):
    """A file read through a converted copy (``path``); ``original`` is what the user gave,
    whose hash identifies it in ``ingest_log``; ``how`` says what was converted."""

    original: Path = Path()
    how: str = ""

    def sha256(self) -> str:
        """The original file's content hash (re-ingesting it is recognised)."""
        digest = hashlib.sha256()
        with self.original.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def is_workbook(head: bytes) -> bool:
    """Whether ``head`` starts an Office Open XML workbook (an ``.xlsx`` zip with ``xl/``)."""
    return head.startswith(_ZIP_MAGIC) and b"xl/" in head[:4096]


def read_as_csv(source: SourceFile, workdir: Path) -> SourceFile:
    """``source`` itself, or a :class:`ReadAs` copy in ``workdir`` in the toolkit's CSV dialect.

    Raises :class:`~toolkit.errors.IngestError` for an empty file, or text in no encoding
    that decodes unambiguously.
    """
    head = source.head(4096)
    if not head.strip() and not _read(source.path).strip():
        raise IngestError("the file is empty")
    if is_workbook(head):
        return _from_workbook(source, workdir)
    if head.startswith(_ZIP_MAGIC) or not _looks_like_text(head):
        return source  # a zip, FIT or other binary file: its own parser's business
    raw = _read(source.path)
    text, encoding = decode(raw)
    first = text.split("\n", 1)[0]
    delimiter = (
        ","
        if first.count(",") >= max(first.count(";"), first.count("\t"))
        else (";" if first.count(";") >= first.count("\t") else "\t")
    )
    if encoding == "utf-8" and delimiter == ",":
        return source
    how = []
    if encoding != "utf-8":
        how.append(f"encoding {encoding}")
    if delimiter != ",":
        how.append("semicolon-separated" if delimiter == ";" else "tab-separated")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if delimiter == ";" and any(_DECIMAL_COMMA.fullmatch(c.strip()) for r in rows[1:] for c in r):
        rows = [rows[0]] + [
            [c.replace(",", ".") if _DECIMAL_COMMA.fullmatch(c.strip()) else c for c in r]
            for r in rows[1:]
        ]
        how.append("decimal commas")
    return _write_copy(source, workdir, rows, ", ".join(how))


def decode(raw: bytes) -> tuple[str, str]:
    """``raw`` as text and the encoding that read it: UTF-8 (with or without BOM), else
    Windows-1252 when that reads it unambiguously; else an error naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not _C1.search(text):
        return text, "windows-1252"
    line = raw[:bad].count(b"\n") + 1
    raise IngestError(
        f"the file is not UTF-8 text (byte 0x{raw[bad]:02x} at byte {bad}), and no legacy "
        "encoding reads it unambiguously; save it as CSV UTF-8",
        f"line {line}",
    )


def _looks_like_text(head: bytes) -> bool:
    return b"\x00" not in head[:4096]


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _write_copy(source: SourceFile, workdir: Path, rows: list[list[str]], how: str) -> ReadAs:
    workdir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(source.path).encode()).hexdigest()[:12]
    target = workdir / f"read-as-{digest}" / (Path(source.name.split("!")[-1]).stem + ".csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return ReadAs(source.name, target, source.parts, original=source.path, how=how)


def workbook_rows(path: Path) -> list[list[str]]:
    """The first sheet of the workbook at ``path`` as rows of cell text (dates as ISO text).

    The one workbook reader: a formula cell is read as its cached value, a formula without one
    or a NUL character is rejected with its cell, and an unreadable workbook is rejected."""
    from openpyxl import load_workbook

    # file objects: openpyxl would refuse a workbook renamed .csv by its name alone
    with path.open("rb") as handle, path.open("rb") as again:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
            formulas = load_workbook(again, read_only=True, data_only=False)
            try:
                return _sheet_rows(
                    book.worksheets[0].iter_rows(values_only=True),
                    formulas.worksheets[0].iter_rows(values_only=True),
                )
            finally:
                book.close()
                formulas.close()
        except IngestError:
            raise
        except (zipfile.BadZipFile, KeyError, IndexError, OSError, ValueError) as exc:
            raise IngestError(f"an Excel workbook that cannot be read ({exc})") from exc
        except Exception as exc:  # openpyxl's own exceptions
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise IngestError(f"an Excel workbook that cannot be read ({detail})") from exc


def _from_workbook(source: SourceFile, workdir: Path) -> SourceFile:
    """The first sheet as a CSV copy in ``workdir``."""
    rows = workbook_rows(source.path)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise IngestError("the file is empty (its first sheet has no cells)")
    width = max(len(r) for r in rows)
    while width and not any(len(r) >= width and r[width - 1] for r in rows):
        width -= 1
    rows = [(r + [""] * width)[:width] for r in rows]
    return _write_copy(source, workdir, rows, "Excel workbook, first sheet")


def _sheet_rows(
    values: Iterator[tuple[object, ...]], written: Iterator[tuple[object, ...]]
) -> list[list[str]]:
    """The sheet's cells as text. A formula cell is read as the value the spreadsheet app cached
    for it; a formula without a cached value (a workbook written by a program that never
    computed it) is rejected with its cell, never read as blank, and so is a NUL character."""
    from openpyxl.utils import get_column_letter

    rows: list[list[str]] = []
    for number, (cached, raw) in enumerate(zip(values, written, strict=False), start=1):
        for col, (value, formula) in enumerate(zip(cached, raw, strict=False), start=1):
            where = f"row {number}, cell {get_column_letter(col)}{number}"
            if value is None and isinstance(formula, str) and formula.startswith("="):
                raise IngestError(
                    f"the cell holds the formula {formula} with no cached value (the workbook "
                    "was saved by a program that does not compute formulas); open and save it "
                    "in a spreadsheet app, or type the value",
                    where,
                )
            if isinstance(value, str) and "\x00" in value:
                raise IngestError("the cell holds a NUL character", where)
        rows.append([_cell_text(v) for v in cached])
    return rows


def _cell_text(value: object) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep="T")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
