"""Dashboard responsiveness on a generated 10,000-participant study.

Goals: each cohort filter change takes under 150 ms of server time; the first page is ready
(its charts drawn in a browser) under 3 s after the server starts.

* **Server time per filter change**: Streamlit's AppTest runs the real entry script in-process
  (the same script run and element serialisation the server does, without the websocket);
  after a warm-up that fills the study-wide caches, each sidebar filter change on each page is
  one timed ``run()``. Baseline in the same run: a rerun of a one-line Streamlit script (the
  framework's floor).
* **First page ready**: ``retrowalk dashboard STUDY`` is started on a free port and Chromium
  (Playwright) opens it; the time runs from process start until the Overview's charts have drawn
  their SVG. Baselines in the same run: the same measure for a one-line Streamlit app, and for
  an app drawing just two tiny Plotly charts (the floor for any page with charts: the browser
  loads and starts plotly.js).

Usage: ``python benchmarks/bench_dashboard.py [PARTICIPANTS] [--first-page [--rounds=N]]``
(default 10000). ``--first-page`` measures only the first page, ``N`` rounds (best of each
kept): the two baselines, the dashboard's first start on the study (nothing kept yet: what the
first start after an ingest costs) and its restart (the Overview's study-wide summaries kept
by the first start, see ``dashboard/first_page.py``), each with the load average. The study is
built once into ``benchmarks/out/dashboard_<N>/`` (ingesting 10,000 participants' files takes
a while) and reused.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "datasets")]

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.dashboard.server import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    dashboard_server,
    free_port,
)

GOAL_FILTER_MS = 150.0
GOAL_FIRST_PAGE_S = 3.0
APP = ROOT / "dashboard" / "app.py"
#: (page script, [(widget kind, key, value), ...]) — each change is one timed run.
CHANGES: list[tuple[str, list[tuple[str, str, object]]]] = [
    (
        "views/overview.py",
        [
            ("multiselect", "cohort_arms", ["retro", "forward"]),
            ("multiselect", "cohort_conditions", ["knee_oa"]),
            ("multiselect", "cohort_sexes", ["female"]),
            ("slider", "cohort_age", (30.0, 70.0)),
            ("multiselect", "cohort_sites", ["leeds", "boston"]),
        ],
    ),
    (
        "views/exposure.py",
        [
            ("multiselect", "cohort_arms", ["retro"]),
            ("multiselect", "cohort_conditions", []),
            ("slider", "cohort_min_adherence", 50),
        ],
    ),
    (
        "views/outcomes.py",
        [
            ("multiselect", "cohort_arms", []),
            ("multiselect", "cohort_sexes", ["male"]),
            ("slider", "cohort_min_adherence", 0),
        ],
    ),
    (
        "views/dose_response.py",
        [
            ("multiselect", "cohort_sexes", []),
            ("multiselect", "cohort_sites", ["sydney"]),
            ("slider", "cohort_age", (20.0, 60.0)),
        ],
    ),
]


def ensure_study(participants: int) -> Path:
    """The benchmark study, built (once) with the demo generator."""
    target = ROOT / "benchmarks" / "out" / f"dashboard_{participants}" / "study.duckdb"
    if not target.exists():
        from retrowalk_demo import build_demo

        print(f"building a {participants}-participant demo study at {target} (once) ...")
        t0 = time.perf_counter()
        build_demo(target, participants=participants, seed=11, progress=False)
        print(f"  built in {time.perf_counter() - t0:.0f} s")
    return target


def _set(at: AppTest, kind: str, key: str, value: object) -> None:
    widget = at.multiselect(key=key) if kind == "multiselect" else at.slider(key=key)
    widget.set_value(value)  # type: ignore[arg-type]


def filter_change_times(
    study: Path,
) -> tuple[list[tuple[str, float, float]], float, float, float]:
    """Timed reruns after filter changes; also the cold first run, the time until the
    snapshot's slow views are stored as tables, and the warm-up of the other pages."""
    from dashboard.connection import snapshot_manager

    os.environ["RETROWALK_STUDY"] = str(study)
    at = AppTest.from_file(str(APP), default_timeout=600)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if not snapshot_manager(str(study.resolve())).wait_until_fast(600):
        raise RuntimeError("the snapshot was not materialized")
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    for page, _ in CHANGES:  # fill the study-wide caches each page uses
        at.switch_page(page).run()
    warm_up = time.perf_counter() - t0
    at.switch_page(CHANGES[0][0]).run()
    timings: list[tuple[str, float, float]] = []
    for page, changes in CHANGES:
        at.switch_page(page).run()
        for kind, key, value in changes:
            _set(at, kind, key, value)
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            if at.exception:
                raise RuntimeError(f"{page} after {key}={value}: {at.exception[0].value}")
            timings.append((f"{Path(page).stem}: {key}={value}", elapsed, cpu))
    return timings, cold, fast, warm_up


def baseline_rerun() -> float:
    """Median rerun time of a one-line Streamlit script (the framework's floor)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "hello.py"
        script.write_text("import streamlit as st\nst.write('hello')\n")
        at = AppTest.from_file(str(script)).run()
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


#: Ready in the browser: two Plotly charts have drawn their SVG.
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
    ".filter(c => c.querySelector('.main-svg')).length >= 2"
)
HELLO = "import streamlit as st\nst.write('hello')\n"
TWO_CHARTS = (
    "import plotly.graph_objects as go\nimport streamlit as st\n"
    "st.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[3, 4])))\n"
    "st.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[4, 3])))\n"
)


def first_page_ready(
    study: Path | None, script: str = HELLO, snapshots: Path | None = None
) -> float | None:
    """Seconds from starting the server to the first page's charts drawn in Chromium
    (``study`` None: the Streamlit app ``script`` instead); None without Chromium.

    ``snapshots``: the server's snapshot folder, where it also keeps the Overview's study-wide
    summaries between starts (``dashboard.first_page``): a new empty folder measures the first
    start after the study changed, a folder used before a restart on the same study."""
    executable = chromium_path()
    if executable is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        try:
            t0 = time.perf_counter()
            if study is not None:
                with dashboard_server(study, snapshots=snapshots) as url:
                    page.goto(url)
                    page.wait_for_function(CHARTS_DRAWN, timeout=600_000)
                    return time.perf_counter() - t0
            return _script_ready(page, t0, script)
        finally:
            browser.close()


def first_page_rounds(study: Path, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """``rounds`` rounds of: the one-line app, the two-chart app, the dashboard's first start
    on the study (nothing kept) and its restart (summaries kept by that start). Each timing
    comes with the 1-minute load average when it began (the machine may be shared)."""
    found: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("hello", "charts", "cold", "warm")
    }
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as snapshots:
            for name, run in (
                ("hello", lambda: first_page_ready(None)),
                ("charts", lambda: first_page_ready(None, TWO_CHARTS)),
                ("cold", lambda: first_page_ready(study, snapshots=Path(snapshots))),
                ("warm", lambda: first_page_ready(study, snapshots=Path(snapshots))),
            ):
                load = os.getloadavg()[0]
                seconds = run()
                if seconds is None:
                    raise RuntimeError("Chromium is not installed: nothing to measure")
                print(f"  {name:6s} {seconds:6.2f} s (load average {load:.1f})", flush=True)
                found[name].append((seconds, load))
    return found


def report_first_page(found: dict[str, list[tuple[float, float]]]) -> None:
    """Best of the rounds for each measure, and the dashboard's ratios to the floors."""
    best = {name: min(runs) for name, runs in found.items()}
    for name, label in (
        ("hello", "one-line Streamlit app"),
        ("charts", "two tiny Plotly charts (the floor)"),
        ("cold", "first page, first start on this study"),
        ("warm", "first page, restart on the same study"),
    ):
        seconds, load = best[name]
        print(f"{label:40s} {seconds:6.2f} s  (best of {len(found[name])}; load {load:.1f})")
    floor = best["charts"][0]
    for name in ("cold", "warm"):
        seconds = best[name][0]
        print(
            f"{name}: {seconds / floor:.2f}x the two-chart floor, "
            f"{seconds / GOAL_FIRST_PAGE_S:.2f}x the {GOAL_FIRST_PAGE_S:.0f} s goal"
        )


def _script_ready(page: object, t0: float, source: str) -> float:
    import subprocess
    import urllib.request

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "hello.py"
        script.write_text(source)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            health = f"http://127.0.0.1:{port}/_stcore/health"
            while True:
                try:
                    with urllib.request.urlopen(health, timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            page.goto(f"http://127.0.0.1:{port}")  # type: ignore[attr-defined]
            if source == HELLO:
                page.wait_for_selector("text=hello", timeout=60_000)  # type: ignore[attr-defined]
            else:
                page.wait_for_function(CHARTS_DRAWN, timeout=60_000)  # type: ignore[attr-defined]
            return time.perf_counter() - t0
        finally:
            process.terminate()
            process.wait(timeout=15)


def main(participants: int, only_first_page: bool = False, rounds: int = 1) -> None:
    study = ensure_study(participants)
    if only_first_page:
        print(f"first page, {participants} participants ({study.stat().st_size / 1e6:.0f} MB):")
        report_first_page(first_page_rounds(study, rounds))
        return
    floor = baseline_rerun()
    timings, cold, fast, warm_up = filter_change_times(study)
    values = [t for _, t, _ in timings]
    cpu_values = [c for _, _, c in timings]
    print(f"\nstudy: {participants} participants ({study.stat().st_size / 1e6:.0f} MB)")
    print(f"cold first script run (snapshot copy, study-wide queries): {cold * 1000:.0f} ms")
    print(f"snapshot's slow views stored as tables (background) after {fast:.1f} s")
    print(f"warm-up of the other pages' study-wide caches: {warm_up * 1000:.0f} ms")
    print(f"baseline: one-line script rerun {floor * 1000:.1f} ms")
    print("\nserver time per filter change (wall clock; CPU time of this process, all threads):")
    for name, elapsed, cpu in timings:
        print(f"  {elapsed * 1000:7.1f} ms  (CPU {cpu * 1000:6.1f} ms)  {name}")
    median, worst = statistics.median(values), max(values)
    print(
        f"median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms; "
        f"median/goal {median * 1000 / GOAL_FILTER_MS:.2f}, max/goal "
        f"{worst * 1000 / GOAL_FILTER_MS:.2f} (goal < 1); median/baseline {median / floor:.1f}x"
    )
    print(
        f"CPU time: median {statistics.median(cpu_values) * 1000:.1f} ms, max "
        f"{max(cpu_values) * 1000:.1f} ms (wall clock above this means waiting for a CPU: "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    if chromium_path() is None:
        print("\nfirst page ready: not measured (Chromium is not installed)")
        return
    print("\nfirst page ready in Chromium:")
    report_first_page(first_page_rounds(study, 1))


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    rounds = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--rounds=")), "1")
    main(int(numbers[0]) if numbers else 10_000, "--first-page" in sys.argv, int(rounds))
