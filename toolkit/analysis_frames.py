"""Tidy analysis frames for :mod:`toolkit.stats`, queried from a study's public views.

Each function takes the study and a cohort (a :class:`~toolkit.cohorts.Cohort`, a saved
cohort's name, or ``None`` for everyone), selects the cohort's participants with the cohort's
parameterised SQL, and returns the frame the statistics functions take. Only the public views
(``participant_outcomes``, ``score_trajectories``, ``exposure_weeks``, ``visit_scores``,
``gait_outcomes``) are
read, and only selected from: every derivation (baseline, exposure means, study weeks) is
defined once in the study's views (``toolkit/db/views``). Values always travel as query
parameters.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.cohorts import Cohort, resolve_cohort
from toolkit.errors import UsageError
from toolkit.study import Study


def _check_instrument(study: Study, instrument: str) -> None:
    known = study.sql("select instrument from ref_instruments order by instrument")[
        "instrument"
    ].to_list()
    if instrument not in known:
        raise UsageError(
            f"The 'instrument' must be one of {', '.join(known)}. Got {instrument!r} instead."
        )


def _rows(
    study: Study,
    view: str,
    columns: str,
    cohort: Cohort | str | None,
    where: str = "",
    params: list[Any] | None = None,
    order: str = "participant_id",
) -> pl.DataFrame:
    """The cohort's rows of public view ``view``: a selection, never a derivation."""
    chosen = resolve_cohort(study, cohort)
    members_sql, member_params = chosen.to_sql()
    sql = (
        f"select {columns} from {view} "
        f"where participant_id in ({members_sql}) {where} order by {order}"
    )
    return study.sql(sql, [*member_params, *(params or [])])


def outcome_frame(study: Study, cohort: Cohort | str | None, instrument: str) -> pl.DataFrame:
    """One row per cohort participant: characteristics, the instrument's outcome and exposure.

    Rows of the ``participant_outcomes`` view. Columns: participant_id, arm, condition, sex,
    age, bmi, site, baseline, follow_up, change, percent_change, responder (null where baseline
    or follow-up is missing), retro_minutes and forward_minutes (mean weekly minutes over the
    study's intervention weeks, ``toolkit.settings.intervention_weeks``; 0 for usual care),
    adherence (mean weekly adherence; null where nothing is prescribed).
    """
    _check_instrument(study, instrument)
    columns = (
        "participant_id, arm, condition, sex, age, bmi, site, baseline, follow_up, change, "
        "percent_change, responder, retro_minutes, forward_minutes, adherence"
    )
    return _rows(study, "participant_outcomes", columns, cohort, "and instrument = ?", [instrument])


def trajectory_frame(study: Study, cohort: Cohort | str | None, instrument: str) -> pl.DataFrame:
    """One row per score of the instrument for cohort participants (visits and diary entries).

    Rows of the ``score_trajectories`` view. Columns: participant_id, arm, condition,
    study_day, study_week (study_day / 7, float), visit, score. Ordered by participant and time.
    """
    _check_instrument(study, instrument)
    columns = "participant_id, arm, condition, study_day, study_week, visit, score"
    return _rows(
        study,
        "score_trajectories",
        columns,
        cohort,
        "and instrument = ?",
        [instrument],
        order="participant_id, measured_at",
    )


def exposure_frame(study: Study, cohort: Cohort | str | None) -> pl.DataFrame:
    """The cohort's ``weekly_exposure`` rows with arm and condition (the ``exposure_weeks``
    view): one row per participant and intervention week."""
    return _rows(study, "exposure_weeks", "*", cohort, order="participant_id, week_start")


def visit_frame(study: Study, cohort: Cohort | str | None, instrument: str) -> pl.DataFrame:
    """One row per scheduled visit after the baseline window, with the participant's baseline.

    The long format MMRM takes: rows of the ``visit_scores`` view, whose baseline is the
    ``outcomes`` view's (one baseline for every analysis). Columns: participant_id, arm,
    condition, visit, study_day, score, baseline, change (score - baseline). Diary entries are
    left out.
    """
    _check_instrument(study, instrument)
    columns = "participant_id, arm, condition, visit, study_day, score, baseline, change"
    return _rows(
        study,
        "visit_scores",
        columns,
        cohort,
        "and instrument = ?",
        [instrument],
        order="participant_id, study_day, visit",
    )


def gait_frame(study: Study, cohort: Cohort | str | None, measure: str) -> pl.DataFrame:
    """One row per cohort participant for a wearable gait measure (``gait_outcomes``).

    Columns: participant_id, arm, condition, sex, age, bmi, site, baseline and follow_up (the
    measure's mean over the days of each visit window; null without such a day), change,
    baseline_days, follow_up_days, retro_minutes, forward_minutes, adherence.
    """
    columns = (
        "participant_id, arm, condition, sex, age, bmi, site, baseline, follow_up, change, "
        "baseline_days, follow_up_days, retro_minutes, forward_minutes, adherence"
    )
    return _rows(study, "gait_outcomes", columns, cohort, "and measure = ?", [measure])
