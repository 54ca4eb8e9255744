"""``retrowalk``: build the demo, ingest exports, query the study, run statistics and the dashboard.

Exit codes everywhere: 0 success, 1 the work ran but some input was rejected, 2 usage error.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import click

from toolkit.cli.ingest_limits import limits_from, zip_limit_options
from toolkit.cli.lake_command import BUCKETS_OPTION
from toolkit.cli.messages import database_errors, user_message
from toolkit.cli.output import FORMATS, default_limit, terminal_width, write_frame
from toolkit.cli.params import bind_params
from toolkit.errors import RetrowalkError
from toolkit.study import open_study

if TYPE_CHECKING:
    from toolkit.ingest.core.batch import IngestReport
    from toolkit.ingest.core.loader import FileResult

#: Commands kept in modules of their own, imported only when named (or listed by ``--help``),
#: so that ``retrowalk query`` or ``retrowalk dashboard`` starts without loading the ingest
#: parsers, the statistics or pyarrow.
LAZY_COMMANDS: dict[str, str] = {
    "analyse": "toolkit.cli.analyse_command:analyse",
    "report": "toolkit.cli.report_command:report",
    "export-lake": "toolkit.cli.lake_command:export_lake",
    "stats": "toolkit.cli.stats_command:stats",
    "settings": "toolkit.cli.settings_command:settings",
    "remove": "toolkit.cli.remove_command:remove",
}

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, csv (header first) or json (a list of row objects) for programs",
)


class Retrowalk(click.Group):
    """Turns the toolkit's own errors into a one-line message and exit code 2, and file-system
    or database errors into a one-line message and exit code 1 (``-v`` adds the traceback)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, name = LAZY_COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RetrowalkError as exc:
            _explain(ctx, exc)
            ctx.exit(2)
        except Exception as exc:
            if not isinstance(exc, (OSError, *database_errors())):
                raise
            _explain(ctx, exc)
            ctx.exit(1)


def _explain(ctx: click.Context, exc: BaseException) -> None:
    """``error: ...`` on stderr; the traceback too under ``retrowalk -v``."""
    if ctx.meta.get("retrowalk.verbose"):
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"error: {user_message(exc)}", err=True)


@click.group(cls=Retrowalk, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="retrowalk", message="retrowalk %(version)s")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="more detail: per-file demo results, and a traceback with any error",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Study database, statistics and dashboard for retro-walking rehabilitation studies."""
    ctx.meta["retrowalk.verbose"] = verbose


def _demo_default() -> Path:
    from retrowalk_demo import default_demo_study

    return default_demo_study()


def file_line(f: FileResult) -> str:
    """One file's line of the ingest report (with its error and caveats below it)."""
    rows = sum(f.rows.values())
    line = f"{f.status:<9} {f.format or '-':<14} {rows:>9} rows  {f.path}"
    if f.error:
        line += f"\n          {f.position + ': ' if f.position else ''}{f.error}"
    for earlier in f.replaced:
        line += f"\n          replaces {earlier} (its rows were removed)"
    kept = f.notes.get("earlier_exports_kept")
    if kept:
        line += (
            f"\n          {kept} earlier export(s) of this participant's history stay loaded "
            "(ingest --replace replaces them)"
        )
    unknown = f.notes.get("unknown_direction_segments")
    if unknown:
        line += f"\n          {unknown} segment(s) with unknown walking direction"
    quarantined = sum(n for k, n in f.notes.items() if k.startswith("quarantined_"))
    if quarantined:
        line += f"\n          {quarantined} implausible value(s) quarantined (view quarantine)"
    return line


def echo_file(f: FileResult) -> None:
    """Print one file's line as soon as it is ingested (above a running progress bar)."""
    from tqdm import tqdm

    tqdm.write(file_line(f), file=sys.stdout)


def print_report(
    report: IngestReport, as_json: bool, *, every_file: bool = True, printed: bool = False
) -> None:
    """Print an ingest report: JSON rows, or one line per file (or, without ``every_file``,
    only the rejected ones; none when ``printed`` already as they happened) and a summary."""
    if as_json:
        click.echo(report.to_json())
        return
    if not printed:
        for f in report.files if every_file else report.rejected:
            click.echo(file_line(f))
    counts = report.counts()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no files"
    click.echo(f"{len(report.files)} file(s): {summary}")


@cli.command()
@click.option(
    "--study",
    type=click.Path(path_type=Path),
    default=None,
    help="study file to (re)build; default datasets/demo/study.duckdb",
)
@click.option("--participants", type=click.IntRange(3, 1_000_000), default=200, show_default=True)
@click.option("--seed", type=int, default=20261125, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the per-file ingest report as JSON")
@click.option(
    "--with-bad-file",
    is_flag=True,
    help="also ingest quality/late_entries.csv, which is rejected on purpose (exit code 1)",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="replace the study at --study even if it holds data that did not come from the demo",
)
@click.pass_context
def demo(
    ctx: click.Context,
    study: Path | None,
    participants: int,
    seed: int,
    as_json: bool,
    with_bad_file: bool,
    overwrite: bool,
) -> None:
    """Write the demo study's raw export files next to the study file and ingest them.

    Prints a short summary (``retrowalk -v demo`` lists every file). A file with an impossible
    score on purpose is written to quality/ beside raw/; ``--with-bad-file`` ingests it too, to
    show what a rejection looks like (then the demo exits 1, as ingest does).
    """
    from retrowalk_demo import build_demo, quality_folder
    from toolkit.cli.demo_target import check_demo_target

    target = study or _demo_default()
    # the demo replaces the study at that path: never a file that is not a study, and never
    # data someone ingested into it unless --overwrite says so
    check_demo_target(target, [target.parent / "raw", quality_folder(target)], overwrite=overwrite)
    report = build_demo(target, participants=participants, seed=seed, with_bad_file=with_bad_file)
    print_report(report, as_json, every_file=bool(ctx.meta.get("retrowalk.verbose")))
    if not as_json:
        rows = sum(sum(f.rows.values()) for f in report.files)
        click.echo(f"demo study: {target} ({participants} participants, {rows:,} rows)")
        click.echo(f"raw exports: {target.parent / 'raw'}")
        if not with_bad_file:
            click.echo(f"to see a rejection: retrowalk ingest {target} {quality_folder(target)}")
        click.echo(f"next: retrowalk dashboard {target}")
    sys.exit(report.exit_code)


@cli.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the per-file report as JSON")
@click.option(
    "--salvage",
    is_flag=True,
    help="keep the complete records of a damaged (truncated) device file; status 'salvaged'",
)
@click.option(
    "--replace",
    is_flag=True,
    help="a file at the same path as a loaded one (a newer export) replaces it",
)
@click.option(
    "--lake",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="write a shard of this Parquet lake instead of a study file (STUDY is then a PATH)",
)
@click.option("--shard", default=None, help="--lake: shard name (default: from the paths)")
@click.option(
    "--context",
    "context",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="--lake: a file loaded only to link others (e.g. the roster), not written (repeat)",
)
@BUCKETS_OPTION
@zip_limit_options
def ingest(
    study: Path,
    paths: tuple[Path, ...],
    as_json: bool,
    salvage: bool,
    lake: Path | None,
    shard: str | None,
    context: tuple[Path, ...],
    buckets: int,
    replace: bool,
    **limits: int,
) -> None:
    """Ingest files, folders (recursively) and zips into STUDY, one transaction per file.

    With no PATH, only creates or upgrades the study file. With --lake DIR, every argument is
    a PATH and the files are written as one shard of the lake (see README, Large cohorts).
    Otherwise STUDY is an existing study file, or a new path in an existing folder (then
    created, and said so on stderr).
    """
    if lake is not None:
        from toolkit.lake.shard import ingest_shard

        sharded, _ = ingest_shard(
            lake,
            [study, *paths],
            shard=shard,
            context=list(context),
            buckets=buckets,
            salvage=salvage,
        )
        print_report(sharded, as_json)
        sys.exit(sharded.exit_code)
    from toolkit.db.study_file import check_input_paths, check_study_path

    check_input_paths(paths)
    created = check_study_path(study, create=True)
    with open_study(study) as opened:
        if created:
            click.echo(f"created a new study at {study}", err=True)
        # each file's line is printed as soon as it is done; the summary at the end
        report = opened.ingest(
            list(paths),
            salvage=salvage,
            replace=replace,
            limits=limits_from(limits),
            on_result=None if as_json else echo_file,
        )
    print_report(report, as_json, printed=True)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.argument("sql")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="VALUE or NAME=VALUE",
    help="a value bound to the next ? in SQL (repeat in order), or NAME=VALUE for $NAME",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help="print at most N rows (0: all); a table on a terminal stops at 50 unless given",
)
@FORMAT_OPTION
def query(study: Path, sql: str, params: tuple[str, ...], limit: int | None, fmt: str) -> None:
    """Run read-only SQL over STUDY's tables and views.

    SQL that does not run is an error (exit 1) with DuckDB's message; parameters are bound,
    never formatted into the SQL: --param knee_oa for ?, --param cond=knee_oa for $cond.
    """
    import duckdb

    bound = bind_params(sql, params)
    with open_study(study, read_only=True) as opened:
        try:
            frame = opened.sql(sql, bound)
        except duckdb.Error as exc:
            if "read-only" in str(exc):  # a write: the command is read-only by design
                raise click.UsageError(str(exc).splitlines()[0]) from exc
            raise
    shown = default_limit(fmt) if limit is None else limit
    write_frame(frame, fmt, sys.stdout, width=terminal_width(), limit=shown)


@cli.command()
@click.argument("study", required=False, type=click.Path(path_type=Path))
@click.option(
    "--address",
    default=None,
    help="network address to listen on (default 127.0.0.1: this computer only; the dashboard "
    "has no login, so another address prints a warning)",
)
@click.option(
    "--plan",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="statistical analysis plan (TOML) whose analyses the pages show; default: built-in",
)
def dashboard(study: Path | None, address: str | None, plan: Path | None) -> None:
    """Start the Streamlit dashboard on STUDY (the demo study by default, built if missing).

    Listens on 127.0.0.1 unless --address (or STREAMLIT_SERVER_ADDRESS) says otherwise.
    Honours Streamlit's own settings, e.g. STREAMLIT_SERVER_PORT.
    """
    if plan is not None:
        import os

        from toolkit.analyses import load_plan

        load_plan(plan)  # a bad plan fails here, with its line, not in the browser
        os.environ["RETROWALK_PLAN"] = str(plan.resolve())
    if study is None:
        study = _demo_default()
        if not study.exists():
            from retrowalk_demo import build_demo

            click.echo(f"building the demo study at {study} ...", err=True)
            build_demo(study)  # clean (exit 0); its quality/ folder holds the bad file
    elif not study.exists():
        raise click.UsageError(f"no study at {study}")
    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    if not app.exists():
        import dashboard

        app = Path(dashboard.__file__).parent / "app.py"
    # In this process, with the first page's data prepared while the server starts.
    sys.path.insert(0, str(app.parents[1]))
    from dashboard.bind import choose_address, exposure_warning
    from dashboard.warmup import serve

    bind = choose_address(address)
    warning = exposure_warning(bind)
    if warning:
        click.echo(warning, err=True)
    serve(app, study, address=bind)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="retrowalk")


if __name__ == "__main__":
    main()
