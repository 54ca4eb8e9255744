"""Linking device and wearable exports to participants: one rule, manifest first, then folders."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from retrowalk_demo.apple_health_xml import Record, write_export_file
from tests.ingest.fit_writer import activity
from tests.ingest.helpers import write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.core.linkage import ManifestLink, link_participant, matches
from toolkit.ingest.core.model import ParseContext, ParticipantInfo


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


# --- one rule for every device and wearable file ------------------------------------------


def _ctx(tmp_path: Path, *parts: str) -> ParseContext:
    """A parse context for ``tmp_path/parts`` with P1, P10 and P2 enrolled."""
    people = {pid: ParticipantInfo(pid, "UTC", date(2025, 1, 1)) for pid in ("P1", "P10", "P2")}
    return ParseContext(str(tmp_path.joinpath(*parts)), "sha", parts, people)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("P1", "walk.fit"), "P1"),
        (("P1_garmin", "walk.fit"), "P1"),
        (("exports", "P1-fitbit", "steps.json"), "P1"),
        (("P1.apple", "export.zip"), "P1"),
        (("P1 watch", "export.xml"), "P1"),
        (("P10", "walk.fit"), "P10"),
        (("P1_walk.fit",), "P1"),
    ],
)
def test_a_folder_named_the_id_or_id_and_separator_links(
    tmp_path: Path, parts: tuple[str, ...], expected: str
) -> None:
    assert link_participant(_ctx(tmp_path, *parts), "the file") == expected


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (("XP1", "walk.fit"), "cannot be linked to a participant"),
        (("P1x", "walk.fit"), "cannot be linked to a participant"),
        (
            ("P1", "P2_garmin", "walk.fit"),
            "ambiguous: its path names several participants (P1, P2)",
        ),
    ],
)
def test_unlinked_or_ambiguous_paths_are_rejected_with_the_reason(
    tmp_path: Path, parts: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(IngestError, match=re.escape(reason)):
        link_participant(_ctx(tmp_path, *parts), "the file")


def test_a_manifest_wins_over_the_folder(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "P1_garmin", "walk.fit")
    assert link_participant(ctx, "the file", ManifestLink("P2", "directions.csv line 2")) == "P2"
    write(tmp_path / "wearable_manifest.csv", "file,participant_id\nP1_garmin/*,P10\n")
    assert link_participant(ctx, "the file") == "P10"
    with pytest.raises(IngestError, match=r"several participants \(P10, P2\)"):
        link_participant(ctx, "the file", ManifestLink("P2", "directions.csv line 2"))
    write(tmp_path / "wearable_manifest.csv", "file,participant_id\nP1_garmin/*,P9\n")
    with pytest.raises(IngestError, match="'P9', who is not in the study's roster"):
        link_participant(ctx, "the file")


def test_device_and_wearable_files_follow_the_same_rule(study: Path, tmp_path: Path) -> None:
    """``P1_garmin/walk.fit`` loads as ``P2-fitbit/`` does; a direction manifest's
    ``participant_id`` overrides the folder for a device file."""
    exports = tmp_path / "exports"
    (exports / "P1_garmin").mkdir(parents=True)
    (exports / "P1_garmin" / "walk.fit").write_bytes(activity())
    (exports / "P1 treadmill").mkdir()
    (exports / "P1 treadmill" / "later.fit").write_bytes(activity(start=1_000_100_000))
    write(
        exports / "P1 treadmill" / "directions.csv",
        "file,participant_id,direction\nlater.fit,P2,backward\n",
    )
    write(
        exports / "P2-fitbit" / "Physical Activity" / "steps-2025-03-01.json",
        json.dumps([{"dateTime": "03/06/25 15:00:00", "value": "80"}]),
    )
    with open_study(study) as opened:
        report = opened.ingest([exports])
    assert report.exit_code == 0, [f.error for f in report.rejected]
    with open_study(study, read_only=True) as opened:
        sessions = opened.sql(
            "select distinct participant_id, session_id from sessions order by 2"
        ).rows()
        steps = opened.sql("select participant_id, steps from wearable_daily").rows()
    assert sessions == [("P1", "fit-20210908T014640Z"), ("P2", "fit-20210909T053320Z")]
    assert steps == [("P2", 80)]
