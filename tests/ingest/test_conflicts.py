"""Conflicts are never silent (issue 11, item 15): the same sample or workout with different
values is rejected with the conflict named; exact repeats are counted once."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.helpers import write
from toolkit import open_study

HEADER = "metric,start_at,end_at,value,unit,source\n"


def _ingest(study: Path, *paths: Path) -> list[tuple[str, str, str | None, str | None]]:
    with open_study(study) as opened:
        report = opened.ingest(list(paths), progress=False)
    return [(Path(f.path).name, f.status, f.error, f.position) for f in report.files]


def test_two_files_with_different_values_for_one_sample_are_not_both_counted(
    study: Path, tmp_path: Path
) -> None:
    a = write(
        tmp_path / "a" / "P1" / "fitbit_like.csv",
        HEADER + "steps,2025-03-05T10:00:00Z,2025-03-05T10:01:00Z,80,count,Fitbit\n",
    )
    b = write(
        tmp_path / "b" / "P1" / "other.csv",
        HEADER + "steps,2025-03-05T10:00:00Z,2025-03-05T10:01:00Z,95,count,Fitbit\n",
    )
    [first] = _ingest(study, tmp_path / "a")
    [second] = _ingest(study, tmp_path / "b")
    assert first[1] == "loaded"
    assert second[1] == "rejected"
    assert "already holds a different value for this sample" in (second[2] or "")
    assert str(a) in (second[2] or "") and b.name == second[0]
    with open_study(study, read_only=True) as opened:
        assert opened.sql("select sum(steps) from wearable_daily").item() == 80


def test_one_file_with_two_values_for_one_sample_is_rejected(study: Path, tmp_path: Path) -> None:
    write(
        tmp_path / "P1" / "w.csv",
        HEADER
        + "steps,2025-03-05T10:00:00Z,2025-03-05T10:01:00Z,80,count,Fitbit\n"
        + "steps,2025-03-05T10:00:00Z,2025-03-05T10:01:00Z,81,count,Fitbit\n",
    )
    [result] = _ingest(study, tmp_path / "P1")
    assert result[1] == "rejected"
    assert "two different values for one sample" in (result[2] or "")


GARMIN = '"Activity Type","Date","Favorite","Title","Distance","Calories","Time","Avg HR"\n'


def test_workouts_with_one_start_and_different_durations_are_a_conflict(
    study: Path, tmp_path: Path
) -> None:
    row = '"Walking","2025-03-29 18:15:00","false","Evening","3.05","200","{}","110"\n'
    write(tmp_path / "g" / "P1" / "Activities.csv", GARMIN + row.format("45:10") * 2)
    [same] = _ingest(study, tmp_path / "g")
    assert same[1] == "loaded"  # an exact repeat: counted once
    write(
        tmp_path / "h" / "P1" / "Activities.csv",
        GARMIN + row.format("45:10") + row.format("30:00"),
    )
    [conflict] = _ingest(study, tmp_path / "h")
    assert conflict[1] == "rejected"
    assert "differ in ended_at, duration_s" in (conflict[2] or "")
    assert conflict[3] == "lines 2, 3"
