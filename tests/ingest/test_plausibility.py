"""Plausibility rules: sensor glitches quarantined, data-entry values rejected, on every path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.helpers import write
from toolkit import open_study
from toolkit.ingest.core.plausibility import rules, violations


def _ingest(study: Path, path: Path) -> object:
    with open_study(study) as opened:
        [result] = opened.ingest([path], progress=False).files
    return result


def _quarantine(study: Path) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(
            "select participant_id, measure, value, reason, path from quarantine order by all"
        ).rows()


def test_every_rule_names_its_source_and_a_known_action() -> None:
    for rule in rules():
        assert rule.action in ("quarantine", "reject"), rule
        assert rule.drop in ("row", "value"), rule
        assert len(rule.source) >= 15, rule.measure


def test_one_glitching_treadmill_sample_is_quarantined_and_the_rest_loads(
    study: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "samples.csv",
        "participant_id,session_id,timestamp,speed_mps,heart_rate_bpm\n"
        "P1,S1,2025-03-05T10:00:00Z,1.0,90\n"
        "P1,S1,2025-03-05T10:00:01Z,40,91\n"
        "P1,S1,2025-03-05T10:00:02Z,1.0,92\n",
    )
    result = _ingest(study, path)
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_treadmill_speed"] == 1
    # screened before the segment is derived: its speed and distance do not see the glitch
    assert "quarantined_segment_speed" not in result.notes
    [(pid, measure, value, reason, where)] = _quarantine(study)
    assert (pid, measure, value) == ("P1", "treadmill_speed", 40.0)
    assert "outside the plausible treadmill speed (0 to 7 m/s)" in reason
    assert where == str(path)
    with open_study(study, read_only=True) as opened:
        speeds = opened.sql("select speed_mps, heart_rate_bpm from treadmill_samples order by all")
    # the glitching channel only is kept out; the same second's heart rate stays
    assert speeds.rows() == [(1.0, 90.0), (1.0, 92.0), (None, 91.0)]


def test_a_distance_of_150_km_in_8_6_minutes_and_a_zero_duration_are_quarantined(
    study: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "segments.csv",
        "participant_id,session_id,started_at,duration_s,distance_m\n"
        "P1,S1,2025-03-05T10:00:00Z,600,500\n"
        "P1,S2,2025-03-06T10:00:00Z,516,150000\n"
        "P1,S3,2025-03-07T10:00:00Z,0,0\n",
    )
    result = _ingest(study, path)
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_segment_implied_speed"] == 1
    assert result.notes["quarantined_segment_duration"] == 1
    with open_study(study, read_only=True) as opened:
        kept = opened.sql("select session_id, distance_m from sessions order by 1").rows()
    # the impossible distance is kept out, the segment's minutes stay; no zero-second segment
    assert kept == [("S1", 500.0), ("S2", None)]


def test_records_dated_in_the_future_are_quarantined(study: Path, tmp_path: Path) -> None:
    write(
        tmp_path / "P1" / "wear.csv",
        "metric,start_at,end_at,value,unit\n"
        "steps,2025-03-05T10:00:00Z,2025-03-05T10:10:00Z,800,count\n"
        "steps,2030-01-01T10:00:00Z,2030-01-01T10:10:00Z,900,count\n",
    )
    result = _ingest(study, tmp_path / "P1")
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_wearable_sample_time"] == 1
    [row] = _quarantine(study)
    assert row[1:3] == ("steps", 900.0) and "dated 2030-01-01 10:00 UTC" in row[3]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("P1,2025-03-05T09:00:00Z,nrs,7.5", "7.5 points is outside the plausible nrs score"),
        ("P1,1900-03-05T09:00:00Z,nrs,7", "dated 1900-03-05"),
        ("P1,2099-03-05T09:00:00Z,nrs,7", "dated 2099-03-05"),
    ],
)
def test_questionnaire_values_outside_the_rules_are_rejected(
    study: Path, tmp_path: Path, line: str, message: str
) -> None:
    path = write(
        tmp_path / "pain.csv",
        "participant_id,measured_at,instrument,score\nP1,2025-03-05T08:00:00Z,nrs,3\n"
        + line
        + "\n",
    )
    result = _ingest(study, path)
    assert result.status == "rejected"
    assert message in (result.error or "")
    assert result.position == "line 3, column 'score'"


def test_violations_reads_a_frame_without_writing() -> None:
    start = datetime(2025, 3, 5, 10, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "participant_id": ["P1", "P1"],
            "metric": ["steps", "steps"],
            "start_at": [start, start],
            "end_at": [start.replace(minute=1), start.replace(minute=1)],
            "value": [120.0, 1021.0],
        }
    )
    found = violations("raw_wearable_samples", frame)
    assert found["measure"].to_list() == ["steps"]
    assert found["value"].to_list() == [1021.0]


def test_item_answers_dated_in_1900_are_rejected(study: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "items.csv",
        "participant_id,measured_at,item,value\nP1,1900-03-05T09:00:00Z,nrs,3\n",
    )
    result = _ingest(study, path)
    assert result.status == "rejected"
    assert "dated 1900-03-05" in (result.error or "")
