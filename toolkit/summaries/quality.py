"""What the data-quality page lists beside rejections: values kept out, files partly kept.

- quarantined values (the ``quarantine`` view: device and sensor values a plausibility rule
  kept out of every view, with the reason and the file);
- salvaged files (``ingest_log`` status ``salvaged``: a damaged device file whose complete
  records before the damage were kept, with the byte where the damage is);
- unclassified activities (``wearable_workouts`` with activity ``unclassified``: a TCX
  ``Sport="Other"`` activity that is not known to be a walk, kept out of ``sessions``);
- session copies (``session_copies``: a second record of one walk, e.g. the TCX of a FIT,
  stored but counted once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from toolkit.study import Study


def quarantined_values(study: Study) -> pl.DataFrame:
    """One row per quarantined value, newest first.

    Columns: participant_id, measure, value, recorded_at, reason, path (the file).
    """
    return study.sql(
        "select participant_id, measure, value, recorded_at, reason, path from quarantine "
        "order by recorded_at desc, participant_id, measure"
    )


def salvaged_files(study: Study) -> pl.DataFrame:
    """One row per salvaged file: ingested_at, format, path, error_position, error."""
    return study.sql(
        "select ingested_at, format, path, error_position, error from ingest_log "
        "where status = 'salvaged' order by ingested_at desc, attempt_id desc"
    )


def unclassified_activities(study: Study) -> pl.DataFrame:
    """Activities kept out of ``sessions`` because nothing says they were walks.

    Columns: participant_id, started_at, duration_s, distance_m, source, device.
    """
    return study.sql(
        "select participant_id, started_at, duration_s, distance_m, source, device "
        "from wearable_workouts where activity = 'unclassified' order by started_at desc"
    )


def session_copies(study: Study) -> pl.DataFrame:
    """Treadmill sessions stored but not counted: another session records the same walking.

    Columns: participant_id, session_id, source, kept_session_id, kept_source, rule.
    """
    return study.sql(
        "select participant_id, session_id, source, kept_session_id, kept_source, rule "
        "from session_copies order by participant_id, session_id"
    )
