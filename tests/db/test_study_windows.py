"""One definition of the baseline and follow-up windows (int_study_windows) for every view.

``outcomes`` (questionnaire scores) and ``gait_outcomes`` (wearable gait days) both read the
windows from ``int_study_windows``; each is checked here against a plain polars computation of
the documented rule on the demo study, under the default windows and under fractional ones.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit import Study, open_study
from toolkit.db.views_sql import view_sql
from toolkit.visits import VisitWindows, set_visit_windows, visit_windows

_COMMENT = re.compile(r"--[^\n]*")
GAIT_MEASURES = (
    "walking_speed",
    "step_length",
    "walking_asymmetry",
    "double_support",
    "six_minute_walk_distance",
)
WINDOWS = [
    {},
    {
        "baseline_days_before": 10.5,
        "baseline_days_after": 2.5,
        "follow_up_day": 60.5,
        "follow_up_window_days": 20.25,
    },
    {"baseline_days_before": 3.0, "follow_up_day": 84.0, "follow_up_window_days": 0.0},
]


@pytest.fixture(scope="module")
def study(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Study:
    """A writable copy of the shared demo study (the windows are changed per test)."""
    copy = tmp_path_factory.mktemp("windows") / "study.duckdb"
    shutil.copy(demo_study, copy)
    opened = open_study(copy, read_only=False)
    yield opened  # type: ignore[misc]
    opened.close()


def _in_windows(days: pl.Expr, windows: VisitWindows) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    baseline = days.is_between(-windows.baseline_days_before, windows.baseline_days_after)
    distance = (days - windows.follow_up_day).abs()
    return baseline, distance <= windows.follow_up_window_days, distance


def _expected_gait(study: Study, windows: VisitWindows) -> pl.DataFrame:
    days = study.sql(
        "select participant_id, metric as measure, day, avg(value) as value "
        "from int_wearable_samples where metric in (?, ?, ?, ?, ?) group by all",
        list(GAIT_MEASURES),
    )
    enrolled = study.sql("select participant_id, enrolled_on from participants")
    days = days.join(enrolled, on="participant_id").with_columns(
        study_day=(pl.col("day") - pl.col("enrolled_on")).dt.total_days()
    )
    in_baseline, in_follow_up, _ = _in_windows(pl.col("study_day"), windows)
    return (
        days.group_by("participant_id", "measure")
        .agg(
            baseline=pl.col("value").filter(in_baseline).mean(),
            follow_up=pl.col("value").filter(in_follow_up).mean(),
            baseline_days=in_baseline.sum().cast(pl.Int64),
            follow_up_days=in_follow_up.sum().cast(pl.Int64),
        )
        .filter((pl.col("baseline_days") > 0) | (pl.col("follow_up_days") > 0))
        .sort("participant_id", "measure")
    )


def _expected_outcomes(study: Study, windows: VisitWindows) -> pl.DataFrame:
    scores = study.sql(
        "select participant_id, instrument, measured_at, score, study_day from pain_scores "
        "where not is_diary"
    )
    in_baseline, in_follow_up, distance = _in_windows(pl.col("study_day"), windows)
    baseline = (
        scores.filter(in_baseline)
        .sort("measured_at")
        .group_by("participant_id", "instrument")
        .agg(baseline=pl.col("score").last())
    )
    follow_up = (
        scores.filter(in_follow_up)
        .with_columns(distance=distance)
        .sort(["distance", "measured_at"], descending=[False, True])
        .group_by("participant_id", "instrument")
        .agg(follow_up=pl.col("score").first())
    )
    pairs = scores.select("participant_id", "instrument").unique()
    return (
        pairs.join(baseline, on=["participant_id", "instrument"], how="left")
        .join(follow_up, on=["participant_id", "instrument"], how="left")
        .sort("participant_id", "instrument")
    )


@pytest.mark.parametrize("change", WINDOWS, ids=["default", "fractional", "one-day"])
def test_outcomes_and_gait_outcomes_share_the_windows(
    study: Study, change: dict[str, float]
) -> None:
    if change:
        set_visit_windows(study, **change)
    windows = visit_windows(study)
    gait = study.sql(
        "select participant_id, measure, baseline, follow_up, baseline_days, follow_up_days "
        "from gait_outcomes where baseline_days > 0 or follow_up_days > 0 "
        "order by participant_id, measure"
    )
    expected_gait = _expected_gait(study, windows)
    assert expected_gait.height > 0
    assert_frame_equal(gait, expected_gait, check_dtypes=False)
    outcomes = study.sql(
        "select participant_id, instrument, baseline, follow_up from outcomes "
        "order by participant_id, instrument"
    )
    assert_frame_equal(outcomes, _expected_outcomes(study, windows), check_dtypes=False)
    assert outcomes["baseline"].null_count() < outcomes.height


def test_the_window_rule_is_written_once() -> None:
    # the views that apply the windows read int_study_windows and restate none of its settings
    for view in ("outcomes", "gait_outcomes"):
        code = _COMMENT.sub("", view_sql(view))
        assert "int_study_windows" in code
        for setting in (
            "baseline_days_before",
            "follow_up_window_days",
            "study_settings",
            "date_diff",
        ):
            assert setting not in code, (view, setting)
