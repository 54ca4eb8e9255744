"""The generating model of the demo study (documented in MODEL.md), as data.

Everything random flows from one ``numpy.random.Generator`` seeded by the caller, in a fixed
order, so the same seed and size always produce the same files.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Site:
    """A recruiting site and the time zone its clocks and questionnaires use."""

    name: str
    timezone: str


@dataclass(frozen=True)
class DemoModel:
    """Parameters of the simulated trial. Pain is NRS 0-10 unless stated."""

    weeks: int = 12
    sessions_per_week: int = 3
    first_enrolment: str = "2025-01-06"
    enrolment_days: int = 330
    sites: tuple[Site, ...] = (
        Site("leeds", "Europe/London"),
        Site("boston", "America/New_York"),
        Site("sydney", "Australia/Sydney"),
    )
    arms: tuple[str, ...] = ("retro", "forward", "usual_care")
    conditions: dict[str, float] = field(
        default_factory=lambda: {
            "patellofemoral_pain": 0.4,
            "knee_oa": 0.4,
            "post_acl_reconstruction": 0.2,
        }
    )
    #: Prescribed minutes per week in the arm's walking direction: 3 sessions of 15 minutes;
    #: a retro session (2 min forward warm-up, then 2 min backward / 1 min forward) holds
    #: 9 backward minutes.
    prescribed_minutes_per_week: dict[str, float] = field(
        default_factory=lambda: {"retro": 27.0, "forward": 45.0}
    )
    #: Session length grows linearly from the first to the second value by week 3 (minutes).
    session_minutes: tuple[float, float] = (10.0, 15.0)
    ramp_weeks: int = 3
    #: Adherence: propensity ~ Beta(a, b); weekly attendance probability decays as
    #: propensity * exp(-(week - 1) / tau), tau ~ Uniform(low, high) weeks.
    adherence_beta: tuple[float, float] = (6.0, 2.0)
    adherence_tau_weeks: tuple[float, float] = (10.0, 40.0)
    #: Weekly probability of dropping out (no sessions and no scores afterwards).
    dropout_hazard: float = 0.012
    #: Probability that a scheduled visit or diary entry is missed.
    missed_visit: float = 0.08
    missed_diary: float = 0.15
    #: Baseline NRS mean by condition; SD of baseline; clipped to [2, 9].
    baseline_pain: dict[str, float] = field(
        default_factory=lambda: {
            "patellofemoral_pain": 5.5,
            "knee_oa": 6.0,
            "post_acl_reconstruction": 4.5,
        }
    )
    baseline_sd: float = 1.2
    #: Change over 12 weeks without walking (natural history), and its between-person SD.
    natural_change: float = -0.8
    natural_change_sd: float = 0.5
    #: TRUE EFFECT: NRS points per (mean weekly retro minute over the 12 weeks).
    retro_effect_per_weekly_minute: float = -0.04
    #: NRS points per mean weekly forward minute.
    forward_effect_per_weekly_minute: float = -0.01
    #: Measurement noise of one NRS reading (SD, before rounding to whole points).
    nrs_noise_sd: float = 0.7
    #: Share of segments whose direction the console export leaves blank.
    unlabelled_segment_share: float = 0.004
    #: Participants of the retro arm whose sessions are exported as per-second samples.
    sampled_participants: int = 6


#: The effects a correct analysis of the demo study must recover.
TRUE_EFFECTS: dict[str, float] = {
    "nrs_change_per_weekly_retro_minute": DemoModel().retro_effect_per_weekly_minute,
    "nrs_change_per_weekly_forward_minute": DemoModel().forward_effect_per_weekly_minute,
    "nrs_natural_change_12_weeks": DemoModel().natural_change,
}
