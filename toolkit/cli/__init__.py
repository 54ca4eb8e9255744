"""The ``retrowalk`` command line."""
