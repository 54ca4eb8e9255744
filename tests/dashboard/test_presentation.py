"""What the dashboard shows a reader: the demo's clean build explained, formatting, palettes.

AppTest runs the entry script on real demo studies (nothing mocked).
"""

from __future__ import annotations

import itertools
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


def _panel_pixels(fig: object) -> list[tuple[float, float]]:
    """Each y axis's (bottom, top) in pixels from the figure's bottom edge of the plot area."""
    layout = fig.layout  # type: ignore[attr-defined]
    plot = layout.height - layout.margin.t - layout.margin.b
    domains = [
        layout[name].domain for name in sorted(layout.to_plotly_json()) if name.startswith("yaxis")
    ]
    return sorted((d[0] * plot, d[1] * plot) for d in domains if layout is not None)


def test_eleven_questionnaires_get_readable_separate_panels(demo_study: Path) -> None:
    import plotly.graph_objects as go

    from toolkit import open_study
    from toolkit.figures import figure_pain_diary, figure_session_samples
    from toolkit.summaries import participant_samples

    with open_study(demo_study, read_only=True) as study:
        # one knee-OA and one patellofemoral participant together answered all 11 instruments
        pid = study.sql(
            "select participant_id from pain_scores group by 1 order by "
            "count(distinct instrument) desc, 1 limit 1"
        ).item()
        pain = study.sql(
            "select * from pain_scores where participant_id = ? or participant_id = "
            "(select min(participant_id) from pain_scores where instrument = 'kujala')",
            [pid],
        )
        assert pain["instrument"].n_unique() == 11
        sampled = study.sql("select participant_id, session_id from treadmill_samples limit 1").row(
            0
        )
        samples = participant_samples(study, sampled[0], sampled[1])
    fig = go.Figure(figure_pain_diary(pain, participant_id=pid).to_dict())  # validated
    panels = [p for p in _panel_pixels(fig) if p[1] > p[0]]
    assert len(panels) >= 6  # 11 panels in two columns: six rows
    assert min(top - bottom for bottom, top in panels) >= 150
    rows = sorted(set(panels))
    assert all(upper[0] - lower[1] >= 60 for lower, upper in itertools.pairwise(rows))
    titles = {a.text for a in fig.layout.annotations}
    assert {"KOOS Pain", "WOMAC Function", "NRS pain"} <= titles
    session = figure_session_samples(samples, session_id=sampled[1])
    stacked = _panel_pixels(session)
    assert all(b[0] - a[1] >= 50 for a, b in itertools.pairwise(stacked))


def test_participant_page_opens_on_complete_data_and_chooses_questionnaires(
    app: Callable[..., AppTest], demo_study: Path
) -> None:
    from toolkit import open_study

    at = app(demo_study)
    at.switch_page("views/participant.py").run()
    assert not at.exception, [e.value for e in at.exception]
    chosen = at.selectbox(key="participant_id").value
    with open_study(demo_study, read_only=True) as study:
        missing = study.sql(
            "select count(*) from outcomes where participant_id = ? "
            "and (baseline is null or follow_up is null)",
            [chosen],
        ).item()
        answered = study.sql(
            "select count(distinct instrument) from pain_scores where participant_id = ?",
            [chosen],
        ).item()
    assert missing == 0
    picker = at.multiselect(key="participant_instruments")
    assert len(picker.value) == min(4, answered)
    picker.set_value(picker.options).run()
    assert not at.exception


def test_dose_response_spreads_zero_exposure_and_counts_in_the_legend(demo_study: Path) -> None:
    import plotly.graph_objects as go

    from toolkit import open_study
    from toolkit.analysis_frames import outcome_frame
    from toolkit.figures import figure_dose_response

    with open_study(demo_study, read_only=True) as study:
        frame = outcome_frame(study, None, "nrs")
    fig = go.Figure(figure_dose_response(frame, frame.clear()).to_dict())  # validated
    shown = frame.filter(frame["change"].is_not_null() & frame["retro_minutes"].is_not_null())
    points = [t for t in fig.data if t.mode == "markers"]
    assert sum(len(t.x) for t in points) == shown.height
    usual = next(t for t in points if t.name.startswith("Usual care"))
    n_usual = shown.filter(shown["arm"] == "usual_care").height
    assert usual.name == f"Usual care (n={n_usual}, {n_usual} at 0 min)"
    assert all(x < 0 for x in usual.x) and len(set(usual.x)) == len(usual.x)  # a strip
    assert len({(x, y) for x, y in zip(usual.x, usual.y, strict=True)}) == n_usual
    assert all(row[4] == 0 for row in usual.customdata)  # hover keeps the true values
    assert 0 < usual.marker.opacity < 1
    again = figure_dose_response(frame, frame.clear())
    assert list(again.data[0].x) == list(fig.data[0].x)  # seeded: the same every time


def test_adherence_in_usual_care_is_not_applicable_not_missing(
    app: Callable[..., AppTest], demo_study: Path
) -> None:
    from toolkit import open_study
    from toolkit.figures import figure_completeness, figure_missingness
    from toolkit.summaries import arms_without_prescription

    with open_study(demo_study, read_only=True) as study:
        people = study.sql("select * from participants")
    assert arms_without_prescription(people) == ["usual_care"]

    at = app(demo_study)
    at.switch_page("views/data_quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Adherence is not applicable for Usual care" in c.value for c in at.caption)
    table = at.dataframe[-1].value  # the missing-values table
    adherence = table[table["variable"] == "adherence"].set_index("group")
    assert adherence.loc["Usual care", "percent_missing"] == ""  # not "100"
    assert (
        adherence.loc["All", "n"] == adherence.loc[["Retro walking", "Forward walking"], "n"].sum()
    )

    import polars as pl

    missing = pl.DataFrame(
        {
            "variable": ["adherence"] * 3,
            "group": ["retro", "usual_care", "all"],
            "n": [10, 10, 20],
            "missing": [1, 10, 11],
            "percent_missing": [10.0, 100.0, 55.0],
        }
    )
    fig = figure_missingness(missing, not_applicable={("adherence", "usual_care")})
    cells = dict(zip(fig.data[0].x, fig.data[0].text[0], strict=True))
    assert cells == {"Retro walking": "10%", "Usual care": "not applicable", "All": "10%"}
    completeness = pl.DataFrame(
        {
            "item": ["treadmill sessions"] * 2,
            "arm": ["retro", "usual_care"],
            "participants_with_data": [10, 0],
            "participants": [10, 10],
            "percent": [100.0, 0.0],
        }
    )
    fig = figure_completeness(completeness, not_applicable={("treadmill sessions", "usual_care")})
    assert list(fig.data[0].text[0]) == ["100% (10/10)", "not applicable"]
    assert fig.data[0].z[0][1] is None


def test_streamlit_is_started_offline_and_quiet_unless_the_user_says_otherwise() -> None:
    from dashboard.warmup import quiet_offline_options

    assert quiet_offline_options({}) == [
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        "--browser.serverAddress=localhost",
    ]
    mine = quiet_offline_options(
        {"STREAMLIT_CLIENT_TOOLBAR_MODE": "developer", "STREAMLIT_SERVER_ADDRESS": "192.168.1.5"}
    )
    assert mine == ["--browser.gatherUsageStats=false"]
    # a named address (the dashboard binds 127.0.0.1) is printed by Streamlit itself; only a
    # wildcard one would make it look up the external IP
    assert "--browser.serverAddress=localhost" not in quiet_offline_options({}, address="127.0.0.1")
    assert "--browser.serverAddress=localhost" in quiet_offline_options({}, address="0.0.0.0")
    assert (APP.parent / "favicon.png").read_bytes()[:4] == b"\x89PNG"
    assert "page_icon=str(FAVICON)" in APP.read_text()
