"""The read side does not load the write side: ``import toolkit`` and the modules behind the
dashboard's first page import no parser (nothing under ``toolkit.ingest``) and not the FIT SDK.

Checked as a user would see it, in a fresh interpreter with ``python -X importtime``, whose
report lists every module actually imported (transitively), not just the ``import`` lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT, cli_env

#: top-level module names the read side must not load
WRITE_SIDE = ("toolkit.ingest", "garmin_fit_sdk")


def loaded_modules(code: str) -> list[str]:
    """Every module ``python -X importtime -c code`` imports, in import order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    names = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.append(line.rsplit("|", 1)[1].strip())
    assert names, f"no -X importtime report:\n{done.stderr[-2000:]}"
    return names


def write_side(names: list[str]) -> list[str]:
    return [n for n in names if any(n == w or n.startswith(w + ".") for w in WRITE_SIDE)]


def first_page_imports() -> list[str]:
    """The dashboard and toolkit modules the entry script and its default page import."""
    app = ROOT / "dashboard" / "app.py"
    default = ast.parse(app.read_text("utf-8"))
    pages = [
        ROOT / "dashboard" / "views" / node.args[0].right.value
        for node in ast.walk(default)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "Page"
        and any(k.arg == "default" for k in node.keywords)
        and isinstance(node.args[0], ast.BinOp)
        and isinstance(node.args[0].right, ast.Constant)
    ]
    assert len(pages) == 1, "the dashboard's default page was not found in app.py"
    found: set[str] = set()
    for path in (app, pages[0]):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
                and node.module.split(".")[0] in {"dashboard", "toolkit"}
            ):
                found.add(node.module)
                found.update(
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if (ROOT / node.module.replace(".", "/") / f"{a.name}.py").exists()
                )
    return sorted(found)


def test_import_toolkit_loads_no_parser_and_no_fit_sdk() -> None:
    names = loaded_modules("import toolkit")
    assert "toolkit.study" in names
    assert write_side(names) == []


def test_dashboard_first_page_modules_load_no_parser() -> None:
    wanted = first_page_imports()
    assert "dashboard.data" in wanted and "toolkit.figures" in wanted
    names = loaded_modules("; ".join(f"import {m}" for m in wanted))
    assert write_side(names) == []


def test_the_check_sees_a_parser_when_one_is_imported() -> None:
    """The detector itself works: importing the FIT reader is reported."""
    names = loaded_modules("import toolkit; from toolkit.ingest.fit import read_fit")
    assert {"toolkit.ingest.fit.read", "garmin_fit_sdk"} <= set(write_side(names))
