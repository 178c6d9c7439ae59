"""Child processes that die with their parent.

``alliance-kit report`` starts worker processes, each with a Jupyter kernel (and a
Chromium for PDFs); ``dashboard`` and ``survey serve`` start Voila servers. Killed with
SIGKILL, a parent runs no clean-up, so each child asks Linux beforehand to kill it when
its parent goes (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): a worker when alliance-kit dies,
a kernel when its worker dies. Elsewhere these calls do nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

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
