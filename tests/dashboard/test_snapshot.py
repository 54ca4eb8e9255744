"""The dashboard's study snapshot under DuckDB's single-writer rule, with real processes.

DuckDB lets one process write a file and, meanwhile, no other process open it; a process
reading it stops any writer from opening it. These tests check that the dashboard's snapshot
(a) never blocks an ingest, (b) keeps answering from the last snapshot while a writer holds
the study, (c) picks up the writer's changes once it has finished, and (d) explains itself
when it starts while a writer holds the study.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from dashboard.snapshot import MATERIALIZED_VIEWS, SnapshotManager, StudyBusyError, lock_holder
from tests.conftest import cli_env, run_cli
from tests.dashboard.conftest import Holder

NEW_SCORE = "participant_id,measured_at,instrument,score\nRW0001,2026-06-01T09:00:00+00:00,nrs,3\n"


def count_scores(manager: SnapshotManager) -> int:
    return int(manager.study.sql("select count(*) from pain_scores").item())


def test_lock_holder_sees_writers_and_readers_of_other_processes(
    study_copy: Path, hold: Holder
) -> None:
    assert lock_holder(study_copy) is None
    assert lock_holder(study_copy, writers_only=False) is None
    with hold(study_copy, "write") as writer:
        assert lock_holder(study_copy) == writer.pid
        assert lock_holder(study_copy, writers_only=False) == writer.pid
    with hold(study_copy, "read") as reader:
        assert lock_holder(study_copy) is None
        assert lock_holder(study_copy, writers_only=False) == reader.pid
    assert lock_holder(study_copy, writers_only=False) is None


def test_the_dashboard_does_not_block_an_ingest_and_sees_it_afterwards(
    study_copy: Path, tmp_path: Path
) -> None:
    manager = SnapshotManager(study_copy, tmp_path / "snapshots")
    first = manager.current()
    before = count_scores(manager)
    assert not first.stale
    assert first.snapshot.path.parent == tmp_path / "snapshots"
    assert manager.current().snapshot.version == first.snapshot.version  # unchanged study

    extra = tmp_path / "new_score.csv"
    extra.write_text(NEW_SCORE)
    result = run_cli("ingest", study_copy, extra)  # a separate process writes the study
    assert result.returncode == 0, result.stdout + result.stderr
    assert count_scores(manager) == before  # the open snapshot is a stable copy

    refreshed = manager.current()
    assert not refreshed.stale
    assert refreshed.snapshot.version != first.snapshot.version
    assert count_scores(manager) == before + 1
    assert not first.snapshot.path.exists()  # the old copy is deleted once replaced
    manager.close()
    assert list((tmp_path / "snapshots").glob("*.duckdb")) == []


def test_while_a_writer_holds_the_study_the_last_snapshot_keeps_answering(
    study_copy: Path, tmp_path: Path, hold: Holder
) -> None:
    manager = SnapshotManager(study_copy, tmp_path / "snapshots")
    first = manager.current()
    before = count_scores(manager)
    with hold(study_copy, "write") as writer:
        # The writer changes the file meanwhile (as an ingest would) ...
        extra = tmp_path / "new_score.csv"
        extra.write_text(NEW_SCORE)
        study_copy.touch()
        status = manager.current()
        # ... and the dashboard keeps serving the last snapshot, saying why.
        assert status.stale
        assert status.writer_pid == writer.pid
        assert status.snapshot.version == first.snapshot.version
        assert count_scores(manager) == before
    result = run_cli("ingest", study_copy, extra)
    assert result.returncode == 0, result.stdout + result.stderr
    after = manager.current()
    assert not after.stale
    assert count_scores(manager) == before + 1
    manager.close()


def test_starting_while_a_writer_holds_the_study_says_so(
    study_copy: Path, tmp_path: Path, hold: Holder
) -> None:
    manager = SnapshotManager(study_copy, tmp_path / "snapshots")
    with hold(study_copy, "write") as writer:
        message = f"being written by another process \\(pid {writer.pid}\\)"
        with pytest.raises(StudyBusyError, match=message):
            manager.current()
    assert not manager.current().stale  # the writer finished: the dashboard opens
    manager.close()


def test_readers_of_the_study_do_not_stop_a_snapshot(
    study_copy: Path, tmp_path: Path, hold: Holder
) -> None:
    manager = SnapshotManager(study_copy, tmp_path / "snapshots")
    with hold(study_copy, "read"):
        status = manager.current()
    assert not status.stale
    assert count_scores(manager) > 0
    manager.close()


def test_snapshots_left_by_dead_processes_are_removed(study_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "snapshots"
    folder.mkdir()
    orphan = folder / "999999999-1.duckdb"  # no such process id on Linux (pid_max < 2**22)
    orphan.write_bytes(b"old")
    manager = SnapshotManager(study_copy, folder)
    manager.current()
    assert not orphan.exists()
    manager.close()


def test_the_fast_snapshot_holds_the_same_rows_as_the_views(
    study_copy: Path, tmp_path: Path
) -> None:
    plain = SnapshotManager(study_copy, tmp_path / "plain", fast=False)
    fast = SnapshotManager(study_copy, tmp_path / "fast")
    assert not plain.current().snapshot.materialized
    version = fast.current().snapshot.version
    assert fast.wait_until_fast(timeout=120), fast.materialize_error
    status = fast.current()
    assert status.snapshot.materialized and status.snapshot.version == version
    stored = fast.study.sql(
        "select count(*) from duckdb_tables() where table_name like '\\_snapshot\\_%' escape '\\'"
    ).item()
    assert stored == len(MATERIALIZED_VIEWS)
    for view in MATERIALIZED_VIEWS:
        query = f"select * from {view} order by all"
        # same rows; float sums may differ in the last bits (parallel aggregation order)
        assert_frame_equal(fast.study.sql(query), plain.study.sql(query), rel_tol=1e-12)
    plain.close()
    fast.close()
    assert list((tmp_path / "fast").glob("*.duckdb")) == []


def test_a_process_can_exit_while_the_background_copy_is_being_built(
    study_copy: Path, tmp_path: Path
) -> None:
    # A DuckDB query still running on a thread when Python tears down aborts the process
    # ("terminate called without an active exception"); the manager interrupts it at exit.
    code = (
        "import sys; from pathlib import Path; from dashboard.snapshot import SnapshotManager; "
        "import time; m = SnapshotManager(Path(sys.argv[1]), Path(sys.argv[2])); m.current(); "
        "deadline = time.monotonic() + 60\n"
        "while not m.background_running and time.monotonic() < deadline: time.sleep(0.0005)\n"
        "print('running' if m.background_running else 'finished', flush=True)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(study_copy), str(tmp_path / "snapshots")],
        capture_output=True, text=True, env=cli_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "running"  # it exits in the middle of a DuckDB query
    assert "terminate" not in result.stderr


def test_the_background_copy_can_wait_until_asked_for(study_copy: Path, tmp_path: Path) -> None:
    # The server-start warm-up takes the snapshot, runs the first page's queries, then starts
    # the background copy (so the two do not share the CPUs).
    manager = SnapshotManager(study_copy, tmp_path / "snapshots")
    try:
        status = manager.current(start_background=False)
        assert not manager.wait_until_fast(timeout=0)  # nothing was started
        manager.current()  # a later script run on the same study does not start it either
        assert not manager.wait_until_fast(timeout=0)
        manager.start_background()
        assert manager.wait_until_fast(timeout=120), manager.materialize_error
        fast = manager.current().snapshot
        assert fast.materialized and fast.version == status.snapshot.version
        assert fast.path != status.snapshot.path
    finally:
        manager.close()
