"""Write the simulated trial as the raw export files a real study would hold.

Layout under ``raw/``: ``roster.csv``; ``treadmill/<site>/<participant>.csv`` (generic segment
layout); ``treadmill_samples/<participant>.csv`` (generic per-second sample layout, for a few
participants); ``pain/visits.csv`` and ``pain/nrs_diary.csv`` (long-format scores);
``intercurrent_events.csv`` (discontinuations, losses to follow-up and rescue medication, with
dates and reasons). Beside
``raw/``, ``quality/late_entries.csv`` holds an impossible score on purpose: ingesting it shows
what a rejection looks like (``retrowalk demo --with-bad-file``), while the demo itself builds
cleanly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np

from retrowalk_demo.model import DemoModel
from retrowalk_demo.simulate import Participant, week_start


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_roster(raw: Path, people: list[Participant], model: DemoModel) -> Path:
    """``roster.csv``: one row per participant, with the arm's prescription."""
    header = [
        "participant_id",
        "arm",
        "condition",
        "sex",
        "age",
        "bmi",
        "enrolled_on",
        "site",
        "timezone",
        "prescribed_direction",
        "prescribed_minutes_per_week",
    ]
    rows = [
        [
            p.participant_id,
            p.arm,
            p.condition,
            p.sex,
            f"{p.age:g}",
            f"{p.bmi:g}",
            p.enrolled_on.isoformat(),
            p.site.name,
            p.site.timezone,
            p.prescribed_direction or "",
            f"{model.prescribed_minutes_per_week[p.arm]:g}" if p.prescribed_direction else "",
        ]
        for p in people
    ]
    return _write(raw / "roster.csv", header, rows)


def write_treadmill_segments(raw: Path, people: list[Participant]) -> list[Path]:
    """One segment-layout CSV per participant (those not exported as samples)."""
    header = [
        "participant_id",
        "session_id",
        "segment",
        "started_at",
        "duration_s",
        "direction",
        "distance_m",
        "mean_speed_mps",
        "incline_pct",
        "device",
    ]
    paths = []
    for p in people:
        if p.sampled or not p.sessions:
            continue
        rows = [
            [
                p.participant_id,
                s.session_id,
                i,
                seg.started_at.isoformat(),
                f"{seg.duration_s:g}",
                "" if seg.direction == "unknown" else seg.direction,
                f"{seg.duration_s * seg.speed_mps:.1f}",
                f"{seg.speed_mps:g}",
                f"{seg.incline_pct:g}",
                "demo-treadmill",
            ]
            for s in p.sessions
            for i, seg in enumerate(s.segments)
        ]
        paths.append(
            _write(raw / "treadmill" / p.site.name / f"{p.participant_id}.csv", header, rows)
        )
    return paths


def write_treadmill_samples(raw: Path, people: list[Participant], seed: int) -> list[Path]:
    """Per-second sample-layout CSVs for the participants marked ``sampled``."""
    rng = np.random.default_rng(seed + 1)
    header = [
        "participant_id",
        "session_id",
        "timestamp",
        "speed_mps",
        "distance_m",
        "incline_pct",
        "heart_rate_bpm",
        "cadence_spm",
        "direction",
    ]
    paths = []
    for p in (p for p in people if p.sampled):
        rows: list[list[object]] = []
        for s in p.sessions:
            distance = 0.0
            hr = float(rng.uniform(70, 85))
            for seg in s.segments:
                target_hr = 95 + 40 * seg.speed_mps + (10 if seg.direction == "backward" else 0)
                for t in range(int(seg.duration_s)):
                    speed = max(seg.speed_mps + rng.normal(0, 0.01), 0.0)
                    distance += speed
                    hr += (target_hr - hr) * 0.03 + rng.normal(0, 0.4)
                    cadence = 60 * (1.2 + 0.9 * speed) + rng.normal(0, 1.5)
                    stamp = (seg.started_at + timedelta(seconds=t)).isoformat()
                    rows.append(
                        [
                            p.participant_id,
                            s.session_id,
                            stamp,
                            f"{speed:.3f}",
                            f"{distance:.1f}",
                            f"{seg.incline_pct:g}",
                            f"{hr:.0f}",
                            f"{cadence:.0f}",
                            "" if seg.direction == "unknown" else seg.direction,
                        ]
                    )
        paths.append(_write(raw / "treadmill_samples" / f"{p.participant_id}.csv", header, rows))
    return paths


PAIN_HEADER = ["participant_id", "measured_at", "instrument", "score", "visit"]


def write_pain(raw: Path, people: list[Participant]) -> list[Path]:
    """Visit scores and the weekly NRS diary as long-format score files."""
    header = PAIN_HEADER
    visits: list[list[str | None]] = []
    diary: list[list[str | None]] = []
    for p in people:
        for s in p.scores:
            row = [
                p.participant_id,
                s.measured_at.isoformat(),
                s.instrument,
                f"{s.score:g}",
                s.visit,
            ]
            (diary if s.visit == "diary" else visits).append(row)
    return [
        _write(raw / "pain" / "visits.csv", header, visits),
        _write(raw / "pain" / "nrs_diary.csv", header, diary),
    ]


def write_quality(folder: Path, people: list[Participant]) -> list[Path]:
    """``late_entries.csv``: a plausible NRS score and an impossible one (12 on a 0-10 scale).

    Kept out of ``raw/`` so the demo builds with exit code 0; ingesting it shows a rejection
    with its line and column (see ``MODEL.md``, "Deliberate problems").
    """
    bad_owner = people[0]
    late = [
        [
            bad_owner.participant_id,
            (bad_owner.scores[0].measured_at + timedelta(days=100)).isoformat(),
            "nrs",
            "3",
            "late",
        ],
        [
            bad_owner.participant_id,
            (bad_owner.scores[0].measured_at + timedelta(days=101)).isoformat(),
            "nrs",
            "12",
            "late",
        ],
    ]
    return [_write(folder / "late_entries.csv", PAIN_HEADER, late)]


#: Reasons recorded for the demo's intercurrent events (reason text as a site would write it).
_LOSS_REASONS = ("did not attend follow-up visits", "moved away", "no reply to contact")
_STOP_REASONS = ("knee pain worse", "lack of time", "other illness")
_RESCUE_REASONS = ("NSAID for knee pain", "paracetamol for knee pain")


def write_intercurrent_events(raw: Path, people: list[Participant], seed: int) -> list[Path]:
    """``intercurrent_events.csv``: who stopped and why, and rescue medication taken.

    Everyone the simulation drops out (no walking and no scores from their dropout week on) is
    lost to follow-up from that week's Monday (not before enrolment); a third of them first
    stopped the intervention for a stated reason on the same day. About one in twenty of the
    others took rescue medication at a random day of the intervention. Drawn from a generator
    of its own (``seed``), so adding this file changed no other simulated value.
    """
    rng = np.random.default_rng([seed, 17])
    rows: list[list[str]] = []
    for p in people:
        if p.dropout_week is not None:
            day = max(p.enrolled_on, week_start(p, p.dropout_week)).isoformat()
            if rng.random() < 1 / 3:
                rows.append([p.participant_id, day, "discontinued", str(rng.choice(_STOP_REASONS))])
            rows.append(
                [p.participant_id, day, "lost_to_follow_up", str(rng.choice(_LOSS_REASONS))]
            )
        elif rng.random() < 0.05:
            day = (p.enrolled_on + timedelta(days=int(rng.integers(7, 70)))).isoformat()
            rows.append(
                [p.participant_id, day, "rescue_medication", str(rng.choice(_RESCUE_REASONS))]
            )
    if not rows:
        return []
    header = ["participant_id", "date", "event", "reason"]
    return [_write(raw / "intercurrent_events.csv", header, rows)]
