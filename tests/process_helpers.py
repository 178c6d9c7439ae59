"""Watching real server processes in tests: ports, descendants, waiting for readiness."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable

import psutil
import pytest

#: Upper bound on waiting for a server to come up: a guard against a hung test, not a
#: speed requirement (a Voila server and its kernel are up in a few seconds here).
START_DEADLINE = 120.0


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], bool], what: str, proc: subprocess.Popen) -> None:
    """Poll ``condition``; fail with the process output if it exits or never gets there."""
    deadline = time.monotonic() + START_DEADLINE
    while not condition():
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"exited ({proc.returncode}) before {what}:\n{out}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"never {what}")
        time.sleep(0.2)


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def running(procs: list[psutil.Process]) -> list[psutil.Process]:
    """The processes still running (a zombie, not yet reaped by its parent, has stopped)."""
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            continue
    return alive


def kill_all(procs: list[psutil.Process]) -> None:
    """Clean up after a failed test so no server outlives it."""
    for p in running(procs):
        try:
            p.kill()
        except psutil.Error:
            continue


def open_page_in_background(url: str) -> None:
    """Request a page without waiting for it (a viewer arriving as the server stops)."""

    def get() -> None:
        # the server may stop in the middle of the answer
        with (
            contextlib.suppress(OSError, http.client.HTTPException),
            urllib.request.urlopen(url, timeout=60) as answer,
        ):
            answer.read()

    threading.Thread(target=get, daemon=True).start()
