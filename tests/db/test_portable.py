"""Every view transpiles to Spark SQL that calls only Spark built-ins (toolkit.db.portable).

The views come from the view registry (``VIEW_ORDER``), so a view added later is covered
without touching this file. Running the transpiled views on Spark is tests/spark's job.
"""

from __future__ import annotations

import pytest

from toolkit.db.portable import SPARK_FUNCTIONS, NotPortableError, spark_functions, to_spark_sql
from toolkit.db.views_sql import VIEW_ORDER, view_sql


@pytest.mark.parametrize("view", VIEW_ORDER)
def test_every_view_transpiles_to_spark_builtins(view: str) -> None:
    spark_sql = to_spark_sql(view_sql(view))
    assert spark_sql.strip()
    assert spark_functions(spark_sql) <= SPARK_FUNCTIONS


@pytest.mark.parametrize(
    ("duckdb_sql", "function"),
    [
        # the unported spellings the issue found: sqlglot passes them through, Spark rejects them
        ("select timezone(tz, ts) as local_ts from t", "TIMEZONE"),
        ("select cast(d + to_days(7) as date) from t", "TO_DAYS"),
        ("select bar(x, 0, 10) from t", "BAR"),
    ],
)
def test_duckdb_only_functions_fail(duckdb_sql: str, function: str) -> None:
    with pytest.raises(NotPortableError, match=function):
        to_spark_sql(duckdb_sql)


def test_portable_spellings_translate() -> None:
    text = to_spark_sql(
        "select ts at time zone tz as local_ts, "
        "arg_min(x, struct_pack(r := r, s := s)) as first_x, d + cast(7 * i as integer) as later "
        "from t group by ts, tz, d, i"
    )
    assert {"FROM_UTC_TIMESTAMP", "MIN_BY", "STRUCT"} <= spark_functions(text)


def test_placeholders_stay_placeholders() -> None:
    # values are bound by Spark, never formatted into the text
    text = to_spark_sql("select * from participants where arm = ? and age >= ?")
    assert text.count("?") == 2


def test_one_statement_only() -> None:
    with pytest.raises(NotPortableError, match="one SQL statement"):
        to_spark_sql("select 1; select 2")
