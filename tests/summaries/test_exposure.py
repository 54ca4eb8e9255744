"""Exposure summaries against direct SQL over the views, and the mean CI against R."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.cohorts import Cohort, members, select_view
from toolkit.summaries import (
    adherence_by_participant,
    mean_ci,
    progression,
    segment_weeks,
    weekly_minutes,
    weekly_speed_incline,
)


def test_mean_ci_matches_r_t_test() -> None:
    # R: t.test(c(1, 2, 3, 4, 5))$conf.int -> 1.036757 4.963243 (mean 3, sd 1.581139)
    frame = pl.DataFrame({"g": ["a"] * 5 + ["b"], "v": [1.0, 2, 3, 4, 5, 7]})
    out = mean_ci(frame, "v", ["g"])
    a = out.filter(pl.col("g") == "a").row(0, named=True)
    assert a["mean"] == pytest.approx(3.0)
    assert a["sd"] == pytest.approx(1.581139, abs=1e-6)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((1.036757, 4.963243), abs=1e-6)
    b = out.filter(pl.col("g") == "b").row(0, named=True)
    assert b["n"] == 1 and b["ci_low"] is None  # no interval from one value
    with pytest.raises(ValueError, match="'confidence' parameter of mean_ci must be in"):
        mean_ci(frame, "v", ["g"], confidence=1.5)


def test_weekly_minutes_and_adherence_match_sql(demo_study: Path) -> None:
    cohort = Cohort(conditions=("knee_oa",))
    with open_study(demo_study, read_only=True) as study:
        people = members(study, cohort)
        weekly = select_view(study, "weekly_exposure", cohort)
        exposure = select_view(study, "participant_exposure", cohort)
        expected = study.sql(
            "select p.arm, w.study_week, avg(w.retro_minutes) as mean, count(*) as n "
            "from weekly_exposure w join participants p using (participant_id) "
            "where p.condition = 'knee_oa' group by all"
        )
        adherence = study.sql(
            "select participant_id, avg(adherence) as a from weekly_exposure "
            "join participants using (participant_id) where condition = 'knee_oa' "
            "and prescribed_direction is not null group by participant_id"
        )
    got = weekly_minutes(weekly, people).filter(pl.col("measure") == "retro_minutes")
    joined = got.join(expected, on=["arm", "study_week"], suffix="_sql")
    assert joined.height == expected.height > 0
    assert (joined["mean"] - joined["mean_sql"]).abs().max() < 1e-9
    assert (joined["n"] == joined["n_sql"]).all()
    assert weekly_minutes(weekly.clear(), people).height == 0
    per_person = adherence_by_participant(exposure, people).join(adherence, on="participant_id")
    assert per_person.height == adherence.height > 0
    assert (per_person["mean_adherence"] - per_person["a"]).abs().max() < 1e-9
    assert set(per_person["arm"]) == {"retro", "forward"}  # usual care has no prescription


def test_backward_speed_rises_as_the_demo_model_prescribes(demo_study: Path) -> None:
    # MODEL.md: backward speed starts near 0.45 m/s and rises 0.035 m/s per week.
    with open_study(demo_study, read_only=True) as study:
        people = members(study, Cohort())
        person_weeks = weekly_speed_incline(study, Cohort())
        segments = segment_weeks(study, Cohort())
    out = progression(person_weeks, people)
    # the view's per-person weeks recomputed here from the session segments
    by_hand = (
        segments.filter(
            pl.col("study_week").is_not_null() & pl.col("direction").is_in(["backward", "forward"])
        )
        .group_by("participant_id", "direction", "study_week")
        .agg(
            (
                pl.col("distance_m").sum()
                / pl.col("duration_s").filter(pl.col("distance_m").is_not_null()).sum()
            ).alias("speed_by_hand"),
        )
    )
    both = person_weeks.join(by_hand, on=["participant_id", "direction", "study_week"])
    assert both.height == person_weeks.height == by_hand.height
    assert (both["speed_mps"] - both["speed_by_hand"]).abs().max() < 1e-9
    out = out.filter(
        (pl.col("arm") == "retro")
        & (pl.col("direction") == "backward")
        & (pl.col("measure") == "speed_mps")
    )
    weeks = out.sort("study_week")
    slope = (weeks["mean"][-1] - weeks["mean"][0]) / (
        weeks["study_week"][-1] - weeks["study_week"][0]
    )
    assert slope == pytest.approx(0.035, abs=0.01)
    assert weeks["mean"][0] == pytest.approx(0.45 + 0.035, abs=0.06)


def test_progression_weights_by_duration_and_skips_unrecorded_values(tmp_path: Path) -> None:
    # Week 1: 60 s at 1.0 m/s and 2% incline, 120 s at 0.5 m/s with no incline recorded
    # (a device without incline). Speed = 120 m / 180 s; incline = 2% (not diluted to 0.67%).
    # Week 2: nothing recorded for incline at all -> no incline value, not 0%.
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "sessions.csv",
        "participant_id,session_id,segment,started_at,duration_s,direction,distance_m,"
        "incline_pct\n"
        "P1,S1,0,2025-03-05T10:00:00+00:00,60,backward,60,2\n"
        "P1,S1,1,2025-03-05T10:01:00+00:00,120,backward,60,\n"
        "P1,S2,0,2025-03-12T10:00:00+00:00,100,backward,50,\n",
    )
    with open_study(tmp_path / "s.duckdb") as study:
        assert study.ingest([raw]).exit_code == 0
        segments = weekly_speed_incline(study, Cohort())
    people = pl.DataFrame({"participant_id": ["P1"], "arm": ["retro"], "condition": ["x"]})
    out = progression(segments, people)
    got = {(r["study_week"], r["measure"]): r["mean"] for r in out.iter_rows(named=True)}
    assert got == {
        (1, "speed_mps"): pytest.approx(120 / 180),
        (1, "incline_pct"): pytest.approx(2.0),
        (2, "speed_mps"): pytest.approx(0.5),
    }
