"""Figure files: PNG and SVG through kaleido (which drives a local Chrome or Chromium), and
self-contained HTML, which needs no browser at all.

Kaleido 1.x renders with the Chrome/Chromium already installed (it finds Debian's
``/usr/bin/chromium``; ``BROWSER_PATH`` points it elsewhere) and plotly.js bundled with plotly,
so static export works offline. Where no browser is installed, :func:`static_export_problem`
says so, and callers offer HTML instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from functools import cache

import plotly.graph_objects as go

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@cache
def static_export_problem() -> str | None:
    """Why PNG/SVG export cannot work here, or None when it can (kaleido and a browser)."""
    # Found, not imported: importing kaleido takes a noticeable part of a second, and pages
    # ask this while drawing their first chart (the export itself imports it when clicked).
    if importlib.util.find_spec("kaleido") is None:
        return "the kaleido package is not installed (pip install kaleido)"
    configured = os.environ.get("BROWSER_PATH")
    if configured and os.path.exists(configured):
        return None
    if any(shutil.which(name) for name in _BROWSERS):
        return None
    return (
        "no Chrome or Chromium is installed for kaleido to render with (apt-get install chromium)"
    )


def to_image(fig: go.Figure, fmt: str, *, width: int = 1100, height: int | None = None) -> bytes:
    """The figure as ``png`` or ``svg`` bytes (raises RuntimeError with the reason if static
    export cannot work here)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"The 'fmt' parameter of to_image must be 'png' or 'svg'. Got {fmt!r}.")
    problem = static_export_problem()
    if problem:
        raise RuntimeError(f"cannot export {fmt.upper()}: {problem}")
    chosen_height = height or int(fig.layout.height or 450)
    image: bytes = fig.to_image(
        format=fmt, width=width, height=chosen_height, scale=2 if fmt == "png" else 1
    )
    return image


def to_html(fig: go.Figure) -> bytes:
    """A self-contained interactive HTML page of the figure (plotly.js embedded, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
