"""Frames the dashboard and reports summarise, read from a study for a cohort.

Each function runs one parameterised query over the public views (values are bound, never
formatted into the SQL) and returns a polars frame at a stated grain. They select rows and
never derive: joins, aggregates and study weeks are defined once in the views
(``toolkit/db/views``); the summaries themselves are pure functions in the sibling modules, so
they can also run on frames filtered in memory.
"""

from __future__ import annotations

import polars as pl

from toolkit.cohorts import Cohort
from toolkit.study import Study


def segment_weeks(study: Study, cohort: Cohort) -> pl.DataFrame:
    """One row per treadmill session segment of the cohort, with its study week and day.

    Rows of the ``sessions`` view. Columns: participant_id, session_id, segment, direction,
    started_at, duration_s, distance_m, mean_speed_mps, incline_pct, study_week (1..intervention
    weeks; null for a session outside the intervention), study_day (local calendar days from
    enrolment).
    """
    members, params = cohort.to_sql()
    return study.sql(
        f"""
        select
            participant_id, session_id, segment, direction, started_at, duration_s,
            distance_m, mean_speed_mps, incline_pct, study_week, study_day
        from sessions
        where participant_id in ({members})
        order by participant_id, started_at, segment
        """,
        params,
    )


def weekly_speed_incline(study: Study, cohort: Cohort) -> pl.DataFrame:
    """One row per cohort participant, walking direction and study week with sessions.

    Rows of the ``weekly_progression`` view. Columns: participant_id, direction (backward or
    forward), study_week, speed_mps (distance over time: the duration-weighted mean speed),
    incline_pct (duration-weighted mean), minutes. Segments that do not record distance or
    incline count only towards the other measures; a week with none recorded has null there.
    """
    members, params = cohort.to_sql()
    return study.sql(
        f"""
        select participant_id, direction, study_week, speed_mps, incline_pct, minutes
        from weekly_progression
        where participant_id in ({members})
        order by participant_id, direction, study_week
        """,
        params,
    )


#: Views whose participants :func:`participants_with` can list, and the ``participant_data``
#: column that counts each participant's rows of them.
DATA_VIEWS = {
    "sessions": "segments",
    "treadmill_samples": "samples",
    "pain_scores": "scores",
    "wearable_daily": "wearable_days",
}


def participants_with(study: Study, view: str) -> pl.DataFrame:
    """The participant_id values having any row in ``view`` (one of ``DATA_VIEWS``), from the
    ``participant_data`` view."""
    if view not in DATA_VIEWS:
        raise ValueError(f"The 'view' must be one of {tuple(DATA_VIEWS)}. Got {view!r} instead.")
    return study.sql(
        f"select participant_id from participant_data where {DATA_VIEWS[view]} > 0 "
        "order by participant_id"
    )


def instruments_scored(study: Study) -> list[str]:
    """Instruments with at least one score in the study, sorted."""
    found = study.sql("select distinct instrument from pain_scores order by instrument")
    return [str(v) for v in found["instrument"]]


def sample_participants(study: Study) -> pl.DataFrame:
    """One row per participant with per-second treadmill samples: participant_id, samples."""
    return study.sql(
        "select participant_id, samples from participant_data where samples > 0 "
        "order by participant_id"
    )


def participant_sessions(study: Study, participant_id: str) -> pl.DataFrame:
    """One row per session segment of one participant, with heart rate where samples exist.

    Rows of the ``segment_details`` view. Columns: participant_id, session_id, segment,
    direction, started_at, duration_s, distance_m, mean_speed_mps, incline_pct, study_day,
    mean_heart_rate_bpm and max_heart_rate_bpm (from ``treadmill_samples`` within the
    segment's time span; null without samples).
    """
    return study.sql(
        "select * from segment_details where participant_id = ? order by started_at, segment",
        [participant_id],
    )


def participant_samples(study: Study, participant_id: str, session_id: str) -> pl.DataFrame:
    """One row per recorded sample of one session (``treadmill_samples``; empty if none).

    Columns: recorded_at, elapsed_s (seconds since the session started), speed_mps,
    incline_pct, heart_rate_bpm, cadence_spm, direction.
    """
    return study.sql(
        """
        select recorded_at, elapsed_s, speed_mps, incline_pct, heart_rate_bpm, cadence_spm,
            direction
        from treadmill_samples
        where participant_id = ? and session_id = ?
        order by recorded_at
        """,
        [participant_id, session_id],
    )


def participant_view(study: Study, view: str, participant_id: str) -> pl.DataFrame:
    """One participant's rows of ``pain_scores``, ``outcomes``, ``wearable_daily``,
    ``weekly_exposure`` or ``participants`` (ordered by the view's time column)."""
    order = {
        "pain_scores": "measured_at, instrument",
        "outcomes": "instrument",
        "wearable_daily": "day",
        "weekly_exposure": "week_start",
        "participants": "participant_id",
    }
    if view not in order:
        raise ValueError(f"The 'view' must be one of {sorted(order)}. Got {view!r} instead.")
    return study.sql(
        f"select * from {view} where participant_id = ? order by {order[view]}", [participant_id]
    )


def ingest_attempts(study: Study) -> pl.DataFrame:
    """Every ingest attempt, newest first (the ``ingest_log`` view, ``rows`` as JSON text)."""
    return study.sql(
        "select attempt_id, ingested_at, status, format, path, cast(rows as varchar) as rows, "
        "error_position, error, sha256, toolkit_version from ingest_log "
        "order by ingested_at desc, attempt_id desc"
    )


def unlabelled_segments(study: Study, cohort: Cohort) -> pl.DataFrame:
    """The cohort's session segments whose walking direction is unknown (left blank in the
    export, or a device that does not record it), with the file they came from.

    Columns: participant_id, session_id, segment, started_at, duration_s, mean_speed_mps,
    source, device.
    """
    members, params = cohort.to_sql()
    return study.sql(
        f"""
        select participant_id, session_id, segment, started_at, duration_s, mean_speed_mps,
            source, device
        from sessions
        where direction = 'unknown' and participant_id in ({members})
        order by participant_id, started_at, segment
        """,
        params,
    )
