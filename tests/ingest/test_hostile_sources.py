"""What the user names is all that is read, within limits, and scratch copies stay private.

Issue 15 items 7 (private temporary copies), 8 (symlinks out of the named folder) and 11 (zip
limits). Each test attacks as the issue describes and failed before the fix.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study
from toolkit.ingest.core.sources import ZipLimits
from toolkit.private_temp import private_workdir, sweep, user_folder


def _log(study: Path) -> list[dict[str, object]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(
            "select path, sha256, status, error from ingest_log order by path"
        ).to_dicts()


# -- item 8: symlinks ------------------------------------------------------------------------


def test_a_symlink_out_of_the_named_folder_is_rejected_unread(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    roster(exports / "roster.csv", *DEFAULT_ROSTER_ROWS)
    secret = roster(tmp_path / "elsewhere" / "secret.csv", *DEFAULT_ROSTER_ROWS[:1])
    (exports / "leak.csv").symlink_to(secret)
    (exports / "passwd.csv").symlink_to("/etc/passwd")
    (exports / "linked_folder").symlink_to(secret.parent, target_is_directory=True)
    (exports / "alias.csv").symlink_to(exports / "roster.csv")  # inside: followed
    study = tmp_path / "s.duckdb"
    result = run_cli("ingest", study, exports, "--json")
    assert result.returncode == 1, result.stderr
    rows = {Path(str(r["path"])).name: r for r in json.loads(result.stdout)}
    for name in ("leak.csv", "passwd.csv", "linked_folder"):
        assert rows[name]["status"] == "rejected"
        assert "outside the folder you named" in str(rows[name]["error"])
        assert rows[name]["sha256"] == ""  # nothing of the target was read
    assert {rows["roster.csv"]["status"], rows["alias.csv"]["status"]} == {"loaded", "duplicate"}
    logged = _log(study)
    assert all(r["sha256"] == "" for r in logged if r["status"] == "rejected")
    assert "secret.csv" not in " ".join(str(r["path"]) for r in logged)


def test_a_symlink_the_user_names_directly_is_followed(tmp_path: Path) -> None:
    target = roster(tmp_path / "real" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    link = tmp_path / "named.csv"
    link.symlink_to(target)
    result = run_cli("ingest", tmp_path / "s.duckdb", link)
    assert result.returncode == 0, result.stdout + result.stderr


# -- item 11: zip limits ---------------------------------------------------------------------


def _zip(path: Path, members: int, size: int = 10) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(members):
            archive.writestr(f"m{i:05d}.txt", "x" * size)
    return path


def test_an_archive_with_too_many_members_is_refused_before_unpacking(tmp_path: Path) -> None:
    many = _zip(tmp_path / "many.zip", ZipLimits().members_per_archive + 1, size=0)
    started = time.monotonic()
    with open_study(tmp_path / "s.duckdb") as opened:
        report = opened.ingest([many])
    assert time.monotonic() - started < 60  # not minutes of per-member work
    [refused] = report.files
    assert refused.status == "rejected"
    assert "10,001 files (limit 10,000 per archive)" in str(refused.error)
    assert "--max-zip-members" in str(refused.error)


@pytest.mark.slow
def test_zip_limits_are_configurable_per_archive_and_per_batch(tmp_path: Path) -> None:
    small = _zip(tmp_path / "small.zip", 3, size=100)
    big = _zip(tmp_path / "big.zip", 3, size=5000)
    first = _zip(tmp_path / "first.zip", 15)
    second = _zip(tmp_path / "second.zip", 15)
    study = tmp_path / "s.duckdb"

    by_size = run_cli("ingest", study, small, big, "--max-zip-size", "10K", "--json")
    rows = {Path(str(r["path"])).name: r for r in json.loads(by_size.stdout)}
    assert rows["big.zip"]["status"] == "rejected"
    assert "would unpack to 14.6 KiB (limit 10.0 KiB per archive)" in str(rows["big.zip"]["error"])
    # the small archive was unpacked (its members reached format detection)
    assert "small.zip!m00000.txt" in rows and "limit" not in str(
        rows["small.zip!m00000.txt"]["error"]
    )

    by_batch = run_cli("ingest", study, first, second, "--max-batch-members", "20", "--json")
    rows = {Path(str(r["path"])).name: r for r in json.loads(by_batch.stdout)}
    assert rows["second.zip"]["status"] == "rejected"
    assert "limit 20 per ingest" in str(rows["second.zip"]["error"])

    by_bytes = run_cli("ingest", study, first, big, "--max-batch-size", "1K", "--json")
    rows = {Path(str(r["path"])).name: r for r in json.loads(by_bytes.stdout)}
    assert "per ingest" in str(rows["big.zip"]["error"])

    bad = run_cli("ingest", study, first, "--max-zip-size", "lots")
    assert bad.returncode == 2 and "not a size" in bad.stderr


# -- item 7: private scratch copies ------------------------------------------------------------


def test_private_workdir_is_0700_and_swept_after_a_dead_process(tmp_path: Path) -> None:
    parent = user_folder("ingest", tmp_path)
    assert stat.S_IMODE(parent.stat().st_mode) == 0o700
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = parent / f"{dead.stdout.strip()}-abc"
    stale.mkdir()
    (stale / "export.xml").write_text("identifiable")
    with private_workdir("ingest", tmp_path) as workdir:
        assert not stale.exists()  # swept at the start
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        assert workdir.parent == parent
    assert not workdir.exists()  # removed at the end
    assert sweep(parent) == []


def test_a_planted_temp_folder_is_not_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    (tmp_path / f"retrowalk-ingest-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(Exception, match="not a folder owned by you"):
        user_folder("ingest", tmp_path)


@pytest.mark.slow
def test_a_killed_ingest_leaves_only_private_files_swept_by_the_next(tmp_path: Path) -> None:
    """kill -9 during an ingest of a zip: what it extracted is 0600 in a 0700 folder, and the
    next ingest removes it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(400):
            zf.writestr(f"site{i:03d}/roster.csv", "participant_id,arm\nP1,retro\n")
    env = {**cli_env(), "TMPDIR": str(temp)}
    study = tmp_path / "s.duckdb"
    open_study(study).close()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "ingest", str(study), str(archive)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    scratch = temp / f"retrowalk-ingest-{os.getuid()}"
    try:
        deadline = time.monotonic() + 120
        extracted: list[Path] = []
        while time.monotonic() < deadline and process.poll() is None:
            extracted = [p for p in scratch.rglob("*.csv")] if scratch.exists() else []
            if len(extracted) > 50:
                break
            time.sleep(0.01)
        assert extracted, "the ingest ended before its extraction could be observed"
        modes = {stat.S_IMODE(p.stat().st_mode) for p in extracted[:50]}
        assert modes == {0o600}
        workdir = scratch / extracted[0].relative_to(scratch).parts[0]
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        assert stat.S_IMODE(scratch.stat().st_mode) == 0o700
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert any(scratch.iterdir())  # kill -9 leaves them ...
    again = subprocess.run(
        [sys.executable, "-m", "toolkit", "ingest", str(study)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert list(scratch.iterdir()) == []  # ... until the next start sweeps them
