"""Fixtures for the dashboard tests: a private copy of the demo study, and a process that
holds DuckDB's lock on a study (the situation an ingest creates)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

_HOLDER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("ready", flush=True)
sys.stdin.read()
connection.close()
"""


#: ``hold(study, mode)``: a context manager during which another process has the study open.
Holder = Callable[..., AbstractContextManager["subprocess.Popen[str]"]]


@pytest.fixture
def study_copy(demo_study: Path, tmp_path: Path) -> Path:
    """A copy of the session's demo study that a test may write to."""
    target = tmp_path / "study" / "study.duckdb"
    target.parent.mkdir()
    shutil.copyfile(demo_study, target)
    return target


@contextmanager
def holding(study: Path, mode: str = "write") -> Iterator[subprocess.Popen[str]]:
    """Another process with ``study`` open (``write``: read-write, as an ingest has it, or
    ``read``: read-only) until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(study), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def hold() -> Holder:
    """``with hold(study, "write"):`` another process keeps the study open meanwhile."""
    return holding
