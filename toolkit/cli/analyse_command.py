"""``retrowalk analyse STUDY [PLAN.toml]``: run a statistical analysis plan on a cohort.

Without PLAN the built-in default plan runs. ``--lock`` first records the plan's sha256 and the
time in the study (``analysis_plan_locks``), so reports can show that the plan was fixed before
the outcome data were loaded. Caveats are in the ``notes`` column (and, for the human table,
listed under it on stderr).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import polars as pl

from toolkit.cli.cohort_options import cohort_from_options, cohort_options
from toolkit.cli.engine_options import engine_options, opened_engine
from toolkit.cli.output import FORMATS, terminal_width, write_frame

#: The columns the human table shows (CSV and JSON carry every column).
TABLE_COLUMNS = (
    "analysis",
    "analysis_role",
    "status",
    "role",
    "term",
    "visit",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n",
)


@contextmanager
def opened_study(study: Path, *, write: bool) -> Iterator[Any]:
    """The study to analyse: a local DuckDB study file (the place for other engines too: any
    object with ``sql(query, params) -> polars.DataFrame`` over the public views will do)."""
    from toolkit.study import open_study

    if not study.exists():
        raise click.UsageError(f"no study at {study}")
    with open_study(study, read_only=not write) as opened:
        yield opened


def print_notes(table: pl.DataFrame) -> None:
    """Each analysis's distinct notes, one line each, on stderr."""
    if "notes" not in table.columns:
        return
    rows = table.select("analysis", "notes").drop_nulls().unique(maintain_order=True)
    for analysis, notes in rows.iter_rows():
        for note in dict.fromkeys(str(notes).split("; ")):
            click.echo(f"note ({analysis}): {note}", err=True)


@click.command("analyse")
@click.argument("study", required=False, type=click.Path(path_type=Path))
@click.argument("plan", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--lock",
    is_flag=True,
    help="record the plan's sha256 and the time in the study before running it",
)
@cohort_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@engine_options
def analyse(
    study: Path | None,
    plan: Path | None,
    lock: bool,
    fmt: str,
    engine: str,
    lake: Path | None,
    **cohort_params: Any,
) -> None:
    """Run the analysis plan PLAN (default: the built-in plan) on a cohort of STUDY.

    With --lake DIR there is no STUDY (the first argument is the PLAN): the plan runs on the
    Parquet lake, in Spark with --engine spark (cohorts and analysis frames computed there).
    """
    from toolkit.analyses import default_plan, load_plan, lock_plan, run_plan

    if lake is not None:
        if plan is not None:
            raise click.UsageError("with --lake give at most one argument, the PLAN")
        plan, study = study, None
        if lock:
            raise click.UsageError("--lock records the plan in a study file; a lake is read-only")
    elif study is None:
        raise click.UsageError("give a STUDY file (or --lake DIR)")
    chosen_plan = load_plan(plan) if plan is not None else default_plan()
    cohort = cohort_from_options(cohort_params)
    engine_study = (
        opened_engine(study, engine, lake)
        if lake is not None or engine != "duckdb"
        else opened_study(study, write=lock)  # type: ignore[arg-type]
    )
    with engine_study as opened:
        if lock:
            locked = lock_plan(opened, chosen_plan)
            click.echo(f"plan {chosen_plan.sha256} {locked.describe()}", err=True)
        table = run_plan(opened, chosen_plan, cohort)
    if fmt == "table":
        shown = table.select([c for c in TABLE_COLUMNS if c in table.columns])
        write_frame(shown, fmt, out=sys.stdout, width=terminal_width())
        print_notes(table)
    else:
        write_frame(table, fmt, out=sys.stdout)
