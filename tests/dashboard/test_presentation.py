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


def test_tables_show_numbers_and_names_as_the_report_does() -> None:
    """One formatter (toolkit.format) for dashboard tables and report tables."""
    import polars as pl

    from dashboard.downloads import display_frame
    from toolkit.report.render import cell_texts

    frame = pl.DataFrame(
        {
            "term": ["retro - usual_care", "forward - usual_care"],
            "arm": ["retro", None],
            "condition": ["post_acl_reconstruction", "knee_oa"],
            "estimate": [-1.23456, None],
            "p_value": [0.0000123, 0.04567],
            "age": [55.25, 60.5],
        }
    )
    shown, config = display_frame(frame)
    assert shown["p_value"].to_list() == ["<0.001", "0.046"] == cell_texts(frame, "p_value")
    assert shown["estimate"].to_list() == ["-1.23", ""] == cell_texts(frame, "estimate")
    assert shown["arm"].to_list() == ["Retro walking", ""] == cell_texts(frame, "arm")
    assert shown["condition"][0] == "Post-ACL reconstruction" == cell_texts(frame, "condition")[0]
    assert shown["term"][0] == "Retro walking - Usual care" == cell_texts(frame, "term")[0]
    assert "None" not in str(shown.rows())
    labels = {name: c["label"] for name, c in config.items()}
    assert labels["age"] == "Age (years)" and labels["p_value"] == "p"
    assert config["age"]["type_config"]["format"] == "%.1f"


def test_table1_columns_follow_the_arm_order(app: Callable[..., AppTest], demo_study: Path) -> None:
    at = app(demo_study)
    table1 = at.dataframe[0].value
    groups = [c.split(" (n=")[0] for c in table1.columns if c != "characteristic"]
    assert groups == ["retro", "forward", "usual_care", "all"]
    assert "Age (years), mean (SD)" in list(table1["characteristic"])


def test_report_tables_use_the_same_order_labels_and_p_values(demo_study: Path) -> None:
    import re

    from toolkit.report import report_html

    html = report_html(demo_study).decode()
    table = re.search(r'<table id="table-table1_categorical">.*?</thead>', html, re.S)
    assert table is not None
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table.group(0))
    assert heads[2:] == ["Retro walking", "Forward walking", "Usual care", "All"]
    tables = " ".join(re.findall(r"<table.*?</table>", html, re.S))
    assert "Post-ACL reconstruction" in tables and "post_acl_reconstruction" not in tables
    assert ">None<" not in tables and ">nan<" not in tables
    assert "&lt;0.001" in tables
