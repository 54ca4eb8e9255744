"""Every dashboard page, run from the entry script with Streamlit's AppTest, filters exercised.

AppTest runs the real script in-process against a real study (the session's 90-participant
demo, or a private copy where a test writes); nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.text import plain
from tests.dashboard.conftest import Holder
from toolkit.cohorts import Cohort, members, saved_cohort_names
from toolkit.study import open_study

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
#: Page script, its title, and the charts it draws for everyone (default choices).
PAGES = [
    ("views/overview.py", "Overview", 2),
    ("views/exposure.py", "Exposure", 3),
    ("views/outcomes.py", "Outcomes", 3),
    ("views/dose_response.py", "Dose-response", 1),
    ("views/participant.py", "Participant", 4),
    ("views/data_quality.py", "Data quality", 2),
]


@pytest.fixture
def app(
    demo_study: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., AppTest]:
    """An AppTest of the entry script on the demo study (or ``study``), first run done."""
    snapshots = tmp_path_factory.getbasetemp() / "dashboard_snapshots"

    def make(study: Path = demo_study, **query: str) -> AppTest:
        monkeypatch.setenv("RETROWALK_STUDY", str(study))
        monkeypatch.setenv("RETROWALK_SNAPSHOT_DIR", str(snapshots))
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(query)
        return at.run()

    return make


def count(study: Path, cohort: Cohort) -> int:
    with open_study(study, read_only=True) as opened:
        return members(opened, cohort).height


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize(("script", "title", "expected_charts"), PAGES)
def test_every_page_renders_its_charts(
    app: Callable[..., AppTest], script: str, title: str, expected_charts: int
) -> None:
    at = app()
    at.switch_page(script).run()
    no_exception(at)
    assert at.title[0].value == title
    assert charts(at) == expected_charts
    assert not at.error


def test_overview_follows_the_arm_filter_and_writes_it_to_the_url(
    app: Callable[..., AppTest], demo_study: Path
) -> None:
    at = app()
    assert metric(at, "Participants in cohort") == str(count(demo_study, Cohort()))
    at.multiselect(key="cohort_arms").set_value(["retro"]).run()
    no_exception(at)
    retro = count(demo_study, Cohort(arms=("retro",)))
    assert metric(at, "Participants in cohort") == str(retro)
    assert at.query_params["arms"] == "retro"
    table1 = at.dataframe[0].value
    assert [c for c in table1.columns if c != "characteristic"] == [
        f"retro (n={retro})",
        f"all (n={retro})",
    ]


def test_a_link_sets_the_filters(app: Callable[..., AppTest], demo_study: Path) -> None:
    at = app(conditions="knee_oa", age_min="40", sexes="female")
    no_exception(at)
    assert at.multiselect(key="cohort_conditions").value == ["knee_oa"]
    assert at.slider(key="cohort_age").value[0] == 40
    cohort = Cohort(conditions=("knee_oa",), sexes=("female",), age_min=40)
    assert metric(at, "Participants in cohort") == str(count(demo_study, cohort))
    assert at.caption[0].value == f"Cohort: {plain(cohort.describe())}"  # shown as text


def test_a_bad_link_is_explained_and_ignored(app: Callable[..., AppTest], demo_study: Path) -> None:
    at = app(age_min="old")
    no_exception(at)
    assert any("link's cohort filters were ignored" in w.value for w in at.sidebar.warning)
    assert metric(at, "Participants in cohort") == str(count(demo_study, Cohort()))


def test_range_date_adherence_and_completeness_filters(
    app: Callable[..., AppTest], demo_study: Path
) -> None:
    at = app()
    at.slider(key="cohort_age").set_range(30, 60)
    at.slider(key="cohort_min_adherence").set_value(50)
    at.selectbox(key="cohort_complete_for").set_value("nrs").run()
    no_exception(at)
    cohort = Cohort(age_min=30, age_max=60, min_adherence=0.5, complete_for="nrs")
    assert metric(at, "Participants in cohort") == str(count(demo_study, cohort))
    assert at.query_params["min_adherence"] == "0.5"
    at.switch_page("views/exposure.py").run()
    no_exception(at)
    assert at.caption[0].value == f"Cohort: {plain(cohort.describe())}"  # shown as text
    assert charts(at) == 3


def test_one_arm_cohort_explains_what_cannot_be_compared(app: Callable[..., AppTest]) -> None:
    at = app(arms="retro")
    at.switch_page("views/outcomes.py").run()
    no_exception(at)
    assert any("ANCOVA needs at least two arms" in i.value for i in at.info)
    at.switch_page("views/dose_response.py").run()
    no_exception(at)
    assert charts(at) == 1


def test_outcomes_and_dose_response_choices(app: Callable[..., AppTest]) -> None:
    at = app()
    at.switch_page("views/outcomes.py").run()
    at.selectbox(key="outcomes_instrument").set_value("vas").run()
    no_exception(at)
    assert charts(at) == 3
    at.radio(key="outcomes_trajectory_summary").set_value("linear mixed model").run()
    no_exception(at)
    assert charts(at) == 3
    assert "the mixed model's fitted mean per arm" in " ".join(c.value for c in at.caption)
    at.toggle(key="outcomes_mmrm").set_value(True).run()
    no_exception(at)
    mmrm = at.dataframe[-1].value
    assert {"difference", "adjusted_mean"} <= set(mmrm["role"])
    assert any("Retro walking - Usual care" in term for term in mmrm["term"])  # as words
    at.switch_page("views/dose_response.py").run()
    at.selectbox(key="dose_shape").set_value("spline, 3 df")
    at.radio(key="dose_colour").set_value("condition").run()
    no_exception(at)
    terms = at.dataframe[0].value["term"].to_list()
    assert "retro_minutes non-linear" in terms


def test_participant_page_switches_participant(
    app: Callable[..., AppTest], demo_study: Path
) -> None:
    at = app()
    at.switch_page("views/participant.py").run()
    no_exception(at)
    box = at.selectbox(key="participant_id")
    with open_study(demo_study, read_only=True) as study:
        sampled = set(
            study.sql("select distinct participant_id from treadmill_samples")["participant_id"]
        )
        usual = study.sql(
            "select min(participant_id) from participants where arm='usual_care'"
        ).item()
    assert box.value in sampled  # starts on someone with per-second samples
    assert at.query_params["participant"] == box.value
    box.set_value(usual).run()
    no_exception(at)
    assert charts(at) == 3  # no samples chart for usual care: timeline, steps, pain
    assert at.query_params["participant"] == usual


def test_a_link_opens_a_participant(app: Callable[..., AppTest], demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        chosen = study.sql(
            "select max(participant_id) from participants where arm = 'forward'"
        ).item()
    at = app(participant=chosen, arms="forward")
    at.switch_page("views/participant.py").run()
    no_exception(at)
    assert at.selectbox(key="participant_id").value == chosen
    assert at.query_params["participant"] == chosen
    assert at.query_params["arms"] == "forward"


def test_save_and_load_a_cohort(app: Callable[..., AppTest], study_copy: Path) -> None:
    at = app(study_copy)
    at.multiselect(key="cohort_sites").set_value(["leeds"])
    at.text_input(key="cohort_save_name").set_value("leeds only")
    at.button(key="cohort_save").click().run()
    no_exception(at)
    assert any("Saved the cohort as 'leeds only'" in s.value for s in at.sidebar.success)
    with open_study(study_copy, read_only=True) as study:
        assert saved_cohort_names(study) == ["leeds only"]
    at.button(key="cohort_reset").click().run()
    assert at.multiselect(key="cohort_sites").value == []
    at.selectbox(key="cohort_saved_choice").set_value("leeds only")
    at.button(key="cohort_load").click().run()
    no_exception(at)
    assert at.multiselect(key="cohort_sites").value == ["leeds"]
    assert at.query_params["sites"] == "leeds"


def test_saving_while_another_process_holds_the_study_explains_why_not(
    app: Callable[..., AppTest], study_copy: Path, hold: Holder
) -> None:
    at = app(study_copy)
    at.text_input(key="cohort_save_name").set_value("blocked")
    with hold(study_copy, "read") as reader:
        at.button(key="cohort_save").click().run()
        no_exception(at)
        warning = " ".join(w.value for w in at.sidebar.warning)
        assert f"another process (pid {reader.pid}) has the study open" in warning
    with open_study(study_copy, read_only=True) as study:
        assert saved_cohort_names(study) == []


def test_pages_keep_working_while_an_ingest_holds_the_study(
    app: Callable[..., AppTest], study_copy: Path, hold: Holder
) -> None:
    at = app(study_copy)
    with hold(study_copy, "write") as writer:
        study_copy.touch()  # the writer has changed the file
        at.switch_page("views/exposure.py").run()
        no_exception(at)
        assert charts(at) == 3
        assert any(f"pid {writer.pid}" in i.value for i in at.sidebar.info)
    at.run()
    assert not any("being written" in i.value for i in at.sidebar.info)


def test_starting_during_an_ingest_says_so(
    app: Callable[..., AppTest], study_copy: Path, hold: Holder
) -> None:
    with hold(study_copy, "write") as writer:
        at = app(study_copy)
        no_exception(at)
        assert f"pid {writer.pid}" in at.warning[0].value
        assert charts(at) == 0
    at.button(key="app_retry").click().run()
    no_exception(at)
    assert at.title[0].value == "Overview"


def test_an_empty_study_renders_every_page(app: Callable[..., AppTest], tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    open_study(empty).close()  # created and migrated, nothing ingested
    at = app(empty)
    no_exception(at)
    assert metric(at, "Participants in cohort") == "0"
    for script, title, _ in PAGES[1:]:
        at.switch_page(script).run()
        no_exception(at)
        assert at.title[0].value == title
        if title == "Participant":
            assert at.info[0].value == "No participants in this cohort."


def test_static_report_is_prepared_on_request_for_the_cohort(
    app: Callable[..., AppTest],
) -> None:
    at = app(arms="retro,usual_care")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download report (HTML)" not in labels  # nothing is built until asked for
    at.sidebar.button(key="report_prepare").click().run()
    no_exception(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download report (HTML)" in labels


def test_data_quality_lists_quarantined_values_and_salvaged_files(
    app: Callable[..., AppTest], study_copy: Path, tmp_path: Path
) -> None:
    from tests.ingest.helpers import write

    write(
        tmp_path / "glitch.csv",
        "participant_id,session_id,timestamp,speed_mps\n"
        "RW0001,GLITCH,2025-06-05T10:00:00Z,1.0\nRW0001,GLITCH,2025-06-05T10:00:01Z,40\n",
    )
    with open_study(study_copy) as opened:
        assert opened.ingest([tmp_path / "glitch.csv"], progress=False).exit_code == 0
    at = app(study_copy)
    at.switch_page("views/data_quality.py").run()
    no_exception(at)
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Quarantined values: 1.") for c in captions), captions
