"""Create (or refresh) the study's SQL views from the packaged ``views/*.sql`` files."""

from __future__ import annotations

from importlib import resources

import duckdb

#: Views in dependency order: a view may only read tables and views listed before it.
VIEW_ORDER: tuple[str, ...] = (
    "participants",
    "sessions",
    "treadmill_samples",
    "int_participant_weeks",
    "int_segment_weeks",
    "weekly_exposure",
    "pain_scores",
    "outcomes",
    "int_wearable_samples",
    "int_wearable_sample_days",
    "wearable_daily",
    "wearable_workouts",
    "gait_outcomes",
    "ingest_log",
)

#: The views researchers query; the ``int_`` ones are building blocks.
PUBLIC_VIEWS: tuple[str, ...] = tuple(v for v in VIEW_ORDER if not v.startswith("int_"))


def view_sql(name: str) -> str:
    """The packaged SELECT statement that defines view ``name``."""
    return resources.files("toolkit.db.views").joinpath(f"{name}.sql").read_text("utf-8")


def create_views(conn: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view, in one transaction."""
    conn.execute("begin transaction")
    try:
        for name in VIEW_ORDER:
            conn.execute(f"create or replace view {name} as\n{view_sql(name)}")
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
