"""Tidy analysis frames for :mod:`toolkit.stats`, queried from a study's public views.

Each function takes the study and a cohort (a :class:`~toolkit.cohorts.Cohort`, a saved
cohort's name, or ``None`` for everyone), selects the cohort's participants with the cohort's
parameterised SQL, and returns the frame the statistics functions take. Only the public views
(``participants``, ``outcomes``, ``pain_scores``, ``weekly_exposure``) are read; values always
travel as query parameters.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.cohorts import Cohort, load_cohort
from toolkit.errors import UsageError
from toolkit.study import Study


def resolve_cohort(study: Study, cohort: Cohort | str | None) -> Cohort:
    """A cohort object from a definition, a saved cohort's name, or ``None`` (everyone)."""
    if cohort is None:
        return Cohort()
    if isinstance(cohort, str):
        return load_cohort(study, cohort)
    if isinstance(cohort, Cohort):
        return cohort
    raise UsageError(
        f"The 'cohort' must be a Cohort, a saved cohort's name or None. Got {cohort!r} instead."
    )


def _check_instrument(study: Study, instrument: str) -> None:
    known = study.sql("select instrument from ref_instruments order by instrument")[
        "instrument"
    ].to_list()
    if instrument not in known:
        raise UsageError(
            f"The 'instrument' must be one of {', '.join(known)}. Got {instrument!r} instead."
        )


def outcome_frame(study: Study, cohort: Cohort | str | None, instrument: str) -> pl.DataFrame:
    """One row per cohort participant: characteristics, the instrument's outcome and exposure.

    Columns: participant_id, arm, condition, sex, age, bmi, site, baseline, follow_up, change,
    percent_change, responder (null where baseline or follow-up is missing), retro_minutes and
    forward_minutes (mean weekly minutes over the intervention weeks, 0 for usual care),
    adherence (mean weekly adherence; null where nothing is prescribed).
    """
    chosen = resolve_cohort(study, cohort)
    _check_instrument(study, instrument)
    members_sql, params = chosen.to_sql()
    sql = f"""
        with members as ({members_sql}),
        exposure as (
            select participant_id,
                avg(retro_minutes) as retro_minutes,
                avg(forward_minutes) as forward_minutes,
                avg(adherence) as adherence
            from weekly_exposure
            group by participant_id
        ),
        chosen_outcomes as (
            select * from outcomes where instrument = ?
        )
        select p.participant_id, p.arm, p.condition, p.sex, p.age, p.bmi, p.site,
            o.baseline, o.follow_up, o.change, o.percent_change, o.responder,
            coalesce(e.retro_minutes, 0.0) as retro_minutes,
            coalesce(e.forward_minutes, 0.0) as forward_minutes,
            e.adherence
        from participants p
        join members m using (participant_id)
        left join chosen_outcomes o using (participant_id)
        left join exposure e using (participant_id)
        order by p.participant_id
    """
    return study.sql(sql, [*params, instrument])


def trajectory_frame(study: Study, cohort: Cohort | str | None, instrument: str) -> pl.DataFrame:
    """One row per score of the instrument for cohort participants (visits and diary entries).

    Columns: participant_id, arm, condition, study_day, study_week (study_day / 7, float),
    visit, score. Ordered by participant and time.
    """
    chosen = resolve_cohort(study, cohort)
    _check_instrument(study, instrument)
    members_sql, params = chosen.to_sql()
    sql = f"""
        with members as ({members_sql})
        select s.participant_id, p.arm, p.condition, s.study_day,
            s.study_day / 7.0 as study_week, s.visit, s.score
        from pain_scores s
        join members m using (participant_id)
        join participants p using (participant_id)
        where s.instrument = ?
        order by s.participant_id, s.measured_at
    """
    return study.sql(sql, [*params, instrument])


def exposure_frame(study: Study, cohort: Cohort | str | None) -> pl.DataFrame:
    """The cohort's ``weekly_exposure`` rows with arm and condition added."""
    chosen = resolve_cohort(study, cohort)
    members_sql, params = chosen.to_sql()
    sql = f"""
        with members as ({members_sql})
        select w.participant_id, p.arm, p.condition, w.* exclude (participant_id)
        from weekly_exposure w
        join members m using (participant_id)
        join participants p using (participant_id)
        order by w.participant_id, w.week_start
    """
    result: pl.DataFrame = study.sql(sql, params)
    return result


def visit_frame(
    study: Study, cohort: Cohort | str | None, instrument: str, *, baseline_visit: str = "baseline"
) -> pl.DataFrame:
    """One row per post-baseline scheduled visit score, with the participant's baseline score.

    The long format MMRM takes. Columns: participant_id, arm, condition, visit, study_day,
    score, baseline, change (score - baseline). Diary entries are left out.
    """
    chosen = resolve_cohort(study, cohort)
    _check_instrument(study, instrument)
    members_sql, params = chosen.to_sql()
    sql = f"""
        with members as ({members_sql}),
        scores as (
            select * from pain_scores
            where instrument = ? and visit is not null and visit <> 'diary'
        ),
        base as (
            select participant_id, score as baseline from scores
            where visit = ?
            qualify row_number() over (partition by participant_id order by measured_at desc) = 1
        )
        select s.participant_id, p.arm, p.condition, s.visit, s.study_day, s.score,
            b.baseline, s.score - b.baseline as change
        from scores s
        join members m using (participant_id)
        join participants p using (participant_id)
        left join base b using (participant_id)
        where s.visit <> ?
        qualify row_number() over (
            partition by s.participant_id, s.visit order by s.measured_at desc) = 1
        order by s.participant_id, s.study_day
    """
    args: list[Any] = [*params, instrument, baseline_visit, baseline_visit]
    return study.sql(sql, args)


def gait_frame(study: Study, cohort: Cohort | str | None, measure: str) -> pl.DataFrame:
    """One row per cohort participant with the wearable gait measure in the ``gait_outcomes``
    view: participant_id, arm, condition, sex, age, bmi, site, baseline, follow_up, change
    (nulls where a window has no day with data), baseline_days, follow_up_days."""
    chosen = resolve_cohort(study, cohort)
    members_sql, params = chosen.to_sql()
    sql = f"""
        with members as ({members_sql}),
        chosen as (select * from gait_outcomes where measure = ?)
        select p.participant_id, p.arm, p.condition, p.sex, p.age, p.bmi, p.site,
            g.baseline, g.follow_up, g.change, g.baseline_days, g.follow_up_days
        from participants p
        join members m using (participant_id)
        left join chosen g using (participant_id)
        order by p.participant_id
    """
    return study.sql(sql, [*params, measure])
