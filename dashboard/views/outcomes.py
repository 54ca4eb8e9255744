"""Outcomes: score trajectories, change from baseline, ANCOVA, and responders by MCID."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import figure_change, figure_responders, figure_trajectories
from toolkit.instruments import instruments

RESULT = ["term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n"]


def notes(messages: list[str]) -> None:
    """Statistical caveats under a result."""
    for message in messages:
        st.caption(f"Note: {plain(message)}")


def mcid_text(name: str) -> str:
    """What counts as a response for the instrument, from its definition."""
    known = instruments().get(name)
    if known is None or (known.mcid_points is None and known.mcid_percent is None):
        return "no MCID defined"
    parts = []
    if known.mcid_points is not None:
        parts.append(f"{known.mcid_points:g} points")
    if known.mcid_percent is not None:
        parts.append(f"{known.mcid_percent:g}% of baseline")
    better = "increase" if known.higher_is_better else "decrease"
    return f"MCID: {' or '.join(parts)} {better}"


ctx = context.current()
options = data.filter_options(ctx.source, ctx.version)
st.title("Outcomes")
st.caption(f"Cohort: {plain(ctx.cohort.describe())}")
choices = options["instruments"] or ["nrs"]
left, right = st.columns(2)
instrument = left.selectbox(
    "Outcome",
    choices,
    index=choices.index("nrs") if "nrs" in choices else 0,
    key="outcomes_instrument",
)
# The cohort's arms (not the study's): the reference the plan resolves for this cohort first.
plan_text = data.plan_text()
arms = data.cohort_arms(ctx.source, ctx.version, ctx.cohort_json)
default = data.default_reference(arms, plan_text)
reference = (
    right.selectbox(
        "Reference arm",
        arms,
        index=arms.index(default) if default in arms else 0,
        key=f"outcomes_reference_{'-'.join(arms)}",
    )
    if arms
    else None
)
results = data.outcome_results(
    ctx.source, ctx.version, ctx.cohort_json, instrument, reference, plan_text
)

st.subheader("Trajectories")
summary = st.radio(
    "Arm means",
    ["observed weekly means", "linear mixed model"],
    horizontal=True,
    key="outcomes_trajectory_summary",
    help="The mixed model (random intercept and slope per participant) uses every score and "
    "gives a straight line per arm; it takes longer on large cohorts.",
)
means = results["trajectory_means"]
if summary == "linear mixed model":
    fitted, fit_notes = data.trajectory_model(
        ctx.source, ctx.version, ctx.cohort_json, instrument, reference, plan_text
    )
    notes(fit_notes)
    if fitted is not None:
        means = fitted
downloads.figure(
    figure_trajectories(results["trajectory"], means, instrument=instrument),
    f"{instrument}_trajectories",
    key="outcomes_trajectories",
)
st.caption(
    "Thin lines: individual participants. Thick lines: "
    + (
        "weekly means of participants' scores (scores before enrolment count as week 0)"
        if means is results["trajectory_means"]
        else "the mixed model's fitted mean per arm"
    )
    + ", with 95% CI bands."
)

st.subheader("Change from baseline")
change = results["change"]
if change is not None and change.height:
    downloads.figure(
        figure_change(change, instrument=instrument), f"{instrument}_change", key="outcomes_change"
    )
    downloads.table(
        change.select([*RESULT, "mean_baseline", "mean_follow_up", "hedges_gz"]),
        f"{instrument}_change",
        key="outcomes_change_table",
    )
else:
    st.info("No complete baseline and follow-up pairs in this cohort.")
notes(results["notes"]["change"])

st.subheader("ANCOVA: follow-up adjusted for baseline")
ancova = results["ancova"]
if ancova is not None and ancova.height:
    shown = ancova.filter(pl.col("role").is_in(["difference", "adjusted_mean"]))
    downloads.table(
        shown.select(["role", *RESULT]), f"{instrument}_ancova", key="outcomes_ancova_table"
    )
    method = ancova["method"][0]
    st.caption(
        f"Method: {plain(method)}. Differences are arm minus reference "
        f"({plain(results['reference'])})."
    )
else:
    reasons = results["notes"]["ancova"]
    st.info(reasons[-1] if reasons else "No ANCOVA for this cohort.")
notes(results["notes"]["ancova"])

st.subheader("Responders")
responders = results["responders"]
if responders is not None and responders.height:
    downloads.figure(
        figure_responders(responders, instrument=instrument, mcid=mcid_text(instrument)),
        f"{instrument}_responders",
        key="outcomes_responders",
    )
    downloads.table(
        responders.select(["role", *RESULT]),
        f"{instrument}_responders",
        key="outcomes_responders_table",
    )
else:
    st.info(
        f"No responder status for {plain(instrument)} in this cohort "
        f"({plain(mcid_text(instrument))})."
    )
notes(results["notes"]["responders"])

st.subheader("Repeated measures (MMRM)")
st.caption(
    "Change from baseline at every scheduled visit, unstructured covariance, adjusted for "
    "baseline, arm by visit (diary entries are not visits). Fitted on request: it takes longer "
    "than the rest of the page on large cohorts."
)
if st.toggle("Fit the MMRM", key="outcomes_mmrm"):
    mmrm, mmrm_notes = data.mmrm_result(
        ctx.source, ctx.version, ctx.cohort_json, instrument, reference, plan_text
    )
    if mmrm is not None and mmrm.height:
        shown = mmrm.filter(pl.col("role").is_in(["difference", "adjusted_mean"]))
        downloads.table(
            shown.select(["role", *RESULT]), f"{instrument}_mmrm", key="outcomes_mmrm_table"
        )
        st.caption(f"Method: {plain(mmrm['method'][0])}")
    else:
        st.info("The MMRM needs post-baseline visit scores in at least two arms.")
    notes(mmrm_notes)

st.subheader("The analysis plan")
st.caption(
    "Every analysis of the study's statistical analysis plan on this cohort (primary, "
    "secondary, exploratory and sensitivity), exactly as `retrowalk analyse` and the report run "
    "them; caveats are in the notes column. Run on request: it fits every model."
)
if st.toggle("Run the whole plan", key="outcomes_plan"):
    downloads.table(
        data.plan_table(ctx.source, ctx.version, ctx.cohort_json, plan_text),
        "analysis_plan_results",
        key="outcomes_plan",
    )
