"""Entry script of the retrowalk dashboard (``retrowalk dashboard [STUDY]`` runs it).

Builds the settings (which study), refreshes this process's snapshot of it, draws the shared
sidebar (cohort filters in the URL, saved cohorts, snapshot time), publishes that context, then
runs the chosen page. Pages live in ``dashboard/views/``, one module each (``st.navigation``,
not the legacy ``pages/`` folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ itself on sys.path; the pages import
# `dashboard.*` and `toolkit.*`, so the checkout root must be importable too.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboard import context, sidebar  # noqa: E402
from dashboard.connection import snapshot_manager, study_path  # noqa: E402
from dashboard.snapshot import StudyBusyError  # noqa: E402
from dashboard.text import plain  # noqa: E402
from toolkit.errors import StudyError  # noqa: E402

VIEWS = Path(__file__).parent / "views"
PAGES = [
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/groups:", default=True),
    st.Page(VIEWS / "exposure.py", title="Exposure", icon=":material/directions_walk:"),
    st.Page(VIEWS / "outcomes.py", title="Outcomes", icon=":material/monitoring:"),
    st.Page(VIEWS / "dose_response.py", title="Dose-response", icon=":material/show_chart:"),
    st.Page(VIEWS / "participant.py", title="Participant", icon=":material/person:"),
    st.Page(VIEWS / "data_quality.py", title="Data quality", icon=":material/fact_check:"),
]

# The favicon is a file served by this server: a material or emoji icon would be fetched from
# the internet by the browser (and fail offline).
FAVICON = Path(__file__).parent / "favicon.png"
st.set_page_config(page_title="retrowalk", page_icon=str(FAVICON), layout="wide")
page = st.navigation(PAGES)
source = str(study_path())
try:
    status = snapshot_manager(source).current()
except StudyBusyError as exc:
    st.warning(str(exc))
    st.button("Try again", key="app_retry")
    st.stop()
except StudyError as exc:
    st.error(f"Cannot open the study: {plain(exc)}")
    st.stop()

st.sidebar.title("retrowalk")
sidebar.snapshot_caption(status)
cohort = sidebar.cohort_filters(source, status.snapshot.version)
sidebar.report_download(source, status.snapshot.version, cohort)
context.publish(context.AppContext(source=source, status=status, cohort=cohort))
page.run()
