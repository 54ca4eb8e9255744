"""Analysis frames queried from the demo study through cohorts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit import open_study
from toolkit.analysis_frames import exposure_frame, outcome_frame, trajectory_frame, visit_frame
from toolkit.cohorts import Cohort, save_cohort
from toolkit.errors import UsageError


def test_outcome_frame_has_one_row_per_cohort_member(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        cohort = Cohort(arms=("retro",), age_min=30)
        frame = outcome_frame(study, cohort, "nrs")
        members = study.sql(
            "select participant_id from participants where arm = ? and age >= ? order by 1",
            ["retro", 30],
        )
        exposure = study.sql(
            "select participant_id, avg(retro_minutes) as m from weekly_exposure "
            "group by participant_id"
        )
        outcomes = study.sql("select * from outcomes where instrument = 'nrs'")
    assert frame["participant_id"].to_list() == members["participant_id"].to_list()
    assert frame.columns == [
        "participant_id", "arm", "condition", "sex", "age", "bmi", "site", "baseline",
        "follow_up", "change", "percent_change", "responder", "retro_minutes",
        "forward_minutes", "adherence",
    ]  # fmt: skip
    joined = frame.join(exposure, on="participant_id").join(
        outcomes.select("participant_id", pl.col("change").alias("expected")),
        on="participant_id",
        how="left",
    )
    assert (joined["retro_minutes"] - joined["m"]).abs().max() < 1e-9
    assert joined.filter(pl.col("change") != pl.col("expected")).height == 0
    assert frame["retro_minutes"].min() > 0  # the retro arm walked backwards


def test_usual_care_has_zero_exposure_and_no_adherence(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        frame = outcome_frame(study, Cohort(arms=("usual_care",)), "nrs")
    assert frame.height > 0
    assert frame["retro_minutes"].max() == 0 and frame["adherence"].null_count() == frame.height


def test_saved_cohort_by_name(demo_study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study.duckdb"
    copy.write_bytes(demo_study.read_bytes())
    with open_study(copy) as study:
        save_cohort(study, "women", Cohort(sexes=("female",)))
        frame = trajectory_frame(study, "women", "nrs")
        women = study.sql("select count(*) from participants where sex = 'female'").item()
        assert frame["participant_id"].n_unique() == women
        assert frame["study_week"].to_list() == pytest.approx((frame["study_day"] / 7).to_list())
        with pytest.raises(UsageError, match="No saved cohort named 'men'"):
            outcome_frame(study, "men", "nrs")


def test_visit_and_exposure_frames(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        visits = visit_frame(study, None, "nrs")
        weeks = exposure_frame(study, Cohort(arms=("forward",)))
        with pytest.raises(UsageError, match="The 'instrument' must be one of"):
            visit_frame(study, None, "pain")
    assert set(visits["visit"].unique().to_list()) == {"week6", "week12"}
    assert visits.select(pl.struct("participant_id", "visit").is_duplicated().any()).item() is False
    with_base = visits.drop_nulls("baseline")
    assert (with_base["change"] == with_base["score"] - with_base["baseline"]).all()
    assert set(weeks["arm"].unique().to_list()) == {"forward"}
    assert weeks.group_by("participant_id").len()["len"].max() == 12
