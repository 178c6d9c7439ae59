"""``alliance-kit dashboard``: the executive dashboard served by Voila.

Two servers, on purpose. The dashboard shows the whole portfolio and needs the executive
token; the survey page is for respondents of both partners, who must never see or need
that token (they open it with their personal invitation code). So the survey page runs
as a second process on its own port, without the executive token: the light web form of
:mod:`alliance_kit.delivery.survey_web` (no kernel per respondent; a request there cannot reach the
dashboard). Both are bound to 127.0.0.1 unless told otherwise. The dashboard is served
with sources stripped, tracebacks hidden and kernels preheated. Publish them only behind a
TLS reverse proxy (and publish the survey's port to partners, never the dashboard's).
``alliance-kit survey serve`` runs the survey server alone; start the dashboard with
``--no-survey`` then.

The token is generated per start (``secrets.token_urlsafe(24)``) and printed once; it
reaches Voila through its environment, never its command line (see
:func:`alliance_kit.delivery.serve.voila_command`).

Before the servers start, the portfolio is scored once into a snapshot in a private
folder (see :mod:`alliance_kit.views.dashboard`); every viewer's kernel loads it.

On a team store with people (``alliance-kit access grant``), there is no shared token, no
snapshot and no warm kernel: each viewer signs in with the personal link ``alliance-kit
access link --person NAME`` prints, and their page reads the store as their role, so
row-level security decides what it shows (:mod:`alliance_kit.delivery.dashboard_login`).

Ctrl-C, SIGTERM (systemd, ``docker stop``, ``kill``) and SIGHUP all stop both servers and
their kernels and remove the snapshot folder (:func:`alliance_kit.delivery.serve.run_servers`),
without the servers' shutdown chatter, and then say so in one line. After SIGTERM or
SIGHUP the command ends by that same signal (status 143 or 129 in a shell); after Ctrl-C
it exits 0; if a server stops by itself, with that server's status.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from alliance_kit import config
from alliance_kit.cli import db_option, main, store_for
from alliance_kit.delivery.serve import (
    ENV_DASHBOARD_TOKEN,
    Stopped,
    VoilaCommand,
    check_port_free,
    check_token,
    end_by_signal,
    run_servers,
    say_stopped,
    signal_name,
    stop_signals_raise,
    voila_command,
)

DASHBOARD_NOTEBOOK = Path("notebooks") / "dashboards" / "portfolio_dashboard.ipynb"
#: alliance-kit's CDN-free Voila template, widened for a laptop screen.
DASHBOARD_TEMPLATE = "alliance-kit-dashboard"
PERSONAL_NO_TOKEN = (
    "this store has people (alliance-kit access): each viewer signs in with their personal "
    "link, so the dashboard takes no shared --token (nor $ALLIANCE_KIT_DASHBOARD_TOKEN)"
)


def dashboard_commands(
    *,
    port: int = 8866,
    db: str | None = None,
    ip: str = "127.0.0.1",
    token: str | None = None,
    survey_port: int | None = None,
    survey: bool = True,
    pool_size: int = 1,
    root: Path | None = None,
    personal: bool = False,
) -> tuple[VoilaCommand, VoilaCommand | None, str | None]:
    """The dashboard's Voila command, the survey form's (None when not wanted) and the
    token (generated when not given). ``pool_size``: the dashboard's warm kernels.
    ``personal``: viewers sign in with personal links (a team store with people): no
    shared token (None is returned), no warm kernel, no shared snapshot."""
    root = root or config.project_root()
    if personal:
        if token is not None:
            raise ValueError(PERSONAL_NO_TOKEN)
        dash = voila_command(
            root / DASHBOARD_NOTEBOOK, port, db, ip=ip, template=DASHBOARD_TEMPLATE,
            personal=True,
        )  # fmt: skip
    else:
        token = check_token(token) if token is not None else secrets.token_urlsafe(24)
        dash = voila_command(
            root / DASHBOARD_NOTEBOOK, port, db, token, ip=ip, preheat=pool_size,
            template=DASHBOARD_TEMPLATE,
        )  # fmt: skip
    survey_cmd = None
    if survey:  # the light survey form; respondents use their code, never the token
        from alliance_kit.delivery import survey_web

        survey_cmd = survey_web.server_command(survey_port or port + 1, db, ip)
    return dash, survey_cmd, token


@main.command()
@db_option
@click.option("--port", default=8866, show_default=True, help="Port of the dashboard.")
@click.option(
    "--ip",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; keep 127.0.0.1 unless a TLS proxy fronts it.",
)
@click.option(
    "--token",
    default=None,
    envvar=ENV_DASHBOARD_TOKEN,
    help="Token viewers need, at least 32 random characters (default: a new random one, "
    "printed once).",
)
@click.option(
    "--survey-port",
    type=int,
    default=None,
    help="Port of the survey page (default: the dashboard's port + 1).",
)
@click.option("--no-survey", is_flag=True, help="Do not serve the survey page.")
@click.option(
    "--pool-size", default=1, show_default=True, help="Kernels kept warm for the next viewer."
)
def dashboard(
    db: str | None,
    port: int,
    ip: str,
    token: str | None,
    survey_port: int | None,
    no_survey: bool,
    pool_size: int,
) -> None:
    """Serve the executive dashboard (and the survey page) with Voila until Ctrl-C
    (or SIGTERM/SIGHUP). On a team store with people, viewers sign in with the personal
    link `alliance-kit access link --person NAME` prints, and each sees what their
    access allows; there is no shared token then."""
    store = store_for(db)  # fail now, with a clear message, if the store is missing or outdated
    try:
        personal = people_sign_in(store)
    finally:
        store.engine.dispose()
    if personal and token is not None:
        raise click.UsageError(PERSONAL_NO_TOKEN)
    check_port_free(ip, port)
    if not no_survey:
        check_port_free(ip, survey_port or port + 1)
    dash, survey_cmd, token = dashboard_commands(
        port=port,
        db=db,
        ip=ip,
        token=token,
        survey_port=survey_port,
        survey=not no_survey,
        pool_size=pool_size,
        personal=personal,
    )
    said: list[int] = []

    def stopped(signum: int) -> None:
        say_stopped(signum, ["the dashboard", *(["the survey page"] if survey_cmd else [])])
        said.append(signum)

    try:
        with stop_signals_raise():  # from here on, a stop signal still cleans up
            code = _serve(dash, survey_cmd, token, db, on_stopped=stopped)
    except (KeyboardInterrupt, Stopped) as stop:  # while scoring, before any server ran
        signum = getattr(stop, "signum", signal.SIGINT)
        if not said:
            click.echo(f"Stopped by {signal_name(signum)} before the servers started.")
        if signum == signal.SIGINT:
            return
        end_by_signal(signum)
    if code:
        raise click.ClickException(f"a Voila server stopped with exit status {code}")


def people_sign_in(store: Any) -> bool:
    """Whether the dashboard serves people by personal link: a team store where
    ``alliance-kit access`` granted at least one person."""
    from alliance_kit.records import access

    return access.enabled(store)


def _serve(
    dash: VoilaCommand,
    survey_cmd: VoilaCommand | None,
    token: str | None,
    db: str | None,
    on_stopped: Callable[[int], None] | None = None,
) -> int:
    """Make the snapshot (not for personal links: each viewer sees their own rows), print
    the links, run the servers; always remove the snapshot."""
    folder = None
    if token is not None:
        click.echo("Scoring the portfolio once for every viewer ...")
        folder = prepare_snapshot(db, dash)

    def ready() -> None:
        if token is None:
            click.echo(f"Executive dashboard: {dash.url}")
            click.echo(
                "  Viewers sign in with their personal link: `alliance-kit access link "
                "--person NAME` prints it (each sees what their access allows)."
            )
        else:
            click.echo(f"Executive dashboard: {dash.url}?token={token}")
            click.echo("  Keep this link private: the token is printed only now.")
        if survey_cmd is not None:
            click.echo(
                f"Survey page (respondents open it with their invitation code): {survey_cmd.url}"
            )
        click.echo("Press Ctrl-C to stop.")

    try:
        click.echo("Starting the servers ...")
        return run_all(
            [c for c in (dash, survey_cmd) if c is not None], on_ready=ready, on_stopped=on_stopped
        )
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def prepare_snapshot(db: str | None, command: VoilaCommand) -> Path:
    """Score the portfolio once, in a private folder the dashboard's kernels read from
    (``$ALLIANCE_KIT_DASHBOARD_SNAPSHOT``): each viewer's kernel then loads the scores
    instead of reading and scoring the whole store. Returns the folder (remove it after)."""
    from alliance_kit.views import dashboard as view

    folder = Path(tempfile.mkdtemp(prefix="alliance-kit-dashboard-"))  # mode 0700
    path = folder / "snapshot.pickle"
    try:
        view.load_snapshot(db, path)
    except BaseException:  # a failure, Ctrl-C or a stop signal while scoring
        shutil.rmtree(folder, ignore_errors=True)
        raise
    command.env[view.ENV_SNAPSHOT] = str(path)
    return folder


def run_all(
    commands: list[VoilaCommand],
    on_ready: Callable[[], None] | None = None,
    on_stopped: Callable[[int], None] | None = None,
) -> int:
    """Run the servers until one stops or the user stops them; stop the others, and every
    kernel, with it; ``on_ready`` once they all answer, ``on_stopped`` once a stop asked
    for is done (see :func:`alliance_kit.delivery.serve.run_servers`)."""
    return run_servers(commands, on_ready=on_ready, on_stopped=on_stopped)
