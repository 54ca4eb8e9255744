"""Ingest throughput of a large generic treadmill sample CSV versus DuckDB's own read_csv.

Goal: ``retrowalk ingest`` (parse, validate, derive segments, one transaction) reaches at least
70% of the rows/s of ``create table as select * from read_csv(...)`` on the same file, measured
in the same run. Usage: ``python benchmarks/bench_ingest_treadmill_csv.py [ROWS]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from toolkit import open_study

GOAL = 0.70


def write_samples(path: Path, rows: int, sessions: int = 200) -> None:
    """Per-second samples of ``sessions`` sessions for one participant, in the generic layout."""
    rng = np.random.default_rng(1)
    per = rows // sessions
    start = int(datetime(2025, 3, 3, tzinfo=UTC).timestamp())
    session_index = np.repeat(np.arange(sessions), per)
    seconds = np.tile(np.arange(per), sessions) + start + session_index * 86_400
    direction = np.where((np.tile(np.arange(per), sessions) // 120) % 2 == 0, "forward", "backward")
    frame = pl.DataFrame(
        {
            "participant_id": "P1",
            "session_id": pl.Series([f"S{i:04d}" for i in session_index]),
            "timestamp": pl.from_epoch(pl.Series(seconds), time_unit="s")
            .dt.replace_time_zone("UTC")
            .dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "speed_mps": np.round(rng.uniform(0.5, 1.4, seconds.size), 3),
            "incline_pct": np.round(rng.uniform(0, 5, seconds.size), 1),
            "heart_rate_bpm": rng.integers(80, 150, seconds.size),
            "direction": direction,
        }
    )
    frame.write_csv(path)


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "samples.csv"
        write_samples(csv, rows)
        roster = folder / "roster.csv"
        roster.write_text(
            "participant_id,arm,condition,enrolled_on,timezone\nP1,retro,knee_oa,2025-03-03,UTC\n"
        )
        with open_study(folder / "bench.duckdb") as study:
            study.ingest([roster], progress=False)
            t0 = time.perf_counter()
            report = study.ingest([csv], progress=False)
            ours = time.perf_counter() - t0
            assert report.exit_code == 0, report.to_json()
        conn = duckdb.connect(str(folder / "baseline.duckdb"))
        t0 = time.perf_counter()
        conn.execute(f"create table samples as select * from read_csv('{csv}')")
        baseline = time.perf_counter() - t0
        conn.close()
    ratio = baseline / ours
    print(f"rows                      {rows:>12,}")
    print(f"retrowalk ingest          {rows / ours:>12,.0f} rows/s  ({ours:.2f} s)")
    print(f"duckdb read_csv (same)    {rows / baseline:>12,.0f} rows/s  ({baseline:.2f} s)")
    verdict = "OK" if ratio >= GOAL else "BELOW GOAL"
    print(f"ratio (goal >= {GOAL:.0%})       {ratio:>12.0%}  {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
