"""``retrowalk settings``: show or change the study settings the views derive with."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from toolkit.cli.output import FORMATS, write_frame
from toolkit.study import open_study


@click.command()
@click.argument("study", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--intervention-weeks",
    type=int,
    default=None,
    help="set the intervention length in weeks (exposure weeks, weekly means, adherence)",
)
@click.option(
    "--outcomes-include-diary/--outcomes-scheduled-only",
    default=None,
    help="whether diary entries may be an outcome's baseline or follow-up score",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, csv (header first) or json (a list of row objects) for programs",
)
def settings(
    study: Path,
    intervention_weeks: int | None,
    outcomes_include_diary: bool | None,
    fmt: str,
) -> None:
    """Show STUDY's settings (intervention length, visit windows, diary rule); with an option,
    change that setting first. Visit windows are set from Python (toolkit.visits)."""
    from toolkit.settings import set_intervention_weeks, set_outcomes_include_diary

    changing = intervention_weeks is not None or outcomes_include_diary is not None
    with open_study(study, read_only=not changing) as opened:
        if intervention_weeks is not None:
            set_intervention_weeks(opened, intervention_weeks)
        if outcomes_include_diary is not None:
            set_outcomes_include_diary(opened, outcomes_include_diary)
        frame: pl.DataFrame = opened.sql(
            "select key, value, description from study_settings order by key"
        )
    write_frame(frame, fmt)
