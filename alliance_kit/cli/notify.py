"""``alliance-kit notify ...``: e-mail survey invitations, reminders, reports and alerts.

The logic is in :mod:`alliance_kit.delivery.notify`, SMTP in
:mod:`alliance_kit.delivery.mail` (settings
from ``$ALLIANCE_KIT_SMTP_*``; the password never on the command line). Every command
is safe to repeat from cron: what was sent is recorded and not sent again.
"""

from __future__ import annotations

from pathlib import Path

import click

from alliance_kit import config
from alliance_kit.assess import survey
from alliance_kit.cli import db_option, main, store_for, user_path
from alliance_kit.delivery import mail, notify
from alliance_kit.records import keys, periods


def _dry_run_option(f):
    return click.option(
        "--dry-run",
        "dry_run",
        type=user_path(file_okay=False),
        default=None,
        metavar="FOLDER",
        help="Write the messages as .eml files into FOLDER instead of sending them "
        "(nothing is sent, recorded or issued; survey links carry a placeholder code).",
    )(f)


def _retry_option(f):
    return click.option(
        "--retry-interrupted",
        is_flag=True,
        help="Send again the messages an interrupted run began to send (they may have "
        "gone out: ask the recipients first).",
    )(f)


def _run(db, dry_run: Path | None, retry: bool) -> tuple[notify.Run, object]:
    store = store_for(db)
    if dry_run is not None:
        try:
            sender = mail.sender_from()
        except mail.MailConfigError:
            sender = mail.mailbox("alliance-kit", "alliance-kit@localhost.invalid")
        mailer: object = mail.FolderMailer(dry_run)
    else:
        settings = mail.settings_from_env()
        sender = settings.sender
        mailer = mail.SmtpMailer(settings)
        # a bad server or login stops here, before anything is written
        _guarded(mailer.connect, mailer)
    run = notify.Run(store, mailer, sender, retry_interrupted=retry, echo=_echo)  # type: ignore[arg-type]
    return run, mailer


def _echo(d: notify.Delivery) -> None:
    click.echo(d.line())


def _finish(deliveries: list[notify.Delivery], mailer, dry_run: Path | None) -> None:
    mailer.close()
    counts = {
        o: sum(d.outcome == o for d in deliveries) for o in ("sent", "written", "skipped", "failed")
    }
    summary = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "nothing to send"
    if dry_run is not None:
        summary += f" (dry run: messages in {dry_run})"
    click.echo(summary, err=True)
    if counts["failed"]:
        raise SystemExit(1)


def _guarded(call, mailer):
    """Run ``call``; an unusable mail server ends the command with one line, non-zero."""
    try:
        return call()
    except mail.MailServerError as exc:
        mailer.close()
        raise click.ClickException(str(exc)) from None


def _round_id(store, typed: str) -> str:
    return keys.match(typed, store.read("assessment_rounds")["id"], what="round")


def _base_url(value: str | None, env: str, option: str, required: bool = True) -> str | None:
    import os

    url = (value or os.environ.get(env) or "").strip()
    if not url:
        if required:
            raise click.UsageError(f"give {option} or set ${env}")
        return None
    try:
        return notify.check_url(url, option)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@main.group("notify")
def notify_group() -> None:
    """E-mail: survey invitations and reminders, the quarter's reports, alert digests.

    SMTP settings come from the environment: ALLIANCE_KIT_SMTP_HOST, _PORT, _TLS
    (starttls, ssl or none), _USER, and the password in ALLIANCE_KIT_SMTP_PASSWORD or
    in the file named by ALLIANCE_KIT_SMTP_PASSWORD_FILE; the sender in
    ALLIANCE_KIT_MAIL_FROM. Each message is sent once: running a command again (from cron)
    sends only what was not sent yet.
    """


_base_url_option = click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help=f"Where the survey page is served (default ${notify.ENV_SURVEY_URL}); "
    "links are BASE?code=CODE.",
)
_days_option = click.option(
    "--days",
    default=survey.DEFAULT_EXPIRY_DAYS,
    show_default=True,
    type=click.IntRange(1, 365),
    help="Days each code stays valid.",
)


@notify_group.command()
@db_option
@click.option("--round", "round_id", required=True, help="Round id.")
@_base_url_option
@_days_option
@_dry_run_option
@_retry_option
def invitations(db, round_id, base_url, days, dry_run, retry_interrupted) -> None:
    """E-mail each respondent of a round their personal survey link, once.

    Respondents need an e-mail address (`survey add-respondent --email`). Those who
    answered, were e-mailed already, or hold a code from `survey invite` are skipped.
    """
    url = _base_url(base_url, notify.ENV_SURVEY_URL, "--base-url")
    run, mailer = _run(db, dry_run, retry_interrupted)
    rid = _round_id(run.store, round_id)
    done = _guarded(lambda: notify.invitations(run, rid, url, days=days), mailer)
    _finish(done, mailer, dry_run)


@notify_group.command()
@db_option
@click.option("--round", "round_id", required=True, help="Round id.")
@click.option(
    "--every",
    default=notify.DEFAULT_REMINDER_DAYS,
    show_default=True,
    type=click.IntRange(1, 365),
    metavar="N",
    help="At most one message to a respondent every N days.",
)
@_base_url_option
@_days_option
@_dry_run_option
@_retry_option
def reminders(db, round_id, every, base_url, days, dry_run, retry_interrupted) -> None:
    """Remind those invited by e-mail who have not submitted, with a new personal link.

    The new link replaces the earlier one (codes are kept only hashed, so the old link
    cannot be repeated); answers already saved are kept.
    """
    url = _base_url(base_url, notify.ENV_SURVEY_URL, "--base-url")
    run, mailer = _run(db, dry_run, retry_interrupted)
    rid = _round_id(run.store, round_id)
    done = _guarded(lambda: notify.reminders(run, rid, url, every_days=every, days=days), mailer)
    _finish(done, mailer, dry_run)


@notify_group.command()
@db_option
@click.option("-p", "--period", required=True, help="Quarter such as 2026-Q3, or 'previous'.")
@click.option(
    "--reports",
    "reports_dir",
    type=user_path(file_okay=False),
    default=None,
    help="The report folder `alliance-kit report --out` wrote (default reports/).",
)
@click.option(
    "--reports-url",
    default=None,
    metavar="URL",
    help=f"Where that folder is published (default ${notify.ENV_REPORTS_URL}).",
)
@click.option("--attach", is_flag=True, help="Attach the PDF reports (made with --format pdf).")
@click.option(
    "--partner-sponsors",
    is_flag=True,
    help="Also send each alliance report to the partner's sponsor (it holds our figures).",
)
@_dry_run_option
@_retry_option
def reports(db, period, reports_dir, reports_url, attach, partner_sponsors, dry_run,
            retry_interrupted) -> None:  # fmt: skip
    """Each alliance report to its owner and our sponsor, the portfolio report to our
    executives (the alliances' sponsors on our side), once per quarter.

    People are found by name in the alliance's people register, where their e-mail
    address is; anyone without one is named and skipped.
    """
    period = periods.resolve(period)
    url = _base_url(reports_url, notify.ENV_REPORTS_URL, "--reports-url", required=not attach)
    folder = reports_dir or config.project_root() / "reports"
    run, mailer = _run(db, dry_run, retry_interrupted)
    done = _guarded(
        lambda: notify.reports_to_people(
            run, period, Path(folder), base_url=url, attach=attach,
            partner_sponsors=partner_sponsors,
        ),
        mailer,
    )  # fmt: skip
    _finish(done, mailer, dry_run)


@notify_group.command()
@db_option
@click.option("-p", "--period", required=True, help="Quarter such as 2026-Q3, or 'previous'.")
@_dry_run_option
@_retry_option
def alerts(db, period, dry_run, retry_interrupted) -> None:
    """A digest of the quarter's early-warning alerts to each alliance owner, once."""
    period = periods.resolve(period)
    run, mailer = _run(db, dry_run, retry_interrupted)
    done = _guarded(lambda: notify.alerts_to_owners(run, period), mailer)
    _finish(done, mailer, dry_run)
