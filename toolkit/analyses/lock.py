"""Provenance of a plan: lock its sha256 in the study, and say whether it preceded the outcomes.

``retrowalk analyse STUDY PLAN --lock`` records the plan's sha256, text and time in the study's
``analysis_plan_locks`` table, with the time the first outcome file (pain or questionnaire
scores) had been loaded. A report then shows whether the plan it ran was locked, and whether the
lock came before any outcome data were in the study: the evidence that the analyses were fixed
before the results could be seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from toolkit.analyses.plan import Plan

#: ``ingest_log.format`` values that carry outcome (pain or questionnaire) data.
OUTCOME_FORMATS = ("pain_csv", "redcap", "questionnaire_items")


@dataclass(frozen=True)
class PlanLock:
    """One lock of a plan (a row of ``analysis_plan_locks``)."""

    sha256: str
    source: str
    locked_at: datetime
    outcome_data_first_loaded_at: datetime | None

    @property
    def before_outcome_data(self) -> bool:
        """Whether the plan was locked before any outcome data were loaded."""
        first = self.outcome_data_first_loaded_at
        return first is None or self.locked_at < first

    def describe(self) -> str:
        """The lock in words, for reports and the CLI."""
        when = self.locked_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        first = self.outcome_data_first_loaded_at
        if first is None:
            return f"locked at {when}, before any outcome data were loaded"
        shown = first.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        order = "before" if self.before_outcome_data else "after"
        return f"locked at {when}, {order} the first outcome data were loaded ({shown})"


def _first_outcome_load(study: Any) -> datetime | None:
    marks = ", ".join("?" for _ in OUTCOME_FORMATS)
    found = study.sql(
        f"select ingested_at from ingest_log where status in ('loaded', 'salvaged') "
        f"and format in ({marks}) order by ingested_at limit 1",
        list(OUTCOME_FORMATS),
    )
    value = found["ingested_at"][0] if found.height else None
    return value if isinstance(value, datetime) else None


def lock_plan(study: Any, plan: Plan, *, now: datetime | None = None) -> PlanLock:
    """Record ``plan`` (sha256, text, time) in the study, which must be open read-write."""
    locked_at = now or datetime.now(UTC)
    first = _first_outcome_load(study)
    study.sql(
        "insert into analysis_plan_locks values (?, ?, ?, ?, ?)",
        [plan.sha256, plan.source, plan.text, locked_at, first],
    )
    return PlanLock(plan.sha256, plan.source, locked_at, first)


def plan_locks(study: Any, sha256: str | None = None) -> list[PlanLock]:
    """The study's plan locks, oldest first (only those of ``sha256`` when given)."""
    where, params = ("where sha256 = ?", [sha256]) if sha256 else ("", [])
    rows = study.sql(
        "select sha256, source, locked_at, outcome_data_first_loaded_at "
        f"from analysis_plan_locks {where} order by locked_at",
        params,
    )
    return [PlanLock(*row) for row in rows.iter_rows()]
