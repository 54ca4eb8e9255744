"""Analysis plans as code: one layer runs a statistical analysis plan on a cohort.

``load_plan(path)`` reads and validates a plan (TOML); ``run_plan(study, plan, cohort)``
returns tidy results with caveats in a ``notes`` column; ``execute_plan`` also keeps each
analysis's analysed frame and fitted curve for figures. The CLI (``analyse``, ``stats``,
``report``) and the dashboard call only this layer, so they give the same numbers.
"""

from toolkit.analyses.lock import lock_plan, plan_locks
from toolkit.analyses.models import AnalysisResult
from toolkit.analyses.plan import (
    AnalysisSpec,
    Plan,
    Population,
    default_plan,
    load_plan,
    parse_plan,
)
from toolkit.analyses.run import PlanRun, execute_plan, resolve_reference, run_analysis, run_plan

__all__ = [
    "AnalysisResult",
    "AnalysisSpec",
    "Plan",
    "PlanRun",
    "Population",
    "default_plan",
    "execute_plan",
    "load_plan",
    "lock_plan",
    "parse_plan",
    "plan_locks",
    "resolve_reference",
    "run_analysis",
    "run_plan",
]
