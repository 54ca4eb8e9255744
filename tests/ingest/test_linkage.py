"""Linking wearable exports to participants: folder convention and manifest."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from retrowalk_demo.apple_health_xml import Record, write_export_file
from tests.ingest.helpers import write
from toolkit import open_study
from toolkit.ingest.core.linkage import matches


def apple_zip(path: Path, tmp: Path, steps: int) -> Path:
    start = datetime(2025, 3, 6, 10, tzinfo=UTC)
    record = Record(
        "QuantityTypeIdentifierStepCount", "count", str(steps), start, start + timedelta(minutes=5)
    )
    xml = write_export_file(tmp / f"build{steps}" / "export.xml", [record])
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(xml, "apple_health_export/export.xml")
    return path


def test_folder_names_match_whole_ids_only() -> None:
    assert matches("P1", "P1") and matches("P1_watch", "P1") and matches("P1.zip", "P1")
    assert not matches("P10", "P1") and not matches("XP1", "P1")


def test_a_manifest_links_files_the_folders_do_not_name(study: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    apple_zip(exports / "alice.zip", tmp_path, 700)
    write(
        exports / "bob" / "Physical Activity" / "steps-2025-03-01.json",
        json.dumps([{"dateTime": "03/06/25 15:00:00", "value": "80"}]),
    )
    write(exports / "wearable_manifest.csv", "file,participant_id\nalice.zip,P1\nbob/*,P2\n")
    with open_study(study) as opened:
        report = opened.ingest([exports])
    assert report.exit_code == 0
    with open_study(study, read_only=True) as opened:
        rows = opened.sql("select participant_id, day, steps from wearable_daily order by 1").rows()
    assert rows == [("P1", date(2025, 3, 6), 700), ("P2", date(2025, 3, 6), 80)]
    notes = {Path(f.path).name: f.notes for f in report.files}
    assert notes["wearable_manifest.csv"] == {"wearable_manifest_files": 1}


def test_manifest_errors_reject_the_file(study: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    apple_zip(exports / "carol.zip", tmp_path, 10)
    apple_zip(exports / "dave.zip", tmp_path, 20)
    write(
        exports / "wearable_manifest.csv",
        "file,participant_id\ncarol.zip,P9\ndave.zip,P1\ndave.zip,P2\n",
    )
    with open_study(study) as opened:
        report = opened.ingest([exports])
    errors = {f.path.split("!")[0].rsplit("/", 1)[-1]: f.error for f in report.rejected}
    assert "participant 'P9', who is not in the study's roster" in str(errors["carol.zip"])
    assert "for several participants (P1, P2)" in str(errors["dave.zip"])
