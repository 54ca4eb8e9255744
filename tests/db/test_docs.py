"""The .sql header comments and the README view table are generated from models.toml and
kept up to date (``python -m toolkit.db.docs``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import cli_env
from toolkit.db.docs import README_END, README_START, out_of_date, readme_table, sql_header
from toolkit.db.models import models, public_views
from toolkit.db.views_sql import view_sql

README = Path(__file__).parents[2] / "README.md"


def test_generated_documentation_is_up_to_date() -> None:
    stale = out_of_date(README)
    assert stale == [], f"run `python -m toolkit.db.docs` (out of date: {stale})"


def test_every_view_is_documented_once() -> None:
    for name, model in models().items():
        assert model.description.strip(), name
        assert view_sql(name).startswith(sql_header(model)), name
        assert (not model.public) or model.readme.strip(), name
    table = readme_table()
    assert [line.split("`")[1] for line in table.splitlines()[2:]] == list(public_views())


def test_a_hand_edit_of_the_table_is_found_and_rewritten(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(README, readme)
    text = readme.read_text("utf-8")
    edited = text.replace("| `outcomes` | one row per", "| `outcomes` | one row for", 1)
    assert edited != text
    readme.write_text(edited, "utf-8")
    assert out_of_date(readme) == [readme]
    check = [sys.executable, "-m", "toolkit.db.docs", "--check", "--readme", str(readme)]
    result = subprocess.run(check, env=cli_env(), capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "out of date" in result.stdout
    fix = [sys.executable, "-m", "toolkit.db.docs", "--readme", str(readme)]
    assert subprocess.run(fix, env=cli_env(), check=False).returncode == 0
    assert readme.read_text("utf-8") == text
    assert text.index(README_START) < text.index("| `outcomes` |") < text.index(README_END)
