"""The views' DuckDB SQL, transpiled to Spark SQL: one definition, two engines.

The SQL in ``toolkit/db/views`` is the only definition of every derived table. To run a study on
Apache Spark, each statement is transpiled with sqlglot (``read="duckdb", write="spark"``) with
unsupported constructs raising instead of being dropped, and every function the Spark text calls
must be on :data:`SPARK_FUNCTIONS`, an allow-list of Spark SQL built-ins (checked against a real
Spark session's ``SHOW FUNCTIONS`` in the ``spark`` tests). sqlglot alone does not catch a DuckDB
function it passes through by name (``timezone(tz, ts)``, ``to_days(n)``): Spark only fails on
those when it analyses the view, so the allow-list makes such a view fail a fast test instead.

Portable DuckDB spellings that sqlglot translates: ``ts at time zone tz`` (not ``timezone``),
``arg_min(x, struct_pack(...))`` (not an ordered ``first``), date plus an integer day count (not
``to_days``), JSON kept as text (not ``cast(... as json)``). Decimal literals become DOUBLE on
Spark, as DuckDB computes ``x / 7.0`` in double precision.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

from toolkit.errors import StudyError

#: Spark SQL built-in functions the views and the analysis queries may call (upper case). Add a
#: name only after checking it in Spark's function reference; the ``spark`` tests check every
#: name here against ``SHOW FUNCTIONS`` of the installed PySpark.
SPARK_FUNCTIONS: frozenset[str] = frozenset(
    {
        "ABS",
        "ANY_VALUE",
        "ARRAY",
        "AVG",
        "CAST",
        "COALESCE",
        "CONCAT",
        "COUNT",
        "DATEDIFF",
        "DATE_ADD",
        "DATE_TRUNC",
        "EXISTS",
        "EXPLODE",
        "FIRST",
        "FROM_UTC_TIMESTAMP",
        "GREATEST",
        "IF",
        "LAG",
        "LEAD",
        "LEAST",
        "LENGTH",
        "LISTAGG",
        "LOWER",
        "MAX",
        "MAX_BY",
        "MEDIAN",
        "MIN",
        "MIN_BY",
        "NULLIF",
        "POWER",
        "RANK",
        "REGEXP_EXTRACT",
        "REPLACE",
        "ROUND",
        "ROW_NUMBER",
        "SEQUENCE",
        "SQRT",
        "STDDEV_SAMP",
        "STRUCT",
        "SUBSTRING",
        "SUM",
        "TO_DATE",
        "TRIM",
        "UPPER",
        "VARIANCE",
        "VAR_SAMP",
    }
)

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


class NotPortableError(StudyError):
    """DuckDB SQL that does not translate to Spark SQL Spark would run."""


@lru_cache(maxsize=512)
def to_spark_sql(duckdb_sql: str) -> str:
    """One DuckDB SQL statement as Spark SQL; raises :class:`NotPortableError` if it is not.

    Placeholders (``?``) stay placeholders, to be bound by ``SparkSession.sql(text, args=[...])``.
    """
    try:
        statements = [
            tree.transform(_double_literal).sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
            for tree in sqlglot.parse(duckdb_sql, read="duckdb")
            if tree is not None
        ]
    except sqlglot.errors.SqlglotError as exc:
        raise NotPortableError(f"not portable to Spark SQL: {exc}") from exc
    if len(statements) != 1:
        raise NotPortableError(f"expected one SQL statement, got {len(statements)}")
    spark_sql = statements[0]
    unknown = sorted(spark_functions(spark_sql) - SPARK_FUNCTIONS)
    if unknown:
        raise NotPortableError(
            f"the Spark SQL calls {', '.join(unknown)}, not on the allow-list of Spark "
            "built-ins (toolkit.db.portable.SPARK_FUNCTIONS); use a portable DuckDB spelling"
        )
    return spark_sql


def _double_literal(node: exp.Expression) -> exp.Expression:
    """A decimal literal (``7.0``) as a DOUBLE: DuckDB divides ``int / 7.0`` in double
    precision, Spark would keep a DECIMAL of six digits' scale (and differ from the 7th digit)."""
    if isinstance(node, exp.Literal) and not node.is_string and not node.is_int:
        return exp.cast(node.copy(), exp.DataType.build("double"))
    return node


def spark_functions(spark_sql: str) -> set[str]:
    """Upper-case names of every function the Spark SQL text calls (as Spark would spell it)."""
    tree = sqlglot.parse_one(spark_sql, read="spark")
    # names followed by "(" in the text: catches calls sqlglot models as non-function nodes
    # (FROM_UTC_TIMESTAMP parses to a time-zone expression)
    tokens = sqlglot.tokenize(spark_sql, read="spark")
    names: set[str] = {
        token.text.upper()
        for before, token, after in zip([None, *tokens], tokens, tokens[1:], strict=False)
        if token.token_type == TokenType.VAR
        and after.token_type == TokenType.L_PAREN
        and not (before is not None and before.text.upper() == "WITHIN")  # WITHIN GROUP (...)
    }
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Anonymous):
            names.add(str(node.name).upper())
            continue
        match = _CALL.match(node.sql(dialect="spark"))
        if match:
            names.add(match[1].upper())
    return names
