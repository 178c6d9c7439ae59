"""Serving notebooks as web pages with Voila (the survey page, dashboards).

:func:`voila_command` builds the command line and environment; :func:`serve` runs it.
Pages are served with sources stripped and tracebacks hidden, bound to 127.0.0.1 unless
told otherwise (put a TLS reverse proxy in front to publish them), and rendered with the
``alliance-kit`` Voila template, which loads nothing from a CDN.

The store reaches the notebook's kernel through the ``ALLIANCE_KIT_DB`` environment
variable: Voila starts every kernel with the server's environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from alliance_kit import config

#: Holds share/jupyter/voila/templates/alliance-kit (added to JUPYTER_PATH).
SHARE = Path(__file__).with_name("share") / "jupyter"
#: Holds voila.py, Voila config that reads the token from ENV_TOKEN (on JUPYTER_CONFIG_PATH).
CONFIG = Path(__file__).with_name("share") / "config"
ENV_TOKEN = "ALLIANCE_KIT_VOILA_TOKEN"
TEMPLATE = "alliance-kit"


class VoilaCommand(NamedTuple):
    """What to run (argv) and with which environment (env: the full environment)."""

    argv: list[str]
    env: dict[str, str]
    url: str


def voila_command(
    notebook: str | Path,
    port: int,
    db: str | None = None,
    token: str | None = None,
    ip: str = "127.0.0.1",
    preheat: int = 0,
    *,
    cull_idle: int = 900,
    template: str = TEMPLATE,
    theme: str = "light",
    extra: list[str] | None = None,
    base_env: dict[str, str] | None = None,
) -> VoilaCommand:
    """The Voila command serving one notebook (or a folder of notebooks).

    ``db``: the store URL or file the kernels use (default: the configured store).
    ``token``: require this token (``?token=...`` on the first visit); None = no token.
    It travels in the environment (see share/config/voila.py), never in argv.
    ``preheat``: keep that many kernels warm per notebook (0 = start one per visit); a
    preheated notebook must call ``voila.utils.wait_for_request()`` before reading the
    query string (alliance_kit.survey_widgets.query_string does).
    ``cull_idle``: seconds after which a kernel whose page was closed is shut down. Voila
    0.5's own shutdown on page unload is refused by its XSRF check (voila#1458), so
    without culling every visit would leave a kernel running; 0 turns culling off.
    """
    path = Path(notebook).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no notebook or folder at {path}")
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(path),
        f"--port={int(port)}",
        f"--Voila.ip={ip}",
        "--no-browser",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--template={template}",
        f"--theme={theme}",
        "--Voila.port_retries=0",
        # The JupyterLab preview extension is of no use in a served page and only logs
        # version warnings in the browser console.
        "--VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview",
    ]
    if cull_idle > 0:
        argv += [
            f"--MappingKernelManager.cull_idle_timeout={int(cull_idle)}",
            f"--MappingKernelManager.cull_interval={max(10, min(60, int(cull_idle) // 2))}",
        ]
    if preheat > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={int(preheat)}"]
    argv += list(extra or [])
    env = dict(os.environ if base_env is None else base_env)
    env[config.ENV_DB] = config.db_url(db)
    env.pop(ENV_TOKEN, None)
    if token is not None:
        env[ENV_TOKEN] = token
    for name, folder in (("JUPYTER_PATH", SHARE), ("JUPYTER_CONFIG_PATH", CONFIG)):
        env[name] = os.pathsep.join([str(folder), *([env[name]] if env.get(name) else [])])
    url = f"http://{ip}:{int(port)}/"
    return VoilaCommand(argv, env, url)


def free_port() -> int:
    """A free local TCP port for a Voila server (tests and benches start several)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(command: VoilaCommand) -> int:
    """Run Voila in the foreground until interrupted; returns its exit code."""
    try:
        return subprocess.call(command.argv, env=command.env)
    except KeyboardInterrupt:
        return 0
