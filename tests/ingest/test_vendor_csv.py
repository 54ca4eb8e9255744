"""Vendor CSV mappings: Peloton and Strava layouts, unit conversion, skipped rows, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.units import clock_seconds, to_si
from toolkit.ingest.vendor_csv import mappings

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
        assert {"started_at", "session_id", "duration_s"} <= set(m.columns), m.name


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
