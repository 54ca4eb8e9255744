"""Simulate the demo trial's participants, treadmill sessions and pain scores (see MODEL.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from retrowalk_demo.model import DemoModel, Site


@dataclass
class Segment:
    """One lap or interval of a session."""

    direction: str
    started_at: datetime
    duration_s: float
    speed_mps: float
    incline_pct: float


@dataclass
class Session:
    """One treadmill session: a sequence of segments."""

    session_id: str
    segments: list[Segment]


@dataclass
class Score:
    """One pain measurement."""

    measured_at: datetime
    instrument: str
    score: float
    visit: str | None


@dataclass
class Participant:
    """A simulated participant and everything recorded about them."""

    participant_id: str
    arm: str
    condition: str
    sex: str
    age: float
    bmi: float
    site: Site
    enrolled_on: date
    dropout_week: int | None
    sessions: list[Session] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    sampled: bool = False

    @property
    def prescribed_direction(self) -> str | None:
        """Walking direction the arm prescribes."""
        return {"retro": "backward", "forward": "forward"}.get(self.arm)


def simulate(n: int, seed: int, model: DemoModel) -> list[Participant]:
    """Simulate ``n`` participants deterministically from ``seed``."""
    rng = np.random.default_rng(seed)
    arms = _allocate(n, rng, model)
    people = [_enrol(i, arm, rng, model) for i, arm in enumerate(arms)]
    sampled = 0
    for person in people:
        _walk(person, rng, model)
        if person.arm == "retro" and sampled < model.sampled_participants and person.sessions:
            person.sampled = True
            sampled += 1
        _measure(person, rng, model)
    return people


def _enrol(index: int, arm: str, rng: np.random.Generator, model: DemoModel) -> Participant:
    conditions = list(model.conditions)
    condition = conditions[rng.choice(len(conditions), p=list(model.conditions.values()))]
    age_mean, age_sd, low, high = {
        "patellofemoral_pain": (28, 7, 16, 50),
        "knee_oa": (58, 8, 40, 85),
        "post_acl_reconstruction": (29, 8, 16, 50),
    }[condition]
    female_share = {"patellofemoral_pain": 0.6, "knee_oa": 0.55, "post_acl_reconstruction": 0.4}
    sex = "female" if rng.random() < female_share[condition] else "male"
    bmi_mean = 29.0 if condition == "knee_oa" else 25.0
    start = date.fromisoformat(model.first_enrolment)
    dropout = _dropout_week(rng, model)
    return Participant(
        participant_id=f"RW{index + 1:04d}",
        arm=arm,
        condition=condition,
        sex=sex,
        age=float(np.clip(round(rng.normal(age_mean, age_sd)), low, high)),
        bmi=round(float(np.clip(rng.normal(bmi_mean, 4.0), 17, 48)), 1),
        site=model.sites[int(rng.integers(0, len(model.sites)))],
        enrolled_on=start + timedelta(days=int(rng.integers(0, model.enrolment_days))),
        dropout_week=dropout,
    )


def _allocate(n: int, rng: np.random.Generator, model: DemoModel) -> list[str]:
    """Permuted blocks of two per arm: balanced allocation, unpredictable within a block."""
    arms: list[str] = []
    while len(arms) < n:
        arms.extend(str(a) for a in rng.permutation(list(model.arms) * 2))
    return arms[:n]


def _dropout_week(rng: np.random.Generator, model: DemoModel) -> int | None:
    for week in range(1, model.weeks + 1):
        if rng.random() < model.dropout_hazard:
            return week
    return None


def _local(day: date, clock: time, zone: str) -> datetime:
    """An aware local datetime; nonexistent DST times move forward an hour, as clocks do."""
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=ZoneInfo(zone))
    roundtrip = aware.astimezone(ZoneInfo("UTC")).astimezone(ZoneInfo(zone))
    if roundtrip.replace(tzinfo=None) != naive:
        aware = (naive + timedelta(hours=1)).replace(tzinfo=ZoneInfo(zone))
    return aware


def week_start(person: Participant, week: int) -> date:
    """Monday of study week ``week`` (week 1 holds the enrolment day)."""
    monday = person.enrolled_on - timedelta(days=person.enrolled_on.weekday())
    return monday + timedelta(days=7 * (week - 1))


def _walk(person: Participant, rng: np.random.Generator, model: DemoModel) -> None:
    propensity = rng.beta(*model.adherence_beta)
    tau = rng.uniform(*model.adherence_tau_weeks)
    if person.arm == "usual_care":
        return
    count = 0
    for week in range(1, model.weeks + 1):
        if person.dropout_week is not None and week >= person.dropout_week:
            break
        attend = propensity * math.exp(-(week - 1) / tau)
        first, last = model.session_minutes
        minutes = first + (last - first) * min(week - 1, model.ramp_weeks - 1) / (
            model.ramp_weeks - 1
        )
        for offset in (0, 2, 4):  # Monday, Wednesday, Friday
            day = week_start(person, week) + timedelta(days=offset)
            if day < person.enrolled_on or rng.random() >= attend:
                continue
            count += 1
            clock = time(int(rng.integers(8, 18)), int(rng.integers(0, 60)))
            start = _local(day, clock, person.site.timezone)
            planned = minutes * 60 * rng.uniform(0.85, 1.1)
            person.sessions.append(
                Session(
                    f"{person.participant_id}-S{count:03d}",
                    _segments(person.arm, week, start, planned, rng, model),
                )
            )


def _segments(
    arm: str,
    week: int,
    start: datetime,
    planned_s: float,
    rng: np.random.Generator,
    model: DemoModel,
) -> list[Segment]:
    """Retro arm: 2 min forward warm-up, then 2 min backward / 1 min forward intervals.
    Forward arm: one continuous forward segment."""
    incline = float(min(week - 1, 10) * 0.5)
    forward_speed = float(rng.uniform(1.0, 1.3))
    backward_speed = float(min(0.45 + 0.035 * (week - 1), 0.9) * rng.uniform(0.9, 1.1))
    plan: list[tuple[str, float]]
    if arm == "forward":
        plan = [("forward", planned_s)]
    else:
        plan = [("forward", 120.0)]
        elapsed = 120.0
        while elapsed < planned_s:
            for direction, length in (("backward", 120.0), ("forward", 60.0)):
                length = min(length, planned_s - elapsed)
                if length > 5:
                    plan.append((direction, length))
                elapsed += length
    segments = []
    clock = start
    for direction, length in plan:
        speed = backward_speed if direction == "backward" else forward_speed
        shown = direction if rng.random() >= model.unlabelled_segment_share else "unknown"
        segments.append(Segment(shown, clock, round(length, 1), round(speed, 3), incline))
        clock = clock + timedelta(seconds=round(length, 1))
    return segments


def mean_weekly_minutes(person: Participant, direction: str, weeks: int) -> float:
    """Minutes walked in ``direction`` per study week, averaged over all ``weeks`` weeks."""
    total = sum(
        s.duration_s
        for session in person.sessions
        for s in session.segments
        if s.direction == direction
    )
    return total / 60.0 / weeks


def _cumulative_minutes(person: Participant, direction: str, until: datetime) -> float:
    return sum(
        s.duration_s / 60.0
        for session in person.sessions
        for s in session.segments
        if s.direction == direction and s.started_at < until
    )


def _true_pain(
    person: Participant, at: datetime, base: float, slope: float, model: DemoModel
) -> float:
    """Pain without measurement noise at time ``at`` (see MODEL.md)."""
    day0 = _local(person.enrolled_on, time(0, 0), person.site.timezone)
    fraction = min(max((at - day0).days / (7 * model.weeks), 0.0), 1.0)
    retro = _cumulative_minutes(person, "backward", at) / model.weeks
    forward = _cumulative_minutes(person, "forward", at) / model.weeks
    return (
        base
        + fraction * slope
        + model.retro_effect_per_weekly_minute * retro
        + model.forward_effect_per_weekly_minute * forward
    )


def _measure(person: Participant, rng: np.random.Generator, model: DemoModel) -> None:
    base = float(
        np.clip(rng.normal(model.baseline_pain[person.condition], model.baseline_sd), 2, 9)
    )
    slope = float(rng.normal(model.natural_change, model.natural_change_sd))
    zone = person.site.timezone
    last_day = (
        None
        if person.dropout_week is None
        else (week_start(person, person.dropout_week) - person.enrolled_on).days
    )

    def alive(study_day: int) -> bool:
        return last_day is None or study_day < last_day

    def nrs(at: datetime) -> float:
        value = _true_pain(person, at, base, slope, model) + rng.normal(0, model.nrs_noise_sd)
        return float(np.clip(round(value), 0, 10))

    visits = (
        ("baseline", -int(rng.integers(0, 8))),
        ("week6", 42 + int(rng.integers(-3, 4))),
        ("week12", 84 + int(rng.integers(0, 5))),
    )
    for name, study_day in visits:
        if not alive(study_day) or (name != "baseline" and rng.random() < model.missed_visit):
            continue
        at = _local(
            person.enrolled_on + timedelta(days=study_day),
            time(int(rng.integers(9, 17)), int(rng.integers(0, 60))),
            zone,
        )
        score = nrs(at)
        person.scores.append(Score(at, "nrs", score, name))
        vas = float(np.clip(round(score * 10 + rng.normal(0, 6)), 0, 100))
        person.scores.append(Score(at + timedelta(minutes=2), "vas", vas, name))
        if person.condition == "patellofemoral_pain":
            kujala = float(np.clip(round(100 - 6.5 * score + rng.normal(0, 5)), 0, 100))
            person.scores.append(Score(at + timedelta(minutes=5), "kujala", kujala, name))
    for week in range(1, model.weeks):
        study_day = 7 * week
        if not alive(study_day) or rng.random() < model.missed_diary:
            continue
        at = _local(person.enrolled_on + timedelta(days=study_day), time(20, 0), zone)
        person.scores.append(Score(at, "nrs", nrs(at), "diary"))
