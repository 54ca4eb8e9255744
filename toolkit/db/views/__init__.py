"""One SQL view per file; ``toolkit.db.views_sql.VIEW_ORDER`` lists them in dependency order."""
