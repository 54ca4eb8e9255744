"""Cached data for the pages: toolkit functions called with plain, hashable arguments.

Every function takes ``source`` (the study path) and ``version`` (the snapshot's content stamp),
so a new snapshot never serves results cached from an older one. Study-wide frames are read once
per version (few entries); a filter change only needs the cohort's participant ids (one cheap
query) and in-memory filtering of those frames, which keeps a filter change fast on large
studies. Cohorts travel as their JSON text.

``toolkit.stats`` is imported inside the functions that use it: it pulls in statsmodels and
scipy (seconds on a busy machine), and the first page's charts do not need it, so they can be
drawn while it loads.

Analyses (change, ANCOVA, responders, MMRM, mixed model, dose-response) come only from the
analysis layer, :func:`toolkit.analyses.execute_plan`, running the study's plan (the file named
by ``RETROWALK_PLAN``, set by ``retrowalk dashboard --plan``, else the built-in plan) exactly as
``retrowalk analyse`` and ``retrowalk report`` run it, so the three show the same numbers. The
caveats come back as data (each result's notes), so sessions never serialise behind a lock to
capture warnings; cached functions must not call Streamlit elements.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl
import streamlit as st

from dashboard import first_page
from dashboard.connection import snapshot_study
from toolkit import analysis_frames, summaries
from toolkit.cohorts import Cohort, members, saved_cohort_names, select_view
from toolkit.errors import RetrowalkError

if TYPE_CHECKING:
    from toolkit.analyses import AnalysisResult, Plan

T = TypeVar("T")
STUDY_WIDE = 4
PER_COHORT = 64


def _cohort(cohort_json: str) -> Cohort:
    return Cohort.from_json(cohort_json)


def plan_text() -> str | None:
    """The text of the plan file named by ``RETROWALK_PLAN`` (None: the built-in plan)."""
    configured = os.environ.get("RETROWALK_PLAN")
    return Path(configured).read_text(encoding="utf-8") if configured else None


def page_plan(text: str | None, instrument: str, reference: str | None = None) -> Plan:
    """The plan a page runs: ``text`` (or the built-in plan), its NRS analyses on
    ``instrument``, with the page's reference arm when one is chosen."""
    from toolkit.analyses import default_plan, parse_plan
    from toolkit.analyses.run import retarget

    plan = parse_plan(text, os.environ.get("RETROWALK_PLAN", "plan")) if text else default_plan()
    plan = retarget(plan, instrument)
    return replace(plan, reference_arm=reference) if reference else plan


def first_analyses(plan: Plan, instrument: str, models: tuple[str, ...]) -> dict[str, str]:
    """For each model, the id of the plan's first whole-cohort (ITT) analysis of
    ``instrument`` with that model (what a page shows)."""
    found: dict[str, str] = {}
    for spec in plan.analyses:
        if spec.outcome == instrument and spec.population == "itt" and spec.model in models:
            found.setdefault(spec.model, spec.id)
    return found


def _shown(result: AnalysisResult | None) -> tuple[pl.DataFrame | None, list[str]]:
    """A result's table (None unless it ran) and its notes, for a page."""
    if result is None:
        return None, ["The analysis plan has no such analysis for this outcome."]
    table = result.table if result.status == "ok" and result.table.height else None
    return table, list(result.notes)


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
    """Values the sidebar filters offer: arms, conditions, sexes, sites, ranges, instruments
    (kept between server starts: see :mod:`dashboard.first_page`)."""
    return first_page.kept_options(source, version, lambda: _filter_options(source, version))


def _filter_options(source: str, version: str) -> dict[str, Any]:
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


@st.cache_data(max_entries=STUDY_WIDE * 8, show_spinner=False)
def study_view(source: str, version: str, view: str) -> pl.DataFrame:
    """All rows of a participant view (``participants``, ``weekly_exposure``, ``outcomes``...).

    Room for every view the pages read, for a few versions: an evicted slow view would be
    computed again on the next page."""
    return select_view(snapshot_study(source), view, Cohort())


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_person_weeks(source: str, version: str) -> pl.DataFrame:
    """Speed and incline per participant, direction and study week, for everyone."""
    return summaries.weekly_speed_incline(snapshot_study(source), Cohort())


def study_participants_with(source: str, version: str, view: str) -> pl.DataFrame:
    """Participants with any row in ``view`` (sessions, samples, scores, wearable days): the
    rows of :func:`toolkit.summaries.participants_with`, taken from the cached
    ``participant_data`` rows. One query for the four kinds of data: each counts rows of a slow
    view (``wearable_daily`` converts every wearable sample to local time), and the Overview
    needs all four before its first chart."""
    if view not in summaries.DATA_VIEWS:
        raise ValueError(
            f"The 'view' must be one of {tuple(summaries.DATA_VIEWS)}. Got {view!r} instead."
        )
    counts = study_view(source, version, "participant_data")
    return (
        counts.filter(pl.col(summaries.DATA_VIEWS[view]) > 0)
        .select("participant_id")
        .sort("participant_id")
    )


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def study_unlabelled_segments(source: str, version: str) -> pl.DataFrame:
    """Every session segment whose walking direction is unknown."""
    return summaries.unlabelled_segments(snapshot_study(source), Cohort())


def study_sample_participants(source: str, version: str) -> pl.DataFrame:
    """Participants with per-second treadmill samples (the rows of
    :func:`toolkit.summaries.sample_participants`, from the cached ``participant_data``)."""
    counts = study_view(source, version, "participant_data")
    return (
        counts.filter(pl.col("samples") > 0)
        .select("participant_id", "samples")
        .sort("participant_id")
    )


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


@st.cache_data(max_entries=STUDY_WIDE, show_spinner=False)
def kept_out(source: str, version: str) -> dict[str, pl.DataFrame]:
    """Quarantined values, salvaged files, unclassified activities and session copies."""
    study = snapshot_study(source)
    return {
        "quarantined": summaries.quarantined_values(study),
        "salvaged": summaries.salvaged_files(study),
        "unclassified": summaries.unclassified_activities(study),
        "copies": summaries.session_copies(study),
    }


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


def overview_tables(
    source: str, version: str, cohort_json: str, instrument: str
) -> dict[str, pl.DataFrame]:
    """Participant flow (for ``instrument``) and data completeness for the cohort."""
    return {
        "flow": overview_flow(source, version, cohort_json, instrument),
        "completeness": overview_completeness(source, version, cohort_json),
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def overview_flow(source: str, version: str, cohort_json: str, instrument: str) -> pl.DataFrame:
    """Participant flow of the cohort for ``instrument`` (``summaries.participant_flow``).
    Separate from completeness, which reads a slower view, so the page can draw it first."""

    def compute() -> pl.DataFrame:
        people = cohort_view(source, version, cohort_json, "participants")
        outcomes = cohort_view(source, version, cohort_json, "outcomes")
        return summaries.participant_flow(people, outcomes, instrument)

    name = f"flow-{hashlib.sha1(instrument.encode()).hexdigest()[:12]}"
    return first_page.kept_frame(source, version, cohort_json, name, compute)


#: The Overview's kinds of data, by the view counted in ``participant_data``.
COMPLETENESS_SOURCES = {
    "treadmill sessions": "sessions",
    "per-second treadmill samples": "treadmill_samples",
    "pain or questionnaire scores": "pain_scores",
    "wearable days": "wearable_daily",
}


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def overview_completeness(source: str, version: str, cohort_json: str) -> pl.DataFrame:
    """Which kinds of data the cohort's participants have (``summaries.data_completeness``)."""

    def compute() -> pl.DataFrame:
        ids = cohort_ids(source, version, cohort_json)
        people = cohort_view(source, version, cohort_json, "participants")
        return summaries.data_completeness(
            people,
            {
                name: in_cohort(study_participants_with(source, version, view), ids)
                for name, view in COMPLETENESS_SOURCES.items()
            },
        )

    return first_page.kept_frame(source, version, cohort_json, "completeness", compute)


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def table1(source: str, version: str, cohort_json: str) -> dict[str, pl.DataFrame]:
    """Table 1 of the cohort, long (``toolkit.stats.table1``) and wide (for display); for
    everyone, kept between server starts (see :mod:`dashboard.first_page`), which also spares
    the first page importing the statistics stack."""
    return first_page.kept_frames(
        source, version, cohort_json, "table1", lambda: _table1(source, version, cohort_json)
    )


def _table1(source: str, version: str, cohort_json: str) -> dict[str, pl.DataFrame]:
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
def cohort_arms(source: str, version: str, cohort_json: str) -> list[str]:
    """The arms of the cohort's participants (what a reference-arm box may offer)."""
    people = cohort_view(source, version, cohort_json, "participants")
    return sorted(str(a) for a in people["arm"].drop_nulls().unique().to_list())


def default_reference(arms: list[str], text: str | None = None) -> str | None:
    """The reference arm the plan resolves for a cohort with ``arms`` (as the CLI and report)."""
    from toolkit.analyses import resolve_reference

    plan = page_plan(text, "nrs")
    return resolve_reference(plan.reference_arm, arms)[0]


def _run(
    source: str,
    cohort_json: str,
    plan: Plan,
    ids: dict[str, str],
    *,
    curves: bool = False,
) -> dict[str, AnalysisResult]:
    """The plan's analyses ``ids`` (model -> id) on the cohort, by model."""
    from toolkit.analyses import execute_plan

    if not ids:
        return {}
    run = execute_plan(
        snapshot_study(source), plan, _cohort(cohort_json), only=tuple(ids.values()), curves=curves
    )
    return {model: run.result(analysis) for model, analysis in ids.items()}


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def outcome_results(
    source: str,
    version: str,
    cohort_json: str,
    instrument: str,
    reference: str | None,
    text: str | None = None,
) -> dict[str, Any]:
    """Trajectories, and the plan's change from baseline, ANCOVA and responders for the cohort."""
    plan = page_plan(text, instrument, reference)
    ids = first_analyses(plan, instrument, ("change", "ancova", "responders"))
    try:
        results = _run(source, cohort_json, plan, ids)
    except RetrowalkError as exc:
        results, failed = {}, str(exc)
    else:
        failed = ""
    trajectory = in_cohort(
        study_trajectory_frame(source, version, instrument),
        cohort_ids(source, version, cohort_json),
    )
    shown = {
        model: _shown(results.get(model)) if not failed else (None, [failed])
        for model in ("change", "ancova", "responders")
    }
    primary = results.get("ancova")
    return {
        "frame": cohort_outcome_frame(source, version, cohort_json, instrument),
        "trajectory": trajectory,
        "trajectory_means": summaries.trajectory_means(trajectory),
        "change": shown["change"][0],
        "ancova": shown["ancova"][0],
        "responders": shown["responders"][0],
        "reference": primary.reference if primary is not None else reference,
        "notes": {model: notes for model, (_, notes) in shown.items()},
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def trajectory_model(
    source: str,
    version: str,
    cohort_json: str,
    instrument: str,
    reference: str | None,
    text: str | None = None,
) -> tuple[pl.DataFrame | None, list[str]]:
    """Each arm's fitted mean score over study weeks from the plan's linear mixed model (random
    slopes unless singular), columns renamed to those of ``summaries.trajectory_means`` (arm,
    study_week, mean, ci_low, ci_high, n)."""
    plan = page_plan(text, instrument, reference)
    ids = first_analyses(plan, instrument, ("mixed_model",))
    try:
        result = _run(source, cohort_json, plan, ids, curves=True).get("mixed_model")
    except RetrowalkError as exc:
        return None, [str(exc)]
    _, notes = _shown(result)
    if result is None or result.curve is None or result.status != "ok":
        return None, notes
    renamed = result.curve.rename({"group": "arm", "time": "study_week", "estimate": "mean"})
    return renamed.select("arm", "study_week", "mean", "ci_low", "ci_high", "n"), notes


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def mmrm_result(
    source: str,
    version: str,
    cohort_json: str,
    instrument: str,
    reference: str | None,
    text: str | None = None,
) -> tuple[pl.DataFrame | None, list[str]]:
    """The plan's MMRM of change from baseline over the scheduled visits, for the cohort."""
    plan = page_plan(text, instrument, reference)
    ids = first_analyses(plan, instrument, ("mmrm",))
    try:
        return _shown(_run(source, cohort_json, plan, ids).get("mmrm"))
    except RetrowalkError as exc:
        return None, [str(exc)]


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def dose_response_results(
    source: str,
    version: str,
    cohort_json: str,
    instrument: str,
    exposure: str,
    adjust_other: bool,
    spline_df: int | None,
    text: str | None = None,
) -> dict[str, Any]:
    """The plan's dose-response (observational) for the cohort, with the page's exposure,
    curve shape and adjustment: ``adjust_other`` keeps the plan's default adjustment (baseline
    and the other direction's minutes, dropped with a note when collinear), else baseline only.
    """
    plan = page_plan(text, instrument)
    ids = first_analyses(plan, instrument, ("dose_response",))
    frame = cohort_outcome_frame(source, version, cohort_json, instrument)
    if not ids:
        return {
            "frame": frame,
            "coefficients": None,
            "curve": None,
            "covariates": (),
            "notes": ["The analysis plan has no dose-response analysis of this outcome."],
        }
    spec = plan.analysis(ids["dose_response"])
    spec = replace(
        spec,
        exposure=exposure,
        spline_df=spline_df,
        covariates=spec.covariates if adjust_other else ("baseline",),
    )
    plan = replace(plan, analyses=(spec,))
    try:
        result = _run(source, cohort_json, plan, ids, curves=True)["dose_response"]
    except RetrowalkError as exc:
        return {"frame": frame, "coefficients": None, "curve": None, "covariates": (),
                "notes": [str(exc)]}  # fmt: skip
    coefficients, notes = _shown(result)
    return {
        "frame": frame,
        "coefficients": coefficients,
        "curve": result.curve if coefficients is not None else None,
        "covariates": result.covariates,
        "notes": notes,
    }


@st.cache_data(max_entries=PER_COHORT, show_spinner=False)
def plan_table(
    source: str, version: str, cohort_json: str, text: str | None = None
) -> pl.DataFrame:
    """Every analysis of the plan on the cohort: ``toolkit.analyses.run_plan``'s tidy table, the
    same rows ``retrowalk analyse`` prints."""
    from toolkit.analyses import default_plan, parse_plan, run_plan

    plan = parse_plan(text, os.environ.get("RETROWALK_PLAN", "plan")) if text else default_plan()
    return run_plan(snapshot_study(source), plan, _cohort(cohort_json))


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
