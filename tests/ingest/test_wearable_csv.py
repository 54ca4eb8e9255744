"""Generic wearable CSV: the long layout, a vendor layout through a mapping file, rejections."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.ingest.helpers import write
from toolkit import open_study


def daily(study: Path) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(
            "select participant_id, day, steps, walking_speed_mps, asymmetry_pct, source "
            "from wearable_daily order by all"
        ).rows()


def test_long_layout_with_units_converted(study: Path, tmp_path: Path) -> None:
    write(
        tmp_path / "in" / "samples.csv",
        "participant_id,metric,start_at,end_at,value,unit,source\n"
        "P1,steps,2025-03-06T10:00:00+00:00,2025-03-06T10:10:00+00:00,800,,Axivity\n"
        "P1,walking_speed,2025-03-06T10:00:00+00:00,,4.5,km/hr,Axivity\n"
        "P1,walking_asymmetry,2025-03-06 10:00:00,,0.04,%,Axivity\n"
        "P2,steps,2025-03-06 20:30:00,,100,count,Axivity\n",
    )
    with open_study(study) as opened:
        assert opened.ingest([tmp_path / "in"]).exit_code == 0
    assert daily(study) == [
        ("P1", date(2025, 3, 6), 800, pytest.approx(1.25), pytest.approx(4.0), "Axivity"),
        ("P2", date(2025, 3, 6), 100, None, None, "Axivity"),
    ]


def test_a_vendor_layout_through_a_mapping_file(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "vendor" / "P2"
    write(
        folder / "wearable_mapping.toml",
        'files = ["day*.csv"]\nsource = "ActiGraph"\ntimezone = "America/New_York"\n'
        '[columns]\nstart_at = "Time"\n'
        '[metrics]\nsteps = { column = "Steps", unit = "count" }\n'
        'walking_speed = { column = "Speed (km/h)", unit = "km/hr" }\n',
    )
    write(
        folder / "day1.csv",
        "Time,Steps,Speed (km/h)\n2025-03-06 23:30:00,300,3.6\n2025-03-07 00:30:00,200,\n",
    )
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "vendor"])
    assert {(Path(f.path).name, f.status, f.format) for f in report.files} == {
        ("wearable_mapping.toml", "loaded", "wearable_csv"),
        ("day1.csv", "loaded", "wearable_csv"),
    }
    # local New York days, from the mapping's time zone
    assert daily(study) == [
        ("P2", date(2025, 3, 6), 300, pytest.approx(1.0), None, "ActiGraph"),
        ("P2", date(2025, 3, 7), 200, None, None, "ActiGraph"),
    ]


def test_unknown_metrics_units_and_ranges_are_rejected(study: Path, tmp_path: Path) -> None:
    head = "participant_id,metric,timestamp,value,unit\n"
    write(
        tmp_path / "a" / "a.csv",
        head + "P1,steps,2025-03-06T10:00:00Z,5,\nP1,mood,2025-03-06T10:00:00Z,5,\n",
    )
    write(tmp_path / "b" / "b.csv", head + "P1,walking_speed,2025-03-06T10:00:00Z,5,furlong/hr\n")
    # 150 % double support: the reader's range (walking asymmetry has a quarantine rule instead)
    write(tmp_path / "c" / "c.csv", head + "P1,double_support,2025-03-06T10:00:00Z,1.5,%\n")
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "a", tmp_path / "b", tmp_path / "c"])
    errors = {Path(f.path).name: (f.error, f.position) for f in report.files}
    assert "'mood' is not a wearable metric" in str(errors["a.csv"][0])
    assert errors["a.csv"][1] == "line 3, column 'metric'"
    assert "unit 'furlong/hr' is not one retrowalk converts" in str(errors["b.csv"][0])
    assert "outside the plausible range" in str(errors["c.csv"][0])
    assert daily(study) == []
