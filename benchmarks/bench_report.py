"""Time of the demo study's full report (HTML, PDF, extracts) versus its analyses alone.

Goal: the whole ``retrowalk report`` on the demo study (200 participants) in under 10 s. The
baseline, measured in the same run, is the same reads and analyses without rendering, printing
or writing (``build_content``): the ratio says what rendering and the PDF cost on top.
Usage: ``python benchmarks/bench_report.py [PARTICIPANTS]`` (builds a fresh demo study in a
temporary folder; the PDF step is skipped with a note when Chromium is not installed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from retrowalk_demo import build_demo
from toolkit import open_study
from toolkit.report import build_content, build_report
from toolkit.report.pdf import find_chromium

GOAL_SECONDS = 10.0


def main(participants: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = folder / "study.duckdb"
        build_demo(study, participants=participants, progress=False)
        pdf = folder / "report.pdf" if find_chromium() else None
        with open_study(study, read_only=True) as opened:
            build_content(opened, None)  # warm imports and caches, as a second run would be
            t0 = time.perf_counter()
            build_content(opened, None)
            baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = build_report(study, None, folder / "report.html", pdf=pdf)
        full = time.perf_counter() - t0
        size = result.html.stat().st_size
    print(f"participants                       {participants:>8}")
    print(f"analyses only (build_content)      {baseline:>8.2f} s")
    print(f"full report (HTML, PDF, extracts)  {full:>8.2f} s   HTML {size / 1e6:.1f} MB")
    for stage, seconds in result.seconds.items():
        print(f"  {stage:<33}{seconds:>8.2f} s")
    if pdf is None:
        print("  (no Chromium here: PDF skipped)")
    verdict = "OK" if full < GOAL_SECONDS else "ABOVE GOAL"
    print(f"ratio full / analyses              {full / baseline:>8.1f} x")
    print(f"goal full < {GOAL_SECONDS:.0f} s                    {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
