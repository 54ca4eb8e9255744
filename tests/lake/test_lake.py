"""The Parquet lake: export-lake and ingest --lake, read back by DuckDB and polars.

Spark reads the same lake in tests/spark (marker ``spark``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.db.views_sql import VIEW_ORDER
from toolkit.lake import bucket_of, export_study, open_lake
from toolkit.lake.duckdb_study import open_lake_study
from toolkit.lake.shard import ingest_shard
from toolkit.lake.write import LakeError, export_connection
from toolkit.study import open_study

BUCKETS = 8


@pytest.fixture(scope="module")
def lake(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo study exported into a lake with 8 participant buckets."""
    target = tmp_path_factory.mktemp("lake") / "lake"
    export_study(demo_study, target, buckets=BUCKETS)
    return target


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in a fixed order, tz-aware times in "UTC" (DuckDB names it "Etc/UTC")."""
    aware = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    frame = frame.with_columns(pl.col(aware).dt.convert_time_zone("UTC"))
    return frame.sort(frame.columns, nulls_last=True)


def test_every_table_round_trips(demo_study: Path, lake: Path) -> None:
    opened = open_lake(lake)
    with open_study(demo_study, read_only=True) as study:
        tables = study.sql(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_type = 'BASE TABLE' and table_name <> 'schema_version'"
        )["table_name"].to_list()
        assert sorted(tables) == opened.tables()
        for table in tables:
            want = study.sql(f'select * from "{table}"')
            got = opened.scan(table).collect()
            assert got.columns == want.columns, table
            assert got.height == want.height == (opened.rows(table)), table
            assert _sorted(got).equals(_sorted(want)), table


def test_participant_tables_are_bucketed_by_participant_hash(lake: Path) -> None:
    opened = open_lake(lake)
    assert opened.kind("raw_participants") == "participant"
    assert opened.kind("raw_ingest_log") == "file"
    assert opened.kind("ref_instruments") == "study"
    for path in opened.files("raw_treadmill_samples"):
        bucket = int(path.parent.name.removeprefix("bucket="))
        ids = pl.read_parquet(path)["participant_id"].unique().to_list()
        assert ids and all(bucket_of(pid, BUCKETS) == bucket for pid in ids), path


def test_timestamps_are_utc_and_globs_work(lake: Path) -> None:
    # a plain hive glob reads the lake too (polars adds the partition column)
    frame = pl.read_parquet(
        lake / "raw_treadmill_sessions" / "**" / "*.parquet", hive_partitioning=True
    )
    assert frame.schema["started_at"] == pl.Datetime("us", "UTC")
    assert "bucket" in frame.columns
    conn = duckdb.connect()
    glob = str(lake / "raw_pain_scores" / "*" / "*.parquet")
    dtype = conn.execute(
        "select typeof(measured_at) from read_parquet(?, hive_partitioning = true) limit 1", [glob]
    ).fetchone()
    assert dtype == ("TIMESTAMP WITH TIME ZONE",)


@pytest.mark.slow
def test_views_over_the_lake_in_duckdb_match_the_study(demo_study: Path, lake: Path) -> None:
    with open_study(demo_study, read_only=True) as study, open_lake_study(lake) as on_lake:
        assert on_lake.read_only
        for view in VIEW_ORDER:
            want = study.sql(f"select * from {view}")
            got = on_lake.sql(f"select * from {view}")
            # sums may add in another order: floats to a relative 1e-9
            assert_frame_equal(_sorted(got), _sorted(want), check_exact=False, rtol=1e-9)


def test_manifest_lineage_and_checksums(demo_study: Path, lake: Path) -> None:
    manifest = json.loads((lake / "_manifests" / "study.json").read_text("utf-8"))
    descriptor = json.loads((lake / "_lake.json").read_text("utf-8"))
    assert manifest["schema_version"] == descriptor["schema_version"] > 0
    assert descriptor["buckets"] == BUCKETS
    for entry in manifest["tables"].values():
        for f in entry["files"]:
            assert hashlib.sha256((lake / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    with open_study(demo_study, read_only=True) as study:
        loaded = set(
            study.sql("select sha256 from raw_ingest_log where status = 'loaded'")["sha256"]
        )
        behind_rows = set(
            study.sql("select distinct source_sha256 from raw_pain_scores")["source_sha256"]
        )
    assert {s["sha256"] for s in manifest["sources"]} >= loaded >= behind_rows


def _data_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.parquet")
        if not p.relative_to(root).as_posix().startswith(("_", ".")) and p.name != "study.parquet"
    }


def test_re_export_replaces_the_shard(demo_study: Path, tmp_path: Path) -> None:
    target = tmp_path / "lake"
    first = export_study(demo_study, target, buckets=BUCKETS)
    second = export_study(demo_study, target, buckets=BUCKETS)
    assert first["run"] != second["run"]
    listed = {f["path"] for t in second["tables"].values() for f in t["files"]}
    assert _data_files(target) == listed  # the first run's files are gone
    assert {t: e["rows"] for t, e in first["tables"].items() if "rows" in e} == {
        t: e["rows"] for t, e in second["tables"].items() if "rows" in e
    }
    assert not list(target.glob(".staging-*"))
    with pytest.raises(LakeError, match="buckets"):
        export_study(demo_study, target, buckets=BUCKETS * 2)


def test_shard_names_are_checked(demo_study: Path, tmp_path: Path) -> None:
    with open_study(demo_study, read_only=True) as study, pytest.raises(LakeError, match="shard"):
        export_connection(study.conn, tmp_path / "lake", "../escape")


@pytest.mark.slow
def test_sharded_ingest_equals_one_study(demo_study: Path, tmp_path: Path) -> None:
    """Two independent jobs write the demo's files as two shards; the lake holds what one
    study ingesting every file holds. The second job loads the roster only as context."""
    raw = demo_study.parent / "raw"
    target = tmp_path / "lake"
    roster = raw / "roster.csv"
    quality = demo_study.parent / "quality"  # the demo's deliberately bad file
    first = [roster, raw / "pain", raw / "redcap", raw / "treadmill", raw / "treadmill_samples"]
    first += [raw / "intercurrent_events.csv", quality]
    second = [raw / "devices", raw / "wearables"]
    report_a, manifest_a = ingest_shard(target, first, shard="site-a", buckets=BUCKETS)
    report_b, manifest_b = ingest_shard(
        target, second, shard="site-b", context=[roster], buckets=BUCKETS
    )
    with open_study(demo_study, read_only=True) as study:
        rejected = study.sql("select path from raw_ingest_log where status = 'rejected'")
    assert sorted(Path(f.path).name for f in report_a.rejected + report_b.rejected) == sorted(
        Path(p).name for p in rejected["path"]
    )
    files_a = {f["path"] for t in manifest_a["tables"].values() for f in t["files"]}
    files_b = {f["path"] for t in manifest_b["tables"].values() for f in t["files"]}
    assert files_a and files_b and not files_a & files_b
    opened = open_lake(target)
    with open_study(demo_study, read_only=True) as study:
        for table in opened.tables():
            if table == "raw_ingest_log":
                continue
            want = study.sql(f'select * from "{table}"').height
            assert opened.rows(table) == want, table
        attempts = study.sql("select count(*) from raw_ingest_log").item()
    assert opened.rows("raw_ingest_log") == attempts
    # re-running a shard replaces it: same rows, no stray files
    ingest_shard(target, second, shard="site-b", context=[roster], buckets=BUCKETS)
    again = open_lake(target)
    assert again.rows("raw_treadmill_sessions") == opened.rows("raw_treadmill_sessions")
    listed = {
        f["path"]
        for m in again.manifests.values()
        for t in m["tables"].values()
        for f in t["files"]
    }
    assert _data_files(target) == listed


@pytest.mark.slow
def test_cli_export_lake_and_ingest_lake(
    demo_study: Path, tmp_path: Path, cli: Callable[..., CompletedProcess[str]]
) -> None:
    done = cli("export-lake", demo_study, tmp_path / "lake", "--buckets", "4")
    assert done.returncode == 0, done.stderr
    assert "shard study" in done.stdout
    raw = demo_study.parent / "raw"
    done = cli(
        "ingest",
        raw / "devices",
        "--lake",
        tmp_path / "lake",
        "--context",
        raw / "roster.csv",
        "--buckets",
        "4",
    )
    assert done.returncode == 0, done.stderr
    manifests = sorted(p.name for p in (tmp_path / "lake" / "_manifests").iterdir())
    assert len(manifests) == 2 and "study.json" in manifests


def test_a_lake_of_another_schema_version_is_refused(demo_study: Path, tmp_path: Path) -> None:
    target = tmp_path / "lake"
    export_study(demo_study, target, buckets=BUCKETS)
    descriptor = json.loads((target / "_lake.json").read_text("utf-8"))
    descriptor["schema_version"] -= 1
    (target / "_lake.json").write_text(json.dumps(descriptor), "utf-8")
    with pytest.raises(LakeError, match="shard study was written with schema version"):
        open_lake(target)
    manifest_path = target / "_manifests" / "study.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["schema_version"] -= 1
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(LakeError, match="export it again"):
        open_lake(target)


@pytest.mark.slow
def test_cli_report_from_a_lake(
    lake: Path, tmp_path: Path, cli: Callable[..., CompletedProcess[str]]
) -> None:
    out = tmp_path / "report.html"
    done = cli("report", "--lake", lake, "--engine", "duckdb", "--out", out, "--no-extracts")
    assert done.returncode == 0, done.stderr
    assert out.exists() and "retrowalk report: lake" in out.read_text("utf-8")
    done = cli("report", "--engine", "spark", "--out", out)
    assert done.returncode == 2
    assert "--lake" in done.stderr


@pytest.mark.slow
def test_cli_analyse_a_lake(
    lake: Path, demo_study: Path, cli: Callable[..., CompletedProcess[str]]
) -> None:
    on_lake = cli("analyse", "--lake", lake, "--format", "csv")
    on_study = cli("analyse", demo_study, "--format", "csv")
    assert on_lake.returncode == on_study.returncode == 0, on_lake.stderr
    # floats to a relative 1e-9: DuckDB may add the lake's rows in another order
    assert_frame_equal(
        pl.read_csv(io.StringIO(on_lake.stdout)),
        pl.read_csv(io.StringIO(on_study.stdout)),
        check_exact=False,
        rtol=1e-9,
    )
    refused = cli("analyse", "--lake", lake, "--lock")
    assert refused.returncode == 2 and "read-only" in refused.stderr
