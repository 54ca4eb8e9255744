"""The server-start warm-up (``dashboard.warmup``) prepares exactly what the first page reads.

The warm-up runs in the ``retrowalk dashboard`` process before any browser connects; it only
helps if it takes the snapshot the first script run then uses and fills the cache entries that
run looks up (same snapshot version, same cohort JSON, same outcome). The entry script, run by
AppTest in the same process afterwards, must find them. The browser tests start the server
through the same path (``python -m toolkit dashboard``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.connection import snapshot_manager
from dashboard.warmup import warm_up

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def test_warm_up_prepares_the_first_pages_snapshot_and_cache_keys(
    study_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETROWALK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("RETROWALK_STUDY", str(study_copy))
    source = str(study_copy.resolve())
    manager = snapshot_manager(source)
    try:
        done = warm_up(source, runtime_timeout=0)
        taken = manager.current().snapshot
        assert done.version == taken.version
        assert done.instrument == "nrs"

        at = AppTest.from_file(str(APP), default_timeout=120).run()
        assert not at.exception
        context = at.session_state["app_context"]
        # The first page used the warm-up's snapshot (no second copy) and its cache keys.
        assert context.status.snapshot.taken_at == taken.taken_at
        assert context.version == done.version
        assert context.cohort_json == done.cohort_json
        assert at.selectbox(key="overview_instrument").value == done.instrument
    finally:
        manager.stop_background()
        manager.close()
