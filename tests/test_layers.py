"""Data flows one way: ingest -> DuckDB -> views -> stats -> figures -> dashboard pages and reports.

These checks read every module's imports (and the pages' source) and fail when a module reaches
downstream, or when a page runs SQL or statistics itself instead of composing toolkit functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package prefix -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "toolkit.ingest": (
        "toolkit.stats",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.summaries",
        "toolkit.analysis_frames",
        "toolkit.cohorts",
        "toolkit.cli",
        "dashboard",
        # the write side never reads through the read side
        "toolkit.db.views",
        "toolkit.db.views_sql",
        "toolkit.study",
    ),
    "toolkit.db": (
        "toolkit.ingest",
        "toolkit.stats",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.summaries",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.instruments": ("toolkit.stats", "toolkit.figures", "toolkit.report", "dashboard"),
    # pure functions on frames: no database, no study, nothing downstream
    "toolkit.stats": (
        "toolkit.ingest",
        "duckdb",
        "toolkit.study",
        "toolkit.cohorts",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.summaries",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.figures": (
        "duckdb",
        "toolkit.study",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
        "toolkit.ingest",
    ),
    # the analysis layer reads studies only through their .sql (any engine), draws nothing
    "toolkit.analyses": (
        "duckdb",
        "toolkit.study",
        "toolkit.ingest",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.report": ("toolkit.cli", "dashboard", "toolkit.ingest"),
    # the lake and the Spark engine serve tables and views: nothing downstream of them
    "toolkit.lake": (
        "toolkit.stats",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.spark": (
        "toolkit.stats",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit": ("dashboard",),
    # the read side: it never imports the write side (parsers, loader, FIT SDK)
    "toolkit.cohorts": (
        "toolkit.ingest",
        "toolkit.study",  # the study imports cohorts (lazily); cohorts take any `.sql` source
        "toolkit.stats",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.summaries",
        "toolkit.analysis_frames",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.analysis_frames": (
        "toolkit.ingest",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.summaries": (
        "toolkit.ingest",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.cli",
        "dashboard",
    ),
    "dashboard": ("toolkit.ingest", "toolkit.cli", "garmin_fit_sdk"),
}
#: What ``import toolkit`` loads: these may reach the write side only inside a function
#: (``Study.ingest``), never when imported.
LAZY_WRITE_SIDE = ("toolkit.__init__", "toolkit.study", "toolkit.db")
#: What a parser (any ``toolkit.ingest`` module outside ``core``) must not import: the database,
#: the study, or the loading machinery that calls it.
PARSER_FORBIDDEN = (
    "duckdb",
    "toolkit.db",
    "toolkit.study",
    "toolkit.ingest.core.loader",
    "toolkit.ingest.core.batch",
    "toolkit.ingest.core.registry",
)
#: Entry points compose every layer (the CLI starts the dashboard app by its path).
ENTRY_POINTS = ("toolkit.cli",)


def modules(package: str) -> list[tuple[str, Path]]:
    folder = ROOT.joinpath(*package.split("."))
    found = [(package, folder.with_suffix(".py"))] if folder.with_suffix(".py").exists() else []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        found.append((".".join(rel.parts), path))
    return found


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_downstream(package: str) -> None:
    bad = []
    for name, path in modules(package):
        if name.startswith(ENTRY_POINTS):
            continue
        for target in imported(path):
            for forbidden in FORBIDDEN[package]:
                if target == forbidden or target.startswith(forbidden + "."):
                    bad.append(f"{name} imports {target}")
    assert not bad, "\n".join(bad)


def module_level_imports(path: Path) -> set[str]:
    """Imports that run when the module is imported: not inside functions or classes, and not
    under ``if TYPE_CHECKING:``."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    visit(block)
                for handler in node.handlers:
                    visit(handler.body)

    visit(ast.parse(path.read_text("utf-8")).body)
    return names


def violations(pairs: list[tuple[str, set[str]]], forbidden: tuple[str, ...]) -> list[str]:
    """``module imports target`` for every import of a forbidden module or its sub-modules."""
    return [
        f"{name} imports {target}"
        for name, targets in pairs
        for target in sorted(targets)
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    ]


def test_reading_a_study_imports_no_parser() -> None:
    """``import toolkit`` reaches the study and the database layer; none of them may import the
    ingest package when imported (``Study.ingest`` imports it when called)."""
    pairs = [
        (name, module_level_imports(path))
        for package in LAZY_WRITE_SIDE
        for name, path in modules(package)
    ]
    assert len(pairs) > 3, "the read-side modules were not found"
    bad = violations(pairs, ("toolkit.ingest", "garmin_fit_sdk"))
    assert not bad, "\n".join(bad)


def test_parsers_do_not_reach_the_database_or_the_loader() -> None:
    parsers = [
        (name, imported(path))
        for name, path in modules("toolkit.ingest")
        if name != "toolkit.ingest.__init__" and not name.startswith("toolkit.ingest.core")
    ]
    assert len(parsers) > 20, "the parser modules were not found"
    bad = violations(parsers, PARSER_FORBIDDEN)
    assert not bad, "\n".join(bad)


def test_pages_only_compose_toolkit_functions() -> None:
    pages = sorted((ROOT / "dashboard" / "views").glob("*.py"))
    assert pages
    for page in pages:
        text = page.read_text("utf-8")
        names = imported(page)
        assert not {"duckdb", "statsmodels", "scipy"} & {n.split(".")[0] for n in names}, page
        assert ".sql(" not in text and ".execute(" not in text, f"{page.name} runs SQL itself"
