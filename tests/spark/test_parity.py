"""Parity: the demo study, exported to a lake and served by Spark, gives DuckDB's answers.

Stated tolerance: row counts and every non-float value exact; floats to a relative 1e-9 (Spark
and DuckDB sum in different orders); timestamps compared as UTC instants (local wall-clock
times, which DuckDB returns naive and Spark as UTC-labelled, compared as wall-clock values);
column types of the same kind (an integer may be 32-bit on one engine and 64-bit on the other).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit import analysis_frames as frames
from toolkit.cohorts import Cohort
from toolkit.db.portable import SPARK_FUNCTIONS
from toolkit.db.views_sql import VIEW_ORDER
from toolkit.lake import export_study
from toolkit.study import Study, open_study

RTOL = 1e-9


@pytest.fixture(scope="module")
def demo40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-participant demo study (the project's generator)."""
    from retrowalk_demo import build_demo

    path = tmp_path_factory.mktemp("demo40") / "study.duckdb"
    build_demo(path, participants=40, seed=11, progress=False)
    return path


@pytest.fixture(scope="module")
def duck(demo40: Path) -> Iterator[Study]:
    with open_study(demo40, read_only=True) as study:
        yield study


@pytest.fixture(scope="module")
def on_spark(demo40: Path, spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from toolkit.spark import open_spark_study

    lake = tmp_path_factory.mktemp("lake40") / "lake"
    export_study(demo40, lake, buckets=4)
    study = open_spark_study(lake, spark)
    yield study
    study.close()


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    """Times as UTC (aware) or wall clock (naive), rows in a fixed order."""
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            fixes.append(pl.col(name).dt.convert_time_zone("UTC"))
    frame = frame.with_columns(fixes)
    return frame.sort(frame.columns, nulls_last=True)


def assert_parity(got: pl.DataFrame, want: pl.DataFrame, what: str) -> None:
    assert got.columns == want.columns, what
    assert got.height == want.height, what
    left, right = normalised(got), normalised(want)
    # local wall-clock columns: DuckDB says TIMESTAMP (naive), Spark a UTC-labelled TIMESTAMP
    for name, dtype in right.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            column = left[name]
            if isinstance(column.dtype, pl.Datetime) and column.dtype.time_zone is not None:
                left = left.with_columns(pl.col(name).dt.replace_time_zone(None))
    left = normalised(left)
    # same kind of type per column; integer widths may differ (Spark's length() is INT,
    # DuckDB's BIGINT), so values are compared after that check
    assert [_kind(d) for d in left.dtypes] == [_kind(d) for d in right.dtypes], (
        what,
        left.schema,
        right.schema,
    )
    assert_frame_equal(left, right, check_exact=False, rtol=RTOL, atol=0.0, check_dtypes=False)


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    return str(dtype)


def test_allow_list_names_are_spark_builtins(spark: Any) -> None:
    known = {row[0].upper() for row in spark.sql("show functions").collect()}
    assert known >= SPARK_FUNCTIONS, sorted(SPARK_FUNCTIONS - known)


@pytest.mark.parametrize("view", VIEW_ORDER)
def test_view_matches_duckdb(view: str, on_spark: Any, duck: Study) -> None:
    assert_parity(on_spark.sql(f"select * from {view}"), duck.sql(f"select * from {view}"), view)


COHORTS = [Cohort(), Cohort(arms=("retro", "usual_care"), age_min=40.0, complete_for="nrs")]


@pytest.mark.parametrize("cohort", COHORTS, ids=["everyone", "filtered"])
def test_cohorts_and_frames_match(cohort: Cohort, on_spark: Any, duck: Study) -> None:
    assert_parity(on_spark.cohort(cohort), duck.cohort(cohort), "cohort")
    for name, build in (
        ("outcome", lambda s: frames.outcome_frame(s, cohort, "nrs")),
        ("trajectory", lambda s: frames.trajectory_frame(s, cohort, "nrs")),
        ("exposure", lambda s: frames.exposure_frame(s, cohort)),
        ("visit", lambda s: frames.visit_frame(s, cohort, "koos_pain")),
    ):
        assert_parity(build(on_spark), build(duck), name)


@pytest.mark.parametrize("analysis", ["change", "ancova", "responders"])
def test_statistics_match(analysis: str, on_spark: Any, duck: Study) -> None:
    """toolkit.stats, unchanged, on the frames each engine collects."""
    from toolkit import stats

    run = {
        "change": stats.change_from_baseline,
        "ancova": stats.ancova,
        "responders": stats.responders,
    }[analysis]
    want = run(frames.outcome_frame(duck, None, "nrs"))
    got = run(frames.outcome_frame(on_spark, None, "nrs"))
    assert want.height > 0
    assert_parity(got, want, analysis)


def test_values_are_bound_not_formatted(on_spark: Any) -> None:
    hostile = "retro' or '1' = '1"
    assert on_spark.sql("select * from participants where arm = ?", [hostile]).height == 0
    assert on_spark.sql("select * from participants where arm = ?", ["retro"]).height > 0


@pytest.mark.timeout(900)  # every section's queries, one Spark job each
def test_report_builds_on_spark(on_spark: Any, tmp_path: Path) -> None:
    from toolkit.report import build_report

    result = build_report(on_spark, None, tmp_path / "report.html", extracts=False)
    text = result.html.read_text("utf-8")
    assert "retrowalk report: lake" in text
    assert "provenance" in result.sections


def test_analysis_plan_matches(on_spark: Any, duck: Study) -> None:
    """toolkit.analyses.run_plan on the Spark-backed study (only its .sql) gives DuckDB's rows."""
    from toolkit.analyses import default_plan, execute_plan

    only = ("primary", "nrs_responders", "dose_response", "kujala", "walking_speed")
    got = execute_plan(on_spark, default_plan(), None, only=only, curves=False).table
    want = execute_plan(duck, default_plan(), None, only=only, curves=False).table
    assert want.filter(pl.col("status") == "ok").height > 0
    assert_parity(got, want, "analysis plan")
