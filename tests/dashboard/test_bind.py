"""The dashboard listens on 127.0.0.1 unless an address is given, and warns when it is not.

Issue 15 item 5: before, ``retrowalk dashboard`` listened on every interface (Streamlit's
default) with no warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.bind import choose_address, exposure_warning, is_loopback
from tests.conftest import cli_env
from tests.dashboard.server import _stop_group, free_port
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as the kernel writes them) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as handle:
            next(handle)
            for line in handle:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def _serve(study: Path, *args: str, env_address: str | None = None) -> tuple[set[str], str]:
    port = free_port()
    env = {k: v for k, v in cli_env().items() if not k.startswith("STREAMLIT_SERVER_ADDRESS")}
    env.update(
        {
            "STREAMLIT_SERVER_PORT": str(port),
            "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
            "RETROWALK_SNAPSHOT_DIR": str(study.parent / "snapshots"),
        }
    )
    if env_address:
        env["STREAMLIT_SERVER_ADDRESS"] = env_address
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "dashboard", str(study), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        listening = _listening(port)
    finally:
        _stop_group(process)
    output = process.stdout.read() if process.stdout else ""
    return listening, output


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with open_study(path) as opened:
        opened.ingest([roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)])
    return path


def test_dashboard_listens_on_loopback_only_by_default(small_study: Path) -> None:
    listening, output = _serve(small_study)
    assert listening == {"0100007F"}, listening  # 127.0.0.1, not 00000000 (every interface)
    assert "no login" not in output


def test_a_network_address_is_explicit_and_warned_about(small_study: Path) -> None:
    listening, output = _serve(small_study, "--address", "0.0.0.0")
    assert "00000000" in listening
    assert "warning: the dashboard has no login" in output


def test_address_choice() -> None:
    assert choose_address(None, {}) == "127.0.0.1"
    assert choose_address(None, {"STREAMLIT_SERVER_ADDRESS": "192.0.2.2"}) == "192.0.2.2"
    assert choose_address("::1", {"STREAMLIT_SERVER_ADDRESS": "0.0.0.0"}) == "::1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("myhost.example")
    assert exposure_warning("127.0.0.1") is None
    assert "every network interface" in (exposure_warning("0.0.0.0") or "")
