"""The ingest contract: idempotent, one transaction per file, clear rejections, no partial loads."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study

DATA_TABLES = (
    "raw_participants",
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
    "raw_pain_scores",
)


def table_counts(study_path: Path) -> dict[str, int]:
    with open_study(study_path, read_only=True) as study:
        return {t: int(study.sql(f"select count(*) from {t}").item()) for t in DATA_TABLES}


def table_contents(study_path: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_study(study_path, read_only=True) as study:
        return {t: study.sql(f"select * from {t} order by all").rows() for t in DATA_TABLES}


@pytest.mark.slow
def test_reingesting_the_same_files_changes_nothing(demo_study: Path, tmp_path: Path) -> None:
    study = tmp_path / "copy.duckdb"
    shutil.copy(demo_study, study)
    before = table_contents(study)
    result = run_cli(
        "ingest", study, demo_study.parent / "raw", demo_study.parent / "quality", "--json"
    )
    files = json.loads(result.stdout)
    statuses = {f["status"] for f in files if not f["path"].endswith("late_entries.csv")}
    assert statuses == {"duplicate"}
    assert table_contents(study) == before
    # the rejected file is tried again (it may have been fixed) and rejected again
    assert result.returncode == 1


def test_a_corrupt_file_is_rejected_with_its_position_and_the_rest_loads(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "sessions_bad.csv",
        "participant_id,session_id,started_at,duration_s,direction\n"
        "P1,S1,2025-03-05T10:00:00+00:00,120,backward\n"
        "P1,S1,2025-03-05T10:02:00+00:00,60,forward\n"
        "P1,S2,2025-03-07T25:00:00+00:00,120,backward\n",
    )
    write(
        raw / "sessions_good.csv",
        "participant_id,session_id,started_at,duration_s,direction\n"
        "P1,S3,2025-03-10T10:00:00+00:00,300,backward\n",
    )
    write(
        raw / "pain.csv",
        "participant_id,measured_at,instrument,score\nP1,2025-03-05T09:00:00+00:00,nrs,6\n",
    )
    study = tmp_path / "study.duckdb"
    result = run_cli("ingest", study, raw, "--json")
    assert result.returncode == 1, result.stderr
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)}
    bad = files["sessions_bad.csv"]
    assert bad["status"] == "rejected"
    assert bad["position"] == "line 4, column 'started_at'"
    assert "2025-03-07T25:00:00+00:00" in bad["error"]
    assert {files[n]["status"] for n in ("roster.csv", "sessions_good.csv", "pain.csv")} == {
        "loaded"
    }
    with open_study(study, read_only=True) as opened:
        sessions = opened.sql("select session_id from raw_treadmill_sessions")["session_id"]
        assert sessions.to_list() == ["S3"]  # nothing of the bad file, not even its good rows
        log = opened.sql("select error, error_position from ingest_log where status='rejected'")
        assert log.rows() == [(bad["error"], "line 4, column 'started_at'")]


def test_text_report_names_file_position_and_problem(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "pain.csv",
        "participant_id,measured_at,instrument,score\n"
        "P1,2025-03-05T09:00:00+00:00,nrs,6\n"
        "P1,2025-03-06T09:00:00+00:00,kujala,101\n",
    )
    result = run_cli("ingest", tmp_path / "s.duckdb", raw)
    assert result.returncode == 1
    assert "pain.csv" in result.stdout
    assert "line 3, column 'score': score 101 is outside kujala's range 0 to 100" in result.stdout


@pytest.mark.slow
def test_kill_mid_batch_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    from retrowalk_demo.build import write_raw

    raw = tmp_path / "raw"
    write_raw(raw, participants=240, seed=3)
    clean = tmp_path / "clean.duckdb"
    assert run_cli("ingest", clean, raw).returncode == 0  # the demo's raw files are clean

    crashed = tmp_path / "crashed.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "ingest", str(crashed), str(raw)],
        # small groups of files per transaction, so that the kill lands between two of them
        env={**cli_env(), "RETROWALK_INGEST_GROUP_FILES": "8"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    wal = crashed.with_suffix(".duckdb.wal")
    while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < 400_000):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with open_study(crashed, read_only=True) as opened:
        loaded = opened.sql("select count(*) from ingest_log where status='loaded'").item()
    total = sum(1 for p in raw.rglob("*") if p.is_file())
    assert 0 < loaded < total, "the kill should land mid-batch"

    assert run_cli("ingest", crashed, raw).returncode == 0
    assert table_contents(crashed) == table_contents(clean)
    with open_study(crashed, read_only=True) as a, open_study(clean, read_only=True) as b:
        query = "select sha256 from ingest_log where status = 'loaded' order by 1"
        assert a.sql(query).equals(b.sql(query))


def test_zip_archives_ingest_like_their_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "p" / "pain.csv",
        "participant_id,measured_at,instrument,score\nP2,2025-03-05 09:00,nrs,6\n",
    )
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in raw.rglob("*.csv"):
            zf.write(path, path.relative_to(raw).as_posix())
    study = tmp_path / "s.duckdb"
    result = run_cli("ingest", study, archive, "--json")
    assert result.returncode == 0, result.stdout
    assert [f["path"].split("!")[1] for f in json.loads(result.stdout)] == [
        "roster.csv",
        "p/pain.csv",
    ]
    with open_study(study, read_only=True) as opened:
        # local time read in the participant's roster zone (America/New_York, EST in March 5)
        stamp = opened.sql("select measured_at from pain_scores").item()
        assert stamp.isoformat() == "2025-03-05T14:00:00+00:00"


def test_zip_slip_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../outside.csv", "participant_id,arm\n")
    result = run_cli("ingest", tmp_path / "s.duckdb", archive, "--json")
    assert result.returncode == 1
    [report] = json.loads(result.stdout)
    assert "outside the extraction folder" in report["error"]
    assert not (tmp_path / "outside.csv").exists()


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", b"0" * (50 * 1024 * 1024))
    result = run_cli("ingest", tmp_path / "s.duckdb", archive, "--json")
    assert result.returncode == 1
    assert "zip bomb" in json.loads(result.stdout)[0]["error"]


@pytest.mark.parametrize(
    ("content", "position", "message"),
    [
        (b"\x00\x01\x02garbage", "the whole file", "format is not recognised"),
        (b"", "the whole file", "the file is empty"),
        (
            b"participant_id,session_id,started_at,duration_s\nP9,S1,2025-03-05T10:00:00Z,60\n",
            "line 2, column 'participant_id'",
            "participant 'P9' is not in the study's roster",
        ),
        (
            b"participant_id,session_id,started_at,duration_s\nP1,S1,2025-03-30 01:30:00,60\n",
            "line 2, column 'started_at'",
            "does not exist or is ambiguous in Europe/London",
        ),
        (
            b"participant_id,session_id,started_at,duration_s,direction\n"
            b"P1,S1,2025-03-05T10:00:00Z,60,sideways\n",
            "line 2, column 'direction'",
            "'sideways' is not one of backward, forward, unknown",
        ),
        (
            b"participant_id,measured_at,instrument,score\nP1,2025-03-05T09:00:00Z,pain9,3\n",
            "line 2, column 'instrument'",
            "unknown instrument 'pain9'",
        ),
    ],
)
def test_bad_files_are_rejected_with_a_clear_reason(
    tmp_path: Path, content: bytes, position: str | None, message: str
) -> None:
    roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with open_study(tmp_path / "s.duckdb") as study:
        study.ingest([tmp_path / "roster.csv"])
        [result] = study.ingest([bad]).files
        assert result.status == "rejected"
        assert result.position == position
        assert message in (result.error or "")
        counts = study.sql(
            "select (select count(*) from raw_treadmill_sessions) "
            "+ (select count(*) from raw_pain_scores)"
            "+ (select count(*) from raw_questionnaire_items)"
        ).item()
        assert counts == 0


def test_roster_update_adds_participants_and_refuses_silent_changes(tmp_path: Path) -> None:
    with open_study(tmp_path / "s.duckdb") as study:
        study.ingest([roster(tmp_path / "v1" / "roster.csv", *DEFAULT_ROSTER_ROWS)])
        new = "P3,forward,knee_oa,female,55,27,2025-04-01,leeds,Europe/London,forward,45"
        [grown] = study.ingest(
            [roster(tmp_path / "v2" / "roster.csv", *DEFAULT_ROSTER_ROWS, new)]
        ).files
        assert grown.status == "loaded"
        assert grown.rows == {"raw_participants": 1}
        changed = DEFAULT_ROSTER_ROWS[0].replace(",31,", ",32,")
        [clash] = study.ingest([roster(tmp_path / "v3" / "roster.csv", changed)]).files
        assert clash.status == "rejected"
        assert clash.position == "line 2"
        assert "already in the study with different values" in (clash.error or "")
        assert study.sql("select age from participants where participant_id='P1'").item() == 31
