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
from toolkit.format import level_label

ctx = context.current()
st.title("Participant")
ids = data.cohort_ids(ctx.source, ctx.version, ctx.cohort_json).sort().to_list()
if not ids:
    st.info("No participants in this cohort.")
    st.stop()
with_samples = set(data.study_sample_participants(ctx.source, ctx.version)["participant_id"])


def complete_participants() -> set[str]:
    """Participants with a baseline and a follow-up for every instrument they answered (not a
    dropout with three sessions), so the page opens on someone whose data tell the story."""
    outcomes = data.study_view(ctx.source, ctx.version, "outcomes")
    if outcomes.height == 0:
        return set()
    complete = outcomes.group_by("participant_id").agg(
        (pl.col("baseline").is_not_null() & pl.col("follow_up").is_not_null()).all().alias("ok")
    )
    return set(complete.filter(pl.col("ok"))["participant_id"].to_list())


if st.session_state.get("participant_id") not in ids:
    linked = st.query_params.get("participant")
    if linked in ids:
        st.session_state["participant_id"] = linked
    else:
        complete = complete_participants()
        preference = (
            [i for i in ids if i in complete and i in with_samples]
            + [i for i in ids if i in complete]
            + [i for i in ids if i in with_samples]
        )
        st.session_state["participant_id"] = preference[0] if preference else ids[0]
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
        f"**{plain(participant_id)}**: {plain(level_label(person['arm']))} arm, "
        f"{plain(level_label(person['condition']))}, {plain(person['sex'] or 'sex unknown')}, "
        f"{plain(age)} years, site {plain(person['site'] or 'unknown')}, "
        f"enrolled {plain(person['enrolled_on'])}; {plain(prescription)}."
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
answered = (
    found["pain"].group_by("instrument").len().sort("len", "instrument", descending=[True, False])
    if found["pain"].height
    else pl.DataFrame({"instrument": []}, schema={"instrument": pl.String})
)
available = answered["instrument"].to_list()
chosen = st.multiselect(
    f"Questionnaires to show ({len(available)} answered)",
    available,
    default=available[:4],  # the most answered first; more panels make the figure taller
    format_func=level_label,
    key="participant_instruments",
)
downloads.figure(
    figure_pain_diary(found["pain"], participant_id=participant_id, instruments=chosen),
    f"{participant_id}_pain",
    key="participant_pain",
)
with st.expander("Outcomes (baseline, follow-up, change)"):
    downloads.table(found["outcomes"], f"{participant_id}_outcomes", key="participant_outcomes")
