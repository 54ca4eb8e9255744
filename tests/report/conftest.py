"""Reports built once per test module on the session's demo study."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.report import ReportResult, build_report

#: Demo participant IDs (``RW0001``...).
RAW_ID = re.compile(r"RW\d{4}")


@pytest.fixture(scope="module")
def private_report(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    """The default (private) report on the whole demo study, HTML and extracts."""
    out = tmp_path_factory.mktemp("private") / "report.html"
    return build_report(demo_study, None, out)


@pytest.fixture(scope="module")
def strict_report(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    """A private report with a high threshold (20), so many cells must be suppressed."""
    out = tmp_path_factory.mktemp("strict") / "report.html"
    return build_report(demo_study, None, out, min_cell=20)
