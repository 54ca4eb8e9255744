"""No SQL outside ``toolkit/db/`` computes a derivation.

The rule (issue 12, "one source of truth"): every derived fact (a baseline, a study week, an
exposure mean, a link between rows) is defined once, in a view under ``toolkit/db/views``
declared in ``toolkit/db/models.toml``. Python elsewhere may only *select* from views: pick
columns, filter rows with bound parameters, order and limit. So a SQL string in a Python
module outside ``toolkit/db/`` must not contain

- a join (``join``, ``using (``), a set operation (``union``, ``intersect``, ``except``),
- an aggregate or grouping (``group by``, ``having``, ``count(``, ``sum(``, ``avg(``,
  ``min(``, ``max(``, ``string_agg(``, ``arg_min(``, ``arg_max(``),
- a window (``over (``, ``qualify``, ``row_number(``),
- date arithmetic that defines calendar facts (``date_diff(``, ``date_trunc(``,
  ``at time zone``, ``timezone(``).

Exempt: ``toolkit/ingest/`` (the write side: its SQL compares incoming rows with stored keys
to load a file once, it derives nothing a view shows), ``toolkit/lake/`` (copies raw tables to
Parquet and compares files; the views run on the lake unchanged) and ``toolkit/db/`` itself.
A string is SQL when it starts with ``select``, ``with``, ``insert``, ``create``, ``delete``
or ``update`` after whitespace (f-strings included, their placeholders read as blanks).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("toolkit", "dashboard")
EXEMPT = ("toolkit/db/", "toolkit/ingest/", "toolkit/lake/")
SQL_START = re.compile(r"^\s*(select|with|insert|create|delete|update)\b", re.IGNORECASE)
DERIVATION = re.compile(
    r"\bjoin\b|\busing\s*\(|\bunion\b|\bintersect\b|\bexcept\b|\bgroup\s+by\b|\bhaving\b"
    r"|\b(count|sum|avg|min|max|string_agg|arg_min|arg_max|row_number)\s*\("
    r"|\bover\s*\(|\bqualify\b|\bdate_diff\s*\(|\bdate_trunc\s*\(|\bat\s+time\s+zone\b"
    r"|\btimezone\s*\(",
    re.IGNORECASE,
)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal and f-string of a module (f-string placeholders as blanks)."""
    found: list[tuple[int, str]] = []
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " "
                for v in node.values
            )
            inside_fstrings.update(id(v) for v in node.values)
            found.append((node.lineno, text))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstrings
        ):
            found.append((node.lineno, node.value))
    return found


def _modules() -> list[Path]:
    paths = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(EXEMPT):
                paths.append(path)
    return paths


def sql_derivations(source: str) -> list[tuple[int, str]]:
    """(line, SQL) of every SQL string in ``source`` that computes a derivation."""
    return [
        (line, text)
        for line, text in _strings(ast.parse(source))
        if SQL_START.match(text) and DERIVATION.search(text)
    ]


def test_the_rule_catches_a_derivation_and_lets_a_selection_pass() -> None:
    bad = 'q = f"select arm, avg(x) from {view} join participants using (participant_id)"\n'
    good = 'q = f"select * from {view} where participant_id in ({members}) order by 1"\n'
    assert sql_derivations(bad) and not sql_derivations(good)
    assert sql_derivations('q = "select p.id from a p, b where " "x = 1 group by 1"\n')


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_sql_derivation_outside_toolkit_db(path: Path) -> None:
    found = sql_derivations(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: move into a view under toolkit/db: {found}"
