"""Create (or refresh) the study's SQL views from the packaged ``views/*.sql`` files.

Every view is declared once, in ``toolkit/db/models.toml`` (:mod:`toolkit.db.models`): its
grain, key, columns and tests. The creation order is not written down anywhere: it is derived
from the tables and views each ``.sql`` file reads (:func:`toolkit.db.models.view_order`).
"""

from __future__ import annotations

import duckdb

from toolkit.db.models import public_views, view_order, view_sql

__all__ = ["PUBLIC_VIEWS", "VIEW_ORDER", "create_views", "view_sql"]

#: Views in dependency order: a view only reads tables and views listed before it.
VIEW_ORDER: tuple[str, ...] = view_order()

#: The views researchers query; the ``int_`` ones are building blocks.
PUBLIC_VIEWS: tuple[str, ...] = public_views()


def create_views(conn: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view, in one transaction."""
    conn.execute("begin transaction")
    try:
        for name in VIEW_ORDER:
            conn.execute(f"create or replace view {name} as\n{view_sql(name)}")
        conn.execute("commit")
    except duckdb.Error:
        conn.execute("rollback")
        raise
