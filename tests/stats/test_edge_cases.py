"""Degenerate inputs give a clear error or note, never garbage (issue 17, item 5).

Reproducers: each of these returned numbers (after floods of numpy warnings) on the old code:
a constant outcome in the mixed model, a visit without variance in the MMRM (df silently 72),
a perfect ANCOVA fit (p from rounding noise), arms silently dropped by responders and mmrm, an
arm named "None" in Table 1 for participants without an arm, and a Wilson lower limit of
5.6e-17 for 0 events (R: ``prop.test(0, 20, correct = FALSE)$conf.int[1]`` is exactly 0).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import ancova, mixed_model, mmrm, responders, table1
from toolkit.stats.responders import wilson_interval


def long(subjects: int = 24, visits: int = 3, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(subjects):
        arm = ["retro", "usual_care"][s % 2]
        person = rng.normal()
        for v in range(visits):
            rows.append(
                (
                    f"P{s:02d}",
                    f"week{2 * (v + 1)}",
                    2.0 * (v + 1),
                    arm,
                    person + 0.3 * v + rng.normal(),
                )
            )
    return pl.DataFrame(rows, schema=["participant_id", "visit", "week", "arm", "y"], orient="row")


def test_constant_outcome_in_mixed_model_is_refused() -> None:
    data = long().with_columns(pl.lit(3.0).alias("y"))
    with pytest.raises(UsageError, match="'y' is constant"):
        mixed_model(data, outcome="y", time="week")


def test_visit_without_variance_in_mmrm_is_refused_by_name() -> None:
    data = long().with_columns(
        pl.when(pl.col("visit") == "week4").then(1.0).otherwise(pl.col("y")).alias("y")
    )
    with pytest.raises(UsageError, match="'y' has no variance at visit 'week4'"):
        mmrm(data, outcome="y", visit="visit", group="arm")


def test_mmrm_refuses_an_arm_with_no_usable_rows_by_name() -> None:
    data = long().with_columns(
        pl.when(pl.col("arm") == "retro").then(None).otherwise(pl.col("y")).alias("y")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        with pytest.raises(UsageError, match=r"'retro'.*no complete row"):
            mmrm(data, outcome="y", visit="visit", group="arm")


def test_perfect_ancova_fit_is_refused() -> None:
    rng = np.random.default_rng(2)
    baseline = rng.normal(5, 1, 20)
    arm = np.repeat(["a", "b"], 10)
    data = pl.DataFrame(
        {"arm": arm, "baseline": baseline, "follow_up": 1 + 0.5 * baseline + (arm == "b")}
    )
    with pytest.raises(UsageError, match="fits the outcome exactly"):
        ancova(data)


def test_responders_refuses_an_arm_with_no_known_response() -> None:
    data = pl.DataFrame(
        {
            "arm": ["a"] * 5 + ["b"] * 5 + ["c"] * 3,
            "responder": [True, False, True, True, False] * 2 + [None] * 3,
        },
        schema={"arm": pl.String, "responder": pl.Boolean},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        with pytest.raises(UsageError, match=r"'c'.*no known response"):
            responders(data)


def test_table1_labels_participants_without_an_arm_as_missing() -> None:
    data = pl.DataFrame(
        {"arm": ["a", "b", None, "None"], "age": [30.0, 40.0, 50.0, 60.0]},
        schema={"arm": pl.String, "age": pl.Float64},
    )
    result = table1(data, continuous=("age",), categorical=())
    groups = result["group"].to_list()
    assert groups == ["None", "a", "b", "(missing)", "all"]
    assert result.filter(pl.col("group") == "(missing)")["mean"][0] == 50.0


def test_wilson_limits_are_exact_at_zero_and_all_events() -> None:
    for n in (3, 6, 7, 10, 12, 20):
        assert wilson_interval(0, n)[0] == 0.0
        assert wilson_interval(n, n)[1] == 1.0
