"""The plan section: the statistical analysis plan the report ran, its sha256, and its lock.

Provenance for a reader who must judge whether the analyses were chosen before the data were
seen: the plan's full text, its SHA-256 (compare with the file a protocol registered), and
whether ``retrowalk analyse --lock`` recorded it in the study before the first outcome data
were loaded.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.analyses import Plan, plan_locks
from toolkit.report.model import Section, Table


def lock_text(study: Any, plan: Plan) -> str:
    """Whether (and when) this exact plan was locked in the study."""
    try:
        locks = plan_locks(study, plan.sha256)
    except Exception:  # a study without the locks table (an older file, another engine)
        locks = []
    if not locks:
        return (
            "This plan was not locked in the study (retrowalk analyse STUDY PLAN --lock records "
            "a plan's SHA-256 and time): nothing shows it was fixed before the outcome data "
            "were loaded."
        )
    first = locks[0]
    verdict = (
        "so it was fixed before the outcome data were loaded."
        if first.before_outcome_data
        else "so it was fixed only after the outcome data were loaded."
    )
    return f"This plan was {first.describe()}, {verdict}"


def plan_section(study: Any, plan: Plan) -> Section:
    """The plan's title, SHA-256, lock status, its analyses in a table, and its full text."""
    rows = pl.DataFrame(
        {
            "analysis": [a.id for a in plan.analyses],
            "role": [a.role for a in plan.analyses],
            "outcome": [a.outcome for a in plan.analyses],
            "model": [a.model for a in plan.analyses],
            "population": [a.population for a in plan.analyses],
            "estimand": [a.estimand for a in plan.analyses],
        }
    )
    paragraphs = [
        f"Plan: {plan.title} ({plan.source}); SHA-256 {plan.sha256}.",
        lock_text(study, plan),
        f"Multiplicity: {plan.multiplicity} across the {', '.join(plan.multiplicity_roles)} "
        f"analyses' comparisons. Missing data: {plan.missing_data or 'as each model states'}.",
        "Dose-response analyses are observational and exploratory: exposure is not randomised.",
    ]
    if plan.intervention_weeks is not None:
        paragraphs.append(f"Intervention length in the plan: {plan.intervention_weeks} weeks.")
    table = Table(
        "plan_analyses",
        "Analyses of the plan",
        rows,
        columns={
            "analysis": "the analysis id in the plan",
            "role": "primary, secondary, exploratory or sensitivity",
            "outcome": "the instrument or wearable measure",
            "model": "the statistical model",
            "population": "the analysis population",
            "estimand": "what is estimated, in words",
        },
    )
    return Section("plan", "Statistical analysis plan", paragraphs, [table], preformatted=plan.text)
