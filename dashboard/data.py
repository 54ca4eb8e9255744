"""Cached data for the pages: toolkit functions called with plain, hashable arguments.

Every function takes ``source`` (the study path) and ``version`` (the snapshot's content stamp),
so a new snapshot never serves results cached from an older one. Study-wide frames are read once
per version (few entries); a filter change only needs the cohort's participant ids (one cheap
query) and in-memory filtering of those frames, which keeps a filter change fast on large
studies. Cohorts travel as their JSON text.

``toolkit.stats`` is imported inside the functions that use it: it pulls in statsmodels and
scipy (seconds on a busy machine), and the first page's charts do not need it, so they can be
drawn while it loads.

Statistical caveats (:class:`toolkit.errors.StatsWarning`) are returned as text with the result
so the page can show them; cached functions must not call Streamlit elements.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from dashboard.connection import snapshot_study
from toolkit import analysis_frames, summaries
from toolkit.cohorts import Cohort, members, saved_cohort_names, select_view
from toolkit.errors import RetrowalkError

T = TypeVar("T")
STUDY_WIDE = 4
PER_COHORT = 64


def _cohort(cohort_json: str) -> Cohort:
    return Cohort.from_json(cohort_json)


#: ``warnings.catch_warnings`` swaps process-wide state; sessions run on threads, so one at a time.
_WARNINGS = threading.Lock()


def _with_warnings(func: Callable[[], T]) -> tuple[T | None, list[str]]:
    """Run ``func``; its warnings (and a toolkit error, as the result None) become text."""
    with _WARNINGS, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: T | None = func()
            error: list[str] = []
        except RetrowalkError as exc:
            result, error = None, [str(exc)]
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    return result, messages + error


def in_cohort(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Rows of ``frame`` whose participant is in ``ids``."""
    return frame.filter(pl.col("participant_id").is_in(ids.implode()))


def default_instrument(instruments: list[str]) -> str:
    """The outcome the Overview's flow starts with: NRS pain when recorded, else the first."""
    if "nrs" in instruments or not instruments:
        return "nrs"
    return instruments[0]


# --- study-wide frames (one entry per snapshot version) -------------------------------------


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def filter_options(source: str, version: str) -> dict[str, Any]:
    """Values the sidebar filters offer: arms, conditions, sexes, sites, ranges, instruments."""
    study = snapshot_study(source)
    people = members(study, Cohort())
    # From the cached ``outcomes`` rows the Overview reads anyway: a slow view to query twice.
    outcomes = study_view(source, version, "outcomes")
    instruments = sorted(outcomes["instrument"].drop_nulls().unique().to_list())

    def distinct(column: str) -> list[str]:
        return sorted(str(v) for v in people[column].drop_nulls().unique().to_list())

    def bounds(column: str) -> tuple[float, float] | None:
        values = people[column].drop_nulls()
        return (float(values.min()), float(values.max())) if values.len() else None  # type: ignore[arg-type]

    enrolled = people["enrolled_on"].drop_nulls()
    return {
        "arms": distinct("arm"),
        "conditions": distinct("condition"),
        "sexes": distinct("sex"),
        "sites": distinct("site"),
        "age": bounds("age"),
        "bmi": bounds("bmi"),
        "enrolled": (enrolled.min(), enrolled.max()) if enrolled.len() else None,
        "instruments": instruments,
        "participants": people.height,
    }


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def saved_cohorts(source: str, version: str) -> list[str]:
    """Names of the cohorts saved in the study."""
    return saved_cohort_names(snapshot_study(source))


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_view(source: str, version: str, view: str) -> pl.DataFrame:
    """All rows of a participant view (``participants``, ``weekly_exposure``, ``outcomes``...)."""
    return select_view(snapshot_study(source), view, Cohort())


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_person_weeks(source: str, version: str) -> pl.DataFrame:
    """Speed and incline per participant, direction and study week, for everyone."""
    return summaries.weekly_speed_incline(snapshot_study(source), Cohort())


@st.cache_data(max_entries=STUDY_WIDE * 4, show_spinner=False)
def study_participants_with(source: str, version: str, view: str) -> pl.DataFrame:
    """Participants with any row in ``view`` (sessions, samples, scores, wearable days)."""
    return summaries.participants_with(snapshot_study(source), view)


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_unlabelled_segments(source: str, version: str) -> pl.DataFrame:
    """Every session segment whose walking direction is unknown."""
    return summaries.unlabelled_segments(snapshot_study(source), Cohort())


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_sample_participants(source: str, version: str) -> pl.DataFrame:
    """Participants with per-second treadmill samples."""
    return summaries.sample_participants(snapshot_study(source))


@st.cache_data(max_entries=STUDY_WIDE * 3, show_spinner=False)
def study_outcome_frame(source: str, version: str, instrument: str) -> pl.DataFrame:
    """``analysis_frames.outcome_frame`` for everyone, for one instrument."""
    return analysis_frames.outcome_frame(snapshot_study(source), None, instrument)


@st.cache_data(max_entries=STUDY_WIDE * 3, show_spinner=False)
def study_trajectory_frame(source: str, version: str, instrument: str) -> pl.DataFrame:
    """``analysis_frames.trajectory_frame`` for everyone, for one instrument."""
    return analysis_frames.trajectory_frame(snapshot_study(source), None, instrument)


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def ingest_attempts(source: str, version: str) -> pl.DataFrame:
    """The ingest log, newest first."""
    return summaries.ingest_attempts(snapshot_study(source))


# --- per cohort ------------------------------------------------------------------------------


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def cohort_ids(source: str, version: str, cohort_json: str) -> pl.Series:
    """The cohort's participant ids (the one query a filter change runs)."""
    cohort = _cohort(cohort_json)
    if cohort.is_everyone():
        return study_view(source, version, "participants")["participant_id"]
    return members(snapshot_study(source), cohort)["participant_id"]


def cohort_view(source: str, version: str, cohort_json: str, view: str) -> pl.DataFrame:
    """The cohort's rows of a participant view (filtered in memory)."""
    return in_cohort(study_view(source, version, view), cohort_ids(source, version, cohort_json))


def cohort_outcome_frame(
    source: str, version: str, cohort_json: str, instrument: str
) -> pl.DataFrame:
    """The cohort's rows of the outcome frame for ``instrument``."""
    return in_cohort(
        study_outcome_frame(source, version, instrument), cohort_ids(source, version, cohort_json)
    )


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def overview_tables(
    source: str, version: str, cohort_json: str, instrument: str
) -> dict[str, pl.DataFrame]:
    """Participant flow and data completeness for the cohort."""
    ids = cohort_ids(source, version, cohort_json)
    people = cohort_view(source, version, cohort_json, "participants")
    outcomes = cohort_view(source, version, cohort_json, "outcomes")
    sources = {
        "treadmill sessions": "sessions",
        "per-second treadmill samples": "treadmill_samples",
        "pain or questionnaire scores": "pain_scores",
        "wearable days": "wearable_daily",
    }
    completeness = summaries.data_completeness(
        people,
        {
            name: in_cohort(study_participants_with(source, version, view), ids)
            for name, view in sources.items()
        },
    )
    return {
        "flow": summaries.participant_flow(people, outcomes, instrument),
        "completeness": completeness,
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def table1(source: str, version: str, cohort_json: str) -> dict[str, pl.DataFrame]:
    """Table 1 of the cohort, long (``toolkit.stats.table1``) and wide (for display)."""
    from toolkit import stats

    people = cohort_view(source, version, cohort_json, "participants")
    long = stats.table1(people) if people.height else pl.DataFrame()
    return {"long": long, "wide": summaries.table1_wide(long)}


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def exposure_tables(source: str, version: str, cohort_json: str) -> dict[str, pl.DataFrame]:
    """Weekly minutes, adherence per participant and progression for the cohort."""
    ids = cohort_ids(source, version, cohort_json)
    people = cohort_view(source, version, cohort_json, "participants")
    weekly = cohort_view(source, version, cohort_json, "weekly_exposure")
    exposure = cohort_view(source, version, cohort_json, "participant_exposure")
    person_weeks = in_cohort(study_person_weeks(source, version), ids)
    return {
        "weekly_minutes": summaries.weekly_minutes(weekly, people),
        "adherence": summaries.adherence_by_participant(exposure, people),
        "progression": summaries.progression(person_weeks, people),
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def outcome_results(
    source: str, version: str, cohort_json: str, instrument: str, reference: str | None
) -> dict[str, Any]:
    """Trajectories, change from baseline, ANCOVA and responders for the cohort."""
    from toolkit import stats

    frame = cohort_outcome_frame(source, version, cohort_json, instrument)
    trajectory = in_cohort(
        study_trajectory_frame(source, version, instrument),
        cohort_ids(source, version, cohort_json),
    )
    pairs = frame.filter(pl.col("baseline").is_not_null() & pl.col("follow_up").is_not_null())
    if pairs.height == 0:
        # Nobody with both a baseline and a follow-up: nothing to analyse (and the statistics
        # functions are not asked to handle an empty frame).
        nothing = f"No participant in this cohort has both a baseline and a follow-up {instrument}."
        change = ancova = responders = None
        change_notes, ancova_notes, responder_notes = [nothing], [nothing], [nothing]
    else:
        change, change_notes = _with_warnings(lambda: stats.change_from_baseline(frame))
        ancova, ancova_notes = _with_warnings(lambda: stats.ancova(frame, reference=reference))
        responders, responder_notes = _with_warnings(
            lambda: stats.responders(frame, reference=reference)
        )
    return {
        "frame": frame,
        "trajectory": trajectory,
        "trajectory_means": summaries.trajectory_means(trajectory),
        "change": change,
        "ancova": ancova,
        "responders": responders,
        "notes": {"change": change_notes, "ancova": ancova_notes, "responders": responder_notes},
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def trajectory_model(
    source: str, version: str, cohort_json: str, instrument: str, reference: str | None
) -> tuple[pl.DataFrame | None, list[str]]:
    """Each arm's mean score over study weeks from a linear mixed model (random intercept and
    slope per participant): ``toolkit.stats.mixed_model_curve``, columns renamed to those of
    ``summaries.trajectory_means`` (arm, study_week, mean, ci_low, ci_high, n)."""
    from toolkit import stats

    scores = in_cohort(
        study_trajectory_frame(source, version, instrument),
        cohort_ids(source, version, cohort_json),
    )
    curve, notes = _with_warnings(
        lambda: stats.mixed_model_curve(
            scores, outcome="score", time="study_week", group="arm", reference=reference
        )
    )
    if curve is None:
        return None, notes
    renamed = curve.rename({"group": "arm", "time": "study_week", "estimate": "mean"})
    return renamed.select("arm", "study_week", "mean", "ci_low", "ci_high", "n"), notes


@st.cache_data(max_entries=STUDY_WIDE * 3, show_spinner=False)
def study_visit_frame(source: str, version: str, instrument: str) -> pl.DataFrame:
    """``analysis_frames.visit_frame`` (post-baseline visits with baseline) for everyone."""
    return analysis_frames.visit_frame(snapshot_study(source), None, instrument)


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def mmrm_result(
    source: str, version: str, cohort_json: str, instrument: str, reference: str | None
) -> tuple[pl.DataFrame | None, list[str]]:
    """MMRM of change from baseline over the scheduled visits, by arm, for the cohort."""
    from toolkit import stats

    visits = in_cohort(
        study_visit_frame(source, version, instrument), cohort_ids(source, version, cohort_json)
    )
    return _with_warnings(
        lambda: stats.mmrm(
            visits,
            outcome="change",
            visit="visit",
            group="arm",
            baseline="baseline",
            reference=reference,
        )
    )


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def dose_response_results(
    source: str,
    version: str,
    cohort_json: str,
    instrument: str,
    exposure: str,
    covariates: tuple[str, ...],
    spline_df: int | None,
) -> dict[str, Any]:
    """The dose-response coefficients and fitted curve for the cohort."""
    from toolkit import stats

    frame = cohort_outcome_frame(source, version, cohort_json, instrument)
    kwargs: dict[str, Any] = {
        "outcome": "change",
        "exposure": exposure,
        "covariates": covariates,
        "spline_df": spline_df,
    }
    coefficients, notes = _with_warnings(lambda: stats.dose_response(frame, **kwargs))
    curve, curve_notes = _with_warnings(lambda: stats.dose_response_curve(frame, **kwargs))
    return {
        "frame": frame,
        "coefficients": coefficients,
        "curve": curve,
        "notes": list(dict.fromkeys(notes + curve_notes)),
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def quality_tables(
    source: str, version: str, cohort_json: str, instrument: str
) -> dict[str, pl.DataFrame]:
    """Unlabelled segments and missing values for the cohort."""
    from toolkit import stats

    unlabelled = in_cohort(
        study_unlabelled_segments(source, version), cohort_ids(source, version, cohort_json)
    )
    frame = cohort_outcome_frame(source, version, cohort_json, instrument)
    columns = ["sex", "age", "bmi", "site", "baseline", "follow_up", "change", "adherence"]
    missing = (
        stats.missing_summary(frame, group="arm", columns=columns)
        if frame.height
        else pl.DataFrame()
    )
    return {"unlabelled": unlabelled, "missing": missing}


# --- one participant ---------------------------------------------------------------------------


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def participant_data(source: str, version: str, participant_id: str) -> dict[str, pl.DataFrame]:
    """Everything the Participant page shows about one participant."""
    study = snapshot_study(source)
    return {
        "profile": summaries.participant_view(study, "participants", participant_id),
        "outcomes": summaries.participant_view(study, "outcomes", participant_id),
        "sessions": summaries.participant_sessions(study, participant_id),
        "pain": summaries.participant_view(study, "pain_scores", participant_id),
        "wearable": summaries.participant_view(study, "wearable_daily", participant_id),
        "weekly": summaries.participant_view(study, "weekly_exposure", participant_id),
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def session_samples(
    source: str, version: str, participant_id: str, session_id: str
) -> pl.DataFrame:
    """One session's per-second samples."""
    return summaries.participant_samples(snapshot_study(source), participant_id, session_id)


@st.cache_data(max_entries=4, show_spinner=False)
def report_html(source: str, version: str, cohort_json: str, outcome: str) -> tuple[bytes, str]:
    """The private static report for the cohort (HTML bytes) and a file name for it.

    ``toolkit.report`` is imported here for the same reason as ``toolkit.stats`` above.
    """
    from toolkit.report import report_html as build

    html = build(snapshot_study(source), _cohort(cohort_json), outcome=outcome)
    return html, f"retrowalk-report-{outcome}.html"
