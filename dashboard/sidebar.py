"""The sidebar: cohort filters mirrored in the URL, saved cohorts, and the study snapshot.

The filters are the toolkit's :class:`~toolkit.cohorts.Cohort`. On a session's first run they
start from the URL's query parameters (``?arms=retro&age_min=40``), so a shared link opens the
same view; after every run the URL is rewritten from the widgets. Widget keys start ``cohort_``.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.connection import save_cohort_to_study, snapshot_study
from dashboard.snapshot import SnapshotStatus
from dashboard.text import plain
from toolkit.cohorts import Cohort, load_cohort
from toolkit.errors import UsageError

_LISTS = {"arms": "Arm", "conditions": "Condition", "sexes": "Sex", "sites": "Site"}
_MESSAGE = "cohort_message"
_COHORT_KEYS = frozenset(f.name for f in fields(Cohort))


def _ranges(options: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Slider ranges: age in whole years, BMI in halves, widened to include the data."""
    out: dict[str, tuple[float, float]] = {}
    for name, step in (("age", 1.0), ("bmi", 0.5)):
        bounds = options.get(name)
        if bounds:
            out[name] = (math.floor(bounds[0] / step) * step, math.ceil(bounds[1] / step) * step)
    return out


def _state_from_cohort(cohort: Cohort, options: dict[str, Any]) -> dict[str, Any]:
    """Widget values showing ``cohort`` (values the study lacks are kept so nothing is lost)."""
    state: dict[str, Any] = {}
    for name in _LISTS:
        state[f"cohort_{name}"] = list(getattr(cohort, name))
    for name, (low, high) in _ranges(options).items():
        lo = getattr(cohort, f"{name}_min")
        hi = getattr(cohort, f"{name}_max")
        state[f"cohort_{name}"] = (
            min(max(low if lo is None else float(lo), low), high),
            max(min(high if hi is None else float(hi), high), low),
        )
    state["cohort_enrolled_from"] = cohort.enrolled_from
    state["cohort_enrolled_to"] = cohort.enrolled_to
    state["cohort_min_adherence"] = round(100 * (cohort.min_adherence or 0))
    state["cohort_complete_for"] = cohort.complete_for or ""
    return state


def _cohort_from_state(options: dict[str, Any]) -> Cohort:
    """The cohort the widgets describe (a slider at its full range does not filter)."""
    ss = st.session_state
    values: dict[str, Any] = {name: tuple(ss.get(f"cohort_{name}", ())) for name in _LISTS}
    for name, (low, high) in _ranges(options).items():
        lo, hi = ss.get(f"cohort_{name}", (low, high))
        values[f"{name}_min"] = lo if lo > low else None
        values[f"{name}_max"] = hi if hi < high else None
    values["enrolled_from"] = ss.get("cohort_enrolled_from")
    values["enrolled_to"] = ss.get("cohort_enrolled_to")
    adherence = ss.get("cohort_min_adherence", 0)
    values["min_adherence"] = adherence / 100 if adherence else None
    values["complete_for"] = ss.get("cohort_complete_for") or None
    return Cohort(**values)


def _apply(cohort: Cohort, options: dict[str, Any]) -> None:
    for key, value in _state_from_cohort(cohort, options).items():
        st.session_state[key] = value


def _initialise(options: dict[str, Any]) -> None:
    """First run of a session: widgets from the URL (a bad link is explained, then ignored)."""
    if st.session_state.get("cohort_initialised"):
        return
    try:
        cohort = Cohort.from_query_params(st.query_params.to_dict())
    except UsageError as exc:
        st.session_state[_MESSAGE] = ("warning", f"The link's cohort filters were ignored: {exc}")
        cohort = Cohort()
    _apply(cohort, options)
    st.session_state["cohort_initialised"] = True


def _load(source: str, version: str, options: dict[str, Any]) -> None:
    name = st.session_state.get("cohort_saved_choice")
    if not name:
        return
    try:
        cohort = load_cohort(snapshot_study(source), name)
    except UsageError as exc:
        st.session_state[_MESSAGE] = ("warning", str(exc))
        return
    _apply(cohort, options)
    st.session_state[_MESSAGE] = ("success", f"Loaded the cohort {name!r}.")


def _reset(options: dict[str, Any]) -> None:
    _apply(Cohort(), options)


def _save(source: str, options: dict[str, Any]) -> None:
    name = str(st.session_state.get("cohort_save_name", "")).strip()
    if not name:
        st.session_state[_MESSAGE] = ("warning", "Give the cohort a name to save it.")
        return
    try:
        cohort = _cohort_from_state(options)
    except UsageError as exc:
        st.session_state[_MESSAGE] = ("warning", str(exc))
        return
    saved, message = save_cohort_to_study(source, name, cohort)
    st.session_state[_MESSAGE] = ("success" if saved else "warning", message)


def cohort_filters(source: str, version: str) -> Cohort:
    """Draw the filter widgets and return the chosen cohort (URL updated to match)."""
    options = data.filter_options(source, version)
    _initialise(options)
    side = st.sidebar
    side.header("Cohort")
    for name, title in _LISTS.items():
        choices = sorted(set(options[name]) | set(st.session_state.get(f"cohort_{name}", [])))
        side.multiselect(title, choices, key=f"cohort_{name}", placeholder="all")
    ranges = _ranges(options)
    if "age" in ranges:
        side.slider("Age (years)", *ranges["age"], step=1.0, format="%d", key="cohort_age")
    if "bmi" in ranges:
        side.slider("BMI (kg/m²)", *ranges["bmi"], step=0.5, format="%.1f", key="cohort_bmi")
    first, last = options["enrolled"] or (None, None)
    left, right = side.columns(2)
    left.date_input("Enrolled from", min_value=first, max_value=last, key="cohort_enrolled_from")
    right.date_input("Enrolled to", min_value=first, max_value=last, key="cohort_enrolled_to")
    side.slider(
        "Minimum mean adherence (%)",
        0,
        150,
        step=5,
        key="cohort_min_adherence",
        help="Walking arms only; participants without a prescription (usual care) stay in. "
        "0 = no filter.",
    )
    side.selectbox(
        "Baseline and follow-up available for",
        ["", *options["instruments"]],
        key="cohort_complete_for",
        format_func=lambda v: v or "(no requirement)",
    )
    try:
        cohort = _cohort_from_state(options)
    except UsageError as exc:
        side.warning(f"{plain(exc)} Showing all participants.")
        cohort = Cohort()
    # Rewrite the cohort's keys; keep the page's own (e.g. ``participant``).
    kept = {k: v for k, v in st.query_params.to_dict().items() if k not in _COHORT_KEYS}
    st.query_params.from_dict({**kept, **cohort.to_query_params()})
    _saved_cohorts(source, version, options)
    return cohort


def _saved_cohorts(source: str, version: str, options: dict[str, Any]) -> None:
    side = st.sidebar
    names = data.saved_cohorts(source, version)
    with side.expander("Saved cohorts", expanded=False):
        if names:
            st.selectbox("Saved cohort", names, key="cohort_saved_choice")
            st.button("Load", key="cohort_load", on_click=_load, args=(source, version, options))
        else:
            st.caption("No cohort saved in this study yet.")
        st.text_input("Save these filters as", key="cohort_save_name", placeholder="name")
        st.button("Save cohort", key="cohort_save", on_click=_save, args=(source, options))
        st.button("Reset filters", key="cohort_reset", on_click=_reset, args=(options,))
    message = st.session_state.pop(_MESSAGE, None)
    if message:
        kind, text = message
        (side.success if kind == "success" else side.warning)(text)


def snapshot_caption(status: SnapshotStatus) -> None:
    """Say which copy of the study is shown, and whether the study is being written now."""
    snapshot = status.snapshot
    taken = snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    modified = snapshot.source_modified.strftime("%Y-%m-%d %H:%M:%S UTC")
    st.sidebar.caption(
        f"Study {plain(snapshot.source.name)} as of {modified} (snapshot taken {taken})."
    )
    if status.stale:
        who = f" (pid {status.writer_pid})" if status.writer_pid else ""
        st.sidebar.info(
            f"The study is being written by another process{who}, for example an ingest. "
            "DuckDB lets no other process read it meanwhile, so this page shows the last "
            "snapshot; it refreshes by itself on the first interaction after the writer finishes."
        )


def report_download(source: str, version: str, cohort: Cohort) -> None:
    """Build the shareable static report for the cohort on request and offer it for download.

    The report is always the private one (pseudonyms, study days, small cells suppressed); a
    report with identifiers needs ``retrowalk report --identifiable`` on purpose.
    """
    with st.sidebar.expander("Static report", expanded=False):
        st.caption(
            "A self-contained HTML report of the cohort chosen above: opens offline, no "
            "participant ids or calendar dates, groups under 5 participants suppressed."
        )
        options = data.filter_options(source, version)["instruments"]
        ordered = sorted(options, key=lambda name: (name != "nrs", name))
        outcome = st.selectbox("Primary outcome", ordered, key="report_outcome")
        if st.button("Prepare report", key="report_prepare"):
            with st.spinner("Running the analyses and rendering the report..."):
                html, name = data.report_html(source, version, cohort.to_json(), outcome)
            st.session_state["report_ready"] = (html, name)
        ready = st.session_state.get("report_ready")
        if ready:
            st.download_button(
                "Download report (HTML)",
                ready[0],
                file_name=ready[1],
                mime="text/html",
                key="report_download",
            )
