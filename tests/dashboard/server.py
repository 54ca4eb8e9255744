"""Start the real dashboard server (``python -m toolkit dashboard STUDY``) for browser tests
and benchmarks, on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.conftest import cli_env

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium (browsers cannot be downloaded here), or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dashboard_server(
    study: Path, *, timeout: float = 60, snapshots: Path | None = None
) -> Iterator[str]:
    """Run ``retrowalk dashboard STUDY`` until the block ends; yields its base URL.
    ``snapshots``: where the server keeps its study snapshots (default: the temp folder)."""
    port = free_port()
    env = {
        **cli_env(),
        **({"RETROWALK_SNAPSHOT_DIR": str(snapshots)} if snapshots else {}),
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "dashboard", str(study)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"dashboard exited with {process.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not answer on {url} within {timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        # Only the server we started: its own process group (the CLI and streamlit under it).
        stopped = _stop_group(process)
        if process.stdout:
            process.stdout.close()
    if not stopped:
        raise RuntimeError("the dashboard server did not stop on SIGTERM within 20 s")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(process: subprocess.Popen[str], timeout: float = 20) -> bool:
    """SIGTERM the server's process group and wait for all of it (streamlit outlives the CLI
    when it hangs on shutdown); SIGKILL what is left after ``timeout``. True if it stopped."""
    pgid = process.pid
    with suppress(ProcessLookupError):
        os.killpg(pgid, 15)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(pgid):
        with suppress(ProcessLookupError):
            os.killpg(pgid, 9)
        process.wait(timeout=5)
        return False
    return True
