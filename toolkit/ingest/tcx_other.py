"""TCX ``Sport="Other"``: a walk, or an activity retrowalk cannot classify.

Garmin writes ``Other`` for walks, but also for swims, stand-up paddling and cross-country
skiing. Such an activity is a walking session only when a step cadence was recorded or a
direction manifest labels it; otherwise :func:`unclassified_workout` keeps it as a workout
(``raw_wearable_workouts``, activity ``unclassified``), out of ``sessions`` and the exposure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.errors import IngestError

#: ``raw_wearable_workouts.activity`` of a TCX ``Other`` activity that is not a walk
UNCLASSIFIED = "unclassified"


def steps_recorded(laps: pl.DataFrame, points: pl.DataFrame) -> bool:
    """Whether a step cadence was recorded: trackpoint ``RunCadence`` or lap ``AvgRunCadence``.

    Garmin writes ``Sport="Other"`` for walks but also for swims, stand-up paddling and
    cross-country skiing; only a foot pod or wrist step counter writes a run cadence.
    """
    return bool(
        points["run_cadence"].is_not_null().any() or laps["avg_run_cadence"].is_not_null().any()
    )


def named_walk(path: Path, activity: dict[str, object], laps: pl.DataFrame, rules: Any) -> bool:
    """Whether a direction manifest names this activity (a row gives a direction or a plan for
    it or one of its laps). Decided at ingest: a manifest corrected later relabels the laps of
    a walk (in the views) but does not turn a stored workout into a walk."""
    start = activity["started_at"]
    if not isinstance(start, datetime) or laps.height == 0 or laps["duration_s"].null_count():
        return False
    session_id = f"tcx-{start:%Y%m%dT%H%M%SZ}"
    resolved = path.resolve()
    return any(
        rule.matches(resolved, session_id)
        and (rule.direction is not None or rule.plan is not None)
        and (rule.lap is None or rule.lap < laps.height)
        for rule in rules
    )


def unclassified_workout(
    participant: str, activity: dict[str, object], laps: pl.DataFrame, source: str
) -> dict[str, object]:
    """An ``Other`` activity kept as a workout (out of ``sessions``), for the data-quality page."""
    start = activity["started_at"]
    if not isinstance(start, datetime):
        raise IngestError(f"activity {activity['activity']} (0-based) has no start time")
    duration = float(laps["duration_s"].drop_nulls().sum()) if laps.height else 0.0
    distance = laps["distance_m"].drop_nulls()
    return {
        "participant_id": participant,
        "started_at": start,
        "ended_at": start + timedelta(seconds=duration),
        "activity": UNCLASSIFIED,
        "indoor": None,
        "duration_s": duration,
        "distance_m": float(distance.sum()) if distance.len() else None,
        "source": source,
        "device": activity["creator"],
    }
