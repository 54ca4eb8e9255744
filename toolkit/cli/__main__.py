"""Allow ``python -m toolkit.cli``."""

from toolkit.cli.main import main

main()
