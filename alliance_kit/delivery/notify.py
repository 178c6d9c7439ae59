"""E-mail notifications: survey invitations and reminders, the quarter's reports, alerts.

Each message has a key: its kind, its round or period (and alliance) and its recipient
(a respondent id, or an e-mail address). The ``notifications`` table holds one row per
key; a run sends a message only when that row says it was not sent yet (reminders: not
within the last N days), so running the same command twice, from cron or by hand, sends
nothing twice.

Once and only once, as far as SMTP allows
    Before sending, a run *claims* the key (row inserted, or a reminder's row moved back,
    with ``status = sending``: the primary key and the row's version let only one run at a
    time claim it). The message is then sent, and only after the server accepted it is
    the row marked ``sent`` with its time. A refused message or an unusable server gives
    the claim back (and withdraws the code it carried), so nothing is recorded as sent
    that was not. A run killed between the server's acceptance and the mark leaves a
    ``sending`` claim: later runs do not send that message again but name it, and
    ``--retry-interrupted`` sends it (better a question than a duplicate).

History
    Every claim, mark and release is a write through the store and so appears in the
    change history: kind, round or period, recipient, address and when. Never a code,
    never a message body.

Reminders re-issue the code
    Codes are stored hashed, so a reminder cannot repeat the invitation's link. It could
    point to the survey page and ask for the code, but the respondent who needs a
    reminder is the one most likely to have lost the invitation (and an expired code
    would leave them stuck). So each reminder carries a fresh personal link: the new code
    revokes the earlier one (the message says so), answers already saved are kept (they
    belong to the respondent, not to the code), and the validity starts again. A reminder
    that cannot be delivered puts the earlier code back.

Messages are plain text plus a simple HTML part (every stored or typed value escaped),
no images, no tracking pixels, no redirecting or tagged links: links are the survey page
and the reports as they are.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alliance_kit.assess import survey
from alliance_kit.delivery.mail import (
    Attachment,
    Mailer,
    MailServerError,
    RecipientRefused,
    compose,
    one_line,
)
from alliance_kit.records import questionnaire
from alliance_kit.records.model import address_fault

if TYPE_CHECKING:
    from alliance_kit.records.store import Store

KINDS = ("invitation", "reminder", "report", "portfolio", "alerts")
#: Where the survey page is served (links are BASE?code=CODE); ``--base-url`` overrides.
ENV_SURVEY_URL = "ALLIANCE_KIT_SURVEY_URL"
#: Where the report folder (``reports/``) is published; ``--reports-url`` overrides.
ENV_REPORTS_URL = "ALLIANCE_KIT_REPORTS_URL"
DEFAULT_REMINDER_DAYS = 7
#: In a dry run the links carry this instead of a code (no code is issued).
PLACEHOLDER_CODE = "CODE-ISSUED-WHEN-SENT"


# --- what a run did, per recipient -----------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One line of a run's account: who, which message, and what happened."""

    kind: str
    scope: str
    who: str  # a respondent id or a person's name and role
    address: str | None
    outcome: str  # sent, written (dry run), skipped, failed
    detail: str = ""

    def line(self) -> str:
        to = f" <{self.address}>" if self.address else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.outcome:8} {self.kind} {self.scope} {self.who}{to}{detail}"


@dataclass
class Content:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Item:
    """A message to send: its key, its recipient and how to write it. Survey messages
    get their link (with the code issued at sending time) from ``respondent_id``."""

    kind: str
    scope: str
    recipient: str
    who: str
    name: str | None
    address: str | None
    alliance_id: str | None
    write: Callable[[str | None], Content]
    respondent_id: str | None = None
    skip: str | None = None  # why it is not sent, found while gathering


@dataclass
class Run:
    """Everything a notify command needs besides what to send."""

    store: Store
    mailer: Mailer
    sender: Address
    now: dt.datetime = field(default_factory=survey.utcnow)
    retry_interrupted: bool = False
    #: after this long a ``sending`` claim counts as an interrupted run's
    claim_timeout: dt.timedelta = dt.timedelta(minutes=15)
    #: told about each delivery as it happens (the command prints it)
    echo: Callable[[Delivery], None] | None = None


# --- the ledger: claim, mark sent, release ----------------------------------------------


@dataclass(frozen=True)
class _Claim:
    row: dict[str, Any]  # the row as claimed (status sending), with its version
    previous: dict[str, Any] | None  # the row before the claim (None: there was none)


def _key(item: Item) -> dict[str, str]:
    return {"kind": item.kind, "scope": item.scope, "recipient": item.recipient}


def _stored(store: Store, item: Item) -> dict[str, Any] | None:
    found = store.read("notifications", _key(item))
    return None if found.empty else survey.first_row(found)


def _when(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def _claim(run: Run, item: Item, every: dt.timedelta | None) -> _Claim | str:
    """Take the message on, or say why not (already sent, too soon, another run)."""
    from sqlalchemy.exc import IntegrityError

    from alliance_kit.records.store import StaleRecordError

    old = _stored(run.store, item)
    claim = _key(item) | {
        "alliance_id": item.alliance_id,
        "address": item.address,
        "status": "sending",
        "claimed_at": run.now,
    }
    if old is None:
        row = claim | {"sent_at": None, "sent_count": 0, "version": None}
        try:
            run.store.insert("notifications", [row])
        except IntegrityError:
            return "another run is sending it"
        return _Claim(row | {"version": 1}, None)
    if old["status"] == "sending":
        if not (run.retry_interrupted and old["claimed_at"] <= run.now - run.claim_timeout):
            return (
                f"a run that began sending it at {_when(old['claimed_at'])} did not finish "
                "(still running, or interrupted: then it may have gone out); not sent "
                "again. Ask the recipient, then use --retry-interrupted to send it"
            )
    elif every is None:
        return f"already sent {_when(old['sent_at'])}"
    elif old["sent_at"] is not None and old["sent_at"] > run.now - every:
        return (
            f"last sent {_when(old['sent_at'])}; not again before {_when(old['sent_at'] + every)}"
        )
    row = old | claim
    try:
        run.store.upsert("notifications", [row])
    except StaleRecordError:
        return "another run is sending it"
    return _Claim(row | {"version": int(old["version"]) + 1}, old)


def _mark_sent(run: Run, claim: _Claim) -> None:
    row = claim.row | {
        "status": "sent",
        "claimed_at": None,
        "sent_at": run.now,
        "sent_count": int(claim.row["sent_count"] or 0) + 1,
    }
    run.store.upsert("notifications", [row])


def _release(run: Run, claim: _Claim) -> None:
    """Give a claim back: the row as it was (or none), so the message counts as unsent."""
    if claim.previous is None:
        run.store.delete("notifications", _key_of(claim.row))
    else:
        run.store.upsert("notifications", [claim.previous | {"version": claim.row["version"]}])


def _key_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("kind", "scope", "recipient")}


def sent(store: Store, kind: str | None = None, scope: str | None = None) -> pd.DataFrame:
    """What the ledger holds (for status and tests): one row per message key."""
    where = {k: v for k, v in (("kind", kind), ("scope", scope)) if v is not None}
    return store.read("notifications", where)


# --- sending -----------------------------------------------------------------------------


def deliver(
    run: Run,
    items: Iterable[Item],
    *,
    every: dt.timedelta | None = None,
    link: Callable[[str], str] | None = None,
    days: int = survey.DEFAULT_EXPIRY_DAYS,
) -> list[Delivery]:
    """Send each item once (see the module docstring); one refused message does not stop
    the others, an unusable server (MailServerError) stops the run after giving back the
    claim of the message it was sending. ``link(code)`` makes a survey link. Each
    delivery is also handed to ``run.echo`` as it happens."""
    out: list[Delivery] = []
    for item in items:
        done = _deliver_one(run, item, every=every, link=link, days=days)
        out.append(done)
        if run.echo is not None:
            run.echo(done)
    return out


def _deliver_one(run, item: Item, *, every, link, days) -> Delivery:
    def said(outcome: str, detail: str = "") -> Delivery:
        return Delivery(item.kind, item.scope, item.who, item.address, outcome, detail)

    if item.skip:
        return said("skipped", item.skip)
    if fault := address_fault(item.address):
        return said("skipped", fault)
    if run.mailer.dry_run:  # nothing claimed, no code issued: the link shows a placeholder
        content = item.write(link(PLACEHOLDER_CODE) if item.respondent_id and link else None)
        run.mailer.send(_message(run, item, content))
        return said("written")
    claim = _claim(run, item, every)
    if isinstance(claim, str):
        return said("skipped", claim)
    issued: survey.IssuedCode | None = None
    earlier = pd.DataFrame()
    handed_over = False
    try:
        url = None
        if item.respondent_id:
            earlier = survey.live_invitations(
                run.store.read("invitations", {"respondent_id": item.respondent_id})
            )
            issued = survey.invite(run.store, item.respondent_id, now=run.now, days=days)
            url = link(issued.code) if link else issued.link("")
        msg = _message(run, item, item.write(url))
        handed_over = True
        run.mailer.send(msg)
    except RecipientRefused as exc:  # the server said no to this message
        _undo(run, claim, issued, earlier)
        return said("failed", str(exc))
    except MailServerError:  # the server could not take it: stop the run
        _undo(run, claim, issued, earlier)
        raise
    except BaseException:
        # Ctrl-C or a crash while the message was with the server: it may have gone, so
        # the claim (and the code) stay for later runs to name; before that, all undone.
        if not handed_over:
            _undo(run, claim, issued, earlier)
        raise
    _mark_sent(run, claim)
    return said("sent")


def _undo(run: Run, claim: _Claim, issued: survey.IssuedCode | None, earlier: pd.DataFrame):
    """A message that did not go: its code withdrawn, earlier codes working again, the
    claim given back."""
    if issued is not None:
        survey.revoke(run.store, invitation_id=issued.invitation_id, now=run.now)
        if not earlier.empty:
            current = run.store.read("invitations", {"id": earlier["id"].tolist()})
            run.store.upsert("invitations", current.assign(revoked_at=pd.NaT))
    _release(run, claim)


def _message(run: Run, item: Item, content: Content):
    msg = compose(
        run.sender,
        item.name,
        str(item.address).strip(),
        content.subject,
        content.text,
        content.html,
        content.attachments,
    )
    msg["X-Alliance-Kit-Kind"] = item.kind
    return msg


# --- writing messages ----------------------------------------------------------------------

_FOOTER = (
    "This message was sent by alliance-kit for your alliance office. It contains no "
    "tracking: links go straight to the page they name."
)


def _html(paragraphs: Iterable[str], after: str = "") -> str:
    """A simple HTML body from already-escaped paragraphs and an escaped block ``after``
    them (no images, no scripts, no remote content)."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs) + after
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif; line-height: 1.4">\n'
        f'{body}\n<p style="color:#666;font-size:small">{html.escape(_FOOTER)}</p>'
        "</body></html>\n"
    )


def _a(url: str, label: str | None = None) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label or url)}</a>'


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _hello(name: str | None) -> str:
    name = one_line(name)
    return f"Hello {name}," if name else "Hello,"


def _survey_content(
    ctx: survey.RespondentContext,
    name: str | None,
    link: str | None,
    *,
    expires: dt.datetime,
    reminder: bool,
    statements: int,
) -> Content:
    alliance = one_line(ctx.alliance_name)
    partner = one_line(ctx.partner)
    what = f"the {ctx.period} health survey of the alliance {alliance} (partner: {partner})"
    closes = f" The survey closes on {ctx.closes_on:%d %B %Y}." if ctx.closes_on else ""
    if reminder:
        subject = f"Reminder: alliance health survey {alliance}, {ctx.period}"
        first = (
            f"A reminder: your answers to {what} have not been submitted yet. Answers you "
            "already saved are kept."
        )
        replaces = "This link replaces the one in your invitation, which no longer works."
    else:
        subject = f"Alliance health survey {alliance}, {ctx.period}"
        first = (
            f"You are invited to {what}: {statements} statements on how the alliance works, each "
            'answered 1 to 5 or "don\'t know". Your answers are saved as you go; the same '
            "link brings you back."
        )
        replaces = ""
    private = (
        "The link is personal: please do not forward it. Answers are reported only as "
        "averages of several respondents per company."
    )
    valid = f"It works until {expires:%d %B %Y}.{closes}"
    link = link or ""
    text = "\n\n".join(
        p
        for p in (
            _hello(name),
            first,
            f"Your personal link:\n{link}",
            " ".join(x for x in (replaces, valid) if x),
            private,
            "-- \n" + _FOOTER,
        )
        if p
    )
    body = _html(
        [
            _e(_hello(name)),
            _e(first),
            "Your personal link:<br>" + _a(link),
            _e(" ".join(x for x in (replaces, valid) if x)),
            _e(private),
        ]
    )
    return Content(subject, text + "\n", body)


# --- invitations and reminders -------------------------------------------------------------


def _round_open(ctx_round: Mapping[str, Any], today: dt.date) -> str | None:
    closes = ctx_round.get("closes_on")
    if closes is not None and pd.Timestamp(closes).date() < today:
        return f"round {ctx_round['id']} closed on {pd.Timestamp(closes):%Y-%m-%d}"
    return None


def survey_items(
    run: Run, round_id: str, kind: str, *, days: int, every: dt.timedelta | None = None
) -> list[Item]:
    """Invitations (respondents not emailed yet) or reminders (emailed, not submitted,
    last message at least ``every`` ago) of a round, in respondent order."""
    rnd = survey.round_summary(run.store, round_id)
    if closed := _round_open(rnd, run.now.date()):
        raise ValueError(f"{closed}: no {kind}s are sent")
    frames = survey.survey_frames(run.store, round_id)
    n = len(questionnaire.load(rnd["questionnaire_version"]).statements)
    # completed: submitted with a code, or every statement answered (in a workshop)
    status = survey.respondent_status(frames, round_id, n_statements=n)
    status = status.set_index("respondent_id")
    respondents = frames["respondents"].set_index("id")
    invs = frames["invitations"]
    live = survey.live_invitations(invs)
    live = live[live["expires_at"] > run.now]
    ledger = sent(run.store, scope=round_id)
    last = {
        k: ledger[ledger["kind"] == k].set_index("recipient")["sent_at"]
        for k in ("invitation", "reminder")
    }
    items = []
    for rid, r in respondents.iterrows():
        ctx = survey.respondent_context(run.store, rid)
        assert ctx is not None
        name = r["label"]
        skip = None
        if status.loc[rid, "completed"]:
            skip = "has answered"
        elif kind == "invitation":
            if rid not in last["invitation"].index and rid in set(live["respondent_id"]):
                skip = (
                    "holds a code issued with `alliance-kit survey invite`, not by e-mail; "
                    "not sent (revoke it first to send one)"
                )
        else:
            invited = last["invitation"].get(rid)
            if invited is None or pd.isna(invited):
                skip = "no invitation was e-mailed yet (send invitations first)"
            else:
                latest = max(
                    t
                    for t in (invited, last["reminder"].get(rid))
                    if t is not None and not pd.isna(t)
                )
                if every is not None and latest > run.now - every:
                    skip = (
                        f"last e-mailed {_when(latest)}; not again before {_when(latest + every)}"
                    )

        def write(link, ctx=ctx, name=name):
            expires = run.now + dt.timedelta(days=days)  # as survey.invite sets it
            return _survey_content(
                ctx, name, link, expires=expires, reminder=kind == "reminder", statements=n
            )

        items.append(
            Item(
                kind,
                round_id,
                rid,
                rid,
                name,
                r["email"],
                ctx.alliance_id,
                write,
                respondent_id=rid,
                skip=skip,
            )  # fmt: skip
        )
    return items


def check_url(url: str, what: str = "the survey page's URL") -> str:
    """An http(s) URL without spaces or control characters (it goes into every link)."""
    if not str(url).lower().startswith(("https://", "http://")):
        raise ValueError(f"{what} {url!r} is not an http(s) URL")
    if any(c.isspace() or ord(c) < 32 or c in "<>\"'" for c in url):
        raise ValueError(f"{what} {url!r} holds spaces, quotes or control characters")
    return url


def invitations(
    run: Run, round_id: str, base_url: str, *, days: int = survey.DEFAULT_EXPIRY_DAYS
) -> list[Delivery]:
    """E-mail each respondent of a round their personal link, once."""
    check_url(base_url)
    items = survey_items(run, round_id, "invitation", days=days)
    link = lambda code: survey.survey_link(base_url, code, round_id)  # noqa: E731
    return deliver(run, items, link=link, days=days)


def reminders(
    run: Run,
    round_id: str,
    base_url: str,
    *,
    every_days: int = DEFAULT_REMINDER_DAYS,
    days: int = survey.DEFAULT_EXPIRY_DAYS,
):
    """Remind respondents who were invited by e-mail and have not submitted, at most once
    every ``every_days`` (counted from their last invitation or reminder), with a new link."""
    check_url(base_url)
    if every_days < 1:
        raise ValueError("--every must be at least 1 day")
    every = dt.timedelta(days=every_days)
    items = survey_items(run, round_id, "reminder", days=days, every=every)
    link = lambda code: survey.survey_link(base_url, code, round_id)  # noqa: E731
    return deliver(run, items, every=every, link=link, days=days)


# --- people: owners, sponsors, executives ---------------------------------------------------


def _fold(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # owner, our sponsor, partner sponsor
    alliance_id: str
    address: str | None
    problem: str | None = None


def people_of(
    frames: Mapping[str, pd.DataFrame], alliance_id: str, *, partner: bool = False
) -> list[Person]:
    """The owner and sponsors of an alliance, with the address the people register holds
    for each (matched by name within the alliance, on their side). An alliance names its
    owner and sponsors as text; their e-mail addresses live in ``people``. An alliance
    the store no longer holds has nobody."""
    alliances = frames["alliances"].set_index("id")
    if alliance_id not in alliances.index:
        return []
    a = alliances.loc[alliance_id]
    people = frames["people"]
    people = people[people["alliance_id"] == alliance_id]
    roles = [("owner", "owner", "us"), ("our sponsor", "our_sponsor", "us")]
    if partner:
        roles.append(("partner sponsor", "partner_sponsor", "partner"))
    out = []
    for role, column, side in roles:
        name = a[column]
        if name is None or pd.isna(name) or not str(name).strip():
            continue
        match = people[(people["name"].map(_fold) == _fold(name)) & (people["side"] == side)]
        addresses = sorted({str(e).strip() for e in match["email"] if e and not pd.isna(e)})
        problem = None
        if match.empty:
            problem = f"not in the people register of {alliance_id}"
        elif not addresses:
            problem = "no e-mail address in the people register"
        elif len(addresses) > 1:
            problem = f"several people of that name with different addresses ({len(addresses)})"
        address = addresses[0] if len(addresses) == 1 else None
        out.append(Person(str(name), role, alliance_id, address, problem))
    return out


# --- reports --------------------------------------------------------------------------------


def _manifest(reports: Path, period: str) -> dict[str, Any]:
    from alliance_kit.delivery import publish

    folder = reports / period
    manifest = publish.read_manifest(folder)
    if not manifest.get("reports"):
        raise ValueError(
            f"no reports of {period} in {folder}: run `alliance-kit report --period {period}` "
            "first (or give --reports FOLDER)"
        )
    return manifest


def _report_url(base: str, period: str, relative: str) -> str:
    return f"{base.rstrip('/')}/{period}/{relative}"


def report_items(
    run: Run,
    frames: Mapping[str, pd.DataFrame],
    period: str,
    reports: Path,
    *,
    base_url: str | None,
    attach: bool,
    partner_sponsors: bool = False,
) -> list[Item]:
    """Each alliance report to its owner and sponsors, and the portfolio report to our
    executives (the alliances' own sponsors), as links or with the PDF attached."""
    if not base_url and not attach:
        raise ValueError(
            f"say how reports reach people: --reports-url (or ${ENV_REPORTS_URL}) where the "
            "report folder is published, or --attach to attach the PDFs"
        )
    if base_url:
        check_url(base_url, "the reports' URL")
    manifest = _manifest(reports, period)
    entries = manifest["reports"]
    items: list[Item] = []
    for key, entry in sorted(entries.items()):
        if entry.get("kind") != "alliance":
            continue
        people = people_of(frames, key, partner=partner_sponsors)
        seen: set[str] = set()
        for p in people:
            items.append(
                _report_item(
                    run,
                    "report",
                    f"{period} {key}",
                    p,
                    entry,
                    period,
                    reports,
                    base_url,
                    attach,
                    seen,
                )  # fmt: skip
            )
    portfolio = entries.get("portfolio")
    if portfolio is not None:
        seen = set()
        for key, entry in sorted(entries.items()):
            if entry.get("kind") != "alliance":
                continue
            for p in people_of(frames, key):
                if p.role == "our sponsor":
                    items.append(
                        _report_item(
                            run,
                            "portfolio",
                            period,
                            p,
                            portfolio,
                            period,
                            reports,
                            base_url,
                            attach,
                            seen,
                        )  # fmt: skip
                    )
    return [i for i in items if i is not None]


def _report_item(run, kind, scope, p: Person, entry, period, reports, base_url, attach, seen):
    who = f"{p.name} ({p.role} of {p.alliance_id})"
    address = (p.address or "").strip().lower()
    if address and address in seen:
        return None  # the same person in two roles, or sponsor of two alliances
    if address:
        seen.add(address)
    skip = p.problem
    if entry.get("status") != "ok":
        skip = f"the report failed in the last run ({one_line(entry.get('error'))})"
    files = entry.get("files") or {}
    if attach and not files.get("pdf"):
        skip = skip or "no PDF was made: run the report with --format html,pdf"
    if not attach and not files.get("html"):
        skip = skip or "no HTML report was made"

    def write(_link, p=p, entry=entry):
        return _report_content(kind, p, entry, period, reports, base_url, attach)

    return Item(kind, scope, address or who, who, p.name, p.address,
                p.alliance_id if kind == "report" else None, write, skip=skip)  # fmt: skip


def _report_content(kind, p: Person, entry, period, reports: Path, base_url, attach) -> Content:
    files = entry.get("files") or {}
    name = one_line(entry.get("name") or p.alliance_id)
    figures = entry.get("figures") or {}
    if kind == "portfolio":
        subject = f"Alliance portfolio report {period}"
        first = (
            f"The portfolio report of {period} is ready: the alliances that need your "
            "attention come first."
        )
        facts = ""
    else:
        subject = f"Alliance report {period}: {name}"
        first = f"The {period} report of the alliance {name} is ready."
        status = figures.get("status")
        health = figures.get("health_index")
        facts = f"Status: {status}" if status else ""
        if health is not None:
            facts += f", health index {health}"
    attachments: tuple[Attachment, ...] = ()
    lines_text, lines_html = [], []
    if base_url:
        url = _report_url(base_url, period, files.get("html") or "")
        index = _report_url(base_url, period, "index.html")
        lines_text.append(f"Report: {url}\nAll reports of {period}: {index}")
        lines_html.append(f"Report: {_a(url)}<br>All reports of {_e(period)}: {_a(index)}")
    if attach:
        pdf = reports / period / files["pdf"]
        attachments = (Attachment(Path(files["pdf"]).name, pdf.read_bytes()),)
        lines_text.append("The report is attached as a PDF.")
        lines_html.append("The report is attached as a PDF.")
    text = "\n\n".join(
        x for x in (_hello(p.name), first, facts, *lines_text, "-- \n" + _FOOTER) if x
    )
    body = _html([_e(_hello(p.name)), _e(first), *([_e(facts)] if facts else []), *lines_html])
    return Content(subject, text + "\n", body, attachments)


def reports_to_people(
    run: Run,
    period: str,
    reports: Path,
    *,
    base_url: str | None,
    attach: bool = False,
    partner_sponsors: bool = False,
) -> list[Delivery]:
    frames = run.store.read_all(["alliances", "people"])
    items = report_items(run, frames, period, reports, base_url=base_url, attach=attach,
                         partner_sponsors=partner_sponsors)  # fmt: skip
    return deliver(run, items)


# --- alerts ---------------------------------------------------------------------------------


def alert_items(
    run: Run, frames: Mapping[str, pd.DataFrame], period: str, alerts: pd.DataFrame
) -> list[Item]:
    """One digest per owner (by address) of the period's alerts on their alliances."""
    from alliance_kit.assess.alerts import ALERT_LABELS

    names = frames["alliances"].set_index("id")["name"]
    by_owner: dict[str, list[Person]] = {}
    items: list[Item] = []
    for alliance_id in sorted(set(alerts["alliance_id"])):
        if alliance_id not in names.index:
            continue
        owner = next((p for p in people_of(frames, alliance_id) if p.role == "owner"), None)
        if owner is None:
            continue
        if owner.address is None:
            who = f"{owner.name} (owner of {alliance_id})"
            items.append(_unsendable("alerts", period, who, owner))
            continue
        by_owner.setdefault(owner.address.lower(), []).append(owner)
    for address, owned in sorted(by_owner.items()):
        mine = alerts[alerts["alliance_id"].isin([o.alliance_id for o in owned])]
        rows = [
            (
                one_line(names.get(a, a)),
                a,
                ALERT_LABELS.get(k, str(k)),
                one_line(str(m)),
            )
            for a, k, m in zip(mine["alliance_id"], mine["kind"], mine["message"], strict=True)
        ]
        owner = owned[0]

        def write(_link, owner=owner, rows=rows):
            return _alerts_content(owner, period, rows)

        items.append(Item("alerts", period, address, f"{owner.name} (owner)", owner.name,
                          owner.address, None, write))  # fmt: skip
    return items


def _unsendable(kind: str, scope: str, who: str, p: Person) -> Item:
    """An item that is only reported (a person without a usable address)."""
    return Item(kind, scope, who, who, p.name, None, p.alliance_id, _nothing, skip=p.problem)


def _nothing(_link: str | None) -> Content:
    return Content("", "", "")


def _alerts_content(owner: Person, period: str, rows: list[tuple[str, str, str, str]]) -> Content:
    n = len(rows)
    subject = f"Alliance alerts {period}: {n} on your alliances"
    first = f"The early-warning alerts of {period} on the alliances you manage ({n}):"
    text_rows = "\n".join(f"- {name} ({aid}): {label}: {msg}" for name, aid, label, msg in rows)
    html_rows = "".join(
        f"<tr><td>{_e(name)} ({_e(aid)})</td><td>{_e(label)}</td><td>{_e(msg)}</td></tr>"
        for name, aid, label, msg in rows
    )
    table = (
        '<table cellpadding="4" style="border-collapse:collapse">'
        "<tr><th align=left>Alliance</th><th align=left>Alert</th><th align=left>What</th></tr>"
        f"{html_rows}</table>"
    )
    text = "\n\n".join([_hello(owner.name), first, text_rows, "-- \n" + _FOOTER]) + "\n"
    return Content(subject, text, _html([_e(_hello(owner.name)), _e(first)], table))


def alerts_to_owners(run: Run, period: str, *, as_of: dt.date | None = None) -> list[Delivery]:
    from alliance_kit.assess import health
    from alliance_kit.assess.scoring import ScoringConfig

    frames = run.store.read_all()
    scores = health.score_portfolio(frames, period, ScoringConfig(as_of=as_of or run.now.date()))
    return deliver(run, alert_items(run, frames, period, scores.alerts))
