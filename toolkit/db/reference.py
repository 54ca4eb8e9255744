"""Keep the study's reference tables in step with the toolkit's packaged definitions."""

from __future__ import annotations

import duckdb

from toolkit.instruments import instruments


def sync_instruments(conn: duckdb.DuckDBPyConnection) -> None:
    """Replace ``ref_instruments`` (instrument summaries) with the packaged definitions,
    atomically. Scoring rules are not reference data: every ingest of answers stores the
    definition it used (``raw_questionnaire_scales`` and the tables beside it)."""
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
    conn.execute("begin transaction")
    try:
        conn.execute("delete from ref_instruments")
        conn.executemany("insert into ref_instruments values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
