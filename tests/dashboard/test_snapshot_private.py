"""Dashboard snapshots are private and do not outlive the server (issue 15 item 7).

Before: snapshots were 0644 files in a shared ``/tmp/retrowalk-dashboard`` folder and stayed
after Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study

# Ctrl-C raises KeyboardInterrupt (set explicitly: a child of a background job starts with
# SIGINT ignored; Streamlit installs its own handler the same way).
# The server waits for input in short select() slices rather than one blocking read(): a SIGINT
# that lands just before a blocking read() is only acted on when read() returns (Python runs
# signal handlers between bytecodes), which made this test hang now and then under load. SIGINT
# is also unblocked: a child inherits its parent's signal mask, and the test process's threads
# (the browser tests' driver) need not leave it as a terminal would.
SERVER = """
import select, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
from pathlib import Path
from dashboard.snapshot import SnapshotManager
manager = SnapshotManager(Path(sys.argv[1]), fast=False)
print(manager.current().snapshot.path, flush=True)
while not select.select([sys.stdin], [], [], 0.2)[0]:
    pass
sys.stdin.read()
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with open_study(path) as opened:
        opened.ingest([roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)])
    return path


@pytest.mark.parametrize("ending", ["ctrl-c", "end of input"])
def test_snapshots_are_private_and_removed_when_the_server_ends(
    study: Path, tmp_path: Path, ending: str
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(study)],
        env={**cli_env(), "TMPDIR": str(temp)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    snapshot = Path(process.stdout.readline().strip())
    try:
        assert snapshot.exists(), process.stderr.read() if process.stderr else ""
        assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
        assert stat.S_IMODE(snapshot.parent.stat().st_mode) == 0o700
        assert snapshot.parent.parent == temp / f"retrowalk-dashboard-{os.getuid()}"
        assert stat.S_IMODE(snapshot.parent.parent.stat().st_mode) == 0o700
    finally:
        if ending == "ctrl-c":
            process.send_signal(signal.SIGINT)
        else:
            process.stdin.close()
        process.wait(timeout=60)
    assert not snapshot.exists()
    assert list(snapshot.parent.glob("*.duckdb*")) == []
