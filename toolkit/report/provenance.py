"""Provenance of a report: which study file, which ingests, which toolkit, which parameters, when.

A reader of a shared report must be able to tell exactly what it was computed from. The study
file's SHA-256 pins the data; the ingest log summary says what went in (and what was rejected);
the toolkit version and the parameters pin the computation.

Ingest-log file paths often carry participant IDs or dates (``treadmill/boston/RW0004.csv``), so a
private report summarises the log by format and status only; file-level rows (paths, errors)
appear only in an identifiable report.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.study import Study
from toolkit.version import toolkit_version


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (study files can be large).

    For a Parquet lake (a folder), of its descriptor and shard manifests, which list every data
    file's sha256.
    """
    digest = hashlib.sha256()
    if path.is_dir():
        for part in [path / "_lake.json", *sorted((path / "_manifests").glob("*.json"))]:
            digest.update(part.name.encode("utf-8") + b"\0" + part.read_bytes())
        return digest.hexdigest()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What a report was built from.

    Attributes
    ----------
    study_name
        The study file's name (not its full path, which may name a person or a site).
    study_sha256
        SHA-256 of the study file's bytes when the report was built.
    toolkit_version
        The retrowalk version that computed the report.
    generated_at
        When the report was built (UTC, to the second).
    parameters
        The report's parameters (cohort, outcome, privacy settings), JSON-ready.
    ingest_summary
        One row per format and status: files, rows.
    ingest_files
        One row per ingest attempt (path, format, status, error); empty in a private report.
    software
        Versions of Python and of the libraries that computed the numbers.
    """

    study_name: str
    study_sha256: str
    toolkit_version: str
    generated_at: datetime
    parameters: Mapping[str, Any]
    ingest_summary: pl.DataFrame
    ingest_files: pl.DataFrame
    software: Mapping[str, str] = field(default_factory=dict)

    def parameters_json(self) -> str:
        """The parameters as indented JSON, for the report and for re-running it."""
        return json.dumps(dict(self.parameters), indent=2, sort_keys=True, default=str)


def _rows_total(rows_json: str | None) -> int:
    if not rows_json:
        return 0
    try:
        counts = json.loads(rows_json)
    except ValueError:
        return 0
    return int(sum(v for v in counts.values() if isinstance(v, int | float)))


def ingest_summary(study: Study) -> pl.DataFrame:
    """The ingest log by format and status.

    Columns: format, status, files, rows (rows written to raw tables; 0 for duplicates and
    rejections).
    """
    log = study.sql("select format, status, cast(rows as varchar) as rows from ingest_log")
    if log.height == 0:
        return pl.DataFrame(
            schema={"format": pl.String, "status": pl.String, "files": pl.Int64, "rows": pl.Int64}
        )
    log = log.with_columns(
        pl.col("format").fill_null("(unknown)"),
        pl.col("rows").map_elements(_rows_total, return_dtype=pl.Int64).alias("rows"),
    )
    return (
        log.group_by("format", "status")
        .agg(pl.len().cast(pl.Int64).alias("files"), pl.col("rows").sum().alias("rows"))
        .sort("format", "status")
    )


def ingest_files(study: Study) -> pl.DataFrame:
    """Every ingest attempt: path, format, status, error (identifiable reports only)."""
    return study.sql(
        "select path, format, status, coalesce(error_position || ': ', '') || error as error, "
        "ingested_at from ingest_log order by attempt_id"
    )


def _software() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("polars", "duckdb", "statsmodels", "scipy", "numpy", "plotly"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def collect_provenance(
    study: Study, parameters: Mapping[str, Any], *, identifiable: bool
) -> Provenance:
    """Gather the provenance of a report on ``study`` built with ``parameters``."""
    files = ingest_files(study) if identifiable else pl.DataFrame()
    return Provenance(
        study_name=Path(study.path).name,
        study_sha256=file_sha256(Path(study.path)),
        toolkit_version=toolkit_version(),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        parameters=parameters,
        ingest_summary=ingest_summary(study),
        ingest_files=files,
        software=_software(),
    )
