"""The Overview's study-wide summaries kept between server starts (``dashboard.first_page``).

A kept entry must be exactly what the page would compute (same values, same dtypes), be read
back only for the same study file and code, hold no participant's rows, and be private.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
import streamlit as st
from polars.testing import assert_frame_equal

from dashboard import data, first_page
from dashboard.connection import snapshot_manager
from dashboard.snapshot import SnapshotManager
from toolkit.cohorts import Cohort

EVERYONE = Cohort().to_json()


@pytest.fixture
def manager(
    study_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SnapshotManager]:
    monkeypatch.setenv("RETROWALK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    st.cache_data.clear()
    st.cache_resource.clear()
    found = snapshot_manager(str(study_copy.resolve()))
    try:
        yield found
    finally:
        found.stop_background()
        found.close()
        st.cache_data.clear()
        st.cache_resource.clear()


def _first_page(source: str, version: str) -> tuple[dict, dict, dict]:
    return (
        data.filter_options(source, version),
        data.overview_tables(source, version, EVERYONE, "nrs"),
        data.table1(source, version, EVERYONE),
    )


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{first_page.PREFIX}*"))


def test_a_restart_reads_back_exactly_what_the_page_computes(
    manager: SnapshotManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(manager.source)
    version = manager.current(start_background=False).snapshot.version
    options, overview, table1 = _first_page(source, version)
    assert _kept(manager.folder), "nothing was kept"

    # A new server process: empty in-memory caches, the study's views never queried.
    st.cache_data.clear()

    def no_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kept summary was computed again")

    monkeypatch.setattr(data, "snapshot_study", no_query)
    monkeypatch.setattr(data, "_filter_options", no_query)
    kept_options, kept_overview, kept_table1 = _first_page(source, version)
    monkeypatch.undo()

    assert kept_options == options
    assert [type(v) for v in kept_options.values()] == [type(v) for v in options.values()]
    assert kept_options["enrolled"] is not None and kept_options["age"] is not None
    for kept, computed in ((kept_overview, overview), (kept_table1, table1)):
        assert kept.keys() == computed.keys()
        for name in computed:
            assert_frame_equal(kept[name], computed[name])

    # Another cohort is computed, never read from the store.
    girls = Cohort(sexes=("female",)).to_json()
    flow = data.overview_tables(source, version, girls, "nrs")["flow"]
    everyone_enrolled = overview["flow"].filter(
        (pl.col("arm") == "all") & (pl.col("stage") == "enrolled")
    )["participants"]
    cohort_enrolled = flow.filter((pl.col("arm") == "all") & (pl.col("stage") == "enrolled"))[
        "participants"
    ]
    assert cohort_enrolled.item() < everyone_enrolled.item()


def test_kept_files_are_private_summaries_without_participant_rows(
    manager: SnapshotManager,
) -> None:
    source = str(manager.source)
    version = manager.current(start_background=False).snapshot.version
    _first_page(source, version)
    kept = _kept(manager.folder)
    assert {p.suffix for p in kept} == {".json", ".arrow"}
    ids = manager.study.sql("select participant_id from participants")["participant_id"]
    for path in kept:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_bytes()
        assert not [pid for pid in ids if pid.encode() in content], path.name
    assert stat.S_IMODE(manager.folder.stat().st_mode) == 0o700


def test_a_changed_study_is_computed_again_and_the_old_summaries_dropped(
    manager: SnapshotManager, study_copy: Path
) -> None:
    source = str(manager.source)
    version = manager.current(start_background=False).snapshot.version
    before = data.filter_options(source, version)["participants"]
    old = _kept(manager.folder)

    with duckdb.connect(str(study_copy)) as conn:  # another participant enrolled
        conn.execute(
            "insert into raw_participants by name select * replace "
            "('ZZ9999' as participant_id) from raw_participants limit 1"
        )
    new_version = manager.current(start_background=False).snapshot.version
    assert new_version != version
    assert data.filter_options(source, new_version)["participants"] == before + 1
    data.overview_tables(source, new_version, EVERYONE, "nrs")
    assert not set(old) & set(_kept(manager.folder)), "the old study's summaries remain"


def test_an_unreadable_entry_counts_as_absent(manager: SnapshotManager) -> None:
    source = str(manager.source)
    version = manager.current(start_background=False).snapshot.version
    computed = data.overview_tables(source, version, EVERYONE, "nrs")
    for path in _kept(manager.folder):
        if path.suffix == ".arrow":
            path.write_bytes(b"not arrow")
    st.cache_data.clear()
    again = data.overview_tables(source, version, EVERYONE, "nrs")
    for name in computed:
        assert_frame_equal(again[name], computed[name])


def test_the_key_follows_the_study_version_and_the_code(tmp_path: Path) -> None:
    one = first_page.FirstPageStore(tmp_path, "1-2-0-0")
    assert first_page.FirstPageStore(tmp_path, "1-2-0-0").key == one.key
    assert first_page.FirstPageStore(tmp_path, "1-3-0-0").key != one.key
    assert len(first_page.code_stamp()) == 16
    one.put("x", {"a": 1}, {"f": pl.DataFrame({"n": [1]})})
    assert one.get("x") is not None
    assert first_page.FirstPageStore(tmp_path, "1-3-0-0").get("x") is None
    assert os.listdir(tmp_path)  # written
