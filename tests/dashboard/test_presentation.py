"""What the dashboard shows a reader: the demo's clean build explained, formatting, palettes.

AppTest runs the entry script on real demo studies (nothing mocked).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def clean_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo study built as ``retrowalk demo`` builds it (no file rejected)."""
    from retrowalk_demo import build_demo

    path = tmp_path_factory.mktemp("clean_demo") / "study.duckdb"
    assert build_demo(path, participants=12, seed=3, progress=False).exit_code == 0
    return path


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., AppTest]:
    """An AppTest of the entry script on ``study``, first run done."""
    snapshots = tmp_path_factory.getbasetemp() / "dashboard_snapshots"

    def make(study: Path, **query: str) -> AppTest:
        monkeypatch.setenv("RETROWALK_STUDY", str(study))
        monkeypatch.setenv("RETROWALK_SNAPSHOT_DIR", str(snapshots))
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(query)
        return at.run()

    return make


def test_data_quality_explains_the_demos_deliberately_bad_file(
    app: Callable[..., AppTest], clean_demo: Path
) -> None:
    at = app(clean_demo)
    at.switch_page("views/data_quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No file has been rejected" in s.value for s in at.success)
    hint = next(i.value for i in at.info if "deliberate error" in i.value)
    assert f"retrowalk ingest {clean_demo} {clean_demo.parent / 'quality'}" in hint
