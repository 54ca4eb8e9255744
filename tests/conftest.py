"""Shared fixtures: a small demo study built once per session, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """``$RETROWALK_SHARED``, else ``<repo>/../shared`` (a checkout), else ``/work/shared``."""
    if os.environ.get("RETROWALK_SHARED"):
        return Path(os.environ["RETROWALK_SHARED"])
    beside = ROOT.parent / "shared"
    return beside if beside.exists() else Path("/work/shared")


SHARED_FIXTURES = _shared() / "fixtures"


def cli_env() -> dict[str, str]:
    """Environment in which ``python -m toolkit`` imports this checkout."""
    extra = os.pathsep.join([str(ROOT), str(ROOT / "datasets")])
    current = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{extra}{os.pathsep}{current}" if current else extra}


def run_cli(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``retrowalk ARGS`` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *map(str, args)],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The ``retrowalk`` command."""
    return run_cli


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 90-participant demo study (raw files beside it), built once per test session, with the
    demo's deliberately bad file ingested (rejected), so pages and reports have one to show."""
    from retrowalk_demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "study.duckdb"
    report = build_demo(path, participants=90, seed=7, progress=False, with_bad_file=True)
    assert [f.path.endswith("late_entries.csv") for f in report.rejected] == [True]
    return path


def real_fixtures(*parts: str) -> Path:
    """Path under ``../shared/fixtures``; skips the test where that folder is absent."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real device fixtures not available at {path}")
    return path
