"""Stopping served pages: every stop signal stops the servers and whatever they started.

Real processes, real signals: a stand-in server (a small Python process that starts a
"kernel" in a session of its own, as Voila does, and may refuse SIGTERM) for the stopping
rules, and one real ``alliance-kit survey serve`` for Voila itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from process_helpers import (
    descendants,
    kill_all,
    open_page_in_background,
    port_open,
    running,
    wait_until,
)

from alliance_kit.delivery.serve import VoilaCommand, free_port

#: A stand-in server: starts a kernel-like child in its own session (Voila's kernels are),
#: optionally both ignore SIGTERM, then writes a ready file and waits; exits with the
#: code given when the file EXIT appears. Both files are written whole (os.replace): a
#: reader polling for them must never see one empty (it did, once, under load).
STAND_IN = textwrap.dedent(
    """
    import os, pathlib, signal, subprocess, sys, time
    folder, name, stubborn = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if name != "kernel":
        subprocess.Popen([sys.executable, __file__, str(folder), "kernel", sys.argv[3]],
                         start_new_session=True)
    tmp = folder / f".{name}.ready.tmp"
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, folder / f"{name}.ready")
    while not (folder / f"{name}.exit").exists():
        time.sleep(0.1)
    sys.exit(int((folder / f"{name}.exit").read_text()))
    """
)

DRIVER = textwrap.dedent(
    """
    import json, sys
    from alliance_kit.delivery.serve import Stopped, VoilaCommand, end_by_signal, run_servers
    commands = [VoilaCommand(argv, {}, "") for argv in json.loads(sys.argv[1])]
    try:
        code = run_servers(commands, grace=1.0, on_stopped=lambda n: print("said", n, flush=True))
    except Stopped as stop:
        print("stopped by", stop.signum, flush=True)
        end_by_signal(stop.signum)
    print("returned", code, flush=True)
    """
)


def start_driver(tmp_path: Path, stubborn: bool) -> tuple[subprocess.Popen, list[Path]]:
    """Run two stand-in servers under run_servers in a child Python; wait until both and
    their kernels are up."""
    import json

    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    folders = [tmp_path / "one", tmp_path / "two"]
    argv = []
    for folder in folders:
        folder.mkdir()
        argv.append([sys.executable, str(script), str(folder), "server", "1" if stubborn else "0"])
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = [f / n for f in folders for n in ("server.ready", "kernel.ready")]
    wait_until(lambda: all(p.exists() for p in ready), "all stand-ins were ready", proc)
    return proc, ready


def write_whole(path: Path, text: str) -> None:
    """Write a file a stand-in polls for, so that it never reads it half-written."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def pids(ready: list[Path]) -> list[psutil.Process]:
    return [psutil.Process(int(p.read_text())) for p in ready]


@pytest.mark.parametrize(
    ("sig", "stubborn"),
    [(signal.SIGTERM, True), (signal.SIGTERM, False), (signal.SIGHUP, False)],
    ids=["sigterm-refused-so-killed", "sigterm", "sighup"],
)
def test_stop_signal_stops_every_server_and_kernel_then_ends_by_that_signal(
    tmp_path, sig, stubborn
):
    proc, ready = start_driver(tmp_path, stubborn)
    procs = pids(ready)
    try:
        assert len(running(procs)) == 4
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
        assert running(procs) == [], out
        assert f"stopped by {int(sig)}" in out
        assert f"said {int(sig)}" in out  # the stop is announced, once it is done
        assert proc.returncode == -sig  # died by the signal, as if it had not caught it
    finally:
        kill_all(procs)


def test_ctrl_c_stops_everything_and_returns_0(tmp_path):
    proc, ready = start_driver(tmp_path, stubborn=False)
    procs = pids(ready)
    try:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert running(procs) == [], out
        assert "returned 0" in out and proc.returncode == 0
        assert "said 2" in out
    finally:
        kill_all(procs)


def test_a_server_that_stops_stops_the_other_and_its_status_is_returned(tmp_path):
    proc, ready = start_driver(tmp_path, stubborn=False)
    procs = pids(ready)
    try:
        write_whole(tmp_path / "one" / "server.exit", "3")
        out, _ = proc.communicate(timeout=60)
        assert running(procs) == [], out  # the other server and both kernels too
        assert "returned 3" in out
        assert "said" not in out  # nobody asked for this stop: nothing to announce
    finally:
        kill_all(procs)


#: A stand-in server that writes a line when it starts and, on SIGTERM, a traceback like
#: the ZMQError a Voila kernel prints when it is shut down in the middle of a message;
#: its "kernel" (sharing its output, as Voila's do) does the same.
NOISY = textwrap.dedent(
    """
    import os, pathlib, signal, subprocess, sys, time
    folder, name = pathlib.Path(sys.argv[1]), sys.argv[2]

    def noise(*_):
        sys.stderr.write("Traceback (most recent call last):\\n"
                         "zmq.error.ZMQError: Socket operation on non-socket\\n")
        sys.stderr.flush()
        os._exit(1)

    signal.signal(signal.SIGTERM, noise)
    if name == "server":
        subprocess.Popen([sys.executable, __file__, str(folder), "kernel"], start_new_session=True)
    print(f"{name} serving", flush=True)
    sys.stderr.write(f"{name} log line\\n")
    sys.stderr.flush()
    tmp = folder / f".{name}.ready.tmp"
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, folder / f"{name}.ready")
    while True:
        time.sleep(0.1)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_server_output_is_passed_on_until_a_stop_then_dropped(tmp_path, sig):
    """What the servers and their kernels print is shown while they serve; what they
    print while being stopped (a kernel's ZMQError) is not: a stop is quiet, and said."""
    import json

    script = tmp_path / "noisy.py"
    script.write_text(NOISY)
    argv = [[sys.executable, str(script), str(tmp_path), "server"]]
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = [tmp_path / "server.ready", tmp_path / "kernel.ready"]
    seen: list[str] = []
    try:
        wait_until(lambda: all(p.exists() for p in ready), "the stand-ins were ready", proc)
        procs = pids(ready)
        while len([line for line in seen if "serving" in line or "log line" in line]) < 4:
            seen.append(proc.stdout.readline())  # passed on while they serve
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert running(procs) == [], out
    text = "".join(seen) + out
    for line in ("server serving", "kernel serving", "server log line", "kernel log line"):
        assert line in text
    assert "Traceback" not in text and "ZMQError" not in text, text
    assert f"said {int(sig)}" in out


def test_servers_do_not_get_the_terminals_signals(tmp_path):
    """Ctrl-C and hang-up from a terminal go to its foreground process group: the servers
    run in their own, so alliance-kit alone decides how they stop."""
    proc, ready = start_driver(tmp_path, stubborn=False)
    procs = pids(ready)
    try:
        servers = psutil.Process(proc.pid).children()
        assert len(servers) == 2
        for server in servers:
            assert os.getpgid(server.pid) != os.getpgid(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        kill_all(procs)


def test_survey_serve_voila_stops_voila_and_its_kernel_on_sigterm(tmp_path):
    """The former Voila survey page (``survey serve --voila``); the default web form's
    stop is tested in test_survey_web."""
    from alliance_kit.records.opening import open_store

    db = tmp_path / "store.sqlite"
    open_store(str(db), create=True).engine.dispose()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from alliance_kit.cli import main; main()", "survey", "serve",
         "--db", str(db), "--port", str(port), "--preheat", "1", "--voila"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    procs: list[psutil.Process] = []

    def up() -> bool:
        procs[:] = descendants(proc.pid)
        kernels = [p for p in procs if "ipykernel_launcher" in " ".join(p.cmdline())]
        return port_open(port) and len(kernels) == 1

    try:
        wait_until(up, "Voila served with a kernel", proc)
        assert any("voila" in " ".join(p.cmdline()) for p in procs)
        open_page_in_background(f"http://127.0.0.1:{port}/?code=NOSUCHCODE")
        time.sleep(1)  # the page's kernel is busy answering when the stop comes
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert running(procs) == [], out
        assert not port_open(port)
        assert proc.returncode == -signal.SIGTERM
        # quiet: Voila's and the kernels' shutdown output (a ZMQError) is not shown
        assert "Traceback" not in out and "ZMQError" not in out, out
        assert out.rstrip().endswith(
            "Stopped by SIGTERM: the survey page and its kernels are shut down."
        ), out
    finally:
        kill_all(procs)
        if proc.poll() is None:
            proc.kill()


SLOW_SERVER = textwrap.dedent(
    """
    import pathlib, socket, sys, time
    port, stop = int(sys.argv[1]), pathlib.Path(sys.argv[2])
    time.sleep(1.5)  # a server that takes a while to start, as Voila does
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        while not stop.exists():
            time.sleep(0.05)
    """
)


def test_links_are_announced_only_once_every_server_answers(tmp_path):
    """`dashboard` prints its link in on_ready: a user who clicks at once is not refused."""
    from alliance_kit.delivery.serve import listening, run_servers

    stop = tmp_path / "stop"
    ports = [free_port(), free_port()]
    commands = [
        VoilaCommand([sys.executable, "-c", SLOW_SERVER, str(p), str(stop)], dict(os.environ),
                     f"http://127.0.0.1:{p}/")
        for p in ports
    ]  # fmt: skip
    seen = []

    def ready() -> None:
        seen.append([listening(c.url) for c in commands])
        stop.write_text("done")

    assert run_servers(commands, grace=1.0, on_ready=ready) == 0
    assert seen == [[True, True]]


def test_voila_command_is_a_plain_record():
    """run_servers takes any argv/env pair (what the stand-ins above rely on)."""
    cmd = VoilaCommand(["x"], {}, "")
    assert cmd.argv == ["x"] and cmd.env == {}


# --- secrets and hostile requests on a real Voila server (issue 18, item 7) ----------------

KERNEL_ENV_CELL = (
    "import os\n"
    "leaked = [k for k in ('ALLIANCE_KIT_VOILA_TOKEN', 'ALLIANCE_KIT_DASHBOARD_TOKEN')"
    " if k in os.environ]\n"
    "print('KERNEL-ENV', 'LEAKED' if leaked else 'CLEAN')\n"
)


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    """A Voila server started as the dashboard's is (voila_command with a token passed by
    the environment), with a lockout after 3 wrong tokens; its log is kept."""
    import urllib.request

    import nbformat

    folder = tmp_path_factory.mktemp("guarded")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_ENV_CELL)])
    nbformat.write(nb, folder / "page.ipynb")
    token = "Q" * 4 + "secret-token-" + "abcdefghijklmnopqrstuvwxyz0123"
    port = free_port()
    base = {
        **os.environ,
        "ALLIANCE_KIT_DASHBOARD_TOKEN": token,
        "ALLIANCE_KIT_LOCKOUT_FAILURES": "3",
        "ALLIANCE_KIT_LOCKOUT_SECONDS": "600",
    }
    from alliance_kit.delivery.serve import voila_command

    cmd = voila_command(folder / "page.ipynb", port, str(folder / "x.sqlite"), token, base_env=base)
    assert "ALLIANCE_KIT_DASHBOARD_TOKEN" not in cmd.env  # only its own token travels
    log = folder / "voila.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd.argv, env=cmd.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )

    def up() -> bool:
        try:
            urllib.request.urlopen(cmd.url + "voila/static/voila.js", timeout=2)
        except OSError as exc:
            return getattr(exc, "code", None) is not None
        return True

    wait_until(up, "answered", proc)
    yield cmd.url, token, log, proc
    kill_all([*descendants(proc.pid), psutil.Process(proc.pid)])


def _get(url: str, headers: dict | None = None):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, dict(r.headers), r.headers.get_all("Set-Cookie") or [], r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.headers.get_all("Set-Cookie") or [], exc.read()


def test_page_headers_cookies_and_kernel_environment(guarded_server):
    url, token, _log, _proc = guarded_server
    status, headers, cookies, body = _get(f"{url}?token={token}")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    login = [c for c in cookies if c.lower().startswith("username-")]
    assert login and all("samesite=strict" in c.lower() and "httponly" in c.lower() for c in login)
    assert b"KERNEL-ENV CLEAN" in body  # the page's kernel never sees the token


def test_tokens_and_codes_never_reach_the_log_and_wrong_tokens_lock_out(guarded_server):
    url, token, log, _proc = guarded_server
    status, *_ = _get(f"{url}voila/files/nothing?token={token}&code=SURVEYCODE123")  # a 4xx
    assert 400 <= status < 500
    for i in range(3):
        status, *_ = _get(f"{url}?token=wrong-{i}", {"X-Forwarded-For": "ignored"})
        assert status in (200, 302, 403, 429)  # 200: the login page it redirects to
    assert status == 429  # the third wrong token locks this address out
    status, *_ = _get(f"{url}?token={token}")
    assert status == 429  # even the right token, until the lockout ends
    time.sleep(1)
    text = log.read_text(errors="replace")
    assert token not in text and "SURVEYCODE123" not in text and "wrong-1" not in text
    assert "token=[redacted]" in text and "Traceback" not in text


def test_weak_tokens_are_refused():
    from alliance_kit.cli.dashboard import dashboard_commands

    for weak in ("secret", "a" * 40, "password1234password1234password1234"):
        with pytest.raises(ValueError, match="too weak"):
            dashboard_commands(token=weak)
    _dash, _survey, token = dashboard_commands()
    assert len(token) >= 32
