"""Small tidy summaries of a study that the dashboard and reports show as they are."""

from __future__ import annotations

import polars as pl

from toolkit.study import Study


def enrolment_by_arm(study: Study) -> pl.DataFrame:
    """One row per arm and condition: participants enrolled.

    Columns: arm, condition, participants.
    """
    return study.sql(
        "select arm, condition, count(*) as participants from participants "
        "group by arm, condition order by arm, condition"
    )


def weekly_minutes_by_arm(study: Study) -> pl.DataFrame:
    """One row per arm and study week: mean retro and forward minutes per participant.

    Columns: arm, study_week, retro_minutes, forward_minutes, participants.
    """
    return study.sql(
        "select p.arm, w.study_week, avg(w.retro_minutes) as retro_minutes, "
        "avg(w.forward_minutes) as forward_minutes, count(*) as participants "
        "from weekly_exposure w join participants p using (participant_id) "
        "group by p.arm, w.study_week order by p.arm, w.study_week"
    )
