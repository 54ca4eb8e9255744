"""Print a report's HTML to PDF with headless Chromium (Debian's ``chromium`` package).

Why Chromium printing, not kaleido: kaleido 1.x itself drives a Chrome (through choreographer)
to turn each figure into a PNG/SVG, and would still leave us without a PDF layout engine for the
text and tables; printing the very HTML we ship with the same Chromium gives one browser start,
the same layout as the screen, and plotly's charts as vector graphics. Nothing is downloaded:
it runs the distribution's browser with networking features off, on a file that fetches nothing.

Charts must be drawn before the page is printed. plotly draws when its inline script runs, but
finishes some layout (automargins, legends) asynchronously; ``--virtual-time-budget`` makes
headless Chromium run the page's timers and animation frames until it is idle (or the budget is
spent) before printing, so the PDF holds finished charts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from toolkit.errors import UsageError

#: Where to look for a Chromium, in order (``RETROWALK_CHROMIUM`` overrides).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Browser window width in CSS pixels: the printable width of A4 with the report's 12 mm
#: margins (186 mm at 96 px per inch), so responsive charts are drawn at the width they print.
PRINT_WIDTH_PX = 703


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None when none is installed."""
    override = os.environ.get("RETROWALK_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, *, timeout: float = 120, budget_ms: int = 8000) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium; return ``pdf``.

    Raises
    ------
    UsageError
        When no Chromium is installed (install Debian's ``chromium``) or printing fails.
    """
    browser = find_chromium()
    if browser is None:
        raise UsageError(
            "PDF output needs Chromium (Debian: apt-get install chromium); "
            "the HTML report was written without it"
        )
    pdf = pdf.resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="retrowalk-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={profile}",
            f"--window-size={PRINT_WIDTH_PX},1000",
            "--run-all-compositor-stages-before-draw",
            f"--virtual-time-budget={budget_ms}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise UsageError(f"Chromium did not finish printing {html} in {timeout:.0f} s") from exc
    if not pdf.exists() or pdf.stat().st_size == 0:
        tail = "\n".join((done.stderr or "").strip().splitlines()[-5:])
        raise UsageError(f"Chromium could not print {html} to PDF (exit {done.returncode}): {tail}")
    return pdf
