"""The study's views, declared once: ``models.toml`` beside the ``views/*.sql`` files.

As dbt's ``schema.yml`` does, each model (view) has one declaration: its ``grain`` (what one row
is), its ``key`` (the columns that identify a row; unique and never null), its ``columns`` in
order, and tests (``relationships``: every ``participant_id`` is an enrolled participant).
From it and the SQL derive, with no second copy anywhere:

- the creation order (:func:`view_order`): each view after the tables and views its SQL reads;
- which views are public (:func:`public_views`: every view not named ``int_*``);
- the key, not-null, column and relationship tests (``tests/db/test_models.py``);
- the views the dashboard stores as tables in its snapshot (``snapshot = true``), in the
  creation order (:func:`snapshot_views`);
- each ``.sql`` file's header comment (``description``) and the README's view table
  (``readme``), written by ``python -m toolkit.db.docs`` and checked by a test.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "Model",
    "models",
    "public_views",
    "reads",
    "snapshot_views",
    "view_order",
    "view_sql",
]

_CTE = re.compile(r"(?:\bwith|,)\s*([a-z_][a-z0-9_]*)\s+as\s*\(")
_READ = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class Model:
    """One view's declaration (see the module docstring)."""

    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    relationships: bool
    snapshot: bool
    #: what the view holds and how it is derived: the ``.sql`` file's header comment
    #: (``toolkit.db.docs`` writes it there)
    description: str = ""
    #: the README view table's "columns" cell (public views)
    readme: str = ""

    @property
    def public(self) -> bool:
        """Whether researchers query it (``int_*`` views are building blocks)."""
        return not self.name.startswith("int_")


@cache
def models() -> dict[str, Model]:
    """Every declared model by name, in the order of ``models.toml``."""
    text = resources.files("toolkit.db").joinpath("models.toml").read_text("utf-8")
    declared = tomllib.loads(text)
    return {
        name: Model(
            name=name,
            grain=str(spec["grain"]),
            key=tuple(spec.get("key", ())),
            columns=tuple(spec["columns"]),
            relationships=bool(spec.get("relationships", False)),
            snapshot=bool(spec.get("snapshot", False)),
            description=str(spec.get("description", "")),
            readme=str(spec.get("readme", "")),
        )
        for name, spec in declared.items()
    }


def view_sql(name: str) -> str:
    """The packaged SELECT statement that defines view ``name``."""
    return resources.files("toolkit.db.views").joinpath(f"{name}.sql").read_text("utf-8")


def reads(sql: str) -> frozenset[str]:
    """The tables and views a view's SQL reads: names after ``from`` or ``join`` that are not
    its own CTEs (the project's SQL style: lower case, one CTE per ``name as (``)."""
    code = _COMMENT.sub("", sql)
    ctes = set(_CTE.findall(code))
    return frozenset(name for name in _READ.findall(code) if name not in ctes)


@cache
def view_order() -> tuple[str, ...]:
    """Every declared view, each after the views it reads (ties in declaration order)."""
    declared = list(models())
    needs = {name: reads(view_sql(name)) & set(declared) for name in declared}
    ordered: list[str] = []
    while len(ordered) < len(declared):
        ready = [n for n in declared if n not in ordered and needs[n] <= set(ordered)]
        if not ready:
            stuck = sorted(n for n in declared if n not in ordered)
            raise RuntimeError(f"the views {stuck} read each other in a cycle")
        ordered.append(ready[0])
    return tuple(ordered)


def public_views() -> tuple[str, ...]:
    """The views researchers query, in creation order."""
    return tuple(v for v in view_order() if models()[v].public)


def snapshot_views() -> tuple[str, ...]:
    """Views a dashboard snapshot stores as tables, in creation order (each after those it
    reads, so a stored view's readers read the stored rows)."""
    return tuple(v for v in view_order() if models()[v].snapshot)
