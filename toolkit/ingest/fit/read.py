"""``read_fit``: a whole FIT file as polars frames keyed by message name, values in SI units.

Guarantees: the header and file checksums are checked before any value is read; a damaged,
truncated or foreign file raises :class:`~toolkit.errors.IngestError` naming the byte where the
problem is, and nothing is returned (never part of a file). ``speed``, ``distance`` and
``altitude`` are filled from their ``enhanced_*`` or compressed forms when a file stores those
instead (``enhanced_*`` first, as Garmin documents the enhanced fields as the full-range ones).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.fit.decode import assemble
from toolkit.ingest.fit.frames import to_frame
from toolkit.ingest.fit.scan import scan

#: Files larger than this are refused before reading (a FIT file of a day-long activity is
#: a few MB; this bounds memory on hostile input).
MAX_FIT_BYTES = 2 * 1024**3

#: plain field -> full-range field that replaces it when present (FIT profile "enhanced_*").
ENHANCED = {"speed": "enhanced_speed", "altitude": "enhanced_altitude"}


def read_fit(
    path: Path | str, *, check_crc: bool = True, with_offsets: bool = False
) -> dict[str, pl.DataFrame]:
    """Decode a FIT file (or several chained ones) into one frame per message type.

    Parameters
    ----------
    path
        The ``.fit`` file.
    check_crc
        Verify the header and file checksums (default). Turn off only to salvage a file known
        to be damaged.
    with_offsets
        Add an ``_offset`` column: each message's byte offset in the file (for messages).

    Returns
    -------
    dict of str to polars.DataFrame
        Keyed by profile message name (``file_id``, ``record``, ``lap``, ``session``,
        ``event``, ``device_info``, ...; ``unknown_N`` for messages outside the profile). One
        row per message in file order; columns named as in the FIT profile, scaled to SI
        (m, s, m/s); ``timestamp`` and other ``date_time`` fields timezone-aware UTC; enums by
        name; developer fields by their declared names. ``record``, ``lap`` and ``session``
        have ``speed``/``distance`` (and ``record`` ``altitude``) whether stored plain,
        enhanced or compressed.

    Raises
    ------
    IngestError
        For anything that is not a complete, intact FIT file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FIT_BYTES:
            raise IngestError(f"the file is {size} bytes, more than the {MAX_FIT_BYTES} allowed")
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"the file cannot be read: {exc.strerror or exc}") from exc
    return decode_fit(raw, check_crc=check_crc, with_offsets=with_offsets)


def decode_fit(
    raw: bytes, *, check_crc: bool = True, with_offsets: bool = False
) -> dict[str, pl.DataFrame]:
    """:func:`read_fit` on bytes already in memory."""
    scanned = scan(raw, check_crc=check_crc)
    try:
        tables = assemble(raw, scanned)
    except (ValueError, IndexError, OverflowError) as exc:  # pragma: no cover - defensive
        raise IngestError(f"the FIT data cannot be decoded: {exc}") from exc
    out: dict[str, pl.DataFrame] = {}
    for number in sorted(tables, key=lambda n: int(tables[n].offsets[0])):
        name, frame = to_frame(tables[number], with_offsets=with_offsets)
        out[name] = _with_plain_fields(frame)
    return out


def _with_plain_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill ``speed``/``altitude`` from their enhanced forms (preferred where present)."""
    for plain, enhanced in ENHANCED.items():
        for prefix in ("", "avg_", "max_", "min_"):
            p, e = prefix + plain, prefix + enhanced
            if e in frame.columns and frame[e].dtype.is_numeric():
                fill = pl.col(e).cast(pl.Float64)
                if p in frame.columns and frame[p].dtype.is_numeric():
                    fill = pl.coalesce(fill, pl.col(p).cast(pl.Float64))
                frame = frame.with_columns(fill.alias(p))
    return frame
