"""Entry script of the retrowalk dashboard (``retrowalk dashboard`` runs it)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="retrowalk", layout="wide")
page = st.navigation([st.Page("views/overview.py", title="Overview", default=True)])
page.run()
