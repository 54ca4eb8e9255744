"""Ingest at scale (issue 16 item 5): per-file cost of the demo study, and whether it grows.

Goals on a 2-core machine: ``retrowalk demo --participants 10000`` builds in under 3 minutes
(<= 15 ms per small file), and the per-file cost does not grow with the study (the ratio of ms
per file at N and at N/10 participants, measured in the same run, stays near 1). The generic
treadmill CSV goal (>= 70% of DuckDB ``read_csv`` rows/s) is measured by
``bench_ingest_treadmill_csv.py``. Load average is printed beside the figures: on a shared
machine they are noisy, the ratios less so.

With ``--lake N``: the demo's raw files for N participants are written, ingested as a Parquet
lake by independent shard jobs (``retrowalk ingest --lake``; one per export folder, two at a
time, the roster as ``--context``), and the built-in analysis plan runs on Spark over the lake;
wall times and the peak RSS of the largest process are printed.

Usage: ``python benchmarks/bench_scale.py [PARTICIPANTS] [--workers N] [--lake N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from retrowalk_demo.build import write_raw
from toolkit import open_study
from toolkit.ingest.core.batch import ingest_paths

GOAL_MS_PER_FILE = 15.0
GOAL_WALL_S_10K = 180.0


def ingest_demo(folder: Path, participants: int, workers: int | None) -> tuple[int, float, float]:
    """Write the demo's raw files for ``participants`` and ingest them; files, write s, ingest s."""
    raw = folder / f"raw{participants}"
    t0 = time.perf_counter()
    paths = write_raw(raw, participants, seed=20261125)
    written = time.perf_counter() - t0
    with open_study(folder / f"study{participants}.duckdb") as study:
        t0 = time.perf_counter()
        report = ingest_paths(study.conn, [raw], progress=False, workers=workers)
        ingested = time.perf_counter() - t0
    assert report.exit_code == 0, report.counts()
    files = len(report.files)
    assert files >= len(paths)
    return files, written, ingested


SPARK_PLAN = """
import sys, time
from toolkit.analyses import default_plan, run_plan
from toolkit.spark import open_spark_study
t0 = time.perf_counter()
with open_spark_study(sys.argv[1]) as study:
    n = study.sql("select count(*) as n from participants")["n"][0]
    table = run_plan(study, default_plan())
print(f"spark: {n} participants, {table.height} result rows, {time.perf_counter() - t0:.1f} s")
"""


def _peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def lake_run(folder: Path, participants: int) -> None:
    """Sharded lake ingest, then the built-in plan on Spark; prints wall times and peak RSS."""
    raw, lake = folder / "lake_raw", folder / "lake"
    t0 = time.perf_counter()
    write_raw(raw, participants, seed=20261125)
    written = time.perf_counter() - t0
    roster = raw / "roster.csv"
    jobs = [["--shard", "roster", str(roster)]] + [
        ["--shard", d.name, "--context", str(roster), str(d)]
        for d in sorted(raw.iterdir())
        if d.is_dir()
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def shard(args: list[str]) -> int:
        cmd = [sys.executable, "-m", "toolkit", "ingest", "--lake", str(lake), *args]
        return subprocess.run(cmd, env=env, capture_output=True, check=False).returncode

    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(shard, jobs))
    ingested = time.perf_counter() - t0
    ingest_peak = _peak_child_mb()
    t0 = time.perf_counter()
    spark = subprocess.run(
        [sys.executable, "-c", SPARK_PLAN, str(lake)], env=env, capture_output=True, text=True
    )
    analysed = time.perf_counter() - t0
    print(f"lake: {participants:,} participants, {len(jobs)} shard jobs (exit codes {codes})")
    print(f"  write raw files      {written:8.1f} s")
    print(f"  sharded lake ingest  {ingested:8.1f} s   peak RSS {ingest_peak:,.0f} MB")
    peak = _peak_child_mb()
    print(f"  Spark plan           {analysed:8.1f} s   peak RSS {peak:,.0f} MB (any process)")
    print(f"  end to end           {written + ingested + analysed:8.1f} s")
    print("  " + (spark.stdout.strip() or spark.stderr.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("participants", type=int, nargs="?", default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="parse workers (default auto)")
    parser.add_argument("--lake", type=int, default=None, help="sharded lake + Spark run of N")
    args = parser.parse_args()
    if args.lake:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"load average {os.getloadavg()[0]:.1f}")
            lake_run(Path(tmp), args.lake)
        return
    small = max(20, args.participants // 10)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for n in (small, args.participants):
            load = os.getloadavg()[0]
            files, written, ingested = ingest_demo(Path(tmp), n, args.workers)
            rows.append((n, files, written, ingested, load))
    print(f"cores {os.cpu_count()}, workers {args.workers if args.workers is not None else 'auto'}")
    print(
        f"{'participants':>12} {'files':>7} {'write s':>8} {'ingest s':>9} {'ms/file':>8} "
        f"{'build s':>8} {'load avg':>9}"
    )
    for n, files, written, ingested, load in rows:
        print(
            f"{n:>12,} {files:>7,} {written:>8.1f} {ingested:>9.1f} "
            f"{1000 * ingested / files:>8.1f} {written + ingested:>8.1f} {load:>9.1f}"
        )
    (n_s, f_s, _, i_s, _), (n_l, f_l, w_l, i_l, _) = rows
    growth = (i_l / f_l) / (i_s / f_s)
    per_file = 1000 * i_l / f_l
    print(f"per-file cost at {n_l:,} vs {n_s:,} participants: {growth:.2f}x (goal: about 1)")
    verdict = "OK" if per_file <= GOAL_MS_PER_FILE else "ABOVE GOAL"
    print(f"ingest ms per file at {n_l:,}: {per_file:.1f} (goal <= {GOAL_MS_PER_FILE:g}) {verdict}")
    if n_l == 10_000:
        wall = w_l + i_l
        verdict = "OK" if wall <= GOAL_WALL_S_10K else "ABOVE GOAL"
        print(
            f"10,000-participant demo build: {wall:.0f} s (goal < {GOAL_WALL_S_10K:.0f}) {verdict}"
        )


if __name__ == "__main__":
    main()
