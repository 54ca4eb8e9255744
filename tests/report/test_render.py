"""The rendered HTML in a real browser: nothing is requested from a network, every chart draws.

Opened from ``file://`` in Debian's Chromium through Playwright, with every request recorded
and anything but the file itself (and ``data:``/``blob:`` URLs) aborted, as on a machine with
no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.report import ReportResult
from toolkit.report.pdf import find_chromium
from toolkit.report.render import format_value


def test_format_value_for_tables() -> None:
    assert format_value(0.0004, "p_value") == "<0.001"
    assert format_value(0.0123, "p_value") == "0.012"
    assert format_value(-0.0042, "estimate") == "-0.0042"
    assert format_value(1234.567, "estimate") == "1,235"  # three significant digits
    assert format_value(None) == ""
    assert format_value(float("nan")) == ""
    assert format_value(True) == "yes"


@pytest.mark.browser
def test_report_opens_offline_and_draws_every_chart(private_report: ReportResult) -> None:
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    browser_path = find_chromium()
    if browser_path is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium); not installed")
    requested: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()

            def route(handle: object) -> None:
                request = handle.request  # type: ignore[attr-defined]
                requested.append(request.url)
                if request.url.split(":", 1)[0] in ("file", "data", "blob"):
                    handle.continue_()  # type: ignore[attr-defined]
                else:
                    handle.abort()  # type: ignore[attr-defined]

            page.route("**/*", route)
            page.goto(private_report.html.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.plotly-graph-div')]"
                ".every(d => d.querySelector('.main-svg'))",
                timeout=30_000,
            )
            charts = page.evaluate("document.querySelectorAll('.plotly-graph-div').length")
            drawn = page.evaluate(
                "[...document.querySelectorAll('.plotly-graph-div')]"
                ".filter(d => d.querySelectorAll('.trace, .point, .bars, path.js-line').length)"
                ".length"
            )
        finally:
            browser.close()
    assert charts >= 7
    assert drawn == charts
    remote = [url for url in requested if url.split(":", 1)[0] not in ("file", "data", "blob")]
    assert remote == []
    assert Path(requested[0]).name == private_report.html.name


def test_webgl_traces_are_redrawn_as_svg_with_the_same_data() -> None:
    import plotly.graph_objects as go

    from toolkit.report.render import svg_only

    fig = go.Figure(
        [
            go.Scattergl(x=[1, 2, 3], y=[4, 5, 6], name="retro", mode="markers"),
            go.Bar(x=["a"], y=[1]),
        ]
    )
    out = svg_only(fig)
    assert [t.type for t in out.data] == ["scatter", "bar"]
    assert list(out.data[0].x) == [1, 2, 3] and list(out.data[0].y) == [4, 5, 6]
    assert out.data[0].name == "retro" and out.data[0].mode == "markers"
    assert fig.data[0].type == "scattergl"  # the builder's figure is left as it was
