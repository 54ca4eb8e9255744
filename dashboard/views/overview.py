"""Overview page: who is in the study and how much they walked."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard.connection import get_study, study_path
from toolkit.summaries import enrolment_by_arm, weekly_minutes_by_arm

study = get_study(str(study_path()))
st.title("Overview")
st.caption(f"Study: {study.path}")
st.subheader("Enrolment by arm and condition")
st.dataframe(enrolment_by_arm(study), hide_index=True)
st.subheader("Mean retro-walking minutes per week, by arm")
weekly = weekly_minutes_by_arm(study)
st.plotly_chart(
    px.line(weekly.to_pandas(), x="study_week", y="retro_minutes", color="arm", markers=True),
)
