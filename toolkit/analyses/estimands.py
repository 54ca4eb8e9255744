"""Estimand strategies for intercurrent events (ICH E9(R1) addendum, section A.3.2).

An analysis's ``intercurrent_strategy`` says how the intercurrent events recorded in the study
(the ``intercurrent_events`` view: discontinued the intervention, rescue medication, surgery,
other) enter the estimand:

- ``treatment_policy`` (default): the event is part of the treatment being compared; every
  observed value is used, whether measured before or after it.
- ``hypothetical``: the effect had the event not occurred; values measured after a participant's
  first such event are set aside and the visit-based models (MMRM, mixed model,
  reference-based imputation) estimate them from the values before it (under missing at random).

Being lost to follow-up is not an intercurrent event but missing data: it never removes a
value. Only models with repeated visits take ``hypothetical`` (a single follow-up value after
an event would simply be dropped, a complete-case analysis of a different population).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.cohorts import Cohort

STRATEGIES = ("treatment_policy", "hypothetical")
#: Models whose repeated visits let a hypothetical strategy be estimated.
VISIT_MODELS = ("mmrm", "mixed_model", "reference_based")


def first_events(study: Any, cohort: Cohort) -> pl.DataFrame:
    """participant_id and study_day (``event_day``) of each cohort member's first intercurrent
    event (the ``first_intercurrent_events`` view defines which events count)."""
    sql, params = cohort.to_sql()
    return study.sql(
        "select participant_id, study_day as event_day from first_intercurrent_events "
        f"where participant_id in ({sql})",
        params,
    )


def apply_strategy(
    rows: pl.DataFrame, events: pl.DataFrame, strategy: str
) -> tuple[pl.DataFrame, str | None]:
    """``rows`` (one per participant and visit, with ``study_day``) under ``strategy``, and a
    note saying what was set aside (None for treatment policy)."""
    if strategy == "treatment_policy":
        return rows, None
    joined = rows.join(events, on="participant_id", how="left")
    after = pl.col("event_day").is_not_null() & (pl.col("study_day") > pl.col("event_day"))
    kept = joined.filter(~after).drop("event_day")
    dropped = joined.height - kept.height
    people = joined.filter(after)["participant_id"].n_unique()
    note = (
        f"hypothetical strategy (ICH E9(R1)): {dropped} value(s) of {people} participant(s) "
        "measured after a first intercurrent event (discontinued, rescue medication, surgery, "
        "other) set aside and estimated from the earlier visits under missing at random"
    )
    return kept, note
