"""Child processes that die with their parent.

``alliance-kit report`` starts worker processes, each with a Jupyter kernel (and a
Chromium for PDFs); ``dashboard`` and ``survey serve`` start Voila servers. Killed with
SIGKILL, a parent runs no clean-up, so each child asks Linux beforehand to kill it when
its parent goes (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): a worker when alliance-kit dies,
a kernel when its worker dies. Elsewhere these calls do nothing.

Stopping on purpose (Ctrl-C, SIGTERM from systemd, ``docker stop`` or ``kill``, SIGHUP
when the terminal closes) is the parent's business: :func:`stop_signals_raise` turns
SIGTERM and SIGHUP into :class:`Stopped` as Ctrl-C raises KeyboardInterrupt, so clean-ups
run; :func:`signals_blocked` keeps the terminal's signals from children while they start
(they inherit the mask and choose what to do with the signals once ready);
:func:`signals_ignored` keeps a second Ctrl-C from cutting a clean-up short.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

_PR_SET_PDEATHSIG = 1
_prctl: Any = None


def _load_prctl() -> Any:
    """libc's prctl, looked up once (before any fork: a child calls it right away)."""
    global _prctl  # noqa: PLW0603 - a cached C function pointer, not program state
    if _prctl is None and sys.platform.startswith("linux"):
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    return _prctl


def die_with_parent(parent: int | None = None) -> None:
    """Have this process killed (SIGKILL) when its parent process ends. ``parent``: the pid
    the caller expects as parent; if it is gone already (it died while this process was
    starting), this process ends now. No-op off Linux."""
    prctl = _load_prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def preexec_die_with_parent() -> Any:
    """A ``preexec_fn`` for ``subprocess.Popen`` (and for jupyter_client's kernel launch,
    which passes it on): the child dies with the thread that started it. None off Linux,
    where Popen then runs nothing."""
    prctl = _load_prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    sig = int(signal.SIGKILL)

    def preexec() -> None:  # runs in the child between fork and exec: no imports here
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


# --- stop signals ------------------------------------------------------------------------

#: Signals that mean "stop" besides Ctrl-C: SIGTERM (systemd, docker stop, kill), SIGHUP.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
#: Ctrl-C and the stop signals: what a terminal or a service manager sends to end a command.
TERMINAL_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, *STOP_SIGNALS)


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived (raised by :func:`stop_signals_raise`'s handler)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _raise_stopped(signum: int, _frame: Any) -> None:
    raise Stopped(signum)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped`, as Ctrl-C raises
    KeyboardInterrupt, so ``finally`` clean-ups run (by default they would kill the process
    on the spot and leave its children running). Main thread only."""
    with _handlers(STOP_SIGNALS, _raise_stopped):
        yield


@contextmanager
def signals_ignored(signals: Iterable[int] = TERMINAL_SIGNALS) -> Iterator[None]:
    """Ignore ``signals`` within the block: a clean-up that must finish (stopping children,
    writing what was done) is not cut short by a second Ctrl-C. Off the main thread, where
    Python cannot set handlers (and runs none), it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _handlers(signals, signal.SIG_IGN):
        yield


@contextmanager
def _handlers(signals: Iterable[int], handler: Any) -> Iterator[None]:
    """``handler`` for each of ``signals`` within the block, the previous ones after it."""
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def signals_blocked(signals: Iterable[int] = TERMINAL_SIGNALS) -> Iterator[None]:
    """Block ``signals`` in this thread within the block; one that arrives meanwhile is
    delivered when the block ends. A child started here inherits the block (across exec)
    and so cannot be interrupted while it starts up; it unblocks them once it has chosen
    its handlers (see :func:`unblock_signals`). No-op where threads have no signal mask."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def unblock_signals(signals: Iterable[int] = TERMINAL_SIGNALS) -> None:
    """Undo an inherited :func:`signals_blocked` in a child, after setting its handlers
    (a pending signal a child ignores is dropped)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(signals))


def signal_name(signum: int) -> str:
    """How the stop is called in a message: ``Ctrl-C`` for SIGINT, else ``SIGTERM``..."""
    if signum == signal.SIGINT:
        return "Ctrl-C"
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def end_by_signal(signum: int) -> NoReturn:
    """End this process by ``signum`` with its default action, as if never caught: the
    conventional status (a shell shows 128 + signum, 143 for SIGTERM; systemd counts a
    SIGTERM death as a clean stop). Where the signal cannot end the process (PID 1 in a
    container ignores it), exit with status 128 + signum instead."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)
