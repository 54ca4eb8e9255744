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
        "duckdb",
        "toolkit.study",
        "toolkit.cohorts",
        "toolkit.figures",
        "toolkit.report",
        "toolkit.summaries",
        "toolkit.cli",
        "dashboard",
    ),
    "toolkit.figures": ("duckdb", "toolkit.study", "toolkit.report", "toolkit.cli", "dashboard"),
    "toolkit.report": ("toolkit.cli", "dashboard"),
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
}
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


def test_pages_only_compose_toolkit_functions() -> None:
    pages = sorted((ROOT / "dashboard" / "views").glob("*.py"))
    assert pages
    for page in pages:
        text = page.read_text("utf-8")
        names = imported(page)
        assert not {"duckdb", "statsmodels", "scipy"} & {n.split(".")[0] for n in names}, page
        assert ".sql(" not in text and ".execute(" not in text, f"{page.name} runs SQL itself"
