"""Every figure builder on real demo data: valid against plotly's schema (the builders skip
validation at run time for speed, so this is where a misspelt property fails), the expected
traces, and an explanatory figure when there is nothing to draw. Also the file exports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest

from toolkit import analysis_frames, figures, open_study, stats, summaries
from toolkit.cohorts import Cohort, members, select_view
from toolkit.figures.style import colour_map

pytestmark = pytest.mark.filterwarnings("ignore::toolkit.errors.StatsWarning")


@pytest.fixture(scope="module")
def frames(demo_study: Path) -> Iterator[dict[str, Any]]:
    with open_study(demo_study, read_only=True) as study:
        everyone = Cohort()
        people = members(study, everyone)
        weekly = select_view(study, "weekly_exposure", everyone)
        segments = summaries.segment_weeks(study, everyone)
        outcome = analysis_frames.outcome_frame(study, None, "nrs")
        trajectory = analysis_frames.trajectory_frame(study, None, "nrs")
        pid = summaries.sample_participants(study)["participant_id"][0]
        sessions = summaries.participant_sessions(study, pid)
        yield {
            "people": people,
            "flow": summaries.participant_flow(
                people, select_view(study, "outcomes", everyone), "nrs"
            ),
            "completeness": summaries.data_completeness(people, {"sessions": segments}),
            "weekly": summaries.weekly_minutes(weekly, people),
            "exposure_summary": stats.exposure_summary(
                analysis_frames.exposure_frame(study, None),
                columns=("retro_minutes", "forward_minutes"),
            ),
            "adherence": summaries.adherence_by_participant(
                select_view(study, "participant_exposure", everyone), people
            ),
            "progression": summaries.progression(
                summaries.weekly_speed_incline(study, everyone), people
            ),
            "outcome": outcome,
            "trajectory": trajectory,
            "pid": pid,
            "sessions": sessions,
            "samples": summaries.participant_samples(study, pid, sessions["session_id"][0]),
            "pain": summaries.participant_view(study, "pain_scores", pid),
            "wearable": summaries.participant_view(study, "wearable_daily", pid),
            "attempts": summaries.ingest_attempts(study),
        }


def valid(fig: go.Figure) -> go.Figure:
    """Re-build the figure with plotly's validation on (raises on any invalid property)."""
    return go.Figure(fig.to_dict())


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data if t.showlegend is not False]


def test_overview_and_exposure_figures(frames: dict[str, Any]) -> None:
    flow = valid(figures.figure_participant_flow(frames["flow"]))
    assert names(flow) == ["Retro walking", "Forward walking", "Usual care"]
    enrolled = frames["flow"].filter((pl.col("stage") == "enrolled") & (pl.col("arm") == "retro"))
    assert flow.data[0].y[0] == enrolled["participants"][0]
    completeness = valid(figures.figure_completeness(frames["completeness"]))
    assert completeness.data[0].y[-1] == "sessions"
    weekly = valid(figures.figure_weekly_minutes(frames["weekly"]))
    lines = [t for t in weekly.data if t.mode == "lines+markers"]
    assert len(lines) == 6  # 3 arms x (retro, forward minutes)
    assert {t.xaxis for t in lines} == {"x", "x2"}
    same = valid(figures.figure_weekly_minutes(frames["exposure_summary"]))
    for a, b in zip(same.data, weekly.data, strict=True):  # either layout of the input
        assert a.name == b.name and a.y == pytest.approx(b.y)
    assert len(valid(figures.figure_adherence(frames["adherence"])).data) == 2
    progression = valid(figures.figure_progression(frames["progression"]))
    assert "Retro walking, backward" in names(progression)


def test_outcome_and_dose_response_figures(frames: dict[str, Any]) -> None:
    means = summaries.trajectory_means(frames["trajectory"])
    trajectories = valid(
        figures.figure_trajectories(frames["trajectory"], means, instrument="nrs", max_lines=10)
    )
    assert "10 of 90 participants' lines shown" in trajectories.layout.title.text
    thin = [t for t in trajectories.data if t.type == "scattergl"]
    drawn = {pid for t in thin for pid in t.customdata if pid is not None}
    assert len(drawn) == 10
    change = stats.change_from_baseline(frames["outcome"])
    assert len(valid(figures.figure_change(change, instrument="nrs")).data) == 3
    responders = stats.responders(frames["outcome"])
    bars = valid(figures.figure_responders(responders, instrument="nrs", mcid="MCID 2 points"))
    assert len(bars.data[0].x) == 3
    curve = stats.dose_response_curve(frames["outcome"])
    dose = valid(figures.figure_dose_response(frames["outcome"], curve, colour_by="condition"))
    assert names(dose)[-2:] == ["95% CI", "fitted"]
    points = frames["outcome"].filter(pl.col("change").is_not_null())
    first = dose.data[0]
    assert first.customdata[0][0] in set(points["participant_id"])  # hover names the participant
    assert sum(len(t.x) for t in dose.data if t.type == "scattergl") == points.height


def test_participant_and_quality_figures(frames: dict[str, Any]) -> None:
    pid = frames["pid"]
    timeline = valid(figures.figure_session_timeline(frames["sessions"], participant_id=pid))
    assert {t.yaxis for t in timeline.data} == {"y", "y2", "y3"}  # speed, incline, heart rate
    samples = valid(figures.figure_session_samples(frames["samples"], session_id="S"))
    assert sum(len(t.x) for t in samples.data if t.yaxis == "y") == frames["samples"].height
    pain = valid(figures.figure_pain_diary(frames["pain"], participant_id=pid))
    assert len(pain.data) == frames["pain"]["instrument"].n_unique()
    steps = valid(figures.figure_daily_steps(frames["wearable"], participant_id=pid))
    assert "no wearable step counts" in steps.layout.annotations[0].text
    status = valid(figures.figure_ingest_status(frames["attempts"]))
    rejected = next(t for t in status.data if t.name == "rejected")
    assert sum(rejected.x) == 1
    missing = stats.missing_summary(frames["outcome"], columns=["baseline", "follow_up"])
    assert valid(figures.figure_missingness(missing)).data[0].y == ("Baseline", "Follow-up")


def test_empty_inputs_say_why(frames: dict[str, Any]) -> None:
    empty = frames["flow"].clear()
    fig = valid(figures.figure_participant_flow(empty))
    assert fig.layout.annotations[0].text == "No participants in this cohort"
    assert (
        "no treadmill sessions"
        in valid(figures.figure_session_timeline(frames["sessions"].clear(), participant_id="X"))
        .layout.annotations[0]
        .text
    )


def test_colours_are_stable_per_arm() -> None:
    """Usual care is the same green whether a figure shows two arms or three (the report used
    to colour it orange when the forward arm was filtered out)."""
    three = colour_map(["usual_care", "forward", "retro"])
    assert colour_map(["usual_care", "retro"]) == {"retro": "#0072B2", "usual_care": "#009E73"}
    assert three == {"retro": "#0072B2", "forward": "#E69F00", "usual_care": "#009E73"}
    assert list(colour_map(["b", "forward", "a"])) == ["forward", "a", "b"]
    assert set(colour_map(["a", "b"]).values()).isdisjoint(three.values())


@pytest.mark.slow
def test_exports(frames: dict[str, Any]) -> None:
    fig = figures.figure_adherence(frames["adherence"])
    html = figures.to_html(fig)
    assert (
        html.lower().startswith(b"<!doctype html>") and b"plotly" in html and len(html) > 1_000_000
    )
    with pytest.raises(ValueError, match="'fmt' parameter of to_image must be 'png' or 'svg'"):
        figures.to_image(fig, "gif")
    problem = figures.static_export_problem()
    if problem:
        pytest.skip(f"static export unavailable: {problem}")
    png = figures.to_image(fig, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = figures.to_image(fig, "svg")
    assert svg.startswith(b"<svg") and b"Adherence to the walking prescription" in svg


def test_participant_flow_labels_a_suppressed_count_as_hidden() -> None:
    """A private report publishes suppressed flow counts as nulls; the bar says so instead of
    failing (found by the Spark parity report on a 40-participant cohort)."""
    from toolkit.figures.overview import figure_participant_flow

    flow = pl.DataFrame(
        {
            "step": [1, 2],
            "stage": ["enrolled", "analysed"],
            "arm": ["retro", "retro"],
            "participants": [12, None],
            "percent_of_enrolled": [100.0, None],
        },
        schema_overrides={"participants": pl.Int64, "percent_of_enrolled": pl.Float64},
    )
    figure = figure_participant_flow(flow, instrument="nrs")
    assert list(figure.data[0].text) == ["12 (100%)", "hidden (small count)"]
