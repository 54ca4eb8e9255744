"""Wearable exports for the demo: Apple Health for some participants, Fitbit for others.

Every tenth participant (index 1, 11, 21, ...) wears an Apple Watch and carries an iPhone:
``raw/wearables/<participant>/export.zip`` is laid out as the Health app writes it
(``apple_health_export/export.xml``). The watch and the phone both count steps in the same
hours (the phone a little differently), so ``wearable_daily`` must prefer one source per hour;
the phone alone records gait metrics (walking speed, asymmetry, double support, step length);
each treadmill session appears as an indoor walking workout.

Every fiftieth participant from index 6 wears a Fitbit: ``raw/wearables/<participant>/
Fitbit/Physical Activity/`` holds monthly ``steps-``, ``heart_rate-``, ``resting_heart_rate-``
and ``very_active_minutes-`` JSON files (intraday times in UTC; a few resting heart rates are
Fitbit's 0, "not computed").

Daily steps follow each participant's own level with weekly rhythm and noise; people in the
walking arms walk a little more as the weeks go by. A separate random stream (``seed + 404``)
keeps every other demo file unchanged.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from retrowalk_demo.apple_health_xml import PHONE, Record, Workout, write_export
from retrowalk_demo.simulate import Participant

DAYS = 84
_Q = "QuantityTypeIdentifier"
_STEPS = _Q + "StepCount"
_HR = _Q + "HeartRate"


def _daily_steps(person: Participant, rng: np.random.Generator) -> np.ndarray:
    """Steps per day over the study: personal level, weekend dip, growth in walking arms."""
    level = rng.normal(6500, 1500)
    growth = 0.004 if person.arm in ("retro", "forward") else 0.0
    days = np.arange(DAYS)
    weekday = np.array([(person.enrolled_on + timedelta(days=int(d))).weekday() for d in days])
    steps = level * (1 + growth * days) * np.where(weekday >= 5, 0.8, 1.0)
    return np.maximum(steps + rng.normal(0, 900, DAYS), 300).round()


_BLOCKS = tuple(range(8, 20, 2))  # two-hour blocks of the waking day
#: steps per walking minute the Fitbit writer aims below (brisk walking: Tudor-Locke et al. 2018)
WALKING_CADENCE = 110


def _block_split(totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each day's steps over the waking blocks (days x blocks)."""
    weights = rng.gamma(2.0, size=(len(totals), len(_BLOCKS)))
    return np.floor(weights / weights.sum(axis=1, keepdims=True) * totals[:, None])


def _apple_elements(person: Participant, rng: np.random.Generator) -> Iterator[Record | Workout]:
    zone = ZoneInfo(person.site.timezone)
    phone = "Phone " + person.participant_id
    watch = "Watch " + person.participant_id
    blocks = _block_split(_daily_steps(person, rng), rng)
    phone_noise = rng.integers(-40, 40, size=blocks.shape)
    heart = rng.normal(78, 8, size=blocks.shape)
    daily = rng.normal(size=(DAYS, 6))
    for index in range(DAYS):
        day = person.enrolled_on + timedelta(days=index)
        for b, hour in enumerate(_BLOCKS):
            start = datetime.combine(day, time(hour), zone)
            end = start + timedelta(minutes=100)
            count = blocks[index, b]
            yield Record(_STEPS, "count", f"{count:.0f}", start, end, source=watch)
            phone_count = max(count + phone_noise[index, b], 0)
            yield Record(
                _STEPS, "count", f"{phone_count:.0f}", start, end, source=phone, device=PHONE
            )
            yield Record(_HR, "count/min", f"{heart[index, b]:.0f}", start, start, source=watch)
        noon = datetime.combine(day, time(12), zone)
        late = noon + timedelta(hours=1)
        z = daily[index]
        yield Record(
            _Q + "RestingHeartRate", "count/min", f"{62 + 4 * z[0]:.0f}", noon, noon, source=watch
        )
        yield Record(
            _Q + "AppleExerciseTime",
            "min",
            f"{max(22 + 10 * z[1], 0):.0f}",
            noon,
            late,
            source=watch,
        )
        speed = 4.3 + (0.004 * index if person.arm == "retro" else 0) + 0.2 * z[2]
        for kind, unit, value in (
            ("WalkingSpeed", "km/hr", f"{speed:.2f}"),
            ("WalkingAsymmetryPercentage", "%", f"{max(0.05 + 0.02 * z[3], 0):.3f}"),
            ("WalkingDoubleSupportPercentage", "%", f"{0.28 + 0.02 * z[4]:.3f}"),
            ("WalkingStepLength", "cm", f"{66 + 4 * z[5]:.1f}"),
        ):
            yield Record(_Q + kind, unit, value, noon, late, source=phone, device=PHONE)
    for session in person.sessions:
        start = session.segments[0].started_at
        seconds = sum(seg.duration_s for seg in session.segments)
        metres = sum(seg.duration_s * seg.speed_mps for seg in session.segments)
        local = start.astimezone(zone)
        yield Workout(
            "Walking",
            local,
            local + timedelta(seconds=round(seconds)),
            distance_km=round(metres / 1000, 3),
            indoor=True,
            source=watch,
        )


def write_apple_health(raw: Path, person: Participant, rng: np.random.Generator) -> Path:
    """``raw/wearables/<id>/export.zip`` for one participant."""
    text = StringIO()
    write_export(text, _apple_elements(person, rng))
    path = raw / "wearables" / person.participant_id / "export.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    member = zipfile.ZipInfo("apple_health_export/export.xml", date_time=(2025, 1, 1, 0, 0, 0))
    member.compress_type = zipfile.ZIP_DEFLATED  # fixed time stamp: same seed, same bytes
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(member, text.getvalue())
    return path


def _fitbit_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%m/%d/%y %H:%M:%S")


def write_fitbit(raw: Path, person: Participant, rng: np.random.Generator) -> list[Path]:
    """Monthly Fitbit JSON files for one participant (a block's steps over at least 6 walking
    minutes, each below ``WALKING_CADENCE``)."""
    zone = ZoneInfo(person.site.timezone)
    blocks = _block_split(_daily_steps(person, rng), rng)
    heart = rng.normal(80, 8, size=blocks.shape)
    daily = rng.normal(size=(DAYS, 2))
    months: dict[tuple[str, date], list[object]] = {}
    for index in range(DAYS):
        day = person.enrolled_on + timedelta(days=index)
        first = day.replace(day=1)
        steps = months.setdefault(("steps", first), [])
        for b, hour in enumerate(_BLOCKS):
            start = datetime.combine(day, time(hour), zone)
            # a block's steps over enough walking minutes that none exceeds a brisk walk's
            # cadence: the plausibility rules quarantine minutes above 250 steps
            count = min(max(6, int(np.ceil(blocks[index, b] / WALKING_CADENCE))), 120)
            share = blocks[index, b] / count
            for minute in sorted(rng.choice(120, size=count, replace=False).tolist()):
                at = start + timedelta(minutes=minute)
                steps.append({"dateTime": _fitbit_time(at), "value": f"{share:.0f}"})
            months.setdefault(("heart_rate", first), []).append(
                {
                    "dateTime": _fitbit_time(start),
                    "value": {"bpm": int(heart[index, b]), "confidence": 2},
                }
            )
        stamp = day.strftime("%m/%d/%y")
        resting = 0.0 if index % 19 == 7 else round(60 + 4 * float(daily[index, 0]), 1)
        months.setdefault(("resting_heart_rate", first), []).append(
            {
                "dateTime": stamp + " 00:00:00",
                "value": {"date": stamp, "value": resting, "error": 6.5},
            }
        )
        months.setdefault(("very_active_minutes", first), []).append(
            {
                "dateTime": stamp + " 00:00:00",
                "value": f"{max(20 + 8 * float(daily[index, 1]), 0):.0f}",
            }
        )
    folder = raw / "wearables" / person.participant_id / "Fitbit" / "Physical Activity"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (kind, first), entries in sorted(months.items(), key=lambda i: (i[0][0], i[0][1])):
        path = folder / f"{kind}-{first.isoformat()}.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        paths.append(path)
    return paths


def write_wearables(raw: Path, people: list[Participant], seed: int) -> list[Path]:
    """The demo's wearable exports (see the module docstring for who wears what)."""
    rng = np.random.default_rng(seed + 404)
    paths: list[Path] = []
    for index, person in enumerate(people):
        if index % 10 == 1:
            paths.append(write_apple_health(raw, person, rng))
        elif index % 50 == 6:
            paths += write_fitbit(raw, person, rng)
    return paths
