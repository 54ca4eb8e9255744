"""Write some demo participants' sessions as device exports: FIT and TCX files.

Real studies receive treadmill sessions as console or watch files as well as CSV. For the first
``DEVICE_PARTICIPANTS`` retro-arm participants with sessions who are not in the per-second
sample CSVs, the first ``DEVICE_SESSIONS`` sessions are written as files in
``raw/devices/<participant>/`` instead of rows in the segment CSV (their later sessions stay in
the CSV): FIT for the first participant, TCX for the second. Few, because every file costs a
transaction when ingested. Each segment is a lap; as device files never record walking
direction, ``directions.csv`` beside them labels the laps whose direction is known (the others
stay ``unknown``, as in the CSV). Records are per second: the segment's speed with a little
noise, heart rate and cadence as in the sample CSVs.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from retrowalk_demo.fit_encode import Lap, encode_activity
from retrowalk_demo.simulate import Participant, Session

DEVICE_PARTICIPANTS = 2
DEVICE_SESSIONS = 8


def split_for_devices(people: list[Participant]) -> tuple[list[Participant], list[Participant]]:
    """Participants as the segment CSV sees them, and the device-exported part of some of them.

    Both lists hold copies whose ``sessions`` are split; nothing is dropped or duplicated.
    """
    eligible = [p for p in people if p.arm == "retro" and p.sessions and not p.sampled]
    chosen = {p.participant_id for p in eligible[:DEVICE_PARTICIPANTS]}
    on_csv, on_devices = [], []
    for p in people:
        if p.participant_id in chosen:
            on_devices.append(replace(p, sessions=p.sessions[:DEVICE_SESSIONS]))
            on_csv.append(replace(p, sessions=p.sessions[DEVICE_SESSIONS:]))
        else:
            on_csv.append(p)
    return on_csv, on_devices


def write_devices(raw: Path, people: list[Participant], seed: int) -> list[Path]:
    """FIT or TCX files (one per session) and a direction manifest per participant."""
    rng = np.random.default_rng(seed + 2)
    paths: list[Path] = []
    half = math.ceil(len(people) / 2)
    for index, p in enumerate(people):
        folder = raw / "devices" / p.participant_id
        folder.mkdir(parents=True, exist_ok=True)
        kind = "fit" if index < half else "tcx"
        manifest: list[list[object]] = []
        for s in p.sessions:
            name = f"{s.session_id}.{kind}"
            speed, heart, cadence, laps = _signals(s, rng)
            start = s.segments[0].started_at.astimezone(UTC)
            if kind == "fit":
                data = encode_activity(start, speed, _grades(s, laps), heart, cadence, laps)
                (folder / name).write_bytes(data)
            else:
                (folder / name).write_text(_tcx(s, start, speed, heart, cadence, laps), "utf-8")
            paths.append(folder / name)
            for lap, seg in enumerate(s.segments):
                if seg.direction != "unknown":
                    manifest.append([name, lap, seg.direction])
        manifest_path = folder / "directions.csv"
        with manifest_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["file", "lap", "direction"])
            writer.writerows(manifest)
        paths.append(manifest_path)
    return paths


def _signals(
    s: Session, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Lap]]:
    """Per-second speed, heart rate and cadence (steps/min), and the laps cutting them."""
    speeds, hearts, cadences, laps = [], [], [], []
    hr = float(rng.uniform(70, 85))
    first = 0
    for seg in s.segments:
        n = max(1, round(seg.duration_s))
        target = 95 + 40 * seg.speed_mps + (10 if seg.direction == "backward" else 0)
        speed = np.maximum(seg.speed_mps + rng.normal(0, 0.01, n), 0.0)
        steps = rng.normal(0, 0.4, n)
        beats = np.empty(n)
        for t in range(n):
            hr += (target - hr) * 0.03 + steps[t]
            beats[t] = hr
        speeds.append(speed)
        hearts.append(beats)
        cadences.append(60 * (1.2 + 0.9 * speed) + rng.normal(0, 1.5, n))
        laps.append(Lap(first, first + n))
        first += n
    return np.concatenate(speeds), np.concatenate(hearts), np.concatenate(cadences), laps


def _grades(s: Session, laps: list[Lap]) -> np.ndarray:
    return np.concatenate(
        [
            np.full(lap.stop - lap.first, seg.incline_pct)
            for seg, lap in zip(s.segments, laps, strict=True)
        ]
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tcx(
    s: Session,
    start: datetime,
    speed: np.ndarray,
    heart: np.ndarray,
    cadence: np.ndarray,
    laps: list[Lap],
) -> str:
    """A Training Center XML activity with one lap per segment (Garmin TCX v2 layout)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        f'<Activities><Activity Sport="Other"><Id>{_stamp(start)}</Id>\n'
    ]
    distance = np.concatenate([[0.0], np.cumsum(speed)])
    for lap in laps:
        lap_start = start + timedelta(seconds=lap.first)
        length = lap.stop - lap.first
        meters = distance[lap.stop] - distance[lap.first]
        out.append(
            f'<Lap StartTime="{_stamp(lap_start)}"><TotalTimeSeconds>{length}</TotalTimeSeconds>'
            f"<DistanceMeters>{meters:.2f}</DistanceMeters><Intensity>Active</Intensity>"
            "<TriggerMethod>Manual</TriggerMethod><Track>\n"
        )
        for t in range(lap.first, lap.stop):
            out.append(
                f"<Trackpoint><Time>{_stamp(start + timedelta(seconds=t))}</Time>"
                f"<DistanceMeters>{distance[t]:.2f}</DistanceMeters>"
                f"<HeartRateBpm><Value>{round(heart[t])}</Value></HeartRateBpm>"
                f"<Extensions><ns3:TPX><ns3:Speed>{speed[t]:.3f}</ns3:Speed>"
                f"<ns3:RunCadence>{round(cadence[t] / 2)}</ns3:RunCadence></ns3:TPX></Extensions>"
                "</Trackpoint>\n"
            )
        out.append(
            f"</Track><Extensions><ns3:LX><ns3:AvgSpeed>{meters / length:.3f}</ns3:AvgSpeed>"
            "</ns3:LX></Extensions></Lap>\n"
        )
    out.append("<Creator><Name>retrowalk demo console</Name></Creator></Activity></Activities>\n")
    out.append("</TrainingCenterDatabase>\n")
    return "".join(out)
