"""Quarantined values, salvaged files and unclassified activities, as the data-quality page
lists them (summaries on a real study; the page itself in tests/dashboard/test_pages.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import real_fixtures
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.summaries import quarantined_values, salvaged_files, unclassified_activities


def kept_out_study(tmp_path: Path) -> Path:
    """A study with one quarantined sample, one salvaged FIT file, one unclassified TCX."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "samples.csv",
        "participant_id,session_id,timestamp,speed_mps\n"
        "P1,S1,2025-03-05T10:00:00Z,1.0\nP1,S1,2025-03-05T10:00:01Z,40\n"
        "P1,S1,2025-03-05T10:00:02Z,1.0\n",
    )
    (raw / "P1").mkdir()
    cut = real_fixtures("real", "fit", "activity-unexpected-eof.fit")
    (raw / "P1" / "cut.fit").write_bytes(cut.read_bytes())
    sup = real_fixtures("real", "tcx", "python-tcxparser__sup_activity_1.tcx")
    (raw / "P1" / "sup.tcx").write_bytes(sup.read_bytes())
    study = tmp_path / "study.duckdb"
    with open_study(study) as opened:
        report = opened.ingest([raw], progress=False, salvage=True)
    assert report.exit_code == 0, [(f.path, f.error) for f in report.files]
    return study


def test_the_three_lists(tmp_path: Path) -> None:
    with open_study(kept_out_study(tmp_path), read_only=True) as study:
        quarantined = quarantined_values(study)
        salvaged = salvaged_files(study)
        unclassified = unclassified_activities(study)
    assert quarantined.select("participant_id", "measure", "value").rows() == [
        ("P1", "treadmill_speed", 40.0)
    ]
    assert quarantined["path"][0].endswith("samples.csv")
    assert salvaged["path"][0].endswith("cut.fit")
    assert salvaged["error_position"].to_list() == ["message 31 (byte 751)"]
    assert unclassified.select("participant_id", "source").rows() == [("P1", "tcx")]
