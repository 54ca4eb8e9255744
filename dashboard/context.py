"""What the entry script hands every page: the study snapshot and the sidebar's cohort."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.snapshot import SnapshotStatus
from toolkit.cohorts import Cohort

_KEY = "app_context"


@dataclass(frozen=True)
class AppContext:
    """The study file, the snapshot being read and the chosen cohort, for one script run."""

    source: str
    status: SnapshotStatus
    cohort: Cohort

    @property
    def version(self) -> str:
        """The snapshot's content stamp: part of every cache key."""
        return self.status.snapshot.version

    @property
    def cohort_json(self) -> str:
        """The cohort as JSON text (a plain, hashable cache key)."""
        return self.cohort.to_json()


def publish(context: AppContext) -> None:
    """Make ``context`` available to the page about to run."""
    st.session_state[_KEY] = context


def current() -> AppContext:
    """The context the entry script published for this run (pages call this first)."""
    context = st.session_state.get(_KEY)
    if not isinstance(context, AppContext):
        st.error("Open the dashboard through its entry script: `retrowalk dashboard STUDY`.")
        st.stop()
    return context
