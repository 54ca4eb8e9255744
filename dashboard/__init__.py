"""The Streamlit dashboard: an entry script (``app.py``) and one module per page."""
