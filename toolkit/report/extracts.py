"""Data extracts written next to a report: every table and analysed dataset as CSV and Parquet.

The extracts follow the report's privacy rules because they are built from the same privatised
frames: pseudonyms instead of IDs, study days instead of dates, small counts as ``<5``. Text
cells a spreadsheet would run as formulas are defused (:mod:`toolkit.safe_export`). A data
dictionary (``data_dictionary.csv``) lists every file's columns with their type and meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from toolkit.report.model import ReportContent
from toolkit.safe_export import safe_csv

#: Meanings of the participant-level columns the analysed datasets carry.
DATASET_COLUMNS: dict[str, str] = {
    "participant_id": "report-local pseudonym (raw ID only in an identifiable report)",
    "arm": "allocated arm",
    "condition": "condition studied",
    "sex": "sex as recorded in the roster",
    "age": "age in years at enrolment",
    "bmi": "body-mass index (kg/m2)",
    "site": "recruiting site",
    "baseline": "baseline score (latest score in the baseline window)",
    "follow_up": "follow-up score (closest to the follow-up day within its window)",
    "change": "follow-up minus baseline",
    "percent_change": "100 x change / baseline",
    "responder": "improvement of at least the instrument's MCID (null when unknown)",
    "retro_minutes": "mean weekly minutes walked backward over the intervention weeks",
    "forward_minutes": "mean weekly minutes walked forward over the intervention weeks",
    "adherence": "mean weekly adherence (minutes in the prescribed direction / prescribed)",
    "study_day": "days from the participant's enrolment (enrolment day = 0)",
    "study_week": "study week (week 1 holds the enrolment day)",
    "visit": "scheduled visit name, or diary",
    "score": "the instrument's score",
    "week_start_study_day": "study day of the Monday starting the ISO week",
    "unknown_minutes": "minutes whose walking direction was not recorded",
    "retro_distance_m": "distance walked backward in the week (m)",
    "sessions": "treadmill sessions in the week",
    "prescribed_minutes_per_week": "minutes per week prescribed in the arm's direction",
}


def _dictionary_rows(
    file_stem: str, title: str, frame: pl.DataFrame, described: Mapping[str, str]
) -> list[dict[str, str]]:
    return [
        {
            "file": file_stem,
            "table": title,
            "column": name,
            "type": str(dtype),
            "description": described.get(name)
            or DATASET_COLUMNS.get(name, "")
            or (
                f"study day of {name.removesuffix('_study_day')}"
                if name.endswith("_study_day")
                else ""
            ),
        }
        for name, dtype in frame.schema.items()
    ]


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested values (lists, structs) as JSON text so the CSV stays flat."""
    nested = [n for n, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns(
        pl.col(n).map_elements(lambda v: str(v), return_dtype=pl.String) for n in nested
    )


def write_extracts(content: ReportContent, folder: Path) -> tuple[Path, ...]:
    """Write each table and dataset as ``<key>.csv`` and ``<key>.parquet`` into ``folder``,
    plus ``data_dictionary.csv``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    dictionary: list[dict[str, str]] = []
    items: list[tuple[str, str, pl.DataFrame, Mapping[str, str]]] = [
        (t.key, t.title, t.frame, t.columns) for t in content.tables()
    ]
    items += [(d.key, d.title, d.frame, d.columns) for d in content.datasets]
    for key, title, frame, described in items:
        csv = folder / f"{key}.csv"
        parquet = folder / f"{key}.parquet"
        safe_csv(_csv_ready(frame), csv)
        frame.write_parquet(parquet)
        written += [csv, parquet]
        dictionary += _dictionary_rows(key, title, frame, described)
    policy = content.policy
    dictionary.append(
        {
            "file": "*",
            "table": "privacy",
            "column": "*",
            "type": "",
            "description": (
                "identifiable: raw IDs and calendar dates"
                if policy.identifiable
                else "pseudonymised IDs (this report only), dates as study days"
            )
            + f"; counts below {policy.min_cell} shown as '{policy.suppressed_label}'",
        }
    )
    path = folder / "data_dictionary.csv"
    safe_csv(pl.DataFrame(dictionary), path)
    written.append(path)
    return tuple(written)
