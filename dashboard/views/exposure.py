"""Exposure: minutes walked per week, adherence to the prescription, speed and incline."""

from __future__ import annotations

import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import figure_adherence, figure_progression, figure_weekly_minutes

ctx = context.current()
st.title("Exposure")
st.caption(f"Cohort: {plain(ctx.cohort.describe())}")
tables = data.exposure_tables(ctx.source, ctx.version, ctx.cohort_json)

st.subheader("Minutes per week")
downloads.figure(
    figure_weekly_minutes(tables["weekly_minutes"]), "weekly_minutes", key="exposure_weekly"
)
st.caption(
    "Each participant counts every intervention week, sessions or not (zero minutes); "
    "bands are 95% t intervals of the mean."
)
with st.expander("Weekly minutes table"):
    downloads.table(tables["weekly_minutes"], "weekly_minutes", key="exposure_weekly_table")

st.subheader("Adherence")
downloads.figure(figure_adherence(tables["adherence"]), "adherence", key="exposure_adherence")
st.caption(
    "Mean over the intervention weeks of minutes walked in the prescribed direction divided "
    "by the prescribed minutes; arms without a prescription (usual care) are not shown."
)
with st.expander("Adherence per participant"):
    downloads.table(tables["adherence"], "adherence", key="exposure_adherence_table")

st.subheader("Speed and incline progression")
downloads.figure(
    figure_progression(tables["progression"]), "progression", key="exposure_progression"
)
with st.expander("Progression table"):
    downloads.table(tables["progression"], "progression", key="exposure_progression_table")
