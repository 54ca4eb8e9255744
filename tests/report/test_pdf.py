"""The PDF prints with headless Chromium and its pages hold drawn charts, not blank boxes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from toolkit.report import ReportResult, build_report
from toolkit.report.pdf import find_chromium

pytestmark = [
    pytest.mark.skipif(
        find_chromium() is None,
        reason="PDF output needs Debian's chromium (apt-get install chromium); not installed",
    ),
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="checking PDF pages needs pdftoppm (apt-get install poppler-utils); not installed",
    ),
]


@pytest.fixture(scope="module")
def pdf_report(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    out = tmp_path_factory.mktemp("pdf")
    return build_report(
        demo_study, None, out / "report.html", pdf=out / "report.pdf", extracts=False
    )


def page_png(pdf: Path, page: int, out: Path) -> Path:
    """Render one page to PNG at 50 dpi with poppler's pdftoppm."""
    stem = out / f"page{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return stem.with_suffix(".png")


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(
        next(line.split()[1] for line in info.stdout.splitlines() if line.startswith("Pages:"))
    )


def test_pdf_pages_are_not_blank_and_charts_are_drawn(
    pdf_report: ReportResult, tmp_path: Path
) -> None:
    from PIL import Image, ImageStat

    assert pdf_report.pdf is not None
    assert pdf_report.pdf.read_bytes().startswith(b"%PDF")
    count = pages(pdf_report.pdf)
    assert count >= 3
    chart_pages = 0
    for page in range(1, count + 1):
        image = Image.open(page_png(pdf_report.pdf, page, tmp_path)).convert("RGB")
        assert ImageStat.Stat(image.convert("L")).var[0] > 50, f"page {page} looks blank"
        # The figures' arm colours (Okabe-Ito orange #E69F00 for "forward") appear nowhere
        # else in the report: pixels of that colour mean plotly drew a chart before printing.
        pixels = np.asarray(image, dtype=np.int32)
        distance = np.abs(pixels - np.array([0xE6, 0x9F, 0x00])).sum(axis=2)
        chart_pages += int((distance < 60).sum()) > 100
    assert chart_pages >= 2  # flow chart, weekly minutes, progression


def test_pdf_without_chromium_says_what_to_install(
    pdf_report: ReportResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.errors import UsageError
    from toolkit.report.pdf import print_pdf

    monkeypatch.setenv("RETROWALK_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(UsageError, match="apt-get install chromium"):
        print_pdf(pdf_report.html, tmp_path / "x.pdf")
