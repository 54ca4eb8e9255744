"""Commands in modules of their own load only when named, so a quick command starts quickly."""

from __future__ import annotations

import subprocess
import sys

import click

from tests.conftest import cli_env
from toolkit.cli.main import LAZY_COMMANDS, cli

HEAVY = ("pyarrow", "toolkit.ingest.core.loader", "toolkit.stats", "statsmodels", "streamlit")


def test_every_lazy_command_resolves_to_its_name() -> None:
    context = click.Context(cli)
    for name in LAZY_COMMANDS:
        command = cli.get_command(context, name)
        assert isinstance(command, click.Command) and command.name == name
    assert set(LAZY_COMMANDS) <= set(cli.list_commands(context))


def test_query_and_dashboard_help_load_no_parser_statistics_or_pyarrow() -> None:
    probe = (
        "import sys\n"
        "from toolkit.cli.main import cli\n"
        "for args in (['query', '--help'], ['dashboard', '--help']):\n"
        "    try:\n"
        "        cli.main(args, prog_name='retrowalk', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
