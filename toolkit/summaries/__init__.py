"""Tidy summaries of a study that the dashboard and reports show as they are.

``frames`` reads view rows for a cohort (parameterised SQL); ``flow`` and ``exposure`` are pure
functions from those rows to small tidy tables (enrolment flow, completeness, adherence,
progression). Figures for them live in :mod:`toolkit.figures`.
"""

from __future__ import annotations

from toolkit.summaries.consort import consort_flow
from toolkit.summaries.exposure import (
    adherence_by_participant,
    mean_ci,
    progression,
    weekly_minutes,
)
from toolkit.summaries.flow import (
    FLOW_STAGES,
    PRESCRIPTION_ITEMS,
    arms_without_prescription,
    data_completeness,
    enrolment_by_arm,
    participant_flow,
)
from toolkit.summaries.frames import (
    DATA_VIEWS,
    ingest_attempts,
    instruments_scored,
    participant_samples,
    participant_sessions,
    participant_view,
    participants_with,
    sample_participants,
    segment_weeks,
    unlabelled_segments,
    weekly_speed_incline,
)
from toolkit.summaries.outcomes import table1_wide, trajectory_means
from toolkit.summaries.quality import (
    quarantined_values,
    salvaged_files,
    session_copies,
    unclassified_activities,
)

__all__ = [
    "DATA_VIEWS",
    "FLOW_STAGES",
    "PRESCRIPTION_ITEMS",
    "adherence_by_participant",
    "arms_without_prescription",
    "consort_flow",
    "data_completeness",
    "enrolment_by_arm",
    "ingest_attempts",
    "instruments_scored",
    "mean_ci",
    "participant_flow",
    "participant_samples",
    "participant_sessions",
    "participant_view",
    "participants_with",
    "progression",
    "quarantined_values",
    "salvaged_files",
    "sample_participants",
    "segment_weeks",
    "session_copies",
    "table1_wide",
    "trajectory_means",
    "unclassified_activities",
    "unlabelled_segments",
    "weekly_minutes",
    "weekly_speed_incline",
]
