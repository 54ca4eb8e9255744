"""Keep the study's reference tables in step with the toolkit's packaged definitions."""

from __future__ import annotations

import duckdb

from toolkit.instruments import instruments
from toolkit.instruments.scoring import scale_definitions


def sync_instruments(conn: duckdb.DuckDBPyConnection) -> None:
    """Replace ``ref_instruments`` (instrument summaries) and ``ref_scales`` /
    ``ref_scale_items`` (scoring rules) with the packaged definitions, atomically."""
    rows = [
        (
            i.name,
            i.label,
            i.scale_min,
            i.scale_max,
            i.higher_is_better,
            i.mcid_points,
            i.mcid_percent,
            i.loinc,
            i.reference,
        )
        for i in instruments().values()
    ]
    scales, scale_items = scale_definitions()
    conn.execute("begin transaction")
    try:
        conn.execute("delete from ref_instruments")
        conn.executemany("insert into ref_instruments values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        # the scoring rules the views apply to stored item answers (int_item_scores)
        conn.execute("delete from ref_scales")
        conn.executemany("insert into ref_scales values (?, ?, ?, ?, ?, ?, ?, ?)", scales)
        conn.execute("delete from ref_scale_items")
        conn.executemany("insert into ref_scale_items values (?, ?)", scale_items)
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
