"""Plausibility rules for walking speed, gait asymmetry and treadmill incline (issue 11 item 14).

Each is a sensor value: a glitch goes to the quarantine with the rule's reason, the rest of the
file loads. And each measure has exactly one rule: the older reject ranges (canonical column
ranges, the per-metric ranges of the Apple and wearable-CSV readers) are gone wherever a rule
bounds the measure, so a worse glitch can no longer reject a whole file that a milder one would
only quarantine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retrowalk_demo.apple_health_xml import PHONE, Record
from tests.ingest.helpers import write
from tests.ingest.test_apple_health import export_zip
from toolkit import open_study
from toolkit.ingest.core.canonical import TABLES
from toolkit.ingest.core.plausibility import rules
from toolkit.ingest.wearable_csv import METRICS


def _ingest(study: Path, path: Path) -> object:
    with open_study(study) as opened:
        [result] = opened.ingest([path], progress=False).files
    return result


def _rows(study: Path, sql: str) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(sql).rows()


def test_a_ruled_measure_has_no_second_reject_range() -> None:
    """One rule per measure: a value a rule bounds directly has no canonical or metric range."""
    for rule in rules():
        if rule.is_time_rule or rule.per_minute or rule.divide_by:
            continue  # dates, rates and implied speeds bound a derived value, not the column
        if "metric" in rule.where:
            metric = METRICS[rule.where["metric"]]
            assert (metric.low, metric.high) == (None, None), rule.measure
            continue
        [column] = [c for c in TABLES[rule.table].columns if c.name == rule.column]
        assert (column.low, column.high) == (None, None), (rule.table, rule.column)


@pytest.mark.parametrize(
    ("measure", "cited"),
    [
        ("walking_speed", "Usherwood JR"),
        ("walking_asymmetry", "iPhone Mobility Metrics"),
        ("treadmill_incline", "NordicTrack X32i"),
    ],
)
def test_the_new_rules_cite_their_source_and_quarantine(measure: str, cited: str) -> None:
    found = [r for r in rules() if r.measure == measure]
    assert found and all(r.action == "quarantine" for r in found)
    assert all(cited in r.source or r.source.startswith("As for") for r in found)
    assert cited in found[0].source


def test_a_walking_speed_and_an_asymmetry_glitch_are_quarantined(
    study: Path, tmp_path: Path
) -> None:
    write(
        tmp_path / "P1" / "gait.csv",
        "metric,start_at,end_at,value,unit\n"
        "walking_speed,2025-03-05T10:00:00Z,2025-03-05T11:00:00Z,4.5,km/hr\n"
        "walking_speed,2025-03-06T10:00:00Z,2025-03-06T11:00:00Z,42.8,km/hr\n"  # 11.9 m/s
        "walking_speed,2025-03-07T10:00:00Z,2025-03-07T11:00:00Z,11.5,km/hr\n"  # 3.19 m/s: kept
        "walking_asymmetry,2025-03-05T10:00:00Z,2025-03-05T11:00:00Z,6,percent\n"
        "walking_asymmetry,2025-03-06T10:00:00Z,2025-03-06T11:00:00Z,1.5,%\n",  # 150 %
    )
    result = _ingest(study, tmp_path / "P1")
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_walking_speed"] == 1
    assert result.notes["quarantined_walking_asymmetry"] == 1
    kept = _rows(
        study,
        "select metric, round(value, 3) from raw_wearable_samples "
        "where participant_id = 'P1' order by all",
    )
    assert kept == [("walking_asymmetry", 6.0), ("walking_speed", 1.25), ("walking_speed", 3.194)]
    quarantined = _rows(study, "select measure, round(value, 3), reason from quarantine order by 1")
    assert [q[:2] for q in quarantined] == [("walking_asymmetry", 150.0), ("walking_speed", 11.889)]
    assert "outside the plausible walking asymmetry (0 to 100 %)" in quarantined[0][2]
    assert "outside the plausible walking speed (0 to 3.2 m/s)" in quarantined[1][2]


def test_an_apple_heart_rate_far_out_of_range_is_quarantined_not_a_rejected_export(
    study: Path, tmp_path: Path
) -> None:
    """Before, 240 bpm was quarantined but 300 bpm rejected the whole export (two rules)."""
    start = datetime(2025, 3, 6, 9, tzinfo=UTC)
    minute = timedelta(minutes=1)
    heart = "HKQuantityTypeIdentifierHeartRate"
    elements = [
        *(
            Record(heart, "count/min", bpm, start + k * minute, start + k * minute)
            for k, bpm in enumerate(("300", "240", "80"))
        ),
        Record(
            "HKQuantityTypeIdentifierWalkingSpeed",
            "km/hr",
            "60",
            start,
            start + 60 * minute,
            source="Alice’s iPhone",
            device=PHONE,
        ),
    ]
    export_zip(tmp_path / "exports" / "P1" / "export.zip", elements, tmp_path)
    with open_study(study) as opened:
        files = opened.ingest([tmp_path / "exports"], progress=False).files
    [xml] = [f for f in files if f.path.endswith("export.xml")]
    assert xml.status == "loaded", xml.error
    assert xml.notes["quarantined_heart_rate"] == 2
    assert xml.notes["quarantined_walking_speed"] == 1
    assert _rows(study, "select value from raw_wearable_samples where metric = 'heart_rate'") == [
        (80.0,)
    ]


def test_an_incline_glitch_is_quarantined_and_the_sample_keeps_its_other_channels(
    study: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "samples.csv",
        "participant_id,session_id,timestamp,speed_mps,incline_pct\n"
        "P1,S1,2025-03-05T10:00:00Z,1.0,2\n"
        "P1,S1,2025-03-05T10:00:01Z,1.0,250\n"  # a grade x100, or a glitch
        "P1,S1,2025-03-05T10:00:02Z,1.0,-26\n"
        "P1,S1,2025-03-05T10:00:03Z,1.0,40\n",
    )
    result = _ingest(study, path)
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_treadmill_incline"] == 2
    assert _rows(
        study, "select speed_mps, incline_pct from treadmill_samples order by recorded_at"
    ) == [(1.0, 2.0), (1.0, None), (1.0, None), (1.0, 40.0)]
    [(reason,)] = _rows(study, "select reason from quarantine where value = 250")
    assert "outside the plausible treadmill incline (-25 to 40 %)" in reason


def test_a_segment_incline_glitch_keeps_the_segments_minutes(study: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "segments.csv",
        "participant_id,session_id,started_at,duration_s,distance_m,incline_pct\n"
        "P1,S1,2025-03-05T10:00:00Z,600,500,3\n"
        "P1,S2,2025-03-06T10:00:00Z,600,500,55\n",
    )
    result = _ingest(study, path)
    assert result.status == "loaded", result.error
    assert result.notes["quarantined_treadmill_incline"] == 1
    assert _rows(
        study, "select session_id, duration_s, incline_pct from raw_treadmill_segments order by 1"
    ) == [("S1", 600.0, 3.0), ("S2", 600.0, None)]
