"""The survey page as a light web form: server-rendered HTML, no kernel per respondent.

One small Tornado application (``alliance-kit survey serve`` runs it as
``python -m alliance_kit.delivery.survey_web``) serves the questionnaire of
``templates/questionnaire.yaml`` as plain HTML forms, one page per crack, rendered with
Jinja2 (autoescape: whatever a respondent typed is shown as text). The domain rules are
those of :mod:`alliance_kit.assess.survey`: codes are checked with :func:`survey.verify` on
every request (a code revoked, expired or submitted meanwhile stops at once), answers are
saved with :func:`survey.save_answer` (one transaction each: a page saved is kept), a
submitted code is refused afterwards.

What a public form needs:

- The code leaves the URL at once: the link ``BASE?code=CODE&round=ROUND`` is answered
  with a redirect that sets a signed, HttpOnly, SameSite=Lax session cookie holding it
  (valid ``SESSION_MINUTES``; its key is random per server process, so a restart asks
  respondents to open their link again; their answers are kept). Access-log lines have
  the code redacted (:func:`web_guard.log_request`); codes typed in the form travel in a
  POST body, which is never logged.
- CSRF: every POST carries Tornado's ``_xsrf`` token (403 without it).
- Wrong codes are counted in this server process's memory (a restart forgets them) per
  client address (``ALLIANCE_KIT_LOCKOUT_FAILURES``, 10) and per round named in the link
  (``ALLIANCE_KIT_SURVEY_ROUND_FAILURES``, 50) within ``ALLIANCE_KIT_LOCKOUT_WINDOW``
  (600 s); past that the address (or the round's code entry) is refused with HTTP 429 for
  ``ALLIANCE_KIT_LOCKOUT_SECONDS`` (900 s). A respondent already in their session is not
  locked out by a round lockout. Behind a reverse proxy every client has the proxy's
  address: run it with ``--xheaders`` only behind a proxy that sets ``X-Real-Ip``.
- Comments longer than :data:`survey.COMMENT_MAX` are refused with a message (and the
  request body is capped at ``MAX_BODY`` bytes).
- Every response sends :data:`SECURITY_HEADERS`: a Content-Security-Policy allowing no
  script at all (the form needs none) and no framing, nosniff, no referrer, no caching.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
import tornado.web

from alliance_kit import config
from alliance_kit.assess import survey
from alliance_kit.delivery import web_guard
from alliance_kit.delivery.web_guard import AttemptCounter

if TYPE_CHECKING:
    from alliance_kit.delivery.serve import VoilaCommand
    from alliance_kit.records.questionnaire import Questionnaire
    from alliance_kit.records.store import Store

TEMPLATES = config.project_root() / "templates" / "survey"
STATIC = TEMPLATES / "static"
SESSION_COOKIE = "ak_survey"
SESSION_MINUTES = 120
MAX_BODY = 256 * 1024
DONT_KNOW = "dk"
ENV_ROUND_FAILURES = "ALLIANCE_KIT_SURVEY_ROUND_FAILURES"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
SIDE_NAMES = {"us": "our company", "partner": "the partner"}
NO_SESSION = (
    "Your session has ended (or this browser has none). Open the link from your "
    "invitation again, or enter your code below: your saved answers are kept."
)
NO_ROUND = "(codes entered without a round)"
LOCKED = "Too many wrong codes were tried; try again later or ask the alliance manager."


@dataclass
class Guard:
    """Wrong-code counters of one server process: per client address and per round."""

    per_address: AttemptCounter = field(default_factory=AttemptCounter)
    per_round: AttemptCounter = field(default_factory=lambda: AttemptCounter(limit=50))

    @classmethod
    def from_env(cls) -> Guard:
        return cls(AttemptCounter.from_env(), AttemptCounter.from_env(ENV_ROUND_FAILURES, 50))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def make_app(
    store: Store,
    *,
    guard: Guard | None = None,
    clock: Any = survey.utcnow,
    cookie_secret: str | None = None,
) -> tornado.web.Application:
    """The survey application on ``store`` (clock: naive UTC now, for tests)."""
    from alliance_kit.records import questionnaire

    ctx = {
        "store": store,
        "guard": guard or Guard.from_env(),
        "clock": clock,
        "jinja": _env(),
        "load": questionnaire.load,
    }
    return tornado.web.Application(
        [
            (r"/", StartHandler, ctx),
            (r"/section/([0-9]{1,2})", SectionHandler, ctx),
            (r"/review", ReviewHandler, ctx),
            (r"/submit", SubmitHandler, ctx),
            (r"/static/(survey\.css)", StaticHandler, {"path": str(STATIC)}),
            (r"/favicon\.ico", NoIconHandler, ctx),
        ],
        cookie_secret=cookie_secret or secrets.token_urlsafe(32),
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Strict"},
        log_function=web_guard.log_request,
        default_handler_class=NotFoundHandler,
        default_handler_args=ctx,
        compress_response=False,
    )


# --- handlers ----------------------------------------------------------------------------


class StaticHandler(tornado.web.StaticFileHandler):
    """The stylesheet, with the same security headers as the pages."""

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.set_header("Cache-Control", "public, max-age=3600")


class PageHandler(tornado.web.RequestHandler):
    """Shared rendering, headers, session and code checks of the survey pages."""

    def initialize(self, store: Store, guard: Guard, clock: Any, jinja: Any, load: Any) -> None:
        self.store = store
        self.guard = guard
        self.clock = clock
        self.jinja = jinja
        self.load = load

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def page(self, template: str, status: int = 200, **values: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        html = self.jinja.get_template(template).render(
            xsrf=self.xsrf_form_html(),
            css="/static/survey.css",
            comment_max=survey.COMMENT_MAX,
            **values,
        )
        self.finish(html)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as a short page: never a traceback, never the request's values."""
        if status_code == 403:
            text = (
                "This form was not sent from the survey page (or it was open too long). "
                "Open the survey page again and repeat your last step."
            )
        elif status_code == 404:
            text = "There is no such page. Open the link from your invitation."
        elif status_code == 413:
            text = "What you sent is too large."
        elif status_code < 500:
            text = "The request could not be understood. Open the survey page again."
        else:
            text = (
                "Something went wrong on our side; your saved answers are kept. "
                "Please try again later or contact your alliance manager."
            )
        self.page("message.html.j2", status_code, kind="refusal", title="Sorry", text=text)

    # --- the session ----------------------------------------------------------------

    def session_code(self) -> str | None:
        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_MINUTES / 1440)
        return raw.decode("utf-8") if raw else None

    def start_session(self, code: str) -> None:
        self.set_signed_cookie(
            SESSION_COOKIE,
            code,
            expires_days=SESSION_MINUTES / 1440,
            httponly=True,
            samesite="Lax",
            path="/",
            secure=self.request.protocol == "https",
        )

    def end_session(self) -> None:
        self.clear_cookie(SESSION_COOKIE, path="/")

    def respondent(self) -> tuple[str, survey.RespondentContext] | None:
        """The code of this session and whom it belongs to; or None after rendering why
        not (no session, or the code refused meanwhile)."""
        code = self.session_code()
        if code is None:
            self.page("code.html.j2", 401, message=NO_SESSION, round_id=None)
            return None
        ctx = survey.verify(self.store, code, self.clock())
        if isinstance(ctx, survey.Refusal):
            self.end_session()
            self.refusal(ctx)
            return None
        return code, ctx

    def refusal(self, refusal: survey.Refusal, round_id: str | None = None) -> None:
        status = 409 if refusal.reason == "submitted" else 403
        self.page(
            "code.html.j2" if refusal.reason == "invalid" else "message.html.j2",
            status,
            kind=f"refusal ak-refused-{refusal.reason}",
            title="We cannot open a questionnaire with this code.",
            text=refusal.message,
            message=None,
            refused=refusal,
            round_id=round_id,
        )

    def questionnaire(self, ctx: survey.RespondentContext) -> Questionnaire:
        return self.load(ctx.questionnaire_version)

    def locked(self) -> None:
        self.page(
            "message.html.j2", 429, kind="refusal ak-locked", title="Please wait", text=LOCKED
        )


class NoIconHandler(PageHandler):
    """Browsers ask for /favicon.ico: answer "no content" rather than a 404 page."""

    def get(self) -> None:
        self.set_status(204)
        self.finish()


class NotFoundHandler(PageHandler):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class StartHandler(PageHandler):
    """``/``: the link with a code (then the questionnaire), a typed code, or a session."""

    def get(self) -> None:
        code = self.get_query_argument("code", None)
        if code is not None:
            self.open(code, self.get_query_argument("round", None))
        elif (session := self.session_code()) is not None:
            self.open(session, None, counted=False)
        else:
            self.page("code.html.j2", message=None, round_id=None)

    def post(self) -> None:
        self.open(self.get_body_argument("code", ""), self.get_body_argument("round", None))

    def open(self, code: str, round_id: str | None, *, counted: bool = True) -> None:
        """Check a code; valid: start the session and go to the first page left to answer.
        A wrong code counts against the address and the round the link names (codes
        entered without a round share one counter, so a round cannot be attacked around
        its own counter). ``counted=False``: the code of a running session, not locked."""
        address = self.request.remote_ip or "?"
        round_id = (round_id or "").strip()[:40] or None
        round_key = round_id or NO_ROUND
        guard = self.guard
        if counted and (guard.per_address.locked(address) or guard.per_round.locked(round_key)):
            self.locked()
            return
        ctx = survey.verify(self.store, code, self.clock())
        if isinstance(ctx, survey.RespondentContext) and round_id and ctx.round_id != round_id:
            ctx = survey.Refusal("invalid")  # a code is bound to its own round
        if isinstance(ctx, survey.Refusal):
            self.end_session()
            if counted:
                guard.per_address.prune()
                guard.per_round.prune()
                by_address = guard.per_address.add(address)
                by_round = guard.per_round.add(round_key)
                if by_address or by_round:
                    logging.getLogger(__name__).warning(
                        "wrong survey codes: locked out %s", address if by_address else round_key
                    )
                    self.locked()
                    return
            self.refusal(ctx, round_id)
            return
        self.start_session(code.strip())
        q = self.questionnaire(ctx)
        answered = {
            r["statement_id"] for r in survey.own_answer_rows(self.store, ctx.respondent_id)
        }
        for number, crack in enumerate(sections(q), start=1):
            if any(s.id not in answered for s in q.by_crack(crack)):
                self.redirect(f"/section/{number}", status=303)
                return
        self.redirect("/review", status=303)


class SectionHandler(PageHandler):
    """One crack's statements: shown with the respondent's own answers, saved on POST."""

    def get(self, number: str) -> None:
        found = self.respondent()
        if found is None:
            return
        _, ctx = found
        q = self.questionnaire(ctx)
        crack = self.crack(q, number)
        answers = own(self.store, ctx.respondent_id)
        self.show(
            ctx, q, int(number), crack, answers, {}, saved=bool(self.get_argument("saved", ""))
        )

    def post(self, number: str) -> None:
        found = self.respondent()
        if found is None:
            return
        _, ctx = found
        q = self.questionnaire(ctx)
        crack = self.crack(q, number)
        ids = frozenset(s.id for s in q.statements)
        typed: dict[str, dict[str, Any]] = {}
        errors: dict[str, str] = {}
        given: list[tuple[str, int | None, str | None]] = []
        for st in q.by_crack(crack):
            raw_score = self.get_body_argument(f"score_{st.id}", "").strip()
            comment = self.get_body_argument(f"comment_{st.id}", "")
            typed[st.id] = {"choice": raw_score or None, "comment": comment}
            if not raw_score:
                if comment.strip():
                    errors[st.id] = (
                        "Not saved: pick an answer (1-5 or don't know) and your comment is "
                        "saved with it."
                    )
                continue
            try:
                given.append((st.id, parse_score(raw_score), comment))
            except survey.AnswerRefused as exc:
                errors[st.id] = f"Not saved: {exc}"
        # the page's valid answers in one transaction; refused ones are named
        refused = survey.save_answers(
            self.store, ctx.respondent_id, given, statement_ids=ids, now=self.clock()
        )
        errors |= {sid: f"Not saved: {text}" for sid, text in refused.items()}
        if errors:
            answers = own(self.store, ctx.respondent_id)
            self.show(ctx, q, int(number), crack, answers, typed, errors=errors, status=400)
            return
        n = len(sections(q))
        go = self.get_body_argument("go", "next")
        if go == "back" and int(number) > 1:
            self.redirect(f"/section/{int(number) - 1}", status=303)
        elif go == "save":
            self.redirect(f"/section/{int(number)}?saved=1", status=303)
        elif go == "review" or int(number) >= n:
            self.redirect("/review", status=303)
        else:
            self.redirect(f"/section/{int(number) + 1}", status=303)

    def crack(self, q: Questionnaire, number: str) -> int:
        cracks = sections(q)
        if not 1 <= int(number) <= len(cracks):
            raise tornado.web.HTTPError(404)
        return cracks[int(number) - 1]

    def show(
        self,
        ctx: survey.RespondentContext,
        q: Questionnaire,
        number: int,
        crack: int,
        answers: dict[str, dict[str, Any]],
        typed: dict[str, dict[str, Any]],
        *,
        errors: dict[str, str] | None = None,
        saved: bool = False,
        status: int = 200,
    ) -> None:
        items = []
        for st in q.by_crack(crack):
            shown = typed.get(st.id) or answers.get(st.id) or {"choice": None, "comment": ""}
            items.append(
                {
                    "statement": st,
                    "choice": shown["choice"],
                    "comment": shown["comment"] or "",
                    "error": (errors or {}).get(st.id),
                }
            )
        c = q.cracks.get(crack)
        self.page(
            "section.html.j2",
            status,
            head=heading(ctx),
            number=number,
            sections=section_links(q, answers),
            crack_name=c.name if c else f"Crack {crack}",
            crack_question=c.question if c else "",
            items=items,
            scores=survey.SCORES,
            saved=saved,
            errors=bool(errors),
            last=number >= len(sections(q)),
            progress=(len(answers), len(q.statements)),
        )


class ReviewHandler(PageHandler):
    """Every answer of this respondent (their own only) and the Submit button."""

    def get(self) -> None:
        found = self.respondent()
        if found is None:
            return
        _, ctx = found
        self.show(ctx)

    def show(
        self, ctx: survey.RespondentContext, error: str | None = None, status: int = 200
    ) -> None:
        q = self.questionnaire(ctx)
        answers = own(self.store, ctx.respondent_id)
        groups = []
        for number, crack in enumerate(sections(q), start=1):
            c = q.cracks.get(crack)
            rows = [{"statement": st, "answer": answers.get(st.id)} for st in q.by_crack(crack)]
            groups.append(
                {"number": number, "name": c.name if c else f"Crack {crack}", "rows": rows}
            )
        self.page(
            "review.html.j2",
            status,
            head=heading(ctx),
            groups=groups,
            sections=section_links(q, answers),
            missing=len(q.statements) - len(answers),
            progress=(len(answers), len(q.statements)),
            error=error,
        )


class SubmitHandler(ReviewHandler):
    """Submit once: the code is spent; a second submission is refused with the reason."""

    def get(self) -> None:  # type: ignore[override]
        self.redirect("/review", status=303)

    def post(self) -> None:
        found = self.respondent()
        if found is None:
            return
        code, ctx = found
        q = self.questionnaire(ctx)
        answers = own(self.store, ctx.respondent_id)
        if not answers:
            self.show(ctx, "Answer at least one statement before submitting.", status=400)
            return
        try:
            survey.submit(self.store, code, self.clock())
        except ValueError as exc:
            self.end_session()
            self.page("message.html.j2", 409, kind="refusal", title="Not submitted", text=str(exc))
            return
        self.end_session()
        missing = len(q.statements) - len(answers)
        self.page(
            "message.html.j2",
            kind="thanks",
            title="Thank you: your answers are submitted.",
            text="They will be combined with the other respondents' answers for the alliance "
            "health review."
            + (f" You left {missing} statement(s) unanswered." if missing else "")
            + " You can close this page.",
        )


# --- small pure helpers ------------------------------------------------------------------


def sections(q: Questionnaire) -> list[int]:
    """The cracks of a questionnaire in order: one form page each."""
    return sorted({s.crack for s in q.statements})


def parse_score(raw: str) -> int | None:
    """A posted choice: 1-5, or None for don't know; AnswerRefused for anything else."""
    if raw == DONT_KNOW:
        return None
    if raw in {str(n) for n in survey.SCORES}:
        return int(raw)
    raise survey.AnswerRefused(f'the score must be 1 to 5 or "don\'t know", not {raw[:20]!r}')


def own(store: Store, respondent_id: str) -> dict[str, dict[str, Any]]:
    """This respondent's answers by statement: choice ("1".."5" or "dk") and comment."""
    out = {}
    for row in survey.own_answer_rows(store, respondent_id):
        score, comment = row["score"], row["comment"]
        out[row["statement_id"]] = {
            "choice": DONT_KNOW if score is None else str(int(score)),
            "comment": "" if comment is None else str(comment),
        }
    return out


def section_links(q: Questionnaire, answers: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for number, crack in enumerate(sections(q), start=1):
        ids = [s.id for s in q.by_crack(crack)]
        c = q.cracks.get(crack)
        out.append(
            {
                "number": number,
                "name": c.short if c else f"Crack {crack}",
                "done": sum(i in answers for i in ids),
                "total": len(ids),
            }
        )
    return out


def heading(ctx: survey.RespondentContext) -> dict[str, Any]:
    """What the page header says about the respondent (plain values; escaped on render)."""
    expires = ctx.expires_at
    return {
        "alliance": ctx.alliance_name,
        "partner": ctx.partner,
        "side": ctx.side,
        "role": ctx.role,
        "period": ctx.period,
        "until": f"{expires:%d %b %Y}" if isinstance(expires, dt.datetime) else None,
    }


# --- the server process --------------------------------------------------------------------


def server_command(
    port: int, db: str | None = None, ip: str = "127.0.0.1", *, xheaders: bool = False
) -> VoilaCommand:
    """The command running this app on ``port`` (for
    :func:`alliance_kit.delivery.serve.run_servers`,
    like a Voila server): the store in the environment, no dashboard token passed on."""
    from alliance_kit.delivery.serve import ENV_DASHBOARD_TOKEN, ENV_TOKEN, VoilaCommand

    argv = [
        sys.executable,
        "-m",
        "alliance_kit.delivery.survey_web",
        f"--port={int(port)}",
        f"--ip={ip}",
    ]
    if xheaders:
        argv.append("--xheaders")
    env = dict(os.environ)
    env[config.ENV_DB] = config.db_url(db)
    for secret in (ENV_TOKEN, ENV_DASHBOARD_TOKEN):
        env.pop(secret, None)
    return VoilaCommand(argv, env, f"http://{ip}:{int(port)}/")


def main(argv: list[str] | None = None) -> None:
    """Run the survey app until stopped (SIGTERM or SIGINT end it quietly)."""
    import asyncio
    import signal

    from alliance_kit.records.history import Actor
    from alliance_kit.records.opening import open_store

    parser = argparse.ArgumentParser(prog="python -m alliance_kit.delivery.survey_web")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument(
        "--xheaders",
        action="store_true",
        help="Trust X-Real-Ip/X-Forwarded-For (only behind a proxy).",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[survey %(asctime)s] %(message)s")
    for name in ("tornado.access", __name__):
        logging.getLogger(name).setLevel(logging.INFO)
    web_guard.install_log_redaction()
    store = open_store(os.environ.get(config.ENV_DB))
    # Answers are recorded under no one's name: respondents are anonymous.
    store.actor = Actor("survey respondent", "survey page")
    app = make_app(store)

    async def run() -> None:
        app.listen(args.port, args.ip, xheaders=args.xheaders, max_body_size=MAX_BODY)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(run())
    store.engine.dispose()


if __name__ == "__main__":
    main()
