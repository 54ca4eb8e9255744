"""Detection skips a UTF-8 byte-order mark for every text format (issue 11, defect 2)."""

from __future__ import annotations

import pytest

from tests.ingest.helpers import ROSTER_HEADER
from toolkit.ingest.core.registry import detect

BOM = b"\xef\xbb\xbf"
SAMPLES = {
    "roster_csv": ("roster.csv", ROSTER_HEADER.encode()),
    "treadmill_csv": (
        "t.csv",
        b"participant_id,session_id,started_at,duration_s\nP1,S1,2025-03-05T10:00:00Z,60\n",
    ),
    "pain_csv": (
        "p.csv",
        b"participant_id,measured_at,instrument,score\nP1,2025-03-05T10:00:00Z,nrs,3\n",
    ),
    "redcap": ("dictionary.csv", b'"Variable / Field Name","Form Name","Section Header"\n'),
    "fitbit": ("x/Fitbit/Physical Activity/steps-2025-03-01.json", b'[{"dateTime": "a"}]'),
    "tcx": ("a.tcx", b'<?xml version="1.0"?>\n<TrainingCenterDatabase xmlns="x">'),
    "apple_health": ("export.xml", b'<?xml version="1.0"?>\n<HealthData locale="en">'),
    "garmin_csv": (
        "Activities.csv",
        b'"Activity Type","Date","Favorite","Title","Distance","Calories","Time"\n',
    ),
    "wearable_csv": ("w.csv", b"metric,start_at,value\nsteps,2025-03-05T10:00:00Z,3\n"),
    "direction_manifest": ("directions.csv", b"file,direction\na.fit,backward\n"),
    "vendor_csv": (
        "s.csv",
        b"Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time\n",
    ),
}


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_a_bom_does_not_change_the_detected_format(fmt: str) -> None:
    name, head = SAMPLES[fmt]
    found = [detect(data, name) for data in (head, BOM + head)]
    assert [module.FORMAT if module else None for module in found] == [fmt, fmt]
