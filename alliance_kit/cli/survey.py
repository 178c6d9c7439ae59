"""``alliance-kit survey ...``: run an assessment round from the command line.

open-round, add-respondent, invite (prints each code or link once: the store keeps only
hashes), revoke, reopen, close-round, status (counts per side, never answers) and serve
(the survey page: a light web form, alliance_kit.delivery.survey_web).
"""

from __future__ import annotations

import datetime as dt

import click

from alliance_kit import config
from alliance_kit.assess import survey
from alliance_kit.cli import db_option, main, store_for
from alliance_kit.records import keys, periods
from alliance_kit.records.model import ORG_LEVELS, SIDES

SURVEY_PORT = 8867  # the dashboard's default port + 1, where `alliance-kit dashboard` serves it


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2026-09-30") from exc


def _round_id(store, typed: str) -> str:
    """The stored round id a user typed (any case: ``rnd-0001`` is ``RND-0001``)."""
    return keys.match(typed, store.read("assessment_rounds")["id"], what="round")


def _alliance_id(store, typed: str) -> str:
    return keys.match(typed, store.read("alliances")["id"], what="alliance")


@main.group("survey")
def survey_group() -> None:
    """Assessment rounds: respondents, personal invitation codes, response status."""


@survey_group.command("open-round")
@db_option
@click.option("--alliance", required=True, help="Alliance id, e.g. A001.")
@click.option("--period", required=True, help="Quarter, e.g. 2026-Q3.")
@click.option("--closes", default=None, metavar="DATE", help="Last day answers are taken.")
@click.option("--version", "version", default=None, help="Questionnaire version (newest).")
def open_round(db, alliance, period, closes, version) -> None:
    """Open the round of an alliance for a period (or show the one already open)."""
    store = store_for(db)
    # the rule `score` and `report` follow: a quarter that has not started is refused
    period = periods.resolve(period)
    rnd = survey.open_round(
        store,
        _alliance_id(store, alliance),
        period,
        questionnaire_version=version,
        closes_on=_date(closes),
    )
    click.echo(
        f"round {rnd['id']}: alliance {rnd['alliance_id']}, period {rnd['period']}, "
        f"questionnaire {rnd['questionnaire_version']}"
    )


@survey_group.command("add-respondent")
@db_option
@click.option("--round", "round_id", required=True, help="Round id.")
@click.option("--side", type=click.Choice(SIDES), required=True)
@click.option("--role", default=None, help="sponsor, finance, operations, ...")
@click.option("--level", type=click.Choice(ORG_LEVELS), default=None, help="Org level.")
@click.option("--label", default=None, help="Name or initials, never shown with answers.")
@click.option("--email", default=None, help="Where `alliance-kit notify` sends the invitation.")
def add_respondent(db, round_id, side, role, level, label, email) -> None:
    """Add a respondent to a round; prints the respondent id."""
    store = store_for(db)
    round_id = _round_id(store, round_id)
    rid = survey.add_respondent(
        store, round_id, side, role=role, org_level=level, label=label, email=email
    )
    click.echo(rid)


@survey_group.command()
@db_option
@click.option("--round", "round_id", required=True, help="Round id.")
@click.option("--respondent", "respondents", multiple=True, help="Respondent id (repeatable).")
@click.option(
    "--all",
    "everyone",
    is_flag=True,
    help="Every respondent who has not submitted, earlier codes revoked.",
)
@click.option("--days", default=survey.DEFAULT_EXPIRY_DAYS, show_default=True,
              help="Days the codes stay valid.")  # fmt: skip
@click.option(
    "--base-url",
    default=f"http://127.0.0.1:{SURVEY_PORT}/",
    show_default=True,
    help="Where the survey page is served; links are BASE?code=CODE.",
)
def invite(db, round_id, respondents, everyone, days, base_url) -> None:
    """Generate personal invitation codes and print their links, ONCE.

    Without --respondent or --all: everyone in the round not invited yet. The store keeps
    only a hash of each code: copy the links now and send each to its respondent.
    Inviting someone again revokes their earlier code.
    """
    store = store_for(db)
    round_id = _round_id(store, round_id)
    resp = store.read("respondents", {"round_id": round_id})
    if resp.empty:
        raise ValueError(
            f"round {round_id} has no respondents yet: add them with "
            f"`alliance-kit survey add-respondent --round {round_id} --side ...`"
        )
    if respondents:
        ids = [keys.match(r, resp["id"], what=f"respondent of round {round_id}")
               for r in respondents]  # fmt: skip
    else:
        frames = survey.survey_frames(store, round_id)
        done = survey.respondent_status(frames, round_id)
        todo = ~done["completed"] if everyone else ~done["completed"] & ~done["invited"]
        ids = done.loc[todo, "respondent_id"].tolist()
    if not ids:
        raise ValueError(
            f"everyone in round {round_id} has a code or has answered; give --respondent ID "
            "for a new code (it revokes the old one), or --all for everyone who has not answered"
        )
    by_id = resp.set_index("id")
    click.echo("respondent\tside\trole\texpires (UTC)\tlink")
    for rid in ids:
        issued = survey.invite(store, rid, days=days)
        row = by_id.loc[rid]
        click.echo(
            f"{rid}\t{row['side']}\t{row['role'] or ''}\t{issued.expires_at:%Y-%m-%d %H:%M}"
            f"\t{issued.link(base_url)}"
        )
    click.echo(f"{len(ids)} code(s) issued; they are not shown again.", err=True)


@survey_group.command()
@db_option
@click.option("--invitation", default=None, help="Invitation id.")
@click.option("--respondent", default=None, help="Respondent id (revokes all their codes).")
def revoke(db, invitation, respondent) -> None:
    """Withdraw an invitation code (it is refused from now on)."""
    store = store_for(db)
    n = survey.revoke(store, invitation_id=invitation, respondent_id=respondent)
    click.echo(f"{n} invitation(s) revoked")


@survey_group.command()
@db_option
@click.option("--respondent", required=True, help="Respondent id.")
def reopen(db, respondent) -> None:
    """Let a respondent change submitted answers with their code (while the round is open)."""
    n = survey.reopen(store_for(db), respondent)
    click.echo(f"{n} invitation(s) reopened")


@survey_group.command("close-round")
@db_option
@click.option("--round", "round_id", required=True)
@click.option("--on", "on", required=True, metavar="DATE", help="Last day answers are taken.")
def close_round(db, round_id, on) -> None:
    """Set the day after which the round's codes are refused."""
    store = store_for(db)
    round_id = _round_id(store, round_id)
    survey.close_round(store, round_id, _date(on))
    click.echo(f"round {round_id} closes on {on}")


@survey_group.command()
@db_option
@click.option("--round", "round_id", default=None, help="Round id.")
@click.option("--alliance", default=None, help="Alliance id (with --period).")
@click.option("--period", default=None, help="Quarter (with --alliance).")
def status(db, round_id, alliance, period) -> None:
    """Response status per side: respondents, invited, started, completed, rate."""
    from alliance_kit.records import questionnaire

    store = store_for(db)
    if round_id is None:
        if not (alliance and period):
            raise ValueError("give --round, or --alliance and --period")
        alliance, period = _alliance_id(store, alliance), periods.normalize(period)
        rnd = survey.find_round(store, alliance, period)
        if rnd is None:
            raise ValueError(f"no round for alliance {alliance} in {period}")
    else:
        rnd = survey.round_summary(store, _round_id(store, round_id))
    n = len(questionnaire.load(rnd["questionnaire_version"]).statements)
    table = survey.response_status(survey.survey_frames(store, rnd["id"]), rnd["id"],
                                   n_statements=n)  # fmt: skip
    table["response_rate"] = table["response_rate"].map(
        lambda r: "" if r != r else f"{r:.0%}"  # NaN: nobody on that side
    )
    click.echo(f"round {rnd['id']} ({rnd['alliance_id']}, {rnd['period']})")
    click.echo(table.to_string(index=False))


@survey_group.command()
@db_option
@click.option("--port", default=SURVEY_PORT, show_default=True)
@click.option("--ip", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--xheaders",
    is_flag=True,
    help="Take client addresses from X-Real-Ip (only behind a reverse proxy).",
)
@click.option(
    "--voila",
    is_flag=True,
    help="The former Voila page (a kernel per respondent) instead of the web form.",
)
@click.option("--preheat", default=0, show_default=True, help="Kernels kept warm (--voila).")
def serve(db, port, ip, xheaders, voila, preheat) -> None:
    """Serve the survey page until Ctrl-C (respondents open BASE?code=CODE).

    A plain web form (alliance_kit.delivery.survey_web): no kernel per respondent. The link is
    printed once the server answers."""
    from alliance_kit.delivery import survey_web
    from alliance_kit.delivery.serve import check_port_free, voila_command
    from alliance_kit.delivery.serve import serve as run

    store_for(db)  # fail early, with a clear message, if the store is not usable
    check_port_free(ip, port)
    if voila:
        notebook = config.project_root() / "notebooks" / "survey" / "survey.ipynb"
        cmd = voila_command(notebook, port, db, None, ip=ip, preheat=preheat)
        click.echo(f"survey page at {cmd.url}?code=CODE (Ctrl-C to stop)")
        raise SystemExit(run(cmd, "the survey page"))
    cmd = survey_web.server_command(port, db, ip, xheaders=xheaders)

    def ready() -> None:
        click.echo(f"survey page at {cmd.url}?code=CODE (Ctrl-C to stop)")

    raise SystemExit(run(cmd, "the survey page", kernels=False, on_ready=ready))
