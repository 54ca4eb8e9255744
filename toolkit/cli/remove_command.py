"""``retrowalk remove``: take out everything some ingested files contributed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from toolkit.study import open_study


@click.command()
@click.argument("study", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="print what was removed as JSON")
def remove(study: Path, sources: tuple[str, ...], as_json: bool) -> None:
    """Remove everything the files SOURCE... contributed to STUDY, in one transaction.

    SOURCE is a path or a sha256 as `ingest_log` shows them (a zip archive names all its
    members). Each file is logged with status `removed`; ingesting it again loads it again.
    """
    with open_study(study) as opened:
        removed = opened.remove(list(sources))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in removed], indent=2))
        return
    for r in removed:
        rows = sum(r.rows.values())
        click.echo(f"removed   {r.format or '-':<14} {rows:>9} rows  {r.path}")
    click.echo(f"{len(removed)} file(s) removed")
