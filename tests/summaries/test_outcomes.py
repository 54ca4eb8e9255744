"""Table 1 layout and score means over time."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit import open_study, stats
from toolkit.analysis_frames import trajectory_frame
from toolkit.cohorts import Cohort, members
from toolkit.summaries import table1_wide, trajectory_means


def test_table1_wide_has_one_column_per_arm_then_all(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        people = members(study, Cohort())
    long = stats.table1(people)
    wide = table1_wide(long)
    arms = ["retro", "forward", "usual_care"]  # the arms' fixed order, not alphabetical
    counts = people.group_by("arm").len()
    n = dict(counts.iter_rows())
    assert wide.columns == ["characteristic", *[f"{a} (n={n[a]})" for a in arms],
                            f"all (n={people.height})"]  # fmt: skip
    assert wide["characteristic"][0] == "Age (years), mean (SD)"
    age_all = long.filter((pl.col("variable") == "age") & (pl.col("group") == "all"))
    assert wide[0, f"all (n={people.height})"] == age_all["summary"][0]
    female = wide.filter(pl.col("characteristic") == "Sex: Female, n (%)")
    assert female.height == 1
    assert "Condition: Post-ACL reconstruction, n (%)" in wide["characteristic"].to_list()


def test_trajectory_means_put_baseline_in_week_zero(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        scores = trajectory_frame(study, None, "nrs")
    means = trajectory_means(scores)
    weeks = sorted(set(means["study_week"]))
    assert weeks[0] == 0.0 and all(w >= 0 for w in weeks)
    baseline = scores.filter(pl.col("study_day") <= 0)
    per_person = baseline.group_by("participant_id", "arm").agg(pl.col("score").mean())
    retro = per_person.filter(pl.col("arm") == "retro")["score"]
    row = means.filter((pl.col("arm") == "retro") & (pl.col("study_week") == 0)).row(0, named=True)
    assert row["n"] == retro.len()
    assert row["mean"] == pytest.approx(retro.mean())
    assert means["n"].min() >= 3
    sparse = trajectory_means(scores, min_n=1)
    assert sparse.height > means.height  # the demo has a few late visits in week 13
    with pytest.raises(ValueError, match="'bin_days' parameter must be at least 1"):
        trajectory_means(scores, bin_days=0)
