"""Serving notebooks as web pages with Voila (the survey page, dashboards).

:func:`voila_command` builds the command line and environment; :func:`serve` runs it.
Pages are served with sources stripped and tracebacks hidden, bound to 127.0.0.1 unless
told otherwise (put a TLS reverse proxy in front to publish them), and rendered with the
``alliance-kit`` Voila template, which loads nothing from a CDN.

The store reaches the notebook's kernel through the ``ALLIANCE_KIT_DB`` environment
variable: Voila starts every kernel with the server's environment.

Stopping: Ctrl-C, SIGTERM (systemd, ``docker stop``, ``kill``) and SIGHUP (terminal
closed) on the alliance-kit process all stop its Voila servers and their kernels
(:func:`run_servers`). The servers run in a process group of their own, so only
alliance-kit receives the terminal's signals and stops them in order: SIGTERM (Voila
then shuts its kernels down), a few seconds' grace, then SIGKILL for whatever is left,
kernels included.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

from alliance_kit import config
from alliance_kit.delivery.processes import (
    Stopped,
    end_by_signal,
    preexec_die_with_parent,
    signal_name,
    signals_ignored,
    stop_signals_raise,
)

#: Holds share/jupyter/voila/templates/alliance-kit (added to JUPYTER_PATH).
SHARE = Path(__file__).with_name("share") / "jupyter"
#: Holds voila.py, Voila config that reads the token from ENV_TOKEN (on JUPYTER_CONFIG_PATH).
CONFIG = Path(__file__).with_name("share") / "config"
ENV_TOKEN = "ALLIANCE_KIT_VOILA_TOKEN"
#: Where ``alliance-kit dashboard`` may read its token from; never passed on to a child.
ENV_DASHBOARD_TOKEN = "ALLIANCE_KIT_DASHBOARD_TOKEN"
#: A token given by the user must be at least this long (and not repetitive).
MIN_TOKEN_LENGTH = 32
TEMPLATE = "alliance-kit"
#: Seconds a server (then its leftover kernels) gets to stop after SIGTERM before SIGKILL;
#: both together stay under docker stop's 10 s.
GRACE = 5.0
#: Set in the environment of the servers started by one run_servers call (and so of their
#: kernels) to a random tag, to find every process they started when stopping them.
ENV_RUN = "ALLIANCE_KIT_SERVER_RUN"


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
    personal: bool = False,
) -> VoilaCommand:
    """The Voila command serving one notebook (or a folder of notebooks).

    ``db``: the store URL or file the kernels use (default: the configured store).
    ``token``: require this token (``?token=...`` on the first visit); None = no token.
    It travels in the environment (see share/config/voila.py), never in argv.
    ``preheat``: keep that many kernels warm per notebook (0 = start one per visit); a
    preheated notebook must call ``voila.utils.wait_for_request()`` before reading the
    query string (alliance_kit.assess.survey_widgets.query_string does).
    ``cull_idle``: seconds after which a kernel whose page was closed is shut down. Voila
    0.5's own shutdown on page unload is refused by its XSRF check (voila#1458), so
    without culling every visit would leave a kernel running; 0 turns culling off.
    ``personal``: viewers sign in with personal links and each page reads the store as
    its viewer (:mod:`alliance_kit.delivery.dashboard_login`); no shared token then, and
    no preheated kernel (a kernel is started for the viewer once they are known).
    """
    if personal and (token is not None or preheat > 0):
        raise ValueError("a server for personal links takes no shared token and no preheat")
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
    for secret in (ENV_TOKEN, ENV_DASHBOARD_TOKEN):  # a server gets only its own token
        env.pop(secret, None)
    if token is not None:
        env[ENV_TOKEN] = token
    env.pop(config.ENV_DASHBOARD_PERSONAL, None)
    if personal:
        env[config.ENV_DASHBOARD_PERSONAL] = "1"
    for name, folder in (("JUPYTER_PATH", SHARE), ("JUPYTER_CONFIG_PATH", CONFIG)):
        env[name] = os.pathsep.join([str(folder), *([env[name]] if env.get(name) else [])])
    url = f"http://{ip}:{int(port)}/"
    return VoilaCommand(argv, env, url)


def check_token(token: str) -> str:
    """Refuse a token that is easy to guess: shorter than MIN_TOKEN_LENGTH characters or
    made of few distinct characters. Returns it unchanged."""
    if len(token) < MIN_TOKEN_LENGTH or len(set(token)) < 12:
        raise ValueError(
            f"the token is too weak: use at least {MIN_TOKEN_LENGTH} random characters "
            "(for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
            "or leave --token out to get a new random one"
        )
    return token


def free_port() -> int:
    """A free local TCP port for a Voila server (tests and benches start several)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port_free(ip: str, port: int) -> None:
    """Refuse, before anything starts or is printed, a port another program listens on."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as s:
        try:
            s.bind((ip, int(port)))
        except OSError as exc:
            raise ValueError(
                f"port {port} on {ip} is in use (or not allowed): stop what listens there "
                f"or choose another with --port ({exc.strerror})"
            ) from exc


def serve(
    command: VoilaCommand,
    name: str = "the page",
    *,
    kernels: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Run a server (Voila, or the light survey app: ``kernels=False``) in the foreground
    until Ctrl-C (returns 0) or until it stops (returns its exit code). On SIGTERM or
    SIGHUP, the server (and its kernels) are stopped, then this process ends by the same
    signal (see :func:`end_by_signal`). ``on_ready`` runs once the server answers. After a
    stop, says so in one line naming what was served (``name``)."""
    try:
        return run_servers(
            [command],
            on_ready=on_ready,
            on_stopped=lambda signum: say_stopped(signum, [name], kernels=kernels),
        )
    except Stopped as stop:
        end_by_signal(stop.signum)


def say_stopped(signum: int, names: list[str], *, kernels: bool = True) -> None:
    """The one line printed once a stop is done (the servers' own shutdown output is not
    shown: see :func:`run_servers`): ``Stopped by SIGTERM: the dashboard, the survey page
    and their kernels are shut down.`` (``kernels=False``: ``the survey page is shut
    down.``)"""
    if not kernels:
        shut = " and ".join(names)
        verb = "are" if len(names) > 1 else "is"
        print(f"Stopped by {signal_name(signum)}: {shut} {verb} shut down.", flush=True)
        return
    items = [*names, "their kernels" if len(names) > 1 else "its kernels"]
    shut = f"{', '.join(items[:-1])} and {items[-1]}"
    print(f"Stopped by {signal_name(signum)}: {shut} are shut down.", flush=True)


# --- running and stopping servers ----------------------------------------------------------


def listening(url: str, timeout: float = 0.2) -> bool:
    """Whether a server accepts connections at ``url``'s host and port."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    host = "127.0.0.1" if host == "0.0.0.0" else "::1" if host == "::" else host
    try:
        with socket.create_connection((host, parts.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


def run_servers(
    commands: list[VoilaCommand],
    *,
    grace: float = GRACE,
    on_ready: Callable[[], None] | None = None,
    on_stopped: Callable[[int], None] | None = None,
) -> int:
    """Run the servers until one stops or the user stops them; stop the others with it.

    ``on_ready`` is called once every server accepts connections (so a link printed then
    works at once); ``on_stopped`` with the signal's number once a stop the user asked for
    (Ctrl-C, SIGTERM, SIGHUP) is done. Returns 0 after Ctrl-C, else the exit status of the
    server(s) that stopped by themselves. On SIGTERM or SIGHUP, raises :class:`Stopped`
    once every server and kernel is stopped.

    The servers' output (Voila's log, and their kernels', which share it) is passed on line
    by line until the user stops them, then dropped: a kernel shut down in the middle of a
    message prints a ZMQError traceback, and Voila one for a signal that comes while it
    starts, which are no news to someone who asked for the stop."""
    tag = secrets.token_hex(8)
    procs: list[subprocess.Popen] = []
    # Own process group: the terminal's Ctrl-C and hang-up reach only this process. And
    # each server dies with this process, even one killed by SIGKILL (Linux).
    group = (
        {"process_group": 0, "preexec_fn": preexec_die_with_parent()} if os.name == "posix" else {}
    )
    quiet = threading.Event()
    copiers: list[threading.Thread] = []
    stopped_by: int | None = None
    ended: list[subprocess.Popen] = []
    try:
        with stop_signals_raise():
            for c in commands:
                # ENV_RUN is inherited by the kernels (see stop_processes); unbuffered, so
                # the log is passed on as it is written.
                env = {**c.env, ENV_RUN: tag, "PYTHONUNBUFFERED": "1"}
                proc = subprocess.Popen(
                    c.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **group
                )
                procs.append(proc)
                copiers += [
                    _copy_output(proc.stdout, sys.stdout, quiet),
                    _copy_output(proc.stderr, sys.stderr, quiet),
                ]
            waiting = on_ready is not None
            while not ended:
                time.sleep(0.1 if waiting else 0.5)
                ended = [p for p in procs if p.poll() is not None]
                if waiting and not ended and all(listening(c.url) for c in commands):
                    waiting = False
                    on_ready()
    except KeyboardInterrupt:
        stopped_by = signal.SIGINT
    except Stopped as stop:
        stopped_by = stop.signum
        raise
    finally:  # also on Stopped (raised again after this) and on a server that stopped
        if not ended:  # stopped by the user (or by an error here): no shutdown noise
            quiet.set()
        stop_processes(procs, tag, grace=grace)
        for copier in copiers:
            copier.join(timeout=grace)
        if stopped_by is not None and on_stopped is not None:
            on_stopped(stopped_by)
    if stopped_by is not None:
        return 0
    return max((_exit_status(p.returncode) for p in ended), default=0)


def _copy_output(stream: Any, target: Any, quiet: threading.Event) -> threading.Thread:
    """Pass a server's output on to ``target`` line by line, in a thread, until it ends;
    lines read once ``quiet`` is set are dropped (but still read: a server must never
    block on a full pipe while it shuts down)."""

    def copy() -> None:
        with suppress(OSError, ValueError):
            for line in iter(stream.readline, b""):
                if not quiet.is_set():
                    target.write(line.decode("utf-8", "replace"))
                    target.flush()
        with suppress(OSError):
            stream.close()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


def _exit_status(returncode: int | None) -> int:
    """A shell's exit status: 128 + N for a process killed by signal N (Popen says -N)."""
    code = returncode or 0
    return 128 - code if code < 0 else code


def stop_processes(
    procs: list[subprocess.Popen], tag: str | None = None, *, grace: float = GRACE
) -> None:
    """Stop the servers: SIGTERM, ``grace`` seconds, SIGKILL. Then the same for any
    process still running with ``ENV_RUN=tag`` in its environment: the kernels, which
    inherit the servers' environment but live in sessions of their own and are left
    behind by a server that died or had to be killed. Further stop signals and Ctrl-C are
    ignored meanwhile (at most about twice ``grace``), so a second one cannot cut the
    clean-up short."""
    with signals_ignored():
        _terminate_then_kill(procs, grace)
        if tag is not None:
            _stop_tagged(tag, grace)


def _terminate_then_kill(procs: list[subprocess.Popen], grace: float) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _stop_tagged(tag: str, grace: float) -> None:
    import psutil

    left = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(ENV_RUN) == tag:
                proc.terminate()
                left.append(proc)
        except psutil.Error:  # gone, a zombie, or another user's process
            continue
    _gone, left = psutil.wait_procs(left, timeout=grace)
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(left, timeout=grace)
