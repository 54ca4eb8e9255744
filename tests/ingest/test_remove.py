"""``retrowalk remove`` and ``ingest --replace``: undo a file, exactly and atomically."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli
from tests.ingest.fit_writer import activity
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, assert_same_public_views, roster, write
from toolkit import open_study
from toolkit.errors import StudyError, UsageError


def raw_contents(study: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every raw table's rows (the ingest log aside), sorted."""
    with open_study(study, read_only=True) as s:
        tables = s.sql(
            "select table_name from information_schema.tables "
            "where table_name like 'raw%' and table_name <> 'raw_ingest_log' order by 1"
        )["table_name"].to_list()
        return {t: s.sql(f"select * from {t} order by all").rows() for t in tables}


@pytest.fixture
def demo_copy(demo_study: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "study.duckdb"
    shutil.copy(demo_study, copy)
    return copy


def _some_files(demo_study: Path) -> list[str]:
    """A pain file, a device export, the direction manifest and a wearable zip, as ingested."""
    raw = demo_study.parent / "raw"
    fit = sorted((raw / "devices").rglob("*.fit"))[0]
    wearable = sorted((raw / "wearables").rglob("export.zip"))[0]
    return [str(raw / "pain" / "visits.csv"), str(fit), str(fit.parent / "directions.csv"),
            str(wearable)]  # fmt: skip


@pytest.mark.slow
def test_remove_then_reingest_equals_the_original(demo_study: Path, demo_copy: Path) -> None:
    before = raw_contents(demo_copy)
    done = run_cli("remove", demo_copy, *_some_files(demo_study), "--json")
    assert done.returncode == 0, done.stderr
    removed = json.loads(done.stdout)
    assert {r["status"] for r in removed} == {"removed"}
    assert len(removed) >= 4  # the zip names each of its loaded members
    after = raw_contents(demo_copy)
    assert after != before
    assert len(after["raw_pain_scores"]) < len(before["raw_pain_scores"])
    with open_study(demo_copy, read_only=True) as s:
        logged = s.sql("select count(*) from ingest_log where status = 'removed'").item()
        assert logged == len(removed)
    again = run_cli("ingest", demo_copy, demo_study.parent / "raw", "--json")
    assert again.returncode == 0, again.stdout
    statuses = {f["path"]: f["status"] for f in json.loads(again.stdout)}
    assert {statuses[r["path"]] for r in removed} == {"loaded"}  # each loads again
    assert raw_contents(demo_copy) == before
    assert_same_public_views(demo_copy, demo_study)


def test_sources_by_sha256_and_what_cannot_be_removed(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    pain = write(
        raw / "pain.csv",
        "participant_id,measured_at,instrument,score\nP1,2025-03-05T09:00:00Z,nrs,6\n",
    )
    with open_study(tmp_path / "s.duckdb") as s:
        assert s.ingest([raw], progress=False).exit_code == 0
        sha = s.sql("select sha256 from ingest_log where path like '%pain.csv'").item()
        with pytest.raises(StudyError, match="participant 'P1' would be removed with its roster"):
            s.remove([raw / "roster.csv"])
        [removed] = s.remove([sha])
        assert removed.rows == {"raw_pain_scores": 1} and removed.path == str(pain)
        assert s.sql("select count(*) from pain_scores").item() == 0
        with pytest.raises(UsageError, match="names no file loaded"):
            s.remove([sha])
        with pytest.raises(UsageError, match="names no file loaded"):
            s.remove(["nothing.csv"])
        # the roster goes once nothing refers to its participants, and both come back
        s.remove([raw / "roster.csv"])
        assert s.sql("select count(*) from participants").item() == 0
        report = s.ingest([raw], progress=False)
        assert [f.status for f in report.files] == ["loaded", "loaded"]
        assert s.sql("select count(*) from pain_scores").item() == 1


@pytest.mark.slow
def test_replace_takes_out_the_older_export_never_silently(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    study = tmp_path / "s.duckdb"
    assert run_cli("ingest", study, raw).returncode == 0
    # a corrected roster export written over the first: P1 is 32, not 31
    roster(raw / "roster.csv", DEFAULT_ROSTER_ROWS[0].replace(",31,", ",32,"),
           DEFAULT_ROSTER_ROWS[1])  # fmt: skip
    plain = run_cli("ingest", study, raw)
    assert plain.returncode == 1 and "--replace" in plain.stdout
    replaced = run_cli("ingest", study, raw, "--replace", "--json")
    assert replaced.returncode == 0, replaced.stdout
    [result] = json.loads(replaced.stdout)
    assert result["status"] == "loaded" and result["replaced"] == [str(raw / "roster.csv")]
    with open_study(study, read_only=True) as s:
        assert s.sql("select age from participants where participant_id = 'P1'").item() == 32
        statuses = s.sql("select status from ingest_log order by attempt_id")["status"].to_list()
    assert statuses == ["loaded", "rejected", "removed", "loaded"]


@pytest.mark.slow
def test_kill_during_remove_leaves_the_study_before_or_after(
    demo_study: Path, tmp_path: Path
) -> None:
    samples = sorted((demo_study.parent / "raw" / "treadmill_samples").glob("*.csv"))
    sources = _some_files(demo_study) + [str(p) for p in samples]
    before_path = tmp_path / "before.duckdb"
    shutil.copy(demo_study, before_path)
    after_path = tmp_path / "after.duckdb"
    shutil.copy(demo_study, after_path)
    started = time.monotonic()
    assert run_cli("remove", after_path, *sources).returncode == 0
    took = time.monotonic() - started
    before, after = raw_contents(before_path), raw_contents(after_path)
    # kill at points spread over a whole run (process start included), most near its end
    for fraction in (0.6, 0.8, 0.9, 0.95, 1.0):
        killed = tmp_path / f"killed{fraction}.duckdb"
        shutil.copy(demo_study, killed)
        proc = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "remove", str(killed), *sources],
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=took * fraction)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        state = raw_contents(killed)
        assert state in (before, after), f"killed at {fraction:.0%} of a run: a state between"


def test_replace_takes_out_an_earlier_export_of_the_same_participant_and_source(
    tmp_path: Path,
) -> None:
    from retrowalk_demo.apple_health_xml import write_export_file
    from tests.ingest.test_apple_health import at, day_of_records, steps
    from tests.ingest.test_participant_links import START

    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    first = day_of_records()
    # a later export of P1's whole history, named differently, in another folder; it lost a
    # record the first one had (the watch's 09:30 steps): replacing takes that away too
    newer = [r for r in first if r != first[1]] + [steps(at(7, 8), 10, 900)]
    old = write_export_file(raw / "P1_2025-03" / "export.xml", first)
    new = write_export_file(tmp_path / "later" / "P1_2025-04_export.xml", newer)
    # a per-session format is never "a newer export": another FIT file of P1 stays
    (raw / "P1").mkdir()
    (raw / "P1" / "walk.fit").write_bytes(activity(start=START, seconds=600))
    study = tmp_path / "s.duckdb"
    with open_study(study) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
        steps_before = s.sql("select sum(steps) from wearable_daily").item()
    assert steps_before == 1250
    replaced = run_cli("ingest", study, new, "--replace", "--json")
    assert replaced.returncode == 0, replaced.stdout
    [result] = json.loads(replaced.stdout)
    assert result["status"] == "loaded" and result["replaced"] == [str(old)]
    text = run_cli("ingest", study, new, "--replace")  # a duplicate now: nothing replaced
    assert "replaces" not in text.stdout
    with open_study(study, read_only=True) as s:
        days = s.sql("select day, steps from wearable_daily order by day").rows()
        assert s.sql("select count(*) from sessions").item() > 0  # the FIT file stays
        statuses = s.sql(
            "select status from ingest_log where format = 'apple_health' order by attempt_id"
        )["status"].to_list()
    assert [d[1] for d in days] == [650, 900]  # 1250 - 600 lost in the newer export, + 900
    assert statuses == ["loaded", "removed", "loaded", "duplicate"]
    # the same export without --replace adds its new rows and says nothing is replaced
    other = tmp_path / "other.duckdb"
    with open_study(other) as s:
        s.ingest([raw], progress=False)
        report = s.ingest([new], progress=False)
    assert report.files[0].replaced == []
    assert report.files[0].notes["earlier_exports_kept"] == 1
