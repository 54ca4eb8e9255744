"""In Chromium: the dashboard works offline and quietly (no Deploy button, a local favicon, no
request leaves the machine), the participant page's questionnaire panels are readable, and the
dose-response legend counts every participant. Screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import cli_env
from tests.dashboard.server import _stop_group, dashboard_server, free_port
from tests.dashboard.test_browser import ARTIFACTS, VIEWPORT, browser, check_charts, wait_idle

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dashboard_server(demo_study, snapshots=tmp_path_factory.mktemp("snapshots")) as url:
        yield url


def open_page(browser: Any, url: str, title: str, charts: int) -> tuple[Any, list[str]]:
    """A new page on ``title``'s view, its charts drawn; and every URL it requested."""
    page = browser.new_page(viewport=VIEWPORT)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    wait_idle(page)
    if title != "Overview":
        page.get_by_role("link", name=title).click()
    check_charts(page, charts, title)
    return page, requested


def test_offline_no_deploy_button_and_a_local_favicon(browser: Any, server: str) -> None:
    page, requested = open_page(browser, server, "Overview", 2)
    try:
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0
        icon = page.locator('link[rel="shortcut icon"], link[rel="icon"]').first
        href = icon.get_attribute("href") or ""
        host = urlparse(page.url).hostname
        assert urlparse(href).hostname in (None, host), href
        with urllib.request.urlopen(page.evaluate("h => new URL(h, location).href", href)) as r:
            assert r.status == 200 and r.read(4) == b"\x89PNG"
        outside = [u for u in requested if urlparse(u).hostname not in (host, None)]
        assert not [u for u in outside if not u.startswith(("data:", "blob:"))], outside
    finally:
        page.close()


def test_participant_questionnaires_are_readable_panels(browser: Any, server: str) -> None:
    page, _ = open_page(browser, server, "Participant", 4)
    try:
        pain = page.locator('[data-testid="stPlotlyChart"]').last
        # plotly's own layout: the drawn pixel height of every y axis (one per questionnaire)
        lengths = pain.evaluate(
            "c => { const l = c.querySelector('.js-plotly-plot')._fullLayout;"
            " return Object.keys(l).filter(k => /^yaxis\\d*$/.test(k) && l[k].visible !== false)"
            ".map(k => l[k]._length); }"
        )
        assert lengths
        assert min(lengths) >= 150, lengths
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "participant_panels.png"), full_page=True)
    finally:
        page.close()


def test_dose_response_legend_counts_everyone(browser: Any, server: str) -> None:
    page, _ = open_page(browser, server, "Dose-response", 1)
    try:
        legend = page.locator('[data-testid="stPlotlyChart"] .legendtext').all_text_contents()
        usual = next(t for t in legend if t.startswith("Usual care"))
        assert "at 0 min" in usual and "n=" in usual
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dose_response_strip.png"), full_page=True)
    finally:
        page.close()


def test_start_up_is_quiet_offline(demo_study: Path, tmp_path: Path) -> None:
    """No "Did not auto detect external IP" (Streamlit asks an internet service when the
    address is its default); the URL printed is localhost's."""
    port = free_port()
    env = {
        **cli_env(),
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        "RETROWALK_SNAPSHOT_DIR": str(tmp_path),
    }
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "dashboard", str(demo_study)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r,
            ):
                if r.status == 200:
                    break
            time.sleep(0.3)
        time.sleep(3)  # Streamlit prints its URLs (and would look up the IP) after starting
    finally:
        _stop_group(process)
    output = process.stdout.read() if process.stdout else ""
    assert f"URL: http://127.0.0.1:{port}" in output or f"URL: http://localhost:{port}" in output, (
        output
    )
    assert "Did not auto detect external IP" not in output
    assert "Traceback" not in output
