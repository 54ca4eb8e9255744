"""Ingest time of a REDCap project export versus the floor of reading and storing it.

The demo's REDCap writer produces the project (KOOS, WOMAC and Kujala forms) for N simulated
participants; the script times ``retrowalk ingest`` of roster + REDCap folder (parse, map to
items, validate, score, one transaction per file). The baseline, measured in the same run, is
the unavoidable part: ``polars.read_csv`` of the export plus inserting the same item and score
rows into keyed DuckDB tables. Goal: ingest within 10x of that floor. Usage:
``python benchmarks/bench_ingest_redcap.py [PARTICIPANTS]`` (default 2000).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "datasets")]  # this checkout, not an installed copy

from retrowalk_demo.model import DemoModel  # noqa: E402
from retrowalk_demo.simulate import simulate  # noqa: E402
from retrowalk_demo.write_redcap import write_redcap  # noqa: E402
from retrowalk_demo.writers import write_roster  # noqa: E402
from toolkit import open_study  # noqa: E402
from toolkit.ingest.core.model import ParseContext  # noqa: E402
from toolkit.ingest.redcap import project as redcap  # noqa: E402

GOAL = 10.0


def floor(export: Path, tables: dict[str, pl.DataFrame], path: Path) -> float:
    """Seconds to read the export and insert the same rows into keyed tables."""
    conn = duckdb.connect(str(path))
    conn.execute(
        "create table items (participant_id varchar, measured_at timestamptz, instrument "
        "varchar, item varchar, value double, visit varchar, source_sha256 varchar, "
        "primary key (participant_id, instrument, measured_at, item))"
    )
    conn.execute(
        "create table scores (participant_id varchar, measured_at timestamptz, instrument "
        "varchar, score double, visit varchar, source_sha256 varchar, "
        "primary key (participant_id, instrument, measured_at))"
    )
    pairs = (("item_rows", "raw_questionnaire_items"), ("score_rows", "raw_pain_scores"))
    for name, table in pairs:
        conn.register(name, tables[table].drop("_line").with_columns(sha=pl.lit("x")).to_arrow())
    started = time.perf_counter()
    pl.read_csv(export, infer_schema=False)
    conn.execute("insert into items select * from item_rows")
    conn.execute("insert into scores select * from score_rows")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    participants = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    work = Path(tempfile.mkdtemp(prefix="bench-redcap-"))
    try:
        raw = work / "raw"
        people = simulate(participants, 11, DemoModel())
        write_roster(raw, people, DemoModel())
        write_redcap(raw, people, 11)
        export = raw / "redcap" / "RetroWalk_DATA.csv"
        parsed = redcap.parse(export, ParseContext(str(export), ""))
        baseline = floor(export, parsed.tables, work / "floor.duckdb")
        with open_study(work / "study.duckdb") as study:
            started = time.perf_counter()
            report = study.ingest([raw], progress=False)
            ours = time.perf_counter() - started
            scores = int(study.sql("select count(*) from raw_pain_scores").item())
        assert report.exit_code == 0, report.to_json()
        ratio = ours / baseline
        items = parsed.tables["raw_questionnaire_items"].height
        print(f"export: {export.stat().st_size / 1e6:.1f} MB, {items:,} items, {scores:,} scores")
        print(f"retrowalk ingest (roster + REDCap)  {ours:8.2f} s")
        print(f"read + store floor                  {baseline:8.2f} s")
        verdict = "OK" if ratio <= GOAL else "ABOVE GOAL"
        print(f"ratio (goal <= {GOAL:g}x)              {ratio:8.1f}x  {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
