"""End to end: the real dashboard server driven by Playwright in Debian's Chromium.

Starts ``python -m toolkit dashboard STUDY`` on 127.0.0.1 and a free port, visits every page,
checks its charts render (plotly drew its SVG) without a Streamlit exception, changes a cohort
filter and checks the page and the URL follow, opens a shared link, and saves screenshots under
``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.dashboard.conftest import Holder
from tests.dashboard.server import CHROMIUM_ARGS, chromium_path, dashboard_server
from toolkit.cohorts import Cohort, members
from toolkit.study import open_study

pytestmark = pytest.mark.browser

#: Tall, because Streamlit scrolls inside its own container (full-page shots see one screen).
VIEWPORT = {"width": 1400, "height": 3200}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: Page title in the navigation, and the charts it draws for the default participant.
PAGES = [
    ("Overview", 2),
    ("Exposure", 3),
    ("Outcomes", 3),
    ("Dose-response", 1),
    ("Participant", 4),
    ("Data quality", 2),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); browsers cannot be "
            "downloaded here"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dashboard_server(demo_study, snapshots=tmp_path_factory.mktemp("snapshots")) as url:
        yield url


def wait_idle(page: Any) -> None:
    """Wait until the script run finished (Streamlit shows its status widget while running)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )


def check_charts(page: Any, expected: int, name: str) -> None:
    """``expected`` plotly charts drew their SVG, and no exception box is on the page."""
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".filter(c => c.querySelector('.main-svg')).length >= n",
        arg=expected,
        timeout=60_000,
    )
    wait_idle(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    assert charts.count() == expected, f"{name}: {charts.count()} charts"
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{name}: {exceptions.first.inner_text()}"
    for i in range(expected):
        assert charts.nth(i).locator(".main-svg").first.bounding_box()["height"] > 100


def metric(page: Any, title: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=title).first
    return str(box.locator('[data-testid="stMetricValue"]').inner_text()).strip()


def test_every_page_renders_and_filters_follow(browser: Any, server: str, demo_study: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with open_study(demo_study, read_only=True) as study:
        everyone = members(study, Cohort()).height
        knee_oa = members(study, Cohort(conditions=("knee_oa",))).height
    assert 0 < knee_oa < everyone
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server)
    check_charts(page, PAGES[0][1], "Overview")
    assert metric(page, "Participants in cohort") == str(everyone)
    page.screenshot(path=str(ARTIFACTS / "overview_all.png"), full_page=True)

    # Narrow the cohort to knee OA in the sidebar: the page and the URL follow.
    condition = page.locator(
        '[data-testid="stSidebar"] [data-testid="stMultiSelect"]', has_text="Condition"
    )
    condition.locator("input").click()
    page.locator('[role="option"]', has_text="knee_oa").first.click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some("
        "m => m.innerText.includes('Participants in cohort') && m.innerText.includes(n))",
        arg=str(knee_oa),
        timeout=60_000,
    )
    wait_idle(page)
    assert "conditions=knee_oa" in page.url
    assert metric(page, "Participants in cohort") == str(knee_oa)
    page.screenshot(path=str(ARTIFACTS / "overview_knee_oa.png"), full_page=True)

    for title, expected in PAGES[1:]:
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.wait_for_function(
            "t => [...document.querySelectorAll('h1')].some(h => h.innerText.includes(t))",
            arg=title,
            timeout=60_000,
        )
        check_charts(page, expected, title)
        assert "conditions=knee_oa" in page.url, f"{title} lost the cohort: {page.url}"
        slug = title.lower().replace(" ", "_").replace("-", "_")
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
    assert errors == []
    page.close()


def test_a_shared_link_opens_the_same_cohort(browser: Any, server: str) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server}/exposure?arms=forward,usual_care&sexes=female")
    check_charts(page, 3, "Exposure (linked)")
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Cohort:").first
    assert "arm in forward, usual_care" in caption.inner_text()
    assert "sex in female" in caption.inner_text()
    page.screenshot(path=str(ARTIFACTS / "exposure_linked.png"), full_page=True)
    page.close()


def test_ingesting_while_the_dashboard_runs(
    browser: Any, study_copy: Path, tmp_path: Path, hold: Holder
) -> None:
    """DuckDB's single-writer rule with the real server: a writer holding the study does not
    stop the dashboard (it says so and shows its snapshot), the dashboard does not stop an
    ingest, and the ingested file shows up on the next page load."""
    with dashboard_server(study_copy, snapshots=tmp_path / "snapshots") as url:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/data_quality")
        check_charts(page, 2, "Data quality")
        loaded = int(metric(page, "Files loaded"))
        with hold(study_copy, "write") as writer:
            study_copy.touch()  # the writer has changed the file
            page.reload()
            check_charts(page, 2, "Data quality while another process writes")
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert f"being written by another process (pid {writer.pid})" in sidebar
            page.screenshot(path=str(ARTIFACTS / "data_quality_during_write.png"))
        extra = tmp_path / "late_score.csv"
        extra.write_text(
            "participant_id,measured_at,instrument,score\nRW0001,2026-06-01T09:00:00+00:00,nrs,3\n"
        )
        result = run_cli("ingest", study_copy, extra)  # not blocked by the running dashboard
        assert result.returncode == 0, result.stdout + result.stderr
        page.reload()
        check_charts(page, 2, "Data quality after the ingest")
        assert int(metric(page, "Files loaded")) == loaded + 1
        assert "being written" not in page.locator('[data-testid="stSidebar"]').inner_text()
        page.close()
