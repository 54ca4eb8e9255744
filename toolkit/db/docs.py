"""Write the view documentation that derives from ``models.toml``: no hand-kept copies.

Two places show a view's declaration to people: the header comment of its ``views/*.sql``
file (``-- name: description``, the model's ``description``) and the README's view table (one
row per public view: name, grain and key, the model's ``readme`` text). Both are generated
here from ``toolkit/db/models.toml``, as sqlite-utils keeps its README true with cog::

    python -m toolkit.db.docs          # rewrite the headers and the README table
    python -m toolkit.db.docs --check  # exit 1 and name what is out of date (tests, CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.db.models import Model, models, public_views

__all__ = ["README_END", "README_START", "out_of_date", "readme_table", "sql_header", "write"]

README_START = (
    "<!-- view table: generated from toolkit/db/models.toml by `python -m toolkit.db.docs`; "
    "edit models.toml, not this table -->"
)
README_END = "<!-- end of the generated view table -->"
VIEWS = Path(__file__).with_name("views")


def sql_header(model: Model) -> str:
    """The header comment of the view's ``.sql`` file (its description, line by line)."""
    lines = model.description.strip("\n").split("\n")
    lines[0] = f"{model.name}: {lines[0]}"
    return "".join(f"-- {line}\n" if line else "--\n" for line in lines)


def _with_header(sql: str, header: str) -> str:
    body = sql.split("\n")
    while body and body[0].startswith("--"):
        body.pop(0)
    return header + "\n".join(body)


def readme_table() -> str:
    """The README's view table: every public view in creation order."""
    rows = [
        "| view | grain and key | columns |",
        "|---|---|---|",
    ]
    for name in public_views():
        model = models()[name]
        key = f"; key `{', '.join(model.key)}`" if model.key else ""
        rows.append(f"| `{name}` | {model.grain}{key} | {model.readme} |")
    return "\n".join(rows)


def _readme_with_table(text: str, readme: Path) -> str:
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} lacks the markers of the generated view table")
    return text[: start + len(README_START)] + "\n" + readme_table() + "\n" + text[end:]


def _targets(readme: Path) -> dict[Path, str]:
    """Every generated file and the text it should hold."""
    out = {}
    for name, model in models().items():
        path = VIEWS / f"{name}.sql"
        out[path] = _with_header(path.read_text("utf-8"), sql_header(model))
    out[readme] = _readme_with_table(readme.read_text("utf-8"), readme)
    return out


def out_of_date(readme: Path) -> list[Path]:
    """Files whose generated parts differ from ``models.toml``."""
    return [path for path, text in _targets(readme).items() if path.read_text("utf-8") != text]


def write(readme: Path) -> list[Path]:
    """Rewrite the out-of-date files; return them."""
    changed = []
    for path, text in _targets(readme).items():
        if path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite, or with ``--check`` report, the generated documentation."""
    parser = argparse.ArgumentParser(prog="python -m toolkit.db.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if stale")
    parser.add_argument(
        "--readme",
        type=Path,
        default=Path(__file__).parents[2] / "README.md",
        help="the README holding the view table (default: the repository's)",
    )
    args = parser.parse_args(argv)
    stale = out_of_date(args.readme) if args.check else write(args.readme)
    for path in stale:
        print(f"{'out of date' if args.check else 'rewrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
