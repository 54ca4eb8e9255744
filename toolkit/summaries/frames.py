"""Frames the dashboard and reports summarise, read from a study for a cohort.

Each function runs one parameterised query over the public views (values are bound, never
formatted into the SQL) and returns a polars frame at a stated grain. They do no arithmetic
beyond what the query needs to shape the rows: the summaries themselves are pure functions in
the sibling modules, so they can also run on frames filtered in memory.
"""

from __future__ import annotations

import polars as pl

from toolkit.cohorts import Cohort
from toolkit.study import Study


def segment_weeks(study: Study, cohort: Cohort) -> pl.DataFrame:
    """One row per treadmill session segment of the cohort, with its study week and day.

    Columns: participant_id, session_id, segment, direction, started_at, duration_s,
    distance_m, mean_speed_mps, incline_pct, study_week (1..study weeks; null for a session
    outside the intervention weeks), study_day (local calendar days from enrolment).
    """
    members, params = cohort.to_sql()
    return study.sql(
        f"""
        select
            s.participant_id, s.session_id, s.segment, s.direction, s.started_at,
            s.duration_s, s.distance_m, s.mean_speed_mps, s.incline_pct,
            w.study_week,
            cast(date_diff('day', p.enrolled_on,
                cast(timezone(p.timezone, s.session_started_at) as date)) as integer)
                as study_day
        from sessions s
        join participants p using (participant_id)
        left join int_segment_weeks i using (participant_id, session_id, segment)
        left join int_participant_weeks w
            on w.participant_id = s.participant_id and w.week_start = i.week_start
        where s.participant_id in ({members})
        order by s.participant_id, s.started_at, s.segment
        """,
        params,
    )


def weekly_speed_incline(study: Study, cohort: Cohort) -> pl.DataFrame:
    """One row per cohort participant, walking direction and study week with sessions.

    Columns: participant_id, direction (backward or forward), study_week, speed_mps (distance
    over time: the duration-weighted mean speed), incline_pct (duration-weighted mean),
    minutes. Segments that do not record distance or incline (some devices do not) count only
    towards the other measures; a week with none recorded has null there, not zero. Segments
    of unknown direction and sessions outside the intervention weeks are left out. Aggregated
    in SQL: a study has far more segments than participant-weeks.
    """
    members, params = cohort.to_sql()
    return study.sql(
        f"""
        select
            s.participant_id, s.direction, w.study_week,
            sum(s.distance_m)
                / sum(s.duration_s) filter (where s.distance_m is not null) as speed_mps,
            sum(s.incline_pct * s.duration_s)
                / sum(s.duration_s) filter (where s.incline_pct is not null) as incline_pct,
            sum(s.duration_s) / 60.0 as minutes
        from sessions s
        join int_segment_weeks i using (participant_id, session_id, segment)
        join int_participant_weeks w
            on w.participant_id = s.participant_id and w.week_start = i.week_start
        where s.direction in ('backward', 'forward') and s.participant_id in ({members})
        group by s.participant_id, s.direction, w.study_week
        order by s.participant_id, s.direction, w.study_week
        """,
        params,
    )


#: Views whose participants :func:`participants_with` can list.
DATA_VIEWS = ("sessions", "treadmill_samples", "pain_scores", "wearable_daily")


def participants_with(study: Study, view: str) -> pl.DataFrame:
    """The distinct participant_id values having any row in ``view`` (one of ``DATA_VIEWS``)."""
    if view not in DATA_VIEWS:
        raise ValueError(f"The 'view' must be one of {DATA_VIEWS}. Got {view!r} instead.")
    return study.sql(f"select distinct participant_id from {view} order by participant_id")


def instruments_scored(study: Study) -> list[str]:
    """Instruments with at least one score in the study, sorted."""
    found = study.sql("select distinct instrument from pain_scores order by instrument")
    return [str(v) for v in found["instrument"]]


def sample_participants(study: Study) -> pl.DataFrame:
    """One row per participant with per-second treadmill samples: participant_id, samples."""
    return study.sql(
        "select participant_id, count(*) as samples from treadmill_samples "
        "group by participant_id order by participant_id"
    )


def participant_sessions(study: Study, participant_id: str) -> pl.DataFrame:
    """One row per session segment of one participant, with heart rate where samples exist.

    Columns: as :func:`segment_weeks`, plus mean_heart_rate_bpm and max_heart_rate_bpm (from
    ``treadmill_samples`` within the segment's time span; null without samples).
    """
    return study.sql(
        """
        with segs as (
            select s.*, s.started_at + to_microseconds(cast(s.duration_s * 1e6 as bigint))
                as ended_at
            from sessions s where s.participant_id = ?
        ),
        hr as (
            select segs.session_id, segs.segment,
                avg(t.heart_rate_bpm) as mean_heart_rate_bpm,
                max(t.heart_rate_bpm) as max_heart_rate_bpm
            from segs
            join treadmill_samples t
                on t.participant_id = segs.participant_id and t.session_id = segs.session_id
                and t.recorded_at >= segs.started_at and t.recorded_at < segs.ended_at
            group by segs.session_id, segs.segment
        )
        select
            segs.participant_id, segs.session_id, segs.segment, segs.direction,
            segs.started_at, segs.duration_s, segs.distance_m, segs.mean_speed_mps,
            segs.incline_pct,
            cast(date_diff('day', p.enrolled_on,
                cast(timezone(p.timezone, segs.session_started_at) as date)) as integer)
                as study_day,
            hr.mean_heart_rate_bpm, hr.max_heart_rate_bpm
        from segs
        join participants p using (participant_id)
        left join hr using (session_id, segment)
        order by segs.started_at, segs.segment
        """,
        [participant_id],
    )


def participant_samples(study: Study, participant_id: str, session_id: str) -> pl.DataFrame:
    """One row per recorded sample of one session (``treadmill_samples``; empty if none).

    Columns: recorded_at, elapsed_s, speed_mps, incline_pct, heart_rate_bpm, cadence_spm,
    direction.
    """
    return study.sql(
        """
        select recorded_at,
            epoch(recorded_at) - min(epoch(recorded_at)) over () as elapsed_s,
            speed_mps, incline_pct, heart_rate_bpm, cadence_spm, direction
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
