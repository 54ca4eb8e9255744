"""Allow ``python -m toolkit`` as a synonym of the ``retrowalk`` command."""

from toolkit.cli.main import main

main()
