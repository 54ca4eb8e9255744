"""The declared models (toolkit/db/models.toml) hold on real data: keys unique and not null,
columns as declared, every participant_id enrolled; the view order derives from the SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from toolkit import Study, open_study
from toolkit.db.models import models, public_views, reads, snapshot_views, view_order, view_sql

VIEWS = sorted(models())


@pytest.fixture(scope="module")
def demo(demo_study: Path) -> Study:
    study = open_study(demo_study, read_only=True)
    yield study  # type: ignore[misc]
    study.close()


def test_every_view_file_is_declared_once() -> None:
    folder = Path(__file__).resolve().parents[2] / "toolkit" / "db" / "views"
    assert {p.stem for p in folder.glob("*.sql")} == set(models())


@pytest.mark.parametrize("view", VIEWS)
def test_declared_columns_are_the_view_columns(demo: Study, view: str) -> None:
    described = demo.sql(f"describe {view}")["column_name"].to_list()
    assert tuple(described) == models()[view].columns


@pytest.mark.parametrize("view", [v for v in VIEWS if models()[v].key])
def test_keys_are_unique_and_not_null(demo: Study, view: str) -> None:
    key = models()[view].key
    nulls = " or ".join(f"{k} is null" for k in key)
    assert demo.sql(f"select count(*) from {view} where {nulls}").item() == 0
    dupes = demo.sql(f"select {', '.join(key)}, count(*) n from {view} group by all having n > 1")
    assert dupes.height == 0, dupes.head()


@pytest.mark.parametrize("view", [v for v in VIEWS if models()[v].relationships])
def test_every_row_belongs_to_an_enrolled_participant(demo: Study, view: str) -> None:
    orphans = demo.sql(
        f"select count(*) from {view} v anti join raw_participants p using (participant_id)"
    )
    assert orphans.item() == 0


@pytest.mark.parametrize("view", VIEWS)
def test_dependencies_read_from_the_sql_match_sqlglot(view: str) -> None:
    # the order is derived with a small regex over the project's SQL style; sqlglot's parse
    # (tables referenced, CTEs excluded) must agree with it
    tree = sqlglot.parse_one(view_sql(view), read="duckdb")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table) if t.name not in ctes}
    assert reads(view_sql(view)) == tables


def test_each_view_comes_after_every_view_it_reads() -> None:
    order = view_order()
    for position, view in enumerate(order):
        assert reads(view_sql(view)) & set(models()) <= set(order[:position]), view


def test_public_views_and_snapshot_views_derive_from_the_declaration() -> None:
    assert "sessions" in public_views() and "int_study_days" not in public_views()
    assert set(snapshot_views()) == {v for v, m in models().items() if m.snapshot}
    order = view_order()
    assert list(snapshot_views()) == sorted(snapshot_views(), key=order.index)
