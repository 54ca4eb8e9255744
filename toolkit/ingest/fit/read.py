"""``read_fit``: a whole FIT file as polars frames keyed by message name, values in SI units.

Guarantees: the header and file checksums are checked before any value is read; a damaged,
truncated or foreign file raises :class:`~toolkit.errors.IngestError` naming the byte where the
problem is, and nothing is returned (never part of a file) unless ``salvage=True`` asks for the
complete messages before the first damaged byte. Heart rates of ``hr`` messages are merged
into ``record`` as the official SDK does (:mod:`toolkit.ingest.fit.heart_rate`).
``speed``, ``distance`` and ``altitude`` are filled from their ``enhanced_*`` or compressed
forms when a file stores those instead (``enhanced_*`` first, as Garmin documents the enhanced
fields as the full-range ones).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.fit.decode import assemble
from toolkit.ingest.fit.frames import to_frame
from toolkit.ingest.fit.heart_rate import merge_hr_messages
from toolkit.ingest.fit.scan import scan

#: Files larger than this are refused before reading (a FIT file of a day-long activity is
#: a few MB; this bounds memory on hostile input).
MAX_FIT_BYTES = 2 * 1024**3

#: plain field -> full-range field that replaces it when present (FIT profile "enhanced_*").
ENHANCED = {"speed": "enhanced_speed", "altitude": "enhanced_altitude"}


def read_fit(
    path: Path | str,
    *,
    salvage: bool = False,
    check_crc: bool = True,
    with_offsets: bool = False,
    merge_heart_rates: bool = True,
) -> dict[str, pl.DataFrame]:
    """Decode a FIT file (or several chained ones) into one frame per message type.

    Parameters
    ----------
    path
        The ``.fit`` file.
    salvage
        Return the complete messages before the first damaged byte of a truncated or damaged
        file instead of raising (as the official SDK recovers them); :func:`read_fit_salvaged`
        also says what was wrong and where.
    check_crc
        Verify the header and file checksums (default). Turn off only to salvage a file known
        to be damaged.
    with_offsets
        Add an ``_offset`` column: each message's byte offset in the file (for messages).
    merge_heart_rates
        Merge the heart rates of ``hr`` messages (a strap's memory) into ``record`` (default,
        as the official SDK does); the record's own value stays in ``heart_rate_record``.

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
        For anything that is not a complete, intact FIT file (with ``salvage``: only for a
        file that is not FIT at all).
    """
    frames, _ = read_fit_salvaged(
        path,
        salvage=salvage,
        check_crc=check_crc,
        with_offsets=with_offsets,
        merge_heart_rates=merge_heart_rates,
    )
    return frames


def read_fit_salvaged(
    path: Path | str,
    *,
    salvage: bool = True,
    check_crc: bool = True,
    with_offsets: bool = False,
    merge_heart_rates: bool = True,
) -> tuple[dict[str, pl.DataFrame], IngestError | None]:
    """:func:`read_fit`, plus what was damaged (message and ``"... (byte N)"`` position) when
    messages were salvaged; ``None`` for an intact file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FIT_BYTES:
            raise IngestError(f"the file is {size} bytes, more than the {MAX_FIT_BYTES} allowed")
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"the file cannot be read: {exc.strerror or exc}") from exc
    return decode_fit_salvaged(
        raw,
        salvage=salvage,
        check_crc=check_crc,
        with_offsets=with_offsets,
        merge_heart_rates=merge_heart_rates,
    )


def decode_fit(
    raw: bytes,
    *,
    check_crc: bool = True,
    with_offsets: bool = False,
    salvage: bool = False,
    merge_heart_rates: bool = True,
) -> dict[str, pl.DataFrame]:
    """:func:`read_fit` on bytes already in memory."""
    frames, _ = decode_fit_salvaged(
        raw,
        salvage=salvage,
        check_crc=check_crc,
        with_offsets=with_offsets,
        merge_heart_rates=merge_heart_rates,
    )
    return frames


def decode_fit_salvaged(
    raw: bytes,
    *,
    salvage: bool = True,
    check_crc: bool = True,
    with_offsets: bool = False,
    merge_heart_rates: bool = True,
) -> tuple[dict[str, pl.DataFrame], IngestError | None]:
    """:func:`read_fit_salvaged` on bytes already in memory."""
    scanned = scan(raw, check_crc=check_crc, salvage=salvage)
    try:
        tables = assemble(raw, scanned)
    except (ValueError, IndexError, OverflowError) as exc:  # pragma: no cover - defensive
        raise IngestError(f"the FIT data cannot be decoded: {exc}") from exc
    out: dict[str, pl.DataFrame] = {}
    for number in sorted(tables, key=lambda n: int(tables[n].offsets[0])):
        name, frame = to_frame(tables[number], with_offsets=with_offsets)
        out[name] = _with_plain_fields(frame)
    if merge_heart_rates:
        out = merge_hr_messages(out)
    return out, scanned.damage


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
