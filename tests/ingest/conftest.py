"""Fixtures shared by the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A new study holding the two-participant default roster (P1 London, P2 New York)."""
    path = tmp_path / "study.duckdb"
    with open_study(path) as opened:
        assert opened.ingest([roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)]).exit_code == 0
    return path
