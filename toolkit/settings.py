"""Study settings that change what the views derive: the intervention length and whether diary
entries may be an outcome's baseline or follow-up.

They live in the study's ``study_settings`` table (next to the visit windows of
:mod:`toolkit.visits`), so every view, analysis, report and dashboard reads the same value:

- ``intervention_weeks`` (default 12): study weeks 1..N from the enrolment week are the
  intervention. ``weekly_exposure`` has one row per participant and intervention week, and
  ``participant_exposure``'s weekly means and mean adherence average over those N weeks. A
  6-week trial set to 12 would halve its weekly minutes and adherence.
- ``outcomes_include_diary`` (default False): the ``outcomes`` baseline is the latest
  *scheduled-visit* score in the baseline window and the follow-up the closest scheduled-visit
  score; set it to let diary entries (``visit`` "diary") count too.

Example::

    import toolkit
    from toolkit.settings import set_intervention_weeks

    with toolkit.open_study("study.duckdb") as study:
        set_intervention_weeks(study, 6)        # a 6-week trial

``retrowalk settings STUDY --intervention-weeks 6`` does the same from the command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from toolkit.errors import StudyError, UsageError
from toolkit.study import Study

_DESCRIPTIONS = {
    "intervention_weeks": (
        "Length of the intervention in weeks, from the enrolment week (exposure weeks, weekly "
        "means and adherence count these weeks)"
    ),
    "outcomes_include_diary": (
        '1: diary entries (visit "diary") may be an outcome\'s baseline or follow-up score; '
        "0: scheduled-visit scores only"
    ),
}

#: The longest intervention accepted (weeks): five years.
MAX_INTERVENTION_WEEKS = 260


@dataclass(frozen=True)
class StudySettings:
    """Every row of ``study_settings`` a study has (visit windows included), by key."""

    intervention_weeks: int
    outcomes_include_diary: bool
    baseline_days_before: float
    baseline_days_after: float
    follow_up_day: float
    follow_up_window_days: float


def study_settings(study: Study) -> StudySettings:
    """The study's settings as the views use them now."""
    rows = dict(study.sql("select key, value from study_settings").rows())
    return StudySettings(
        intervention_weeks=int(rows["intervention_weeks"]),
        outcomes_include_diary=bool(rows["outcomes_include_diary"]),
        baseline_days_before=float(rows["baseline_days_before"]),
        baseline_days_after=float(rows["baseline_days_after"]),
        follow_up_day=float(rows["follow_up_day"]),
        follow_up_window_days=float(rows["follow_up_window_days"]),
    )


def intervention_weeks(study: Study) -> int:
    """The study's intervention length in weeks (``study_settings.intervention_weeks``)."""
    return study_settings(study).intervention_weeks


def set_intervention_weeks(study: Study, weeks: int) -> int:
    """Set the intervention length (whole weeks, 1..260); return it.

    Exposure views follow at once: ``weekly_exposure`` gets one row per participant and week
    1..``weeks``, and the weekly means and adherence of ``participant_exposure`` average over
    them.
    """
    valid = (
        isinstance(weeks, int | float)
        and not isinstance(weeks, bool)
        and math.isfinite(weeks)
        and float(weeks).is_integer()
        and 1 <= weeks <= MAX_INTERVENTION_WEEKS
    )
    if not valid:
        raise UsageError(
            "The 'weeks' parameter of set_intervention_weeks must be a whole number of weeks "
            f"from 1 to {MAX_INTERVENTION_WEEKS}. Got {weeks!r} instead."
        )
    _store(study, "intervention_weeks", float(weeks))
    return int(weeks)


def set_outcomes_include_diary(study: Study, include: bool) -> bool:
    """Whether diary entries may be an outcome's baseline or follow-up score; return it."""
    if not isinstance(include, bool):
        raise UsageError(
            "The 'include' parameter of set_outcomes_include_diary must be True or False. "
            f"Got {include!r} instead."
        )
    _store(study, "outcomes_include_diary", 1.0 if include else 0.0)
    return include


def _store(study: Study, key: str, value: float) -> None:
    """Write one setting in its own transaction."""
    if study.read_only:
        raise StudyError("this study was opened read-only; open it with read_only=False")
    conn = study.conn
    conn.execute("begin transaction")
    try:
        conn.execute(
            "insert or replace into study_settings (key, value, description) values (?, ?, ?)",
            [key, value, _DESCRIPTIONS[key]],
        )
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
