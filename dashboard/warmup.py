"""Start the dashboard server with the first page's work already under way.

``retrowalk dashboard`` runs Streamlit in its own process (no second interpreter) through
:func:`serve`. Before the server starts, a background thread does what the first browser visit
would otherwise do after it connects: import the dashboard's modules (polars, plotly, DuckDB),
take the study's snapshot (copying the file) and fill the caches the Overview page's charts read
for the everyone-cohort. Only then does the snapshot's background copy (its slow views stored as
tables, see :mod:`dashboard.snapshot`) start, so the two do not share the CPUs. Streamlit
starting its server and the browser loading the page's JavaScript overlap with this work.

The thread calls the very functions the pages call (same cache keys): the snapshot manager is a
process-wide ``st.cache_resource``; the ``st.cache_data`` results are only shared once
Streamlit's runtime exists, so the thread waits for it before filling them. A visitor arriving
while the thread still works waits on the same cache entry (Streamlit computes each key once)
rather than repeating the work. Any failure is only logged: the page then does the work itself
and shows the error where it belongs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

_LOGGER = logging.getLogger("retrowalk.dashboard")


@dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` prepared: the snapshot version, and the cohort (JSON) and outcome
    whose Overview tables are cached (None when the runtime never came up)."""

    version: str
    cohort_json: str | None
    instrument: str | None


def _runtime_ready(timeout: float) -> bool:
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def warm_up(source: str, *, runtime_timeout: float = 60) -> WarmUp:
    """Take ``source``'s snapshot and cache the Overview page's data for the everyone-cohort.

    Waits up to ``runtime_timeout`` seconds for Streamlit's runtime before filling the data
    caches (``0`` skips the wait: in tests, where caches live without a runtime).
    """
    from dashboard.connection import snapshot_manager
    from toolkit.cohorts import Cohort

    manager = snapshot_manager(source)
    # The snapshot's background materialization waits until these queries are done: on a
    # small machine it would otherwise take a CPU from them (and from the browser).
    status = manager.current(start_background=False)
    try:
        version = status.snapshot.version
        if runtime_timeout and not _runtime_ready(runtime_timeout):
            return WarmUp(version, None, None)
        # Imported only now: its st.cache_data functions bind their storage when defined, and
        # before the runtime exists that would be a private fallback store (and a warning each).
        from dashboard import data, first_page

        options = data.filter_options(source, version)
        cohort_json = Cohort().to_json()
        instrument = data.default_instrument(options["instruments"])
        flow = data.overview_flow(source, version, cohort_json, instrument)
        completeness = data.overview_completeness(source, version, cohort_json)
        _warm_drawing(flow, completeness, instrument)
        # Table 1 only when kept from an earlier start (cheap); computing it imports the
        # statistics stack (seconds of CPU holding the GIL), which would slow the page drawing
        # its charts, so the page computes it after them.
        store = first_page.store_for(source, version)
        if store is not None and store.get("table1") is not None:
            data.table1(source, version, cohort_json)
        return WarmUp(version, cohort_json, instrument)
    finally:
        manager.start_background()


def _warm_drawing(flow: pl.DataFrame, completeness: pl.DataFrame, instrument: str) -> None:
    """Build the Overview's two charts once: plotly imports each trace type's validators on
    first use. (Not pandas, which Streamlit's tables import: plotly and others look it up in
    ``sys.modules`` without the import lock, and a page drawing a chart while this thread
    imported it would find it half initialised. The page draws its tables after its charts.)"""
    from toolkit.figures import figure_completeness, figure_participant_flow

    figure_participant_flow(flow, instrument=instrument).to_plotly_json()
    figure_completeness(completeness).to_plotly_json()


def _warm_up_quietly(source: str) -> None:
    started = time.perf_counter()
    try:
        done = warm_up(source)
    except Exception as exc:  # the first page reports the error itself
        _LOGGER.warning("dashboard warm-up failed (%s: %s)", type(exc).__name__, exc)
        return
    _LOGGER.info(
        "dashboard warm-up: snapshot %s, Overview cached for %s in %.1f s",
        done.version,
        done.instrument or "(no runtime)",
        time.perf_counter() - started,
    )


def serve(app: Path, study: Path, *, address: str = "127.0.0.1") -> None:
    """Run the Streamlit server for ``app`` on ``study`` in this process, warming up meanwhile.

    Listens on ``address`` (see :mod:`dashboard.bind`). Honours Streamlit's own settings
    (``STREAMLIT_SERVER_PORT``...). Returns only through ``SystemExit`` from Streamlit's
    command line.
    """
    from streamlit.web import cli as streamlit_cli

    source = str(study.resolve())
    os.environ["RETROWALK_STUDY"] = source
    threading.Thread(
        target=_warm_up_quietly, args=(source,), daemon=True, name="retrowalk-warm-up"
    ).start()
    streamlit_cli.main(
        ["run", str(app), *quiet_offline_options(address=address), f"--server.address={address}"],
        prog_name="streamlit",
    )


#: Streamlit settings for a study dashboard that works offline and starts quietly, each with the
#: environment variable that overrides it: no usage statistics sent; no Deploy button (the app
#: is a local research tool, not a Streamlit Cloud project); and the address printed as
#: localhost, so Streamlit does not ask an internet service for this machine's external IP
#: (offline that prints "Did not auto detect external IP").
QUIET_OFFLINE = {
    "browser.gatherUsageStats": ("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false"),
    "client.toolbarMode": ("STREAMLIT_CLIENT_TOOLBAR_MODE", "minimal"),
    "browser.serverAddress": ("STREAMLIT_BROWSER_SERVER_ADDRESS", "localhost"),
}


def quiet_offline_options(
    environ: Mapping[str, str] | None = None, *, address: str | None = None
) -> list[str]:
    """``--option=value`` flags for :data:`QUIET_OFFLINE`, leaving out any the user set
    through its environment variable (command-line flags would override it). The printed
    address stays Streamlit's own when ``STREAMLIT_SERVER_ADDRESS`` names one."""
    env = os.environ if environ is None else environ
    flags = []
    for option, (variable, value) in QUIET_OFFLINE.items():
        if variable in env:
            continue
        named = address or env.get("STREAMLIT_SERVER_ADDRESS")
        if option == "browser.serverAddress" and named and named not in ("0.0.0.0", "::"):
            continue  # Streamlit prints that address itself (and looks nothing up)
        flags.append(f"--{option}={value}")
    return flags
