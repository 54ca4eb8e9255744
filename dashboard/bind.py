"""Which network address the dashboard listens on: this computer only, unless told otherwise.

The dashboard has no login and shows participant IDs and dates, so ``retrowalk dashboard``
binds 127.0.0.1 (reachable from this computer only) by default. Serving to a network takes an
explicit address (``--address`` or Streamlit's ``STREAMLIT_SERVER_ADDRESS``) and prints a
warning that anyone who can reach it sees the data.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

#: Where the dashboard listens when no address is given.
DEFAULT_ADDRESS = "127.0.0.1"


def choose_address(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The address to bind: ``--address``, else ``STREAMLIT_SERVER_ADDRESS``, else 127.0.0.1."""
    env = os.environ if environ is None else environ
    for candidate in (option, env.get("STREAMLIT_SERVER_ADDRESS")):
        if candidate and candidate.strip():
            return candidate.strip()
    return DEFAULT_ADDRESS


def is_loopback(address: str) -> bool:
    """Whether ``address`` is reachable from this computer only (127.0.0.0/8, ::1, localhost)."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def exposure_warning(address: str) -> str | None:
    """The warning to print before serving on ``address`` (None for loopback addresses)."""
    if is_loopback(address):
        return None
    where = "every network interface" if address in ("0.0.0.0", "::") else address
    return (
        f"warning: the dashboard has no login; serving on {where} lets anyone who can reach this "
        "computer see participant IDs, dates and results. Use it only on a trusted network "
        f"(the default, {DEFAULT_ADDRESS}, is reachable from this computer only)."
    )
