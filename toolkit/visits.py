"""Baseline and follow-up windows of a study, which the ``outcomes`` view applies.

A study keeps its windows in ``study_settings``; they count calendar days in the participant's
time zone from enrolment (day 0, ``pain_scores.study_day``):

- **baseline**: the latest score from ``baseline_days_before`` days before enrolment to
  ``baseline_days_after`` days after it (``0`` = on or before day 0);
- **follow-up**: the score closest to ``follow_up_day`` within plus or minus
  ``follow_up_window_days`` days (the later one on a tie).

Example, "baseline = last score on or before day 0; follow-up = closest to week 6 within
+-7 days"::

    import toolkit
    from toolkit.visits import set_visit_windows

    with toolkit.open_study("study.duckdb") as study:
        set_visit_windows(study, baseline_days_after=0, follow_up_week=6, follow_up_window_days=7)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import duckdb

from toolkit.errors import StudyError, UsageError
from toolkit.study import Study


@dataclass(frozen=True)
class VisitWindows:
    """A study's windows, in days relative to enrolment (see the module docstring)."""

    baseline_days_before: float = 30.0
    baseline_days_after: float = 0.0
    follow_up_day: float = 84.0
    follow_up_window_days: float = 14.0


_DESCRIPTIONS = {
    "baseline_days_before": "Baseline: last score from this many days before enrolment ...",
    "baseline_days_after": "... up to this many days after enrolment (day 0)",
    "follow_up_day": "Follow-up: the score closest to this study day ...",
    "follow_up_window_days": "... within plus or minus this many days",
}


def visit_windows(study: Study) -> VisitWindows:
    """The windows the study's ``outcomes`` view uses now."""
    rows = dict(
        study.sql(
            "select key, value from study_settings where key in (?, ?, ?, ?)", list(_DESCRIPTIONS)
        ).rows()
    )
    defaults = VisitWindows()
    return VisitWindows(
        **{f.name: float(rows.get(f.name, getattr(defaults, f.name))) for f in fields(defaults)}
    )


MAX_DAYS = 3660.0
"""The widest reach of a window setting, in days (ten years): int_study_windows lists every
study day inside a window for every participant, so a window must be a bounded span."""


def _check(name: str, value: float | None, *, minimum: float | None) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    low = -MAX_DAYS if minimum is None else minimum
    if ok and low <= value <= MAX_DAYS:
        return
    bound = f"a finite number from {low:g} to {MAX_DAYS:g}"
    raise UsageError(
        f"The '{name}' parameter of set_visit_windows must be {bound}. Got {value!r} instead."
    )


def set_visit_windows(
    study: Study,
    *,
    baseline_days_before: float | None = None,
    baseline_days_after: float | None = None,
    follow_up_day: float | None = None,
    follow_up_week: float | None = None,
    follow_up_window_days: float | None = None,
) -> VisitWindows:
    """Change the study's windows (arguments left ``None`` keep their value); return them all.

    ``follow_up_week`` is a shorthand for ``follow_up_day = 7 * follow_up_week``. The change is
    one transaction, so the ``outcomes`` view never sees half of it.
    """
    if study.read_only:
        raise StudyError("this study was opened read-only; open it with read_only=False")
    _check("baseline_days_before", baseline_days_before, minimum=0)
    _check("baseline_days_after", baseline_days_after, minimum=None)
    _check("follow_up_day", follow_up_day, minimum=None)
    _check("follow_up_week", follow_up_week, minimum=None)
    _check("follow_up_window_days", follow_up_window_days, minimum=0)
    if follow_up_week is not None:
        if follow_up_day is not None:
            raise UsageError(
                "set_visit_windows takes follow_up_day or follow_up_week, not both. "
                f"Got {follow_up_day!r} and {follow_up_week!r} instead."
            )
        follow_up_day = 7.0 * follow_up_week
        _check("follow_up_day", follow_up_day, minimum=None)
    current = visit_windows(study)
    new = VisitWindows(
        baseline_days_before=_pick(baseline_days_before, current.baseline_days_before),
        baseline_days_after=_pick(baseline_days_after, current.baseline_days_after),
        follow_up_day=_pick(follow_up_day, current.follow_up_day),
        follow_up_window_days=_pick(follow_up_window_days, current.follow_up_window_days),
    )
    if -new.baseline_days_before > new.baseline_days_after:
        raise UsageError(
            "The baseline window of set_visit_windows is empty: it runs from day "
            f"{-new.baseline_days_before:g} to day {new.baseline_days_after:g}."
        )
    conn = study.conn
    conn.execute("begin transaction")
    try:
        for name, description in _DESCRIPTIONS.items():
            conn.execute(
                "insert or replace into study_settings (key, value, description) values (?, ?, ?)",
                [name, getattr(new, name), description],
            )
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
    return new


def _pick(value: float | None, current: float) -> float:
    return current if value is None else float(value)
