"""Ingest the shared real exports (``../shared/fixtures/real``) in place into a new study.

The files are never copied: each folder is ingested where it is, and a participant named after
the folder (``tcx``, ``fit``, ``apple_health``) links device files by the folder convention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.conftest import real_fixtures
from tests.ingest.helpers import write
from toolkit import open_study
from toolkit.ingest.core.loader import FileResult

Ingested = tuple[dict[str, FileResult], Path]


def ingest_real(
    tmp_path: Path, folder: str, participants: Iterable[str] = (), *, salvage: bool = False
) -> Ingested:
    """Ingest ``real/<folder>`` into a new study whose roster holds ``participants`` and the
    folder's own name; returns the results by file name and the study path."""
    source = real_fixtures("real", *folder.split("/"))
    ids = sorted({source.name, *participants})
    roster = write(
        tmp_path / "roster.csv",
        "participant_id,arm,condition,enrolled_on,timezone\n"
        + "".join(f"{i},retro,knee_oa,2000-01-01,UTC\n" for i in ids),
    )
    study = tmp_path / "study.duckdb"
    with open_study(study) as opened:
        assert opened.ingest([roster], progress=False).exit_code == 0
        kwargs = {"salvage": True} if salvage else {}
        report = opened.ingest([source], progress=False, **kwargs)
    results = {Path(f.path.split("!")[-1]).name: f for f in report.files}
    return results, study


def rows(study: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """The rows of a read-only query on ``study``."""
    with open_study(study, read_only=True) as opened:
        return opened.sql(sql, params).rows()


NOT_EXPORTS = ("README.md", "LICENSE")


def assert_not_exports_rejected(results: dict[str, FileResult]) -> None:
    """The folder's README and licence files are not exports: rejected as not recognised."""
    for name, result in results.items():
        if name.startswith(NOT_EXPORTS):
            assert result.status == "rejected", name
            assert "format is not recognised" in (result.error or ""), name


@pytest.fixture
def real_ingest(tmp_path: Path) -> Callable[..., Ingested]:
    """``real_ingest(folder, participants=(), salvage=False)`` -> (results by name, study)."""

    def run(folder: str, participants: Iterable[str] = (), *, salvage: bool = False) -> Ingested:
        return ingest_real(tmp_path, folder, participants, salvage=salvage)

    return run
