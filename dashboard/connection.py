"""The dashboard's study connection: one read-only connection per server process."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from toolkit import Study, open_study


def study_path() -> Path:
    """The study the dashboard shows: ``RETROWALK_STUDY``, else the demo study."""
    configured = os.environ.get("RETROWALK_STUDY")
    if configured:
        return Path(configured)
    from retrowalk_demo import default_demo_study

    return default_demo_study()


@st.cache_resource
def get_study(path: str) -> Study:
    """Open ``path`` read-only once per process."""
    return open_study(path, read_only=True)
