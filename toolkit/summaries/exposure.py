"""Exposure summaries: minutes per week, adherence per participant, speed and incline
progression.

Pure functions: polars frames in (rows of the public views), a tidy polars frame out. The
participants frame supplies ``arm`` (and ``condition``); joining here keeps the inputs plain
view rows, so the same function serves a cohort read with SQL or filtered in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def mean_ci(
    frame: pl.DataFrame, value: str, by: Sequence[str], *, confidence: float = 0.95
) -> pl.DataFrame:
    """Mean of ``value`` per group with a t-based confidence interval.

    Returns one row per group: the ``by`` columns, mean, sd, n, ci_low, ci_high (null where
    n < 2). Nulls in ``value`` are dropped, not counted.
    """
    if not 0 < confidence < 1:
        raise ValueError(
            f"The 'confidence' parameter of mean_ci must be in (0, 1). Got {confidence} instead."
        )
    # Imported here: scipy takes a noticeable part of a second to import, and the dashboard's
    # first page imports this package without needing a confidence interval.
    from scipy.special import stdtrit

    grouped = (
        frame.filter(pl.col(value).is_not_null())
        .group_by(list(by))
        .agg(
            pl.col(value).mean().alias("mean"),
            pl.col(value).std().alias("sd"),
            pl.len().cast(pl.Int64).alias("n"),
        )
        .sort(list(by))
    )
    half = [
        float(stdtrit(n - 1, 0.5 + confidence / 2)) * sd / n**0.5
        if n >= 2 and sd is not None
        else None
        for n, sd in zip(grouped["n"], grouped["sd"], strict=True)
    ]
    width = pl.Series("half", half, dtype=pl.Float64)
    return grouped.with_columns(
        (pl.col("mean") - width).alias("ci_low"), (pl.col("mean") + width).alias("ci_high")
    )


def _with_arm(frame: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    """``frame`` joined to each participant's arm and condition (inner: cohort members only)."""
    people = participants.select("participant_id", "arm", "condition")
    extra = [c for c in ("arm", "condition") if c in frame.columns]
    return frame.drop(extra).join(people, on="participant_id", how="inner")


def weekly_minutes(
    weekly: pl.DataFrame, participants: pl.DataFrame, *, confidence: float = 0.95
) -> pl.DataFrame:
    """Mean minutes walked per participant and study week, by arm, retro and forward.

    ``weekly`` holds ``weekly_exposure`` rows (weeks without sessions count as zero minutes).
    The means and t intervals are ``toolkit.stats.exposure_summary``'s; this lays them out for
    tables and :func:`toolkit.figures.figure_weekly_minutes`.
    Returns: arm, study_week, measure (retro_minutes, forward_minutes), mean, sd, n, ci_low,
    ci_high.
    """
    from toolkit.stats import exposure_summary

    columns = ["arm", "study_week", "measure", "mean", "sd", "n", "ci_low", "ci_high"]
    joined = _with_arm(weekly, participants)
    if joined.height == 0:
        return pl.DataFrame(schema={c: pl.String if c in ("arm", "measure") else pl.Float64
                                    for c in columns})  # fmt: skip
    summary = exposure_summary(
        joined, columns=("retro_minutes", "forward_minutes"), alpha=1 - confidence
    )
    return summary.rename({"group": "arm", "variable": "measure"}).select(columns)


def adherence_by_participant(exposure: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    """One row per participant with a prescription: mean weekly adherence and minutes.

    ``exposure`` holds ``participant_exposure`` rows, where the means over the study's
    intervention weeks are defined; this keeps the participants with a prescription and adds
    their arm and condition.
    Returns: participant_id, arm, condition, mean_adherence (mean over the intervention weeks
    of minutes in the prescribed direction / prescribed minutes), retro_minutes_per_week,
    forward_minutes_per_week, sessions, weeks_with_sessions, intervention_weeks.
    """
    return (
        _with_arm(exposure, participants)
        .filter(pl.col("mean_adherence").is_not_null())
        .select(
            "participant_id",
            "arm",
            "condition",
            "mean_adherence",
            "retro_minutes_per_week",
            "forward_minutes_per_week",
            "sessions",
            "weeks_with_sessions",
            "intervention_weeks",
        )
        .sort("participant_id")
    )


def progression(
    rows: pl.DataFrame, participants: pl.DataFrame, *, confidence: float = 0.95
) -> pl.DataFrame:
    """Treadmill speed and incline per study week, by arm and walking direction.

    ``rows`` holds ``weekly_progression`` rows (``frames.weekly_speed_incline``): one per
    participant, direction and intervention week, with each participant's duration-weighted
    speed and incline that week, so each participant counts once per week and people with
    many sessions do not dominate.
    Returns: arm, direction, study_week, measure (speed_mps, incline_pct), mean, sd, n,
    ci_low, ci_high.
    """
    person_weeks = rows
    long = _with_arm(person_weeks, participants).unpivot(
        index=["participant_id", "arm", "direction", "study_week"],
        on=["speed_mps", "incline_pct"],
        variable_name="measure",
        value_name="value",
    )
    return mean_ci(
        long, "value", ["arm", "direction", "measure", "study_week"], confidence=confidence
    ).select("arm", "direction", "study_week", "measure", "mean", "sd", "n", "ci_low", "ci_high")
