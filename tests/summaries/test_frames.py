"""Frames read for a cohort: consistent with the public views they come from."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import open_study
from toolkit.cohorts import Cohort
from toolkit.summaries import (
    ingest_attempts,
    participant_samples,
    participant_sessions,
    participant_view,
    sample_participants,
    segment_weeks,
    unlabelled_segments,
    weekly_speed_incline,
)


def test_segment_weeks_add_up_to_weekly_exposure(demo_study: Path) -> None:
    cohort = Cohort(arms=("retro",))
    with open_study(demo_study, read_only=True) as study:
        segments = segment_weeks(study, cohort)
        weekly = study.sql(
            "select participant_id, study_week, retro_minutes from weekly_exposure "
            "join participants using (participant_id) where arm = 'retro' and retro_minutes > 0"
        )
        unknown = study.sql(
            "select count(*) from sessions join participants using (participant_id) "
            "where arm = 'retro' and direction = 'unknown'"
        ).item()
        unlabelled = unlabelled_segments(study, cohort)
        person_weeks = weekly_speed_incline(study, cohort)
    totals = (
        segments.filter((pl.col("direction") == "backward") & pl.col("study_week").is_not_null())
        .group_by("participant_id", "study_week")
        .agg((pl.col("duration_s").sum() / 60).alias("minutes"))
    )
    joined = weekly.join(totals, on=["participant_id", "study_week"], how="full", coalesce=True)
    assert joined.height == weekly.height > 0
    assert (joined["retro_minutes"] - joined["minutes"]).abs().max() < 1e-9
    assert segments["study_day"].min() >= 0
    # The SQL aggregate per participant-week agrees with aggregating the segments.
    known = segments.filter(pl.col("study_week").is_not_null() & (pl.col("direction") != "unknown"))
    again = known.group_by("participant_id", "direction", "study_week").agg(
        (pl.col("distance_m").sum() / pl.col("duration_s").sum()).alias("speed"),
        (pl.col("duration_s").sum() / 60).alias("minutes_"),
    )
    both = person_weeks.join(again, on=["participant_id", "direction", "study_week"])
    assert both.height == person_weeks.height == again.height
    assert (both["speed_mps"] - both["speed"]).abs().max() < 1e-9
    assert (both["minutes"] - both["minutes_"]).abs().max() < 1e-9
    assert unlabelled.height == unknown


def test_one_participant_sessions_samples_and_scores(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        sampled = sample_participants(study)
        pid = sampled["participant_id"][0]
        sessions = participant_sessions(study, pid)
        first = sessions["session_id"][0]
        samples = participant_samples(study, pid, first)
        direct = study.sql(
            "select avg(heart_rate_bpm) from treadmill_samples where participant_id = ? "
            "and session_id = ?",
            [pid, first],
        ).item()
        pain = participant_view(study, "pain_scores", pid)
        log = ingest_attempts(study)
    assert sampled["samples"].min() > 0
    assert sessions["mean_heart_rate_bpm"].null_count() == 0  # every segment has samples
    seg = sessions.filter(pl.col("session_id") == first)
    weighted = (seg["mean_heart_rate_bpm"] * seg["duration_s"]).sum() / seg["duration_s"].sum()
    assert abs(weighted - direct) < 1.5  # segment means recombine to the session mean
    assert samples["elapsed_s"][0] == 0 and samples["elapsed_s"].is_sorted()
    assert set(pain["participant_id"]) == {pid} and pain["measured_at"].is_sorted()
    assert log["status"].to_list().count("rejected") == 1
    assert log["ingested_at"].is_sorted(descending=True)
