"""Outcome summaries for display: Table 1 laid out wide, and score means over time.

Pure functions on polars frames. The statistics themselves (tests, models) are in
:mod:`toolkit.stats`; these only arrange or average rows for tables and figures.
"""

from __future__ import annotations

import polars as pl

from toolkit.format import column_label, level_label, order_arms
from toolkit.summaries.exposure import mean_ci


def table1_wide(table1: pl.DataFrame) -> pl.DataFrame:
    """``toolkit.stats.table1`` output as the familiar layout: one row per variable and level,
    one column per group (the arms in their fixed order, ``all`` last) holding the summary text.

    Returns: characteristic (``Age (years), mean (SD)`` or ``Sex: Female, n (%)``, as people
    read them: :mod:`toolkit.format`), then one text column per group (``retro (n=30)``).
    """
    if table1.height == 0:
        return pl.DataFrame({"characteristic": []}, schema={"characteristic": pl.String})
    variables = {v: column_label(v) for v in table1["variable"].unique().to_list()}
    levels = {v: level_label(v) for v in table1["level"].drop_nulls().unique().to_list()}
    labelled = table1.with_columns(
        pl.when(pl.col("level").is_null())
        .then(pl.col("variable").replace_strict(variables) + pl.lit(", mean (SD)"))
        .otherwise(
            pl.col("variable").replace_strict(variables)
            + pl.lit(": ")
            + pl.col("level").replace_strict(levels, default=pl.col("level"))
            + pl.lit(", n (%)")
        )
        .alias("characteristic"),
    )
    order = labelled.select("characteristic").unique(maintain_order=True)
    ordered_groups = order_arms(labelled["group"].to_list())
    counts = (
        labelled.group_by("group")
        .agg(pl.col("n").filter(pl.col("level").is_null()).max().alias("n"))
        .to_dicts()
    )
    n_by_group = {row["group"]: row["n"] for row in counts}
    wide = labelled.pivot(on="group", index="characteristic", values="summary")
    renamed = {
        g: f"{g} (n={n_by_group[g]})" if n_by_group.get(g) is not None else g
        for g in ordered_groups
    }
    return (
        order.join(wide, on="characteristic", how="left", maintain_order="left")
        .select("characteristic", *ordered_groups)
        .rename(renamed)
    )


def trajectory_means(
    trajectory: pl.DataFrame, *, bin_days: int = 7, min_n: int = 3, confidence: float = 0.95
) -> pl.DataFrame:
    """Mean score per arm in bins of study days (weeks by default), with a t-based CI.

    ``trajectory`` holds one row per score (``toolkit.analysis_frames.trajectory_frame``). Each
    participant counts once per bin (their mean score in it), so frequent diarists do not
    dominate; scores before enrolment (baseline visits) fall in week 0. Bins with fewer than
    ``min_n`` participants (a few late visits) are dropped rather than drawn as a mean with a
    meaningless interval. Returns: arm,
    study_week (bin centre in weeks), mean, sd, n, ci_low, ci_high.
    """
    if bin_days < 1:
        raise ValueError(f"The 'bin_days' parameter must be at least 1. Got {bin_days} instead.")
    binned = trajectory.with_columns(
        pl.when(pl.col("study_day") <= 0)
        .then(0.0)
        .otherwise((pl.col("study_day") / bin_days).round(0) * bin_days / 7.0)
        .alias("study_week")
    )
    per_person = binned.group_by("participant_id", "arm", "study_week").agg(pl.col("score").mean())
    means = mean_ci(per_person, "score", ["arm", "study_week"], confidence=confidence)
    return means.filter(pl.col("n") >= min_n)
