"""Vendor CSV mappings: Peloton and Strava layouts, unit conversion, skipped rows, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.core.units import clock_seconds, to_si
from toolkit.ingest.vendor_csv.mapping import mappings

PELOTON_HEADER = (
    "Workout Timestamp,Live/On-Demand,Instructor Name,Length (minutes),Fitness Discipline,Type,"
    "Title,Class Timestamp,Total Output,Avg. Watts,Avg. Resistance,Avg. Cadence (RPM),"
    "Avg. Speed (mph),Distance (mi),Calories Burned,Avg. Heartrate,Avg. Incline,"
    "Avg. Pace (min/mi)\n"
)
PELOTON_ROWS = (
    "2025-03-05 07:30 (PST),On Demand,Jess King,20,Walking,Walking,20 min Walk,"
    "2025-01-02 10:00 (PST),,,,,2.5,0.83,120,98.5,1.5,24.0\n"
    "2025-03-06 18:00 (-05),Live,Cody Rigsby,30,Cycling,Theme,30 min Ride,"
    "2025-03-06 18:00 (-05),300,170,45%,80,18.2,9.1,400,140,,\n"
)
STRAVA = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,"
    "Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,"
    "Average Speed,Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,"
    "Average Grade\n"
    '101,"Mar 5, 2025, 10:00:00 AM",Treadmill walk,Walk,,900,0.72,,,false,,,,,,900,900,'
    "720.0,,0.8,0,0,,,,2.0\n"
    '102,"Mar 6, 2025, 6:15:00 PM",Ride,Ride,,3600,30.0,,,false,,,,,,3600,3500,30000.0,,'
    "8.3,100,90,,,,0.5\n"
)


def test_units_convert_to_si_with_exact_factors() -> None:
    one = pl.Series([1.0])
    assert to_si(one, "speed", "mph", "x")[0] == pytest.approx(0.44704)  # 1609.344 / 3600
    assert to_si(one, "speed", "km/h", "x")[0] == pytest.approx(1 / 3.6)
    assert to_si(pl.Series([10.0]), "speed", "min/km", "x")[0] == pytest.approx(1000 / 600)
    assert to_si(one, "distance", "ft", "x")[0] == 0.3048
    assert to_si(one, "distance", "mi", "x")[0] == 1609.344
    assert to_si(pl.Series([45.0]), "incline", "degrees", "x")[0] == pytest.approx(100.0)
    assert clock_seconds(pl.Series(["1:02:03", "4:05", "7"])).to_list() == [3723, 245, 7]
    with pytest.raises(IngestError, match="speed units are"):
        to_si(one, "speed", "furlongs/fortnight", "x")


def test_every_shipped_mapping_is_complete() -> None:
    names = {m.name for m in mappings()}
    assert {
        "generic_segments",
        "peloton_tread",
        "peloton_tread_metric",
        "strava_activities",
    } <= names
    for m in mappings():
        needed = {"timestamp"} if m.layout == "samples" else {"started_at", "duration_s"}
        assert needed | {"session_id"} <= set(m.columns), m.name


def _ingest(tmp_path: Path, raw: Path) -> tuple[dict[str, object], Path]:
    path = tmp_path / "study.duckdb"
    with open_study(path) as study:
        report = study.ingest([raw], progress=False)
    return {Path(f.path).name: f for f in report.files}, path


def test_peloton_and_strava_exports_load_in_si_units(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(raw / "P1" / "peloton_workouts.csv", PELOTON_HEADER + PELOTON_ROWS)
    write(raw / "P2" / "activities.csv", STRAVA)
    write(raw / "P1" / "directions.csv", "file,direction\npeloton_workouts.csv,backward\n")
    files, path = _ingest(tmp_path, raw)
    peloton, strava = files["peloton_workouts.csv"], files["activities.csv"]
    assert peloton.status == "loaded", peloton.error
    assert peloton.format == "vendor_csv"
    assert peloton.notes["rows_skipped_other_activities"] == 1
    assert strava.status == "loaded", strava.error
    assert strava.notes == {"rows_skipped_other_activities": 1, "unknown_direction_segments": 1}
    with open_study(path, read_only=True) as study:
        rows = study.sql(
            "select participant_id, session_id, direction, started_at, duration_s, distance_m, "
            "mean_speed_mps, incline_pct, device from sessions order by participant_id"
        ).rows(named=True)
    p1, p2 = rows
    assert p1["session_id"] == "peloton-20250305T153000Z"  # 07:30 PST = 15:30 UTC
    assert p1["started_at"] == datetime(2025, 3, 5, 15, 30, tzinfo=UTC)
    assert p1["direction"] == "backward"
    assert p1["duration_s"] == 1200.0
    assert p1["distance_m"] == pytest.approx(0.83 * 1609.344)
    assert p1["mean_speed_mps"] == pytest.approx(2.5 * 0.44704)
    assert p1["incline_pct"] == 1.5
    assert p1["device"] == "Peloton Tread"
    assert p2["session_id"] == "strava-101"
    assert p2["started_at"] == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    assert (p2["duration_s"], p2["distance_m"], p2["mean_speed_mps"]) == (900.0, 720.0, 0.8)
    assert p2["direction"] == "unknown"


def test_a_metric_peloton_export_uses_its_own_mapping(tmp_path: Path) -> None:
    metric = PELOTON_HEADER.replace("(mph)", "(kph)").replace("(mi)", "(km)")
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(raw / "P1" / "w.csv", metric + PELOTON_ROWS.replace("(-05)", "(CDT)"))
    files, path = _ingest(tmp_path, raw)
    assert files["w.csv"].status == "loaded", files["w.csv"].error
    with open_study(path, read_only=True) as study:
        speed, distance = study.sql("select mean_speed_mps, distance_m from sessions").row(0)
    assert speed == pytest.approx(2.5 / 3.6) and distance == pytest.approx(830.0)


def test_an_unreadable_vendor_timestamp_names_its_line(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    bad = PELOTON_ROWS.replace("2025-03-05 07:30 (PST)", "2025-03-05 07:30 (Mars)")
    write(raw / "P1" / "w.csv", PELOTON_HEADER + bad)
    files, _ = _ingest(tmp_path, raw)
    assert files["w.csv"].status == "rejected"
    assert "time zone" in (files["w.csv"].error or "")
    assert files["w.csv"].position == "line 2, column 'workout timestamp'"


def test_a_new_sample_vendor_is_a_data_file(tmp_path: Path) -> None:
    """A made-up console log in mph and feet, mapped by a TOML file alone."""
    from toolkit.ingest.core.csv_text import read_text_csv
    from toolkit.ingest.core.model import ParseContext, ParticipantInfo
    from toolkit.ingest.vendor_csv.export import parse_with
    from toolkit.ingest.vendor_csv.mapping import mappings as load

    folder = write(
        tmp_path / "maps" / "acme.toml",
        'name = "acme"\nlayout = "samples"\ndetect = ["clock", "mph"]\n[columns]\n'
        'session_id = { from = "started_at", prefix = "acme-" }\n'
        'timestamp = { column = "clock", format = "%Y-%m-%d %H:%M:%S", zone = "UTC" }\n'
        'speed_mps = { column = "mph", kind = "speed", unit = "mph" }\n'
        'distance_m = { column = "feet", kind = "distance", unit = "ft" }\n'
        'incline_pct = { column = "grade", kind = "incline", unit = "percent" }\n',
    ).parent
    rows = "".join(
        f"2025-03-05 10:00:{s:02d},2.0,{s * 2.9333:.4f},{3 if s < 30 else 5}%\n" for s in range(60)
    )
    path = write(tmp_path / "P1" / "log.csv", "clock,mph,feet,grade\n" + rows)
    write(tmp_path / "P1" / "directions.csv", "file,start_s,end_s,direction\nlog.csv,30,60,back\n")
    ctx = ParseContext(
        str(path),
        "x",
        ("raw", "P1", "log.csv"),
        {"P1": ParticipantInfo("P1", "UTC", date(2025, 1, 1))},
    )
    with pytest.raises(IngestError, match="'back' is not a walking direction"):
        parse_with(load(folder)[0], path, read_text_csv(path), ctx)
    write(tmp_path / "P1" / "directions.csv", "file,start_s,end_s,direction\nlog.csv,30,60,retro\n")
    parsed = parse_with(load(folder)[0], path, read_text_csv(path), ctx)
    segments = parsed.tables["raw_treadmill_segments"]
    assert segments["direction"].to_list() == ["unknown", "backward"]
    assert segments["duration_s"].to_list() == [30.0, 30.0]
    assert segments["incline_pct"].to_list() == [3.0, 5.0]
    samples = parsed.tables["raw_treadmill_samples"]
    assert samples["speed_mps"][0] == pytest.approx(2.0 * 0.44704)
    assert samples["distance_m"][1] == pytest.approx(2.9333 * 0.3048)
    session = parsed.tables["raw_treadmill_sessions"].row(0, named=True)
    assert session["session_id"] == "acme-20250305T100000Z"
    assert parsed.notes["unknown_direction_segments"] == 1


def test_the_generic_sample_template_reads_like_treadmill_csv(tmp_path: Path) -> None:
    from toolkit.ingest import treadmill_csv
    from toolkit.ingest.core.csv_text import read_text_csv
    from toolkit.ingest.core.model import ParseContext, ParticipantInfo
    from toolkit.ingest.vendor_csv.export import parse_with

    rows = "".join(
        f"P1,S1,2025-03-05T10:00:{s:02d}+00:00,{0.8 + s / 100:.2f},{s * 0.8:.1f},2,100,{100 + s},"
        f"{'forward' if s < 20 else 'backward'}\n"
        for s in range(40)
    )
    path = write(
        tmp_path / "s.csv",
        "participant_id,session_id,timestamp,speed_mps,distance_m,incline_pct,heart_rate_bpm,"
        "cadence_spm,direction\n" + rows,
    )
    ctx = ParseContext(
        str(path), "x", ("s.csv",), {"P1": ParticipantInfo("P1", "UTC", date(2025, 1, 1))}
    )
    template = next(m for m in mappings() if m.name == "generic_samples")
    ours = parse_with(template, path, read_text_csv(path), ctx).tables
    theirs = treadmill_csv.parse(path, ctx).tables
    columns = ["segment", "direction", "started_at", "duration_s", "distance_m", "incline_pct"]
    assert (
        ours["raw_treadmill_segments"]
        .select(columns)
        .equals(theirs["raw_treadmill_segments"].select(columns))
    )
    sample_columns = ["recorded_at", "speed_mps", "distance_m", "cadence_spm", "direction"]
    assert (
        ours["raw_treadmill_samples"]
        .select(sample_columns)
        .equals(theirs["raw_treadmill_samples"].select(sample_columns))
    )


def test_peloton_none_length_is_an_unknown_duration_for_that_row(tmp_path: Path) -> None:
    """Peloton writes ``Length (minutes)`` = None for distance-based classes (issue 11, 9)."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    rows = (
        PELOTON_ROWS
        # a distance-based walk: no length, but distance and speed (1 mi at 3 mph = 20 min)
        + "2025-03-07 07:30 (PST),On Demand,Jess King,None,Walking,Walking,1 mi Walk,"
        "2025-01-02 10:00 (PST),,,,,3.0,1.00,90,98.5,1.0,20.0\n"
        # no length and no speed: the duration cannot be known
         + "2025-03-08 07:30 (PST),On Demand,Jess King,None,Walking,Walking,Walk,"
        "2025-01-02 10:00 (PST),,,,,,,90,98.5,1.0,\n"
    )
    write(raw / "P1" / "peloton_workouts.csv", PELOTON_HEADER + rows)
    files, path = _ingest(tmp_path, raw)
    peloton = files["peloton_workouts.csv"]
    assert peloton.status == "loaded", peloton.error
    assert peloton.notes["duration_from_distance_and_speed"] == 1
    assert peloton.notes["rows_unknown_duration"] == 1
    with open_study(path, read_only=True) as study:
        durations = study.sql("select duration_s from sessions order by started_at")
    assert durations["duration_s"].to_list() == pytest.approx([1200.0, 1200.0])


def test_a_strava_activity_exported_twice_counts_once(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    walk = STRAVA.splitlines(keepends=True)[1]
    write(raw / "P2" / "activities.csv", STRAVA + walk)
    files, path = _ingest(tmp_path, raw)
    assert files["activities.csv"].status == "loaded", files["activities.csv"].error
    assert files["activities.csv"].notes["duplicate_rows_dropped"] == 1
    with open_study(path, read_only=True) as study:
        assert study.sql("select sum(duration_s) from sessions").item() == 900.0
    conflicting = walk.replace("Walk,,900,", "Walk,,600,")  # its elapsed time differs
    write(raw / "P2" / "activities.csv", STRAVA + conflicting)
    (tmp_path / "again").mkdir()  # a new study is created only in an existing folder
    files, _ = _ingest(tmp_path / "again", raw)
    assert files["activities.csv"].status == "rejected"
    assert files["activities.csv"].position == "lines 2 and 4"
