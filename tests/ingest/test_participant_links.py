"""Device-to-participant links are derived in the views: a corrected manifest re-links what is
already stored (issue 12 item 2), and removing it links the rows back."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tests.ingest.fit_writer import activity
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, assert_same_public_views, roster, write
from toolkit import open_study

#: 2025-03-06 10:00 UTC (study day 1) in FIT time (seconds since 1989-12-31 UTC)
START = 1_741_255_200 - 631_065_600
STEPS = (
    "metric,value,start_at\n"
    "steps,800,2025-03-06T09:00:00+00:00\n"
    "steps,900,2025-03-06T10:00:00+00:00\n"
)


def _raw(folder: Path, owner: str) -> Path:
    """Device D's FIT file and step counts (folders naming no participant), linked to ``owner``
    by a wearable manifest."""
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    (folder / "devices" / "D").mkdir(parents=True, exist_ok=True)
    (folder / "devices" / "D" / "walk.fit").write_bytes(activity(start=START, seconds=1200))
    write(folder / "devices" / "D" / "steps.csv", STEPS)
    _manifest(folder, owner)
    return folder


def _manifest(folder: Path, owner: str) -> Path:
    return write(
        folder / "wearable_manifest.csv",
        f"file,participant_id\ndevices/D/*,{owner}\n",
    )


def _owners(study: Path) -> dict[str, list[str]]:
    """Whose rows each public view shows, for the device's data."""
    with open_study(study, read_only=True) as s:
        return {
            view: sorted(set(s.sql(f"select participant_id from {view}")["participant_id"]))
            for view in ("sessions", "treadmill_samples", "wearable_daily")
        } | {
            "exposure": s.sql(
                "select participant_id from weekly_exposure where unknown_minutes > 0"
            )["participant_id"].to_list()
        }


def test_a_corrected_manifest_relinks_stored_device_data(tmp_path: Path) -> None:
    raw = _raw(tmp_path / "raw", "P1")
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
    on_p1 = {"sessions": ["P1"], "treadmill_samples": ["P1"], "wearable_daily": ["P1"],
             "exposure": ["P1"]}  # fmt: skip
    assert _owners(study) == on_p1

    corrected = _manifest(raw, "P2")
    with open_study(study) as s:
        second = s.ingest([raw], progress=False)
    statuses = {Path(f.path).name: f.status for f in second.files}
    assert statuses["wearable_manifest.csv"] == "loaded"
    assert statuses["walk.fit"] == statuses["steps.csv"] == "duplicate"
    # the weekly minutes (direction unknown: no direction manifest) follow the link
    assert _owners(study) == {"sessions": ["P2"], "treadmill_samples": ["P2"],
                              "wearable_daily": ["P2"], "exposure": ["P2"]}  # fmt: skip
    with open_study(study, read_only=True) as s:
        linked = s.sql("select participant_id, linked_by from int_source_participants").rows()
    assert linked == [("P2", "wearable manifest")] * 2

    # the corrected study equals one built from the corrected files
    fresh_raw = _raw(tmp_path / "fresh", "P2")
    fresh = tmp_path / "fresh.duckdb"
    with open_study(fresh) as s:
        assert s.ingest([fresh_raw], progress=False).exit_code == 0
    shutil.rmtree(fresh_raw)
    assert_same_public_views(study, fresh)

    # removing the correction brings the earlier manifest, and P1, back
    sha = hashlib.sha256(corrected.read_bytes()).hexdigest()
    with open_study(study) as s:
        removed = s.remove([sha])
    assert [r.sha256 for r in removed] == [sha]
    assert _owners(study) == on_p1


def test_without_a_manifest_the_folder_convention_links(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    (raw / "P1").mkdir(parents=True)
    (raw / "P1" / "walk.fit").write_bytes(activity(start=START, seconds=600))
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
        rows = s.sql(
            "select participant_id, stored_participant_id, linked_by from int_source_participants"
        ).rows()
    assert rows == [("P1", "P1", "path")]
    # a manifest ingested later moves the file to the participant it names
    write(raw / "wearable_manifest.csv", "file,participant_id\nP1/walk.fit,P2\n")
    with open_study(study) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
        assert s.sql("select distinct participant_id from sessions").rows() == [("P2",)]


def test_a_manifest_naming_someone_not_enrolled_is_refused_for_its_files(tmp_path: Path) -> None:
    raw = _raw(tmp_path / "raw", "P9")
    with open_study(tmp_path / "study.duckdb") as s:
        report = s.ingest([raw], progress=False)
    rejected = {Path(f.path).name: f.error for f in report.files if f.status == "rejected"}
    assert set(rejected) == {"walk.fit", "steps.csv"}
    assert "'P9', who is not in the study's roster" in rejected["walk.fit"]
