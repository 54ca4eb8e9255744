"""Participant: one person's sessions (speed, incline, direction, heart rate), steps and pain."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import (
    figure_daily_steps,
    figure_pain_diary,
    figure_session_samples,
    figure_session_timeline,
)

ctx = context.current()
st.title("Participant")
ids = data.cohort_ids(ctx.source, ctx.version, ctx.cohort_json).sort().to_list()
if not ids:
    st.info("No participants in this cohort.")
    st.stop()
with_samples = set(data.study_sample_participants(ctx.source, ctx.version)["participant_id"])
if st.session_state.get("participant_id") not in ids:
    linked = st.query_params.get("participant")
    st.session_state["participant_id"] = (
        linked if linked in ids else next((i for i in ids if i in with_samples), ids[0])
    )
participant_id = st.selectbox(
    f"Participant ({len(ids)} in the cohort)",
    ids,
    key="participant_id",
    format_func=lambda i: f"{i} (per-second samples)" if i in with_samples else i,
)
st.query_params["participant"] = participant_id
found = data.participant_data(ctx.source, ctx.version, participant_id)
profile = found["profile"]
if profile.height:
    person = profile.row(0, named=True)
    age = f"{person['age']:.0f}" if person["age"] is not None else "unknown age"
    prescription = (
        f"prescribed {person['prescribed_minutes_per_week']:g} min/week "
        f"{person['prescribed_direction']}"
        if person["prescribed_direction"]
        else "no walking prescription"
    )
    st.markdown(
        f"**{plain(participant_id)}**: {plain(str(person['arm']).replace('_', ' '))} arm, "
        f"{plain(str(person['condition']).replace('_', ' '))}, "
        f"{plain(person['sex'] or 'sex unknown')}, {plain(age)}, "
        f"site {plain(person['site'] or 'unknown')}, enrolled {plain(person['enrolled_on'])}; "
        f"{plain(prescription)}."
    )

st.subheader("Treadmill sessions")
sessions = found["sessions"]
downloads.figure(
    figure_session_timeline(sessions, participant_id=participant_id),
    f"{participant_id}_sessions",
    key="participant_timeline",
)
with st.expander("Session segments"):
    downloads.table(sessions, f"{participant_id}_sessions", key="participant_sessions_table")
sampled = (
    sessions.filter(pl.col("mean_heart_rate_bpm").is_not_null())["session_id"].unique().sort()
    if sessions.height
    else pl.Series([], dtype=pl.String)
)
if sampled.len():
    session_id = st.selectbox(
        "Session with per-second samples", sampled.to_list(), key="participant_session"
    )
    samples = data.session_samples(ctx.source, ctx.version, participant_id, session_id)
    downloads.figure(
        figure_session_samples(samples, session_id=session_id),
        f"{session_id}_samples",
        key="participant_samples",
    )
elif sessions.height:
    st.caption(
        "This participant's sessions were exported per segment: no per-second samples "
        "(so no heart rate)."
    )

st.subheader("Wearable daily steps")
downloads.figure(
    figure_daily_steps(found["wearable"], participant_id=participant_id),
    f"{participant_id}_steps",
    key="participant_steps",
)

st.subheader("Pain diary and questionnaires")
downloads.figure(
    figure_pain_diary(found["pain"], participant_id=participant_id),
    f"{participant_id}_pain",
    key="participant_pain",
)
with st.expander("Outcomes (baseline, follow-up, change)"):
    downloads.table(found["outcomes"], f"{participant_id}_outcomes", key="participant_outcomes")
