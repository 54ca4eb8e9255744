"""Data quality: what was ingested, what was rejected and why, unlabelled segments, gaps."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import figure_ingest_status, figure_missingness
from toolkit.figures.quality import applicable_totals
from toolkit.format import level_label
from toolkit.summaries import arms_without_prescription

ctx = context.current()
options = data.filter_options(ctx.source, ctx.version)
st.title("Data quality")
attempts = data.ingest_attempts(ctx.source, ctx.version)
counts = {
    s: attempts.filter(pl.col("status") == s).height for s in ("loaded", "duplicate", "rejected")
}
cols = st.columns(3)
cols[0].metric("Files loaded", counts["loaded"])
cols[1].metric("Duplicates skipped", counts["duplicate"])
cols[2].metric("Files rejected", counts["rejected"])

st.subheader("Ingest log")
downloads.figure(figure_ingest_status(attempts), "ingest_status", key="quality_ingest")
with st.expander("Every ingest attempt (newest first)"):
    downloads.table(attempts, "ingest_log", key="quality_log")

st.subheader("Rejected files")
rejected = attempts.filter(pl.col("status") == "rejected").select(
    "ingested_at", "format", "path", "error_position", "error"
)
if rejected.height:
    downloads.table(rejected, "rejected_files", key="quality_rejected")
    st.caption("A rejected file loaded nothing; fix it and ingest it again.")
else:
    st.success("No file has been rejected.")
    bad_file = Path(ctx.source).parent / "quality" / "late_entries.csv"
    if bad_file.exists():
        st.info(
            "This study's `quality/` folder holds a file with a deliberate error (an NRS score "
            "of 12 on a 0-10 scale). To see how a rejection looks here, ingest it: "
            f"`retrowalk ingest {ctx.source} {bad_file.parent}` (or build the demo with "
            "`retrowalk demo --with-bad-file`). Nothing from a rejected file is loaded."
        )

st.subheader("Values kept out and files partly kept")
kept_out = data.kept_out(ctx.source, ctx.version)
for name, title, note in (
    ("quarantined", "Quarantined values", "Sensor glitches and future-dated records, in no view."),
    ("salvaged", "Salvaged files", "Damaged device files: records before the damage kept."),
    ("unclassified", "Unclassified activities", "TCX 'Other' activities not known to be walks."),
    ("copies", "Session copies", "A second record of one walk (e.g. a FIT's TCX): counted once."),
):
    if kept_out[name].height:
        st.caption(f"{title}: {kept_out[name].height}. {note}")
        downloads.table(kept_out[name], name, key=f"quality_{name}")
if not any(frame.height for frame in kept_out.values()):
    st.success("No value was quarantined and no file was salvaged.")

st.caption(f"Below, for the cohort: {plain(ctx.cohort.describe())}")
choices = options["instruments"] or ["nrs"]
instrument = st.selectbox(
    "Outcome for missing values",
    choices,
    index=choices.index("nrs") if "nrs" in choices else 0,
    key="quality_instrument",
)
tables = data.quality_tables(ctx.source, ctx.version, ctx.cohort_json, instrument)

st.subheader("Segments with unknown walking direction")
unlabelled = tables["unlabelled"]
if unlabelled.height:
    st.caption(
        f"{unlabelled.height} segment(s) had no direction in their export; they count in "
        "neither retro nor forward minutes."
    )
    downloads.table(unlabelled, "unlabelled_segments", key="quality_unlabelled")
else:
    st.success("Every segment in this cohort has a walking direction.")

st.subheader("Missing values")
no_prescription = arms_without_prescription(
    data.cohort_view(ctx.source, ctx.version, ctx.cohort_json, "participants")
)
not_applicable = {("adherence", arm) for arm in no_prescription}
missing = applicable_totals(tables["missing"], not_applicable)
downloads.figure(
    figure_missingness(tables["missing"], not_applicable=not_applicable),
    "missing_values",
    key="quality_missing",
)
if no_prescription:
    not_prescribed = ", ".join(plain(level_label(a)) for a in no_prescription)
    st.caption(
        f"Adherence is not applicable for {not_prescribed} (no "
        'walking prescription): shown as such, and left out of the "all" column.'
    )
with st.expander("Missing values table"):
    downloads.table(missing, "missing_values", key="quality_missing_table")
