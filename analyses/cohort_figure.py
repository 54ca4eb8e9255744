"""A custom cohort query into a figure, as a script.

    python analyses/cohort_figure.py [STUDY] [OUT.html]    (default: the demo study, ./)

Selects knee-OA participants of the walking arms with SQL over the study's public
``participant_outcomes`` view (one row per participant and instrument, with mean weekly
minutes; values bound as parameters, never formatted into the SQL), and draws
their change in NRS pain against mean weekly retro minutes, one colour per arm, as a
self-contained HTML figure (plotly.js inlined; opens offline).
"""

from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

import toolkit
from toolkit.figures.export import to_html

QUERY = """
    select participant_id, arm, age, baseline, change, retro_minutes
    from participant_outcomes
    where instrument = ? and condition = ? and arm in (?, ?) and change is not null
    order by participant_id
"""


def main(study_path: Path, out: Path) -> pl.DataFrame:
    """Write the figure to ``out`` and return the queried rows."""
    with toolkit.open_study(study_path, read_only=True) as study:
        rows = study.sql(QUERY, ["nrs", "knee_oa", "retro", "forward"])
    figure = go.Figure()
    for arm in sorted(rows["arm"].unique().to_list()):
        part = rows.filter(pl.col("arm") == arm)
        figure.add_scatter(
            x=part["retro_minutes"].to_list(),
            y=part["change"].to_list(),
            mode="markers",
            name=arm,
            text=part["participant_id"].to_list(),
        )
    figure.update_layout(
        title="Knee OA, walking arms: change in NRS pain against weekly retro minutes "
        "(observational)",
        xaxis_title="mean weekly retro (backward) minutes",
        yaxis_title="change in NRS pain (follow-up minus baseline)",
    )
    out.write_bytes(to_html(figure))
    print(f"{rows.height} participants; figure: {out}")
    return rows


if __name__ == "__main__":
    from retrowalk_demo import default_demo_study

    study = Path(sys.argv[1]) if len(sys.argv) > 1 else default_demo_study()
    main(study, Path(sys.argv[2]) if len(sys.argv) > 2 else Path("knee_oa_dose.html"))
