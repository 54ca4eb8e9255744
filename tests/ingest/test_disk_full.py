"""A full disk is an error of its own (issue 15 item 10): exit 2, what was committed, no traceback.

The disk is a real one: a 3 MiB tmpfs mounted for the test (needs root, as in this project's
CI container; skipped elsewhere), so the ``No space left on device`` comes from the kernel, not
from a mock. Before the fix the same run ended in a traceback with exit 1.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from toolkit import open_study


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
def test_full_disk_says_what_was_committed_and_resumes(
    small_disk: Path, demo_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = demo_study.parent / "raw"
    study = small_disk / "s.duckdb"
    # one file per transaction, so that several files commit before the disk fills (with the
    # default groups of 256 files the first group is what the full disk rolls back)
    monkeypatch.setenv("RETROWALK_INGEST_GROUP_FILES", "1")
    full = run_cli("ingest", study, raw)
    assert full.returncode == 2, full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    assert "error: the disk is full" in full.stderr
    assert "No space left on device" in full.stderr
    assert "roster.csv (loaded)" in full.stderr  # what was committed ...
    assert "was rolled back" in full.stderr  # ... and what was not
    # Everything said to be committed is in the study, which still opens.
    subprocess.run(["mount", "-o", "remount,size=200M", str(small_disk)], check=True)
    with open_study(study, read_only=True) as opened:
        logged = opened.sql("select count(*) as n from ingest_log")["n"].item()
        assert opened.sql("select count(*) as n from participants")["n"].item() == 90
    assert logged > 1
    again = run_cli("ingest", study, raw, "--json")
    assert again.returncode == 0, again.stderr
    statuses = [line for line in again.stdout.splitlines() if '"status": "duplicate"' in line]
    assert len(statuses) >= logged - 1  # committed files are skipped as duplicates
