"""The dashboard's study: which file, its snapshot for this process, and saving to it.

One :class:`~dashboard.snapshot.SnapshotManager` per study and server process
(``st.cache_resource``) holds one read-only DuckDB connection to a private copy of the study;
every query takes its own cursor from it (``Study.sql``), so sessions on different threads never
share a cursor. See :mod:`dashboard.snapshot` for why a copy (DuckDB's single-writer rule).

Writing (saving a cohort) opens the study itself read-write for that one statement, and only
when no other process holds it; otherwise the caller gets a message to show.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.snapshot import SnapshotManager, default_snapshot_folder, lock_holder
from toolkit.cohorts import Cohort, save_cohort
from toolkit.errors import RetrowalkError, StudyError
from toolkit.study import Study, connect


def study_path() -> Path:
    """The study the dashboard shows: ``RETROWALK_STUDY`` (set by ``retrowalk dashboard``),
    else the demo study."""
    configured = os.environ.get("RETROWALK_STUDY")
    if configured:
        return Path(configured).resolve()
    from retrowalk_demo import default_demo_study

    return default_demo_study().resolve()


@st.cache_resource(show_spinner=False)
def snapshot_manager(source: str) -> SnapshotManager:
    """This process's snapshot manager for ``source`` (created once per server process).

    Snapshots go under ``RETROWALK_SNAPSHOT_DIR`` when set, else the system temp folder.
    """
    folder = os.environ.get("RETROWALK_SNAPSHOT_DIR")
    digest_folder = default_snapshot_folder(Path(source))
    return SnapshotManager(
        Path(source), Path(folder) / digest_folder.name if folder else digest_folder
    )


def snapshot_study(source: str) -> Study:
    """The current snapshot's read-only study (the entry script refreshes it each run)."""
    return snapshot_manager(source).study


def save_cohort_to_study(source: str, name: str, cohort: Cohort) -> tuple[bool, str]:
    """Save ``cohort`` as ``name`` in the study itself; returns (saved, message for people).

    DuckDB lets only one process open a file for writing, and not while others read it. So the
    save goes ahead only if no other process holds the study (an ingest, a ``retrowalk query``,
    a notebook); the connection is open for just this statement, so a writer that starts later
    is not kept waiting. The next script run sees the change and refreshes the snapshot.
    """
    path = Path(source)
    holder = lock_holder(path, writers_only=False)
    if holder is not None:
        return False, (
            f"Not saved: another process (pid {holder}) has the study open, and DuckDB lets "
            "only one process write a study file while no other has it open. Try again when "
            "it has finished (an ingest, for example). Meanwhile, this view's link (the address "
            "bar) holds the same filters."
        )
    try:
        conn = connect(path, read_only=False)
    except StudyError as exc:
        return False, f"Not saved: {exc}."
    try:
        save_cohort(Study(path, conn, read_only=False), name, cohort)
    except RetrowalkError as exc:
        return False, f"Not saved: {exc}"
    finally:
        conn.close()
    return True, f"Saved the cohort as {name.strip()!r}."
