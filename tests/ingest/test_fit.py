"""FIT decoding (read_fit) against independent references, bad input, and FIT ingest."""

from __future__ import annotations

import contextlib
import csv
import math
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from garmin_fit_sdk import Decoder, Stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_FIXTURES, real_fixtures
from tests.ingest.fit_writer import RECORD_FIELDS, FitWriter, activity
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.fit import read_fit
from toolkit.ingest.fit.crc import crc16, crc16_small
from toolkit.ingest.fit.read import decode_fit

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
SHARED_FIT = SHARED_FIXTURES / "real" / "fit"
#: real files the FIT ingest refuses, and why
REJECTED = {
    "activity-filecrc": "checksum",
    "activity-unexpected-eof": "truncated",
    "MonitoringFile": "not an activity",
    "DeveloperData": "no start time",
    "garmin-edge-500-activity": "cycling",
    "sample-activity-indoor-trainer": "cycling",
    "event_timestamp": "swimming",
    "20170518-191602-1740899583": "indoor_rowing",
}
_ZONES = {"PDT": "-0700", "PST": "-0800"}


def _reference(path: Path) -> list[dict[str, object]]:
    """The ``*-records.csv`` beside a fixture, normalised (README: absent cadence is 0)."""
    rows = []
    with path.open(newline="") as handle:
        for raw in csv.DictReader(handle):
            row = {k.strip(): v.strip() for k, v in raw.items()}
            if "Timestamp" in row:  # compressed-speed-distance-records.csv layout
                rows.append(
                    {
                        "timestamp": FIT_EPOCH + timedelta(seconds=int(row["Timestamp"])),
                        "heart_rate": _num(row["Heart Rate [bpm]"]),
                        "speed": _num(row["Speed [m/s]"]),
                        "distance": _num(row["Distance [m]"]),
                        "cadence": _num(row["Cadence [rpm]"]),
                    }
                )
                continue
            text = row["timestamp"]
            for zone, offset in _ZONES.items():
                text = text.replace(zone, offset)
            rows.append(
                {
                    "timestamp": datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y"),
                    "heart_rate": _num(row["heart_rate"]),
                    "speed": _num(row["speed"]),
                    "distance": _num(row["distance"]),
                    "cadence": _num(row["cadence"]) or None,
                }
            )
    return rows


def _num(text: str) -> float | None:
    return None if text in ("", "null", "None") else float(text)


REFERENCED = [
    "compressed-speed-distance",
    "garmin-edge-500-activity",
    "garmin-fenix-5-run",
    "garmin-fenix-5-walk",
]


@pytest.mark.parametrize("name", REFERENCED)
def test_records_match_the_reference_dump(name: str) -> None:
    folder = real_fixtures("real", "fit")
    expected = _reference(folder / f"{name}-records.csv")
    records = read_fit(folder / f"{name}.fit")["record"]
    values = ("heart_rate", "speed", "distance", "cadence")
    empty = pl.all_horizontal(pl.col(v).is_null() for v in values)
    if name == "compressed-speed-distance":
        # its dump omits the first record, which carries a timestamp and nothing else
        assert records.filter(empty).height == 1 and records[0].select(empty).item()
        records = records.filter(~empty)
    assert records.height == len(expected)
    assert records["timestamp"].dtype == pl.Datetime("us", "UTC")
    got = records.select("timestamp", "heart_rate", "speed", "distance", "cadence").to_dicts()
    for i, (ours, ref) in enumerate(zip(got, expected, strict=False)):
        assert ours["timestamp"] == ref["timestamp"], i
        for key in ("heart_rate", "speed", "distance", "cadence"):
            a, b = ours[key], ref[key]
            if key == "cadence" and not b:
                assert not a, (i, key, a, b)  # the dump writes an absent cadence as 0
            elif b is None:
                assert a is None, (i, key, a, b)
            else:
                assert a is not None and math.isclose(a, b, abs_tol=1e-6), (i, key, a, b)


SDK_READABLE = [
    "Activity",
    "DeveloperData",
    "MonitoringFile",
    "garmin-edge-500-activity",
    "garmin-fenix-5-run",
    "garmin-fenix-5-walk",
    "sample-activity-indoor-trainer",
    "20170518-191602-1740899583",
    "event_timestamp",
]
COMPARED = (
    *("file_id", "record", "lap", "session", "event", "device_info", "monitoring", "hrv"),
    *("activity", "length", "battery", "time_in_zone", "user_profile", "zones_target"),
)


@pytest.mark.parametrize("name", SDK_READABLE)
def test_values_match_garmin_fit_sdk(name: str) -> None:
    path = real_fixtures("real", "fit") / f"{name}.fit"
    messages, errors = Decoder(Stream.from_file(str(path))).read(merge_heart_rates=False)
    assert errors == []
    ours = read_fit(path)
    compared = 0
    for message in COMPARED:
        expected = messages.get(f"{message}_mesgs", [])
        if not expected:
            continue
        rows = ours[message].to_dicts()
        assert len(rows) == len(expected), message
        for i, (mine, theirs) in enumerate(zip(rows, expected, strict=False)):
            for key, value in theirs.items():
                if key in ("developer_fields", "local_timestamp"):
                    continue
                got = mine[key if isinstance(key, str) else f"unknown_{key}"]
                if isinstance(value, float):
                    assert got == pytest.approx(value, rel=1e-12), (message, i, key)
                else:
                    assert got == value or str(got) == str(value), (message, i, key, got, value)
                compared += 1
    assert compared >= 15


def test_developer_fields_are_kept() -> None:
    path = real_fixtures("real", "fit") / "DeveloperData.fit"
    messages, _ = Decoder(Stream.from_file(str(path))).read()
    expected = [m["developer_fields"] for m in messages["record_mesgs"]]
    records = read_fit(path)["record"]
    description = read_fit(path)["field_description"].row(0, named=True)
    name = description["field_name"]
    assert name in records.columns
    assert records[name].to_list() == [e[0] for e in expected]


def test_truncated_file_is_rejected_with_its_position() -> None:
    path = real_fixtures("real", "fit") / "activity-unexpected-eof.fit"
    with pytest.raises(IngestError, match="truncated") as info:
        read_fit(path)
    assert info.value.position == "byte 0"


def test_wrong_file_checksum_is_rejected_but_can_be_salvaged() -> None:
    path = real_fixtures("real", "fit") / "activity-filecrc.fit"
    with pytest.raises(IngestError, match="checksum of the file is wrong"):
        read_fit(path)
    assert read_fit(path, check_crc=False)["record"].height == 14


def test_both_byte_orders_decode_to_the_same_values() -> None:
    little = decode_fit(activity(big_endian=False))
    big = decode_fit(activity(big_endian=True))
    for name in ("record", "lap", "session", "file_id"):
        assert little[name].equals(big[name]), name
    assert little["record"]["speed"][5] == pytest.approx(0.905)
    assert little["session"]["sub_sport"].to_list() == ["treadmill"]


def test_chained_files_are_read_in_order() -> None:
    first, second = activity(start=1_000_000_000), activity(start=1_000_010_000, big_endian=True)
    frames = decode_fit(first + second)
    assert frames["record"].height == 240
    assert frames["session"].height == 2
    stamps = frames["record"]["timestamp"]
    assert stamps.is_sorted() and stamps[120] == FIT_EPOCH + timedelta(seconds=1_000_010_000)


def test_compressed_timestamps_roll_over_every_32_seconds() -> None:
    w = FitWriter()
    full = [(253, "uint32", 4), (3, "uint8", 1)]
    short = [(3, "uint8", 1)]
    w.define(0, 20, full)
    w.data(0, [1_000_000_030, 90], full)  # 30 = 0b11110 in the low 5 bits
    w.define(1, 20, short)
    offsets = [31, 1, 5, 5, 20]  # +1, +2 (roll-over), +4, +0, +15
    for off in offsets:
        w.data(1, [100], short, time_offset=off)
    records = decode_fit(w.bytes())["record"]
    seconds = [int((t - FIT_EPOCH).total_seconds()) - 1_000_000_000 for t in records["timestamp"]]
    assert seconds == [30, 31, 33, 37, 37, 52]


def test_vectorised_crc_matches_the_sdk() -> None:
    from garmin_fit_sdk import CrcCalculator

    data = np.random.default_rng(3).integers(0, 256, 70_001, dtype=np.uint8)
    assert crc16(data) == CrcCalculator.calculate_crc(data.tobytes(), 0, data.size)
    assert crc16_small(b"123456789") == 0xBB3D  # CRC-16/ARC check value


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x0e\x10" + b"\x00" * 6 + b".FXT" + b"\x00" * 10, "signature"),
        (b"hello, world\n" * 3, "signature"),
        (b"\x0e\x20\x00\x00\xff\xff\xff\x7f.FIT\x00\x00", "declares 2147483647 bytes"),
    ],
)
def test_bad_input_has_a_clear_error(content: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        decode_fit(content)


VALID = activity(seconds=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_ingest_errors(content: bytes) -> None:
    for blob in (content, VALID[:14] + content, VALID[:12] + content):
        with contextlib.suppress(IngestError):
            decode_fit(blob, check_crc=False)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID) - 1))
def test_any_truncation_is_rejected(cut: int) -> None:
    with pytest.raises(IngestError):
        decode_fit(VALID[:cut])


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.integers(1, 255))
def test_any_flipped_byte_is_caught(where: int, xor: int) -> None:
    damaged = bytearray(VALID)
    damaged[where] ^= xor
    with pytest.raises(IngestError):
        decode_fit(bytes(damaged))
    with contextlib.suppress(IngestError):  # without checksums: fail cleanly or decode
        decode_fit(bytes(damaged), check_crc=False)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_declared_data_size_is_handled(size: int) -> None:
    header = bytearray(VALID[:14])
    header[4:8] = struct.pack("<I", size)
    header[12:14] = struct.pack("<H", crc16_small(bytes(header[:12])))
    blob = bytes(header) + VALID[14:]
    if size == len(VALID) - 16:
        assert decode_fit(blob)["record"].height == 40
    else:
        with pytest.raises(IngestError):
            decode_fit(blob)


# --- ingest ---------------------------------------------------------------------------------


def _study(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    return raw


def _ingest(tmp_path: Path, raw: Path) -> tuple[dict[str, object], Path]:
    path = tmp_path / "study.duckdb"
    with open_study(path) as study:
        report = study.ingest([raw], progress=False)
    return {Path(f.path).name: f for f in report.files}, path


def test_fit_files_load_by_folder_and_unlinkable_ones_are_rejected(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    (raw / "P1").mkdir()
    (raw / "P1" / "walk.fit").write_bytes(activity())
    (raw / "nobody.fit").write_bytes(activity(start=1_000_100_000))
    eof = real_fixtures("real", "fit") / "activity-unexpected-eof.fit"
    (raw / "P1" / "cut.fit").write_bytes(eof.read_bytes())
    files, path = _ingest(tmp_path, raw)
    assert files["walk.fit"].status == "loaded"
    assert files["walk.fit"].rows == {
        "raw_source_links": 1,  # how it was linked: the views link it again (manifests)
        "raw_treadmill_sessions": 1,
        "raw_treadmill_segments": 2,
        "raw_treadmill_samples": 120,
    }
    assert files["walk.fit"].notes["unknown_direction_segments"] == 2
    assert files["nobody.fit"].status == "rejected"
    assert "cannot be linked to a participant" in (files["nobody.fit"].error or "")
    assert files["cut.fit"].status == "rejected" and "truncated" in (files["cut.fit"].error or "")
    with open_study(path, read_only=True) as study:
        sessions = study.sql("select * from sessions order by segment")
        samples = study.sql("select * from treadmill_samples")
    assert sessions["session_id"].to_list() == ["fit-20210908T014640Z"] * 2
    assert sessions["duration_s"].to_list() == [60.0, 60.0]
    assert sessions["source"].to_list() == ["fit", "fit"]
    assert samples.height == 120  # nothing of the truncated file
    assert samples["cadence_spm"][0] == 100.0  # 50 strides/min per foot -> 100 steps/min


def test_manifest_labels_laps_and_plans_cut_intervals(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    (raw / "P1").mkdir()
    (raw / "P1" / "laps.fit").write_bytes(activity())
    (raw / "P1" / "plan.fit").write_bytes(activity(start=1_000_100_000, seconds=300))
    (raw / "P1" / "half.fit").write_bytes(activity(start=1_000_200_000))
    write(
        raw / "directions.csv",
        "file,lap,start_s,end_s,direction,plan\n"
        "P1/laps.fit,0,,,forward,\n"
        "P1/laps.fit,1,,,retro,\n"
        'plan.fit,,,,,"1 min forward, 1 min backward"\n'
        "half.fit,,0,30,backward,\n",
    )
    files, path = _ingest(tmp_path, raw)
    assert files["directions.csv"].status == "loaded"
    assert all(f.status == "loaded" for f in files.values()), files
    with open_study(path, read_only=True) as study:
        seg = study.sql(
            "select session_id, segment, direction, duration_s, distance_m from sessions "
            "order by session_id, segment"
        )
        sample_dirs = study.sql(
            "select direction, count(*) n from treadmill_samples "
            "where session_id = 'fit-20210909T053320Z' group by all order by all"
        )
    laps = seg.filter(pl.col("session_id") == "fit-20210908T014640Z")
    assert laps["direction"].to_list() == ["forward", "backward"]
    plan = seg.filter(pl.col("session_id") == "fit-20210909T053320Z")
    assert plan["direction"].to_list() == ["forward", "backward", "forward", "backward", "forward"]
    assert plan["duration_s"].to_list() == [60.0] * 5
    assert plan["distance_m"][0] == pytest.approx(60 * 0.9)
    assert sample_dirs.rows() == [("backward", 120), ("forward", 180)]
    half = seg.filter(pl.col("session_id") == "fit-20210910T092000Z")
    assert half["direction"].to_list() == ["backward", "unknown"]
    assert files["half.fit"].notes["unknown_direction_segments"] == 1


def test_a_bad_manifest_row_is_rejected_with_its_line(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    write(raw / "directions.csv", "file,direction\nx.fit,backward\ny.fit,sideways\n")
    files, _ = _ingest(tmp_path, raw)
    assert files["directions.csv"].status == "rejected"
    assert "sideways" in (files["directions.csv"].error or "")
    assert files["directions.csv"].position == "line 3, column 'direction'"


def test_non_walking_activities_are_rejected(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    (raw / "P1").mkdir()
    edge = real_fixtures("real", "fit") / "garmin-edge-500-activity.fit"
    (raw / "P1" / "ride.fit").write_bytes(edge.read_bytes())
    files, _ = _ingest(tmp_path, raw)
    assert files["ride.fit"].status == "rejected"
    assert "cycling" in (files["ride.fit"].error or "")


def test_an_implausible_record_is_quarantined(tmp_path: Path) -> None:
    w = FitWriter()
    w.define(0, 20, RECORD_FIELDS)
    w.data(0, [1_000_000_000, 60_000, 0, 100, 50], RECORD_FIELDS)  # 60 m/s: implausible
    (tmp_path / "raw" / "P1").mkdir(parents=True)
    roster(tmp_path / "raw" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    (tmp_path / "raw" / "P1" / "fast.fit").write_bytes(w.bytes())
    files, path = _ingest(tmp_path, tmp_path / "raw")
    # a sensor glitch: quarantined with its reason, the file loads (issue 11, defect 12)
    assert files["fast.fit"].status == "loaded"
    assert files["fast.fit"].notes["quarantined_treadmill_speed"] == 1
    with open_study(path, read_only=True) as study:
        speeds = study.sql(
            "select measure, value from quarantine where measure = 'treadmill_speed'"
        )
        assert speeds.rows() == [("treadmill_speed", 60.0)]
        assert study.sql("select speed_mps from treadmill_samples").rows() == [(None,)]


@pytest.mark.parametrize(
    "name",
    sorted(p.stem for p in (SHARED_FIT.glob("*.fit") if SHARED_FIT.exists() else [])),
)
def test_every_real_file_loads_or_is_rejected_cleanly(name: str) -> None:
    from datetime import date

    from toolkit.ingest.core.model import ParseContext, ParticipantInfo
    from toolkit.ingest.fit import activity as fit

    path = real_fixtures("real", "fit") / f"{name}.fit"
    ctx = ParseContext(
        str(path),
        "sha",
        ("exports", "P1", path.name),
        {"P1": ParticipantInfo("P1", "UTC", date(2025, 1, 1))},
    )
    try:
        parsed = fit.parse(path, ctx)
    except IngestError as exc:
        assert name in REJECTED, (name, exc.message)
        assert REJECTED[name] in exc.message
    else:
        assert name not in REJECTED
        assert parsed.tables["raw_treadmill_samples"].height > 0


def test_chained_activities_become_two_sessions(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    (raw / "P1").mkdir()
    (raw / "P1" / "two.fit").write_bytes(activity() + activity(start=1_000_010_000, laps=3))
    files, _ = _ingest(tmp_path, raw)
    assert files["two.fit"].rows == {
        "raw_source_links": 1,
        "raw_treadmill_sessions": 2,
        "raw_treadmill_segments": 5,
        "raw_treadmill_samples": 240,
    }


def test_a_broken_manifest_blocks_its_exports_with_a_pointer_to_it(tmp_path: Path) -> None:
    raw = _study(tmp_path)
    (raw / "P1").mkdir()
    (raw / "P1" / "walk.fit").write_bytes(activity())
    write(raw / "P1" / "directions.csv", "file,lap,direction\nwalk.fit,x,backward\n")
    files, _ = _ingest(tmp_path, raw)
    assert files["directions.csv"].status == "rejected"
    assert files["walk.fit"].status == "rejected"
    assert "direction manifest directions.csv" in (files["walk.fit"].error or "")
    assert "line 2, column 'lap'" in (files["walk.fit"].error or "")


def test_a_zip_of_exports_with_its_manifest_loads(tmp_path: Path) -> None:
    import zipfile

    raw = _study(tmp_path)
    with zipfile.ZipFile(raw / "exports.zip", "w") as archive:
        archive.writestr("P1/a.fit", activity())
        archive.writestr("P1/directions.csv", "file,direction\na.fit,backward\n")
    files, path = _ingest(tmp_path, raw)
    assert all(f.status == "loaded" for f in files.values()), files
    with open_study(path, read_only=True) as study:
        directions = study.sql("select distinct direction from sessions")["direction"].to_list()
    assert directions == ["backward"]


def test_packed_heart_rate_timestamps_match_the_sdk() -> None:
    """hr.event_timestamp_12 packs eight 12-bit accumulated timestamps into 12 bytes."""
    path = real_fixtures("real", "fit") / "event_timestamp.fit"
    messages, _ = Decoder(Stream.from_file(str(path))).read(merge_heart_rates=False)
    expected = [m.get("event_timestamp") for m in messages["hr_mesgs"]]
    got = read_fit(path)["hr"]["event_timestamp"].to_list()
    packed = [i for i, e in enumerate(expected) if isinstance(e, list)]
    assert len(packed) > 1000
    assert [got[i] for i in packed] == [expected[i] for i in packed]
