"""Ingest at scale (issue 16 item 5): per-file cost of the demo study, and whether it grows.

Goals on a 2-core machine: ``retrowalk demo --participants 10000`` builds in under 3 minutes
(<= 15 ms per small file), and the per-file cost does not grow with the study (the ratio of ms
per file at N and at N/10 participants, measured in the same run, stays near 1). The generic
treadmill CSV goal (>= 70% of DuckDB ``read_csv`` rows/s) is measured by
``bench_ingest_treadmill_csv.py``. Load average is printed beside the figures: on a shared
machine they are noisy; the CPU ms per file (this process plus its parse workers) less so.

With ``--lake-spark N`` (goal: N = 100,000): the demo's raw files for N participants are
written (or ``--raw DIR`` reused), ingested as a Parquet lake by independent shard jobs
(``retrowalk ingest --lake``: one per block of ``--shards`` participant blocks, plus the
study-wide files and the roster; two at a time, the roster as ``--context``), and the built-in
analysis plan runs on Spark (local, ``--driver-memory``) over the lake. Wall time, CPU time
and peak RSS summed over the process tree (the JVM included) are printed per step.

Usage: ``python benchmarks/bench_scale.py [PARTICIPANTS] [--workers N]`` or
``python benchmarks/bench_scale.py --lake-spark N [--raw DIR] [--shards K]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from retrowalk_demo.build import write_raw
from toolkit import open_study
from toolkit.ingest.core.batch import ingest_paths

GOAL_MS_PER_FILE = 15.0
GOAL_WALL_S_10K = 180.0


def ingest_demo(
    folder: Path, participants: int, workers: int | None
) -> tuple[int, float, float, float]:
    """Write the demo's raw files for ``participants`` and ingest them; files, write s, ingest
    s, ingest CPU s (this process and its parse workers: less sensitive to a shared machine)."""
    raw = folder / f"raw{participants}"
    t0 = time.perf_counter()
    paths = write_raw(raw, participants, seed=20261125)
    written = time.perf_counter() - t0
    with open_study(folder / f"study{participants}.duckdb") as study:
        t0, c0 = time.perf_counter(), os.times()
        report = ingest_paths(study.conn, [raw], progress=False, workers=workers)
        ingested, c1 = time.perf_counter() - t0, os.times()
    cpu = sum(getattr(c1, f) - getattr(c0, f) for f in ("user", "system"))
    cpu += sum(getattr(c1, f) - getattr(c0, f) for f in ("children_user", "children_system"))
    assert report.exit_code == 0, report.counts()
    files = len(report.files)
    assert files >= len(paths)
    return files, written, ingested, cpu


SPARK_PLAN = """
import sys, time
from pyspark.sql import SparkSession
from toolkit.analyses import default_plan, run_plan
from toolkit.spark import open_spark_study
t0 = time.perf_counter()
spark = (
    SparkSession.builder.master("local[*]").appName("retrowalk-bench")
    .config("spark.driver.memory", sys.argv[2])
    .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", sys.argv[3])
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
with open_spark_study(sys.argv[1], spark) as study:
    n = study.sql("select count(*) as n from participants")["n"][0]
    rows = study.sql("select count(*) as n from raw_treadmill_segments")["n"][0]
    table = run_plan(study, default_plan())
spark.stop()
print(f"spark: {n} participants, {rows} treadmill segments, {table.height} result rows, "
      f"{time.perf_counter() - t0:.1f} s")
"""

_PARTICIPANT = re.compile(r"^(RW\d+)(?:$|[_.\- ])")


class TreeSampler:
    """Peak summed RSS and CPU time of a process tree (the JVM Spark starts included), read
    from /proc every ``interval`` seconds while the tree runs.

    ``getrusage(RUSAGE_CHILDREN)`` misses grandchildren that are not waited for (pyspark's
    JVM) and gives the largest single process, not the sum, so the tree is sampled instead.
    CPU is the last seen user+system time of every process of the tree, summed (a process's
    last interval before it exits is missed, a small under-count).
    """

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root, self.interval = root, interval
        self.peak_rss = 0
        self.cpu: dict[tuple[int, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _stat(self, pid: int) -> tuple[int, float, int, int] | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return None
        return int(stat[1]), (int(stat[11]) + int(stat[12])) / self._tick, rss, int(stat[19])

    def _run(self) -> None:
        while not self._stop.is_set():
            stats = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit() and (found := self._stat(int(entry))) is not None:
                    stats[int(entry)] = found
            tree, grew = {self.root}, True
            while grew:
                more = {pid for pid, (ppid, *_) in stats.items() if ppid in tree} - tree
                tree |= more
                grew = bool(more)
            tree.discard(self.root)  # the benchmark itself is not part of the run measured
            for pid in tree & stats.keys():
                key = (pid, stats[pid][3])  # pid and start time: a reused pid is another
                self.cpu[key] = max(self.cpu.get(key, 0.0), stats[pid][1])
            self.peak_rss = max(self.peak_rss, sum(stats[p][2] for p in tree & stats.keys()))
            self._stop.wait(self.interval)

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values())


def participant_shards(raw: Path, shards: int) -> list[tuple[str, list[Path]]]:
    """The raw files grouped as a cohort platform would run them: one job per block of
    participants (each participant's folders and files together: a device file beside its
    direction manifest), plus one for the study-wide files (pain, REDCap) and the roster."""
    own: dict[str, list[Path]] = {}
    shared: list[Path] = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir()):
            match = _PARTICIPANT.match(entry.name)
            if match:
                own.setdefault(match.group(1), []).append(entry)
            elif entry.is_dir():
                walk(entry)
            elif entry.name != "roster.csv":
                shared.append(entry)

    walk(raw)
    people = sorted(own)
    size = -(-len(people) // shards)
    jobs = [("roster", [raw / "roster.csv"]), ("study", shared)]
    for start in range(0, len(people), size):
        block = people[start : start + size]
        jobs.append((f"p{start // size:03d}", [p for pid in block for p in own[pid]]))
    return jobs


def lake_run(folder: Path, participants: int, raw: Path | None, shards: int, memory: str) -> None:
    """Sharded lake ingest, then the built-in plan on Spark; wall, CPU and peak memory."""
    lake = folder / "lake"
    t0 = time.perf_counter()
    if raw is None:
        raw = folder / "lake_raw"
        write_raw(raw, participants, seed=20261125)
    written = time.perf_counter() - t0
    roster = raw / "roster.csv"
    jobs = participant_shards(raw, shards)
    files = sum(1 for p in raw.rglob("*") if p.is_file())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def shard(job: tuple[str, list[Path]]) -> int:
        name, paths = job
        context = [] if name == "roster" else ["--context", str(roster)]
        cmd = [sys.executable, "-m", "toolkit", "ingest", "--lake", str(lake), "--shard", name]
        cmd += [*context, *map(str, paths)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"  shard {name} exit {done.returncode}: {done.stderr.strip()[-400:]}")
        return done.returncode

    with TreeSampler(os.getpid()) as ingest_tree:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(shard, jobs))
        ingested = time.perf_counter() - t0
    lake_mb = sum(p.stat().st_size for p in lake.rglob("*") if p.is_file()) / 1024**2
    partitions = str(max(2, 2 * (os.cpu_count() or 2)))
    with TreeSampler(os.getpid()) as spark_tree:
        t0 = time.perf_counter()
        spark = subprocess.run(
            [sys.executable, "-c", SPARK_PLAN, str(lake), memory, partitions],
            env=env,
            capture_output=True,
            text=True,
        )
        analysed = time.perf_counter() - t0
    print(
        f"lake: {participants:,} participants, {files:,} raw files, {len(jobs)} shard jobs "
        f"(two at a time; exit codes {sorted(set(codes))}), lake {lake_mb:,.0f} MB"
    )
    print(f"  write raw files      {written:8.1f} s wall" + ("" if written > 1 else " (reused)"))
    print(
        f"  sharded lake ingest  {ingested:8.1f} s wall {ingest_tree.cpu_s:8.1f} s CPU   "
        f"{1000 * ingested / files:6.1f} ms/file   "
        f"peak RSS {ingest_tree.peak_rss / 1024**2:,.0f} MB"
    )
    print(
        f"  Spark plan           {analysed:8.1f} s wall {spark_tree.cpu_s:8.1f} s CPU   "
        f"peak RSS {spark_tree.peak_rss / 1024**2:,.0f} MB (Python + JVM, driver {memory})"
    )
    print(
        f"  ingest + analysis    {ingested + analysed:8.1f} s wall "
        f"{ingest_tree.cpu_s + spark_tree.cpu_s:8.1f} s CPU"
    )
    tail = spark.stdout.strip().splitlines()[-1:] or spark.stderr.strip().splitlines()[-3:]
    print("  " + "\n  ".join(tail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("participants", type=int, nargs="?", default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="parse workers (default auto)")
    parser.add_argument(
        "--lake-spark", "--lake", type=int, default=None, help="sharded lake + Spark run of N"
    )
    parser.add_argument("--raw", type=Path, default=None, help="reuse these demo raw files")
    parser.add_argument("--shards", type=int, default=None, help="participant shards")
    parser.add_argument("--driver-memory", default="4g", help="Spark driver memory")
    args = parser.parse_args()
    if args.lake_spark:
        shards = args.shards or max(2, args.lake_spark // 2500)
        with tempfile.TemporaryDirectory() as tmp:
            print(f"load average {os.getloadavg()[0]:.1f}, cores {os.cpu_count()}")
            lake_run(Path(tmp), args.lake_spark, args.raw, shards, args.driver_memory)
            print(f"load average {os.getloadavg()[0]:.1f} at the end")
        return
    small = max(20, args.participants // 10)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for n in (small, args.participants):
            load = os.getloadavg()[0]
            files, written, ingested, cpu = ingest_demo(Path(tmp), n, args.workers)
            rows.append((n, files, written, ingested, cpu, load))
    print(f"cores {os.cpu_count()}, workers {args.workers if args.workers is not None else 'auto'}")
    print(
        f"{'participants':>12} {'files':>7} {'write s':>8} {'ingest s':>9} {'ms/file':>8} "
        f"{'CPU ms/file':>12} {'build s':>8} {'load avg':>9}"
    )
    for n, files, written, ingested, cpu, load in rows:
        print(
            f"{n:>12,} {files:>7,} {written:>8.1f} {ingested:>9.1f} "
            f"{1000 * ingested / files:>8.1f} {1000 * cpu / files:>12.1f} "
            f"{written + ingested:>8.1f} {load:>9.1f}"
        )
    (n_s, f_s, _, i_s, _, _), (n_l, f_l, w_l, i_l, _, _) = rows
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
