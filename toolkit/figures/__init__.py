"""Plotly figure builders shared by the dashboard and the static report.

One pure builder per figure: a tidy frame in (a summary from :mod:`toolkit.summaries` or a
result from :mod:`toolkit.stats`), a ``plotly.graph_objects.Figure`` out; no I/O, no queries.
Colours per arm are stable across figures (:func:`toolkit.figures.style.colour_map`).
"""

from __future__ import annotations

from toolkit.figures.dose_response import figure_dose_response
from toolkit.figures.export import static_export_problem, to_html, to_image
from toolkit.figures.exposure import figure_adherence, figure_progression, figure_weekly_minutes
from toolkit.figures.outcomes import figure_change, figure_responders, figure_trajectories
from toolkit.figures.overview import figure_completeness, figure_participant_flow
from toolkit.figures.participant import (
    figure_daily_steps,
    figure_pain_diary,
    figure_session_samples,
    figure_session_timeline,
)
from toolkit.figures.quality import figure_ingest_status, figure_missingness

__all__ = [
    "figure_adherence",
    "figure_change",
    "figure_completeness",
    "figure_daily_steps",
    "figure_dose_response",
    "figure_ingest_status",
    "figure_missingness",
    "figure_pain_diary",
    "figure_participant_flow",
    "figure_progression",
    "figure_responders",
    "figure_session_samples",
    "figure_session_timeline",
    "figure_trajectories",
    "figure_weekly_minutes",
    "static_export_problem",
    "to_html",
    "to_image",
]
