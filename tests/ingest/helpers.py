"""Small writers for hand-made test exports."""

from __future__ import annotations

from pathlib import Path

ROSTER_HEADER = (
    "participant_id,arm,condition,sex,age,bmi,enrolled_on,site,timezone,"
    "prescribed_direction,prescribed_minutes_per_week\n"
)


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def roster(path: Path, *rows: str) -> Path:
    """A roster file with the standard header and ``rows``."""
    return write(path, ROSTER_HEADER + "".join(r + "\n" for r in rows))


DEFAULT_ROSTER_ROWS = (
    "P1,retro,patellofemoral_pain,female,31,23.5,2025-03-05,leeds,Europe/London,backward,45",
    "P2,usual_care,knee_oa,male,60,29,2025-03-05,boston,America/New_York,,",
)


def questionnaire_tables(
    study: Path,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The study's scores and item answers (their points), sorted, for comparing two ingests."""
    from toolkit import open_study

    with open_study(study, read_only=True) as opened:
        scores = opened.sql(
            "select participant_id, measured_at, instrument, score, visit from pain_scores "
            "order by all"
        ).rows()
        items = opened.sql(
            "select participant_id, measured_at, instrument, item, points, visit "
            "from int_item_points order by all"
        ).rows()
    return scores, items


def public_view_rows(study: Path) -> dict[str, object]:
    """Every public view's rows (sorted), except ``ingest_log`` (a history of attempts), for
    comparing two studies table by table."""
    from toolkit import open_study
    from toolkit.db.views_sql import PUBLIC_VIEWS

    with open_study(study, read_only=True) as opened:
        return {
            view: opened.sql(f"select * from {view} order by all")
            for view in PUBLIC_VIEWS
            if view != "ingest_log"
        }


def assert_same_public_views(left: Path, right: Path) -> None:
    """The two studies hold the same rows in every public view (floats to 1e-9)."""
    from polars.testing import assert_frame_equal

    a, b = public_view_rows(left), public_view_rows(right)
    assert a.keys() == b.keys()
    for view in a:
        assert_frame_equal(a[view], b[view], rel_tol=1e-9)  # type: ignore[arg-type]
