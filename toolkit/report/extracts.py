"""Data extracts written next to a report: every table and analysed dataset as CSV and Parquet.

The extracts follow the report's privacy rules because they are built from the same privatised
frames: pseudonyms instead of IDs, study days instead of dates, small counts as ``<5``; in a
private report the participant-level extracts are also k-anonymous (k = ``min_cell``) over the
quasi-identifiers (:mod:`toolkit.report.kanonymity`), or left out when the cohort is too small. Text
cells a spreadsheet would run as formulas are defused (:mod:`toolkit.safe_export`). A data
dictionary (``data_dictionary.csv``) lists every file's columns with their type and meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import polars as pl

from toolkit.report.kanonymity import (
    GENERALISED_COLUMNS,
    Generalisation,
    apply,
    generalise,
    k_anonymity,
    participant_values,
)
from toolkit.report.model import Dataset, ReportContent
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
            or GENERALISED_COLUMNS.get(name, "")
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


def private_datasets(
    datasets: list[Dataset], k: int
) -> tuple[list[Dataset], Generalisation | None]:
    """The participant-level ``datasets`` made k-anonymous (see :mod:`toolkit.report.kanonymity`);
    an empty list when that is impossible. Each result is checked: k >= ``k``."""
    level = [d for d in datasets if "participant_id" in d.frame.columns]
    if not level:
        return datasets, None
    chosen = generalise(participant_values([d.frame for d in level]), k)
    if chosen.step is None:
        return [d for d in datasets if d not in level], chosen
    out = []
    local: dict[str, int] = {}
    for d in datasets:
        if d not in level:
            out.append(d)
            continue
        frame, removed = apply(d.frame, chosen, k)
        if removed:
            local[d.key] = removed
        reached = k_anonymity(frame)
        if reached is not None and reached < k:  # a bug, never a published extract
            raise RuntimeError(f"{d.key}: k-anonymity {reached} < {k} after generalisation")
        out.append(Dataset(d.key, d.title, frame, d.columns))
    return out, replace(chosen, local=local)


def _privacy_note(chosen: Generalisation | None, k: int) -> str:
    if chosen is None:
        return ""
    if chosen.step is None:
        return (
            f"; participant-level extracts (analysis_*) left out: {chosen.reason}, so they "
            f"cannot be made k-anonymous with k = {k}"
        )
    local = "".join(f", {n} more from {key}" for key, n in sorted(chosen.local.items()))
    return (
        f"; participant-level extracts are k-anonymous (k >= {k}) over age, BMI, sex, "
        f"site, condition and arm: {chosen.step.name}; {len(chosen.suppressed)} participant(s) "
        f"in groups smaller than k suppressed (their rows removed from every analysis_* file)"
        f"{local} (in groups smaller than k within that file)"
    )


def write_extracts(content: ReportContent, folder: Path) -> tuple[Path, ...]:
    """Write each table and dataset as ``<key>.csv`` and ``<key>.parquet`` into ``folder``,
    plus ``data_dictionary.csv``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    dictionary: list[dict[str, str]] = []
    policy = content.policy
    datasets, chosen = (
        (content.datasets, None)
        if policy.identifiable
        else private_datasets(list(content.datasets), policy.min_cell)
    )
    items: list[tuple[str, str, pl.DataFrame, Mapping[str, str]]] = [
        (t.key, t.title, t.frame, t.columns) for t in content.tables()
    ]
    items += [(d.key, d.title, d.frame, d.columns) for d in datasets]
    for key, title, frame, described in items:
        csv = folder / f"{key}.csv"
        parquet = folder / f"{key}.parquet"
        safe_csv(_csv_ready(frame), csv)
        frame.write_parquet(parquet)
        written += [csv, parquet]
        dictionary += _dictionary_rows(key, title, frame, described)
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
            + f"; counts below {policy.min_cell} shown as '{policy.suppressed_label}'"
            + _privacy_note(chosen, policy.min_cell),
        }
    )
    path = folder / "data_dictionary.csv"
    safe_csv(pl.DataFrame(dictionary), path)
    written.append(path)
    return tuple(written)
