"""Voila configuration for the servers alliance-kit starts (on JUPYTER_CONFIG_PATH).

The access token comes from the server's environment, which only its user can read,
not from its command line, which every local user can list (``ps``).
"""

import os

token = os.environ.get("ALLIANCE_KIT_VOILA_TOKEN")
if token:
    c.Voila.token = token  # type: ignore[name-defined]  # noqa: F821 - traitlets' config
