"""A lake opened in an in-memory DuckDB: the same views over the Parquet files, no copy.

The DuckDB counterpart of :func:`toolkit.spark.open_spark_study` (``--engine duckdb --lake
DIR``): useful to check a lake on one machine before sending it to a cluster.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.db.views_sql import create_views
from toolkit.lake.read import open_lake
from toolkit.study import Study, connect


def open_lake_study(lake_dir: Path | str) -> Study:
    """A read-only :class:`~toolkit.study.Study` over the lake at ``lake_dir``."""
    lake = open_lake(lake_dir)
    conn = connect(Path(":memory:"), read_only=False)
    try:
        lake.attach(conn)
        create_views(conn)
    except Exception:
        conn.close()
        raise
    return Study(lake.root, conn, read_only=True)
