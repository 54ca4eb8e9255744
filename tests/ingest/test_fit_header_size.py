"""A FIT file whose header-size byte is wrong is recovered whole (issue 11, item 10).

Some apps write 14 in the size byte of a 12-byte header, 12 in that of a 14-byte header (with
its header checksum), or nothing at all. The data of a FIT file always opens with a definition
message, so salvage reads the header at the size (12 or 14, the protocol's two) where that
message starts, then the data as far as the header's data size says. Without ``--salvage``
the file is rejected, saying how many records salvage would keep and why.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import real_fixtures
from tests.ingest.fit_writer import activity
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.fit.crc import crc16, crc16_small
from toolkit.ingest.fit.read import decode_fit, decode_fit_salvaged
from toolkit.ingest.fit.scan import HeaderSizeRepaired

FOURTEEN = activity(seconds=40)  # a 14-byte header with its checksum


def twelve_byte_header(fit: bytes) -> bytes:
    """The same file with a 12-byte header (no header checksum), file checksum recomputed."""
    body = bytes([12]) + fit[1:12] + fit[14:-2]
    return body + struct.pack("<H", crc16(np.frombuffer(body, dtype=np.uint8)))


def with_size_byte(fit: bytes, size: int, *, real: int, checksums: bool = True) -> bytes:
    """``fit`` (whose header is ``real`` bytes) with ``size`` in its size byte; with
    ``checksums``, as an app writes it: the header and file checksums computed over the bytes
    it wrote (else a size byte damaged after the file was written)."""
    out = bytearray([size]) + fit[1:]
    if checksums:
        if real == 14:
            out[12:14] = struct.pack("<H", crc16_small(bytes(out[:12])))
        out[-2:] = struct.pack("<H", crc16(np.frombuffer(bytes(out[:-2]), dtype=np.uint8)))
    return bytes(out)


TWELVE = twelve_byte_header(FOURTEEN)


@pytest.mark.parametrize(
    ("written", "real", "checksums"),
    [
        (14, 12, True),
        (12, 14, True),
        (0, 12, True),
        (40, 14, True),
        (14, 12, False),
        (12, 14, False),
    ],
)
def test_a_wrong_header_size_is_read_at_the_real_size_and_every_record_kept(
    written: int, real: int, checksums: bool
) -> None:
    fit = TWELVE if real == 12 else FOURTEEN
    blob = with_size_byte(fit, written, real=real, checksums=checksums)
    assert decode_fit(TWELVE)["record"].height == 40  # the repaired-by-hand file is valid
    with pytest.raises(IngestError):
        decode_fit(blob)
    frames, damage = decode_fit_salvaged(blob)
    assert frames["record"].height == 40
    assert (
        frames["record"]["timestamp"].to_list()
        == decode_fit(FOURTEEN)["record"]["timestamp"].to_list()
    )
    assert isinstance(damage, HeaderSizeRepaired)
    assert damage.position == "byte 0"
    assert f"the header-size byte says {written}, but the data starts after a {real}-byte" in (
        damage.message
    )
    assert ("the data and its checksum are intact" in damage.message) is checksums


def test_a_wrong_header_size_and_a_truncation_keep_the_records_before_the_cut() -> None:
    blob = with_size_byte(TWELVE, 14, real=12)[:-200]
    frames, damage = decode_fit_salvaged(blob)
    assert damage is not None and not isinstance(damage, HeaderSizeRepaired)
    assert "truncated" in damage.message
    assert "(and the header-size byte says 14" in damage.message
    assert 0 < frames["record"].height < 40


def test_a_real_garmin_file_with_a_wrong_header_size_is_recovered_whole(tmp_path: Path) -> None:
    """The real Fenix 5 walk (14-byte header) with 12 written in its size byte."""
    real = real_fixtures("real", "fit", "garmin-fenix-5-walk.fit").read_bytes()
    assert real[0] == 14
    frames, damage = decode_fit_salvaged(with_size_byte(real, 12, real=14))
    assert isinstance(damage, HeaderSizeRepaired)
    expected = decode_fit(real)
    assert frames["record"].height == expected["record"].height
    assert frames["lap"].height == expected["lap"].height


def test_ingest_says_what_salvage_would_keep_and_salvage_keeps_it(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    (raw / "P1").mkdir()
    (raw / "P1" / "walk.fit").write_bytes(with_size_byte(TWELVE, 14, real=12))
    with open_study(tmp_path / "plain.duckdb") as study:
        files = {Path(f.path).name: f for f in study.ingest([raw], progress=False).files}
    refused = files["walk.fit"]
    assert refused.status == "rejected"
    assert "would keep the 40 complete record(s) (the header-size byte says 14" in (
        refused.error or ""
    )
    with open_study(tmp_path / "salvaged.duckdb") as study:
        files = {
            Path(f.path).name: f for f in study.ingest([raw], progress=False, salvage=True).files
        }
        kept = study.sql("select count(*) from raw_treadmill_samples").item()
    salvaged = files["walk.fit"]
    assert salvaged.status == "salvaged"
    assert salvaged.position == "byte 0"
    assert kept == 40
