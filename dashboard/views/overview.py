"""Overview: who is in the cohort (Table 1), how many were followed up, what data exists."""

from __future__ import annotations

import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import figure_completeness, figure_participant_flow
from toolkit.format import level_label
from toolkit.summaries import PRESCRIPTION_ITEMS, arms_without_prescription

ctx = context.current()
options = data.filter_options(ctx.source, ctx.version)
st.title("Overview")
st.caption(f"Cohort: {plain(ctx.cohort.describe())}")
instruments = options["instruments"] or ["nrs"]
instrument = st.selectbox(
    "Outcome for the flow",
    instruments,
    index=instruments.index(data.default_instrument(options["instruments"])),
    key="overview_instrument",
)
flow = data.overview_flow(ctx.source, ctx.version, ctx.cohort_json, instrument)
enrolled = flow.filter((flow["arm"] == "all") & (flow["stage"] == "enrolled"))["participants"]
analysed = flow.filter((flow["arm"] == "all") & (flow["stage"] == "analysed"))["participants"]
n_enrolled = int(enrolled.item()) if enrolled.len() else 0
n_analysed = int(analysed.item()) if analysed.len() else 0
cols = st.columns(3)
cols[0].metric(
    "Participants in cohort", n_enrolled, help=f"of {options['participants']} in the study"
)
cols[1].metric(f"With {instrument} baseline and follow-up", n_analysed)
cols[2].metric(
    "Retained",
    f"{100 * n_analysed / n_enrolled:.0f}%" if n_enrolled else "-",
    help="analysed / enrolled",
)

st.subheader("Baseline characteristics (Table 1)")
# Filled in last: Table 1 needs the statistics package, the charts below do not.
table1_area = st.container()

st.subheader("Enrolment and retention")
downloads.figure(
    figure_participant_flow(flow, instrument=instrument), "participant_flow", key="overview_flow"
)
# The tables are filled in after both charts (drawing the first table imports pandas).
flow_table = st.expander("Flow table")

st.subheader("Data completeness")
# After the flow chart: completeness counts wearable days, from the slowest view.
completeness = data.overview_completeness(ctx.source, ctx.version, ctx.cohort_json)
no_prescription = arms_without_prescription(
    data.cohort_view(ctx.source, ctx.version, ctx.cohort_json, "participants")
)
downloads.figure(
    figure_completeness(
        completeness,
        not_applicable=[(i, a) for i in PRESCRIPTION_ITEMS for a in no_prescription],
    ),
    "data_completeness",
    key="overview_completeness",
)
if no_prescription:
    not_prescribed = ", ".join(plain(level_label(a)) for a in no_prescription)
    st.caption(
        f"Not applicable: treadmill data for {not_prescribed} "
        "(no walking prescription in that arm)."
    )
completeness_table = st.expander("Completeness table")
with flow_table:
    downloads.table(flow, "participant_flow", key="overview_flow_table")
with completeness_table:
    downloads.table(completeness, "data_completeness", key="overview_completeness_table")

with table1_area:
    table1 = data.table1(ctx.source, ctx.version, ctx.cohort_json)
    if table1["long"].height:
        downloads.table(table1["wide"], "table1", key="overview_table1")
        st.caption("Mean (SD) for age and BMI; n (%) of participants with a known value otherwise.")
    else:
        st.info("No participants in this cohort.")
