"""Enrolment, retention and completeness: who is in the cohort and what data each one has.

Pure functions on rows of the public views (polars in, tidy polars out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

FLOW_STAGES = ("enrolled", "with baseline", "with follow-up", "analysed")
ROSTER_FIELDS = ("sex", "age", "bmi", "site")


def enrolment_by_arm(participants: pl.DataFrame) -> pl.DataFrame:
    """One row per arm and condition: participants enrolled (columns arm, condition,
    participants)."""
    return (
        participants.group_by("arm", "condition")
        .agg(pl.len().cast(pl.Int64).alias("participants"))
        .sort("arm", "condition")
    )


def participant_flow(
    participants: pl.DataFrame, outcomes: pl.DataFrame, instrument: str
) -> pl.DataFrame:
    """A CONSORT-style flow per arm for one outcome instrument.

    Stages: *enrolled* (in the cohort), *with baseline* (a baseline score of ``instrument``),
    *with follow-up* (a follow-up score), *analysed* (both: the complete cases a change or
    ANCOVA analysis uses). ``outcomes`` holds rows of the ``outcomes`` view.

    Returns: step (1..4), stage, arm, participants, percent_of_enrolled; arms sorted, then an
    ``all`` arm summing them.
    """
    scores = outcomes.filter(pl.col("instrument") == instrument).select(
        "participant_id",
        pl.col("baseline").is_not_null().alias("has_baseline"),
        pl.col("follow_up").is_not_null().alias("has_follow_up"),
    )
    people = (
        participants.select("participant_id", "arm")
        .join(scores, on="participant_id", how="left")
        .with_columns(pl.col("has_baseline", "has_follow_up").fill_null(False))
    )
    flags = {
        "with baseline": pl.col("has_baseline"),
        "with follow-up": pl.col("has_follow_up"),
        "analysed": pl.col("has_baseline") & pl.col("has_follow_up"),
    }
    counted = people.group_by("arm").agg(
        pl.len().cast(pl.Int64).alias("enrolled"),
        *[flag.sum().cast(pl.Int64).alias(stage) for stage, flag in flags.items()],
    )
    total = counted.select(pl.lit("all").alias("arm"), pl.exclude("arm").sum())
    wide = pl.concat([counted.sort("arm"), total]) if counted.height else counted
    long = wide.unpivot(
        index="arm", on=list(FLOW_STAGES), variable_name="stage", value_name="participants"
    )
    step = {stage: i for i, stage in enumerate(FLOW_STAGES, start=1)}
    enrolled = wide.select("arm", pl.col("enrolled").alias("_enrolled"))
    arm_order = {arm: i for i, arm in enumerate(wide["arm"].to_list())}
    return (
        long.join(enrolled, on="arm")
        .with_columns(
            pl.col("stage").replace_strict(step, return_dtype=pl.Int64).alias("step"),
            pl.col("arm").replace_strict(arm_order, return_dtype=pl.Int64).alias("_arm_order"),
            (100.0 * pl.col("participants") / pl.col("_enrolled")).alias("percent_of_enrolled"),
        )
        .sort("step", "_arm_order")
        .select("step", "stage", "arm", "participants", "percent_of_enrolled")
    )


def data_completeness(
    participants: pl.DataFrame,
    sources: Mapping[str, pl.DataFrame],
    *,
    roster_fields: Sequence[str] = ROSTER_FIELDS,
) -> pl.DataFrame:
    """Share of each arm's participants that have each kind of data.

    ``sources`` maps a label (e.g. ``"treadmill sessions"``) to a frame with a
    ``participant_id`` column; a participant has that data if any row is theirs. Each roster
    field counts the participants where it is filled in.

    Returns: item, arm, participants_with_data, participants, percent; items in the order
    given (roster fields first).
    """
    base = participants.select("participant_id", "arm", *roster_fields)
    flags = [pl.col(f).is_not_null().alias(f"roster: {f}") for f in roster_fields]
    for label, frame in sources.items():
        ids = frame.get_column("participant_id").unique()
        flags.append(pl.col("participant_id").is_in(ids.implode()).alias(label))
    items = [f"roster: {f}" for f in roster_fields] + list(sources)
    flagged = base.select("arm", *flags)
    counted = flagged.group_by("arm").agg(
        pl.len().cast(pl.Int64).alias("participants"),
        *[pl.col(item).sum().cast(pl.Int64) for item in items],
    )
    order = {item: i for i, item in enumerate(items)}
    return (
        counted.unpivot(
            index=["arm", "participants"],
            on=items,
            variable_name="item",
            value_name="participants_with_data",
        )
        .with_columns(
            (100.0 * pl.col("participants_with_data") / pl.col("participants")).alias("percent"),
            pl.col("item").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
        )
        .sort("_order", "arm")
        .select("item", "arm", "participants_with_data", "participants", "percent")
    )


#: Data kinds that only exist for participants with a walking prescription.
PRESCRIPTION_ITEMS = ("treadmill sessions", "per-second treadmill samples", "adherence")


def arms_without_prescription(participants: pl.DataFrame) -> list[str]:
    """Arms in which no participant has a walking prescription (e.g. usual care): adherence and
    treadmill data are "not applicable" there, not missing."""
    if participants.height == 0 or "prescribed_minutes_per_week" not in participants.columns:
        return []
    per_arm = participants.group_by("arm").agg(
        pl.col("prescribed_minutes_per_week").is_null().all().alias("none")
    )
    return sorted(str(a) for a in per_arm.filter(pl.col("none"))["arm"].to_list())
