"""table1 and missing_summary on small frames with hand-computed values."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import exposure_summary, missing_summary, table1

PEOPLE = pl.DataFrame(
    {
        "arm": ["a", "a", "a", "a", "b", "b", "b"],
        "age": [30.0, 40.0, 50.0, None, 20.0, 22.0, 27.0],
        "sex": ["female", "male", "female", "female", "male", None, "male"],
    }
)


def cell(result: pl.DataFrame, **keys: object) -> dict[str, object]:
    frame = result
    for key, value in keys.items():
        frame = frame.filter(pl.col(key) == value)
    assert frame.height == 1
    return frame.to_dicts()[0]


def test_table1_continuous_and_categorical() -> None:
    result = table1(PEOPLE, continuous=("age",), categorical=("sex",))
    age_a = cell(result, variable="age", group="a")
    assert age_a["n"] == 3 and age_a["missing"] == 1
    assert age_a["mean"] == pytest.approx(40.0)
    assert age_a["sd"] == pytest.approx(10.0)
    assert age_a["summary"] == "40.0 (10.0)"
    # Quartiles as R's quantile(type = 7): linear interpolation.
    age_b = cell(result, variable="age", group="b")
    assert age_b["q1"] == pytest.approx(np.quantile([20, 22, 27], 0.25))
    assert age_b["median"] == pytest.approx(22.0)
    female_a = cell(result, variable="sex", level="female", group="a")
    assert (female_a["count"], female_a["n"]) == (3, 4)
    assert female_a["summary"] == "3 (75.0%)"
    male_b = cell(result, variable="sex", level="male", group="b")
    assert male_b["percent"] == pytest.approx(100.0) and male_b["missing"] == 1
    everyone = cell(result, variable="age", group="all")
    assert everyone["n"] == 6


def test_table1_levels_absent_from_a_group_show_zero() -> None:
    result = table1(PEOPLE, continuous=(), categorical=("sex",))
    female_b = cell(result, variable="sex", level="female", group="b")
    assert female_b["count"] == 0 and female_b["summary"] == "0 (0.0%)"


def test_missing_summary_counts_nulls_and_nans() -> None:
    frame = PEOPLE.with_columns(pl.Series("score", [1.0, float("nan"), None, 2.0, 3.0, 4.0, 5.0]))
    result = missing_summary(frame)
    score_a = cell(result, variable="score", group="a")
    assert (score_a["n"], score_a["missing"]) == (4, 2)
    assert score_a["percent_missing"] == pytest.approx(50.0)
    assert cell(result, variable="sex", group="all")["missing"] == 1


def test_table1_validates_columns() -> None:
    with pytest.raises(UsageError, match="table1 needs column\\(s\\) 'bmi'"):
        table1(PEOPLE, continuous=("bmi",), categorical=())


def test_exposure_summary_by_week_and_per_participant() -> None:
    weekly = pl.DataFrame(
        {
            "participant_id": ["p1", "p1", "p2", "p2", "p3", "p3"],
            "arm": ["retro", "retro", "retro", "retro", "usual_care", "usual_care"],
            "study_week": [1, 2, 1, 2, 1, 2],
            "retro_minutes": [10.0, 20.0, 30.0, 40.0, 0.0, 0.0],
            "adherence": [0.5, 1.0, 1.0, 1.0, None, None],
        }
    )
    by_week = exposure_summary(weekly, columns=("retro_minutes", "adherence"))
    week1 = by_week.filter(
        (pl.col("variable") == "retro_minutes")
        & (pl.col("group") == "retro")
        & (pl.col("study_week") == 1)
    ).to_dicts()[0]
    assert (week1["n"], week1["mean"]) == (2, 20.0)
    # t interval of the mean: 20 +- t(0.975, 1) * sd / sqrt(2), sd = 14.142...
    assert week1["ci_high"] - week1["mean"] == pytest.approx(12.7062 * 10.0, rel=1e-4)
    assert (
        by_week.filter(
            (pl.col("variable") == "adherence") & (pl.col("group") == "usual_care")
        ).height
        == 0
    )  # nulls (no prescription) are left out
    overall = exposure_summary(weekly, by=None, columns=("retro_minutes",))
    retro = overall.filter(pl.col("group") == "retro").to_dicts()[0]
    assert (retro["n"], retro["mean"]) == (2, 25.0)  # participants, not weeks
