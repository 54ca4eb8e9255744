"""Apple Health reader throughput and peak memory versus lxml ``iterparse``, in one run.

Goals (issue 4): the reader (scan + conversion to canonical rows) reaches at least 4x the MB/s
of the lxml iterparse reference reader (then the same conversion) on the same generated export,
with identical rows, and stays under 500 MB peak RSS for a 1 GB export. Each reader runs in its
own subprocess so its peak RSS (``ru_maxrss``) is its own. CPU time is printed too: on a shared
machine it is the steadier measure (the goal is judged on wall-clock time). Both runs write
their rows to Parquet and the parent checks they are identical.

Usage: ``python benchmarks/bench_apple_health.py [SIZE_MB] [--keep PATH]`` (default 1024 MB;
``--keep`` reuses or keeps the generated export at PATH).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SPEED_GOAL = 4.0
MEMORY_GOAL_MB = 500

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from toolkit.ingest.apple_health.export import to_parsed
from toolkit.ingest.apple_health.records import METRICS
reader, path, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu_started = time.process_time()
started = time.perf_counter()
if reader == "retrowalk":
    from toolkit.ingest.apple_health.export import read_export
    parsed = read_export(path, "P1")
    scan_seconds = time.perf_counter() - started
else:
    from tests.ingest.apple_health_lxml import scan_export_lxml
    scanned = scan_export_lxml(path, METRICS)
    scan_seconds = time.perf_counter() - started
    parsed = to_parsed(scanned, "P1")
seconds = time.perf_counter() - started
cpu = time.process_time() - cpu_started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for name, frame in parsed.tables.items():
    frame.write_parquet(out / f"{reader}-{name}.parquet")
print(json.dumps({"seconds": seconds, "cpu": cpu, "scan_seconds": scan_seconds, "peak_kb": peak,
                  "import_kb": before, "rows": parsed.row_counts(), "notes": parsed.notes}))
"""


def generate(path: Path, size_mb: int) -> None:
    """Write a realistic export of about ``size_mb`` MB (see ``synthetic_elements``)."""
    sys.path.insert(0, str(ROOT / "datasets"))
    from retrowalk_demo.apple_health_xml import synthetic_elements, write_export_file

    start = datetime(2023, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    write_export_file(path, synthetic_elements(size_mb * 1024 * 1024, 42, start))


def run(reader: str, export: Path, out: Path) -> dict[str, object]:
    """Run one reader in a fresh interpreter; its timing, peak RSS and row counts."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "datasets")])}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(export), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size_mb", nargs="?", type=int, default=1024)
    parser.add_argument("--keep", type=Path, help="reuse or keep the generated export here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-apple-") as tmp:
        out = Path(tmp)
        export = args.keep or out / "export.xml"
        if not export.exists():
            started = time.perf_counter()
            generate(export, args.size_mb)
            print(f"generated {export} in {time.perf_counter() - started:.0f} s")
        size = export.stat().st_size / 1e6
        ours = run("retrowalk", export, out)
        base = run("lxml", export, out)
        same = all(
            pl.read_parquet(out / f"retrowalk-{name}.parquet").equals(
                pl.read_parquet(out / f"lxml-{name}.parquet")
            )
            for name in ("raw_wearable_samples", "raw_wearable_workouts")
        )
    ours_s, base_s = float(ours["seconds"]), float(base["seconds"])  # type: ignore[arg-type]
    base_scan = float(base["scan_seconds"])  # type: ignore[arg-type]
    ours_mb = int(ours["peak_kb"]) / 1024  # type: ignore[call-overload]
    base_mb = int(base["peak_kb"]) / 1024  # type: ignore[call-overload]
    ours_cpu, base_cpu = float(ours["cpu"]), float(base["cpu"])  # type: ignore[arg-type]
    ratio = base_s / ours_s
    print(f"export: {size:,.0f} MB, rows {ours['rows']}")
    print("reader             wall MB/s  CPU MB/s  peak RSS")
    for label, wall, cpu, peak in (
        ("retrowalk scanner", ours_s, ours_cpu, ours_mb),
        ("lxml iterparse", base_s, base_cpu, base_mb),
    ):
        print(f"{label:<18} {size / wall:9.1f} {size / cpu:9.1f} {peak:6.0f} MB")
    print(
        f"(seconds: retrowalk {ours_s:.1f}; lxml {base_s:.1f}, of which iterparse {base_scan:.1f})"
    )
    verdict = "OK" if ratio >= SPEED_GOAL else "BELOW GOAL"
    print(
        f"speed ratio (goal >= {SPEED_GOAL:.0f}x): {ratio:.2f}x wall clock, "
        f"{base_cpu / ours_cpu:.2f}x CPU time  {verdict}"
    )
    fits = "OK" if ours_mb < MEMORY_GOAL_MB else "ABOVE GOAL"
    print(f"peak RSS (goal < {MEMORY_GOAL_MB} MB): {ours_mb:.0f} MB  {fits}")
    print(f"identical rows      {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
