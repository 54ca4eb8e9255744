"""Running R on seeded data for the reference suite (tests/stats/test_vs_r_*.py, marker ``r``).

:func:`run_r` writes the given frames as CSV files into a temporary directory, runs ``Rscript``
on the script (which reads ``data_<name>.csv`` and writes one JSON object with jsonlite to the
path in ``OUT``), and returns that object. Without ``Rscript`` or one of the packages a test
needs, the test is skipped with that reason. Debian packages: r-base-core r-cran-lme4
r-cran-lmertest r-cran-nlme r-cran-emmeans r-cran-mice r-cran-pbkrtest r-cran-rms r-cran-aer
r-cran-jsonlite (installed by .ci/run).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest


@functools.cache
def _has_packages(packages: tuple[str, ...]) -> tuple[bool, str]:
    if shutil.which("Rscript") is None:
        return False, "Rscript is not installed (Debian: r-base-core)"
    probe = "cat(sapply(commandArgs(TRUE), requireNamespace, quietly = TRUE))"
    done = subprocess.run(
        ["Rscript", "-e", probe, *packages], capture_output=True, text=True, timeout=120
    )
    found = done.stdout.split()
    missing = [p for p, ok in zip(packages, found, strict=False) if ok != "TRUE"]
    if done.returncode != 0 or len(found) != len(packages) or missing:
        return False, f"R package(s) missing: {', '.join(missing or packages)}"
    return True, ""


def require(*packages: str) -> None:
    """Skip the calling test unless Rscript and ``packages`` (plus jsonlite) are available."""
    ok, reason = _has_packages(tuple(sorted({"jsonlite", *packages})))
    if not ok:
        pytest.skip(reason)


def run_r(script: str, frames: dict[str, pl.DataFrame], workdir: Path, timeout: float = 120) -> Any:
    """Run ``script`` in R with ``frames`` as data_<name>.csv; return its JSON output."""
    for name, frame in frames.items():
        frame.write_csv(workdir / f"data_{name}.csv")
    out = workdir / "out.json"
    program = workdir / "script.R"
    program.write_text(
        "suppressPackageStartupMessages(library(jsonlite))\n"
        f"setwd({json.dumps(str(workdir))})\nOUT <- {json.dumps(str(out))}\n"
        "emit <- function(x) writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, "
        "na = 'null'), OUT)\n" + textwrap.dedent(script)
    )
    done = subprocess.run(
        ["Rscript", str(program)], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"R failed:\n{done.stderr[-3000:]}")
    return json.loads(out.read_text())
