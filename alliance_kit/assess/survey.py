"""Assessment rounds, respondents, personal invitation codes and answers.

A round surveys both partners of one alliance for one period with one questionnaire
version. Each respondent answers once per round, either in the assessment workbook (an
analyst or a facilitated workshop) or on the survey page with a personal invitation code.

Invitation codes
    ``secrets.token_urlsafe(32)``: 256 bits of randomness, handed to the caller once (to
    send) and stored only as its SHA-256 hex digest. A pepper or a slow hash (bcrypt,
    scrypt) protects *low-entropy* secrets such as passwords against guessing after a
    database leak; a 256-bit random code cannot be guessed either way, and an unsalted,
    deterministic digest lets the store find the invitation by an indexed, unique lookup
    (no scan comparing against every row). A pepper would also add a secret to manage
    and would break every issued code if it were lost or the store moved. So: plain
    SHA-256 of a high-entropy code.

    A code is bound to one respondent (hence one alliance and round), expires (30 days
    by default) and can be revoked. Inviting a respondent again revokes their earlier
    codes, so at most one code per respondent works at a time.

Submitted codes
    Submitting ends the respondent's use of the code: a submitted code is refused
    (``submitted``) so that a forwarded or leaked link cannot change answers afterwards
    and "completed" stays stable in the response figures. A respondent who needs to
    correct something asks the facilitator, who calls :func:`reopen` (only while the
    round is open); the same code then works again until it is submitted anew.

Answers
    :func:`save_answer` writes one answer as its own transaction (an upsert), so a crash
    loses at most the answer being given. No row means "not answered"; a row with no
    score means "don't know".

Nothing here writes SQL: every write goes through :class:`alliance_kit.records.store.Store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from alliance_kit.records.model import (
    FORBIDDEN_TEXT,
    ORG_LEVELS,
    PERIOD_PATTERN,
    SIDES,
    text_fault,
    unix_lines,
    visible,
)

if TYPE_CHECKING:
    from alliance_kit.records.store import Store

DEFAULT_EXPIRY_DAYS = 30
COMMENT_MAX = 2000
CODE_BYTES = 32
SCORES = (1, 2, 3, 4, 5)

REFUSAL_MESSAGES = {
    "invalid": "This invitation code is not valid. Check the link in your invitation, "
    "or ask the alliance manager for a new one.",
    "expired": "This invitation code has expired. Ask the alliance manager for a new one.",
    "revoked": "This invitation code has been withdrawn. Ask the alliance manager for a "
    "new one if you still need to answer.",
    "submitted": "This questionnaire has already been submitted. Thank you! If you need "
    "to change an answer, ask the alliance manager to reopen it.",
    "closed": "This assessment round is closed; answers are no longer collected.",
}


class AnswerRefused(ValueError):
    """An answer that cannot be saved (unknown statement, bad score, comment too long)."""


# --- values handed to callers --------------------------------------------------------


@dataclass(frozen=True)
class RespondentContext:
    """Who a valid code belongs to: enough to show their questionnaire and nothing more."""

    respondent_id: str
    round_id: str
    alliance_id: str
    alliance_name: str
    partner: str
    period: str
    side: str
    role: str | None
    questionnaire_version: str
    invitation_id: str | None
    expires_at: dt.datetime | None
    closes_on: dt.date | None


@dataclass(frozen=True)
class Refusal:
    """Why a code was refused: invalid, expired, revoked, submitted or closed."""

    reason: str

    @property
    def message(self) -> str:
        return REFUSAL_MESSAGES[self.reason]


@dataclass(frozen=True)
class IssuedCode:
    """A freshly generated code: the only time the plain code exists outside the sender."""

    invitation_id: str
    respondent_id: str
    code: str
    expires_at: dt.datetime
    round_id: str | None = None

    def link(self, base_url: str) -> str:
        """The survey page link carrying this code (base_url as served by `survey serve`)."""
        return survey_link(base_url, self.code, self.round_id)


def survey_link(base_url: str, code: str, round_id: str | None = None) -> str:
    """The one place a respondent's link is built: ``BASE?code=CODE&round=ROUND``. The
    round lets the survey page count wrong codes per round; a link without it works too."""
    from urllib.parse import quote

    sep = "&" if "?" in base_url else "?"
    tail = f"&round={quote(round_id, safe='')}" if round_id else ""
    return f"{base_url}{sep}code={code}{tail}"


def utcnow() -> dt.datetime:
    """Naive UTC, as the store keeps datetimes."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


# --- rounds and respondents ----------------------------------------------------------


def first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The frame's first row as a dict, missing values as None (None for no row)."""
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    return {k: (None if v is pd.NA or v is pd.NaT or v is None else v) for k, v in row.items()}


def find_round(store: Store, alliance_id: str, period: str) -> dict[str, Any] | None:
    rounds = store.read("assessment_rounds", {"alliance_id": alliance_id, "period": period})
    return first_row(rounds.sort_values("opened_on", ascending=False))


def open_round(
    store: Store,
    alliance_id: str,
    period: str,
    *,
    questionnaire_version: str | None = None,
    opened_on: dt.date | None = None,
    closes_on: dt.date | None = None,
) -> dict[str, Any]:
    """The round of ``alliance_id`` for ``period``, created if there is none yet.

    The questionnaire version defaults to the newest; an existing round keeps its own.
    """
    import re

    if not re.match(PERIOD_PATTERN, period):
        raise ValueError(f"period {period!r} is not a quarter like 2026-Q3")
    if store.read("alliances", {"id": alliance_id}).empty:
        raise ValueError(f"no alliance with id {alliance_id!r}")
    existing = find_round(store, alliance_id, period)
    if existing is not None:
        return existing
    if questionnaire_version is None:
        from alliance_kit.records import questionnaire

        questionnaire_version = questionnaire.load().version
    opened_on = opened_on or utcnow().date()
    if closes_on is not None and closes_on < opened_on:
        raise ValueError(f"the round cannot close ({closes_on}) before it opens ({opened_on})")
    row = {
        "id": store.next_id("assessment_rounds", "RND-"),
        "alliance_id": alliance_id,
        "period": period,
        "questionnaire_version": questionnaire_version,
        "opened_on": opened_on,
        "closes_on": closes_on,
    }
    store.insert("assessment_rounds", [row])
    return row


def workshop_round(
    store: Store,
    alliance: str | None = None,
    period: str | None = None,
    *,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The round a workbook works on: ``alliance`` (None: the first alliance in the store)
    for ``period``, opened if needed. Without a period: the alliance's latest round, or a
    new one for the last closed quarter before ``today`` when it has none."""
    from alliance_kit.records import periods

    if alliance is None:
        ids = store.read("alliances")["id"].tolist()
        if not ids:
            raise ValueError("the store holds no alliance yet; add one first")
        alliance = ids[0]
    if period is None:
        rounds = store.read("assessment_rounds", {"alliance_id": alliance})
        if not rounds.empty:
            return first_row(rounds.sort_values(["period", "opened_on"], ascending=False))
        period = periods.last_closed(today)
    return open_round(store, alliance, period, opened_on=today)


def round_summary(store: Store, round_id: str) -> dict[str, Any]:
    """A round with its alliance's name and partner (for headings)."""
    rnd = _require_round(store, round_id)
    alliance = first_row(store.read("alliances", {"id": rnd["alliance_id"]})) or {}
    return rnd | {"alliance_name": alliance.get("name"), "partner": alliance.get("partner")}


def close_round(store: Store, round_id: str, on: dt.date) -> None:
    """Set the date after which the round's codes are refused (``closed``)."""
    rnd = _require_round(store, round_id)
    rnd["closes_on"] = on
    store.upsert("assessment_rounds", [rnd])


def _require_round(store: Store, round_id: str) -> dict[str, Any]:
    rnd = first_row(store.read("assessment_rounds", {"id": round_id}))
    if rnd is None:
        raise ValueError(f"no assessment round with id {round_id!r}")
    return rnd


def add_respondent(
    store: Store,
    round_id: str,
    side: str,
    *,
    role: str | None = None,
    org_level: str | None = None,
    label: str | None = None,
    email: str | None = None,
) -> str:
    """Add a respondent to a round; returns the new respondent id. ``email`` is where
    ``alliance-kit notify`` sends their invitation."""
    _require_round(store, round_id)
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
    if org_level is not None and org_level not in ORG_LEVELS:
        raise ValueError(f"org level must be one of {', '.join(ORG_LEVELS)}, not {org_level!r}")
    for name, value in (("role", role), ("label", label)):
        if fault := text_fault(value):
            raise ValueError(f"the {name} '{visible(value)}' cannot be stored: expected {fault}")
    if email:
        from alliance_kit.records.model import address_fault

        if fault := address_fault(email):
            raise ValueError(f"the e-mail address cannot be stored: {fault}")
    rid = store.next_id("respondents", "RSP-")
    store.insert(
        "respondents",
        [
            {
                "id": rid,
                "round_id": round_id,
                "side": side,
                "role": role or None,
                "org_level": org_level or None,
                "label": label or None,
                "email": email.strip() if email else None,
            }
        ],
    )
    return rid


# --- invitations ---------------------------------------------------------------------


def invite(
    store: Store,
    respondent_id: str,
    *,
    now: dt.datetime | None = None,
    days: int = DEFAULT_EXPIRY_DAYS,
) -> IssuedCode:
    """Generate a personal code for a respondent; earlier live codes of theirs are revoked.

    The plain code is in the returned value only: send it, do not keep it.
    """
    respondent = store.read("respondents", {"id": respondent_id})
    if respondent.empty:
        raise ValueError(f"no respondent with id {respondent_id!r}")
    if days < 1:
        raise ValueError("an invitation must be valid for at least one day")
    now = now or utcnow()
    code = secrets.token_urlsafe(CODE_BYTES)
    row = {
        "id": store.next_id("invitations", "INV-"),
        "respondent_id": respondent_id,
        "code_hash": hash_code(code),
        "expires_at": now + dt.timedelta(days=days),
        "revoked_at": None,
        "submitted_at": None,
    }
    earlier = live_invitations(store.read("invitations", {"respondent_id": respondent_id}))
    with store.transaction() as conn:
        if not earlier.empty:
            store.upsert("invitations", earlier.assign(revoked_at=now), conn=conn)
        store.insert("invitations", [row], conn=conn)
    round_id = str(respondent["round_id"].iloc[0])
    return IssuedCode(row["id"], respondent_id, code, row["expires_at"], round_id)


def live_invitations(invitations: pd.DataFrame) -> pd.DataFrame:
    """The invitations neither revoked nor used to submit."""
    return invitations[invitations["revoked_at"].isna() & invitations["submitted_at"].isna()]


def revoke(
    store: Store,
    *,
    invitation_id: str | None = None,
    respondent_id: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Revoke one invitation, or every unrevoked one of a respondent; returns how many."""
    if (invitation_id is None) == (respondent_id is None):
        raise ValueError("give an invitation id or a respondent id")
    where = {"id": invitation_id} if invitation_id else {"respondent_id": respondent_id}
    found = store.read("invitations", where)
    if found.empty:
        raise ValueError(f"no invitation for {invitation_id or respondent_id!r}")
    todo = found[found["revoked_at"].isna()]
    if not todo.empty:
        store.upsert("invitations", todo.assign(revoked_at=now or utcnow()))
    return len(todo)


def verify(
    store: Store, code: str | None, now: dt.datetime | None = None
) -> RespondentContext | Refusal:
    """The respondent a code belongs to, or why it is refused.

    Order of checks: unknown code (invalid), revoked, expired, round closed, submitted.
    """
    now = now or utcnow()
    code = (code or "").strip()
    if not code or len(code) > 200:
        return Refusal("invalid")
    found = store.rows("invitations", {"code_hash": hash_code(code)})
    inv = found[0] if found else None
    if inv is None:
        return Refusal("invalid")
    if inv["revoked_at"] is not None:
        return Refusal("revoked")
    if inv["expires_at"] <= now:
        return Refusal("expired")
    ctx = respondent_context(store, inv["respondent_id"], invitation=inv)
    if ctx is None:
        return Refusal("invalid")
    if ctx.closes_on is not None and now.date() > ctx.closes_on:
        return Refusal("closed")
    if inv["submitted_at"] is not None:
        return Refusal("submitted")
    return ctx


def respondent_context(
    store: Store, respondent_id: str, *, invitation: Mapping[str, Any] | None = None
) -> RespondentContext | None:
    """A respondent with their round and alliance (for the workbook and the survey page).
    Plain row lookups (Store.rows): the survey page calls this on every request."""

    def first(table: str, key: Any) -> dict[str, Any] | None:
        found = store.rows(table, {"id": key})
        return found[0] if found else None

    resp = first("respondents", respondent_id)
    if resp is None:
        return None
    rnd = first("assessment_rounds", resp["round_id"])
    alliance = first("alliances", rnd["alliance_id"]) if rnd else None
    if rnd is None or alliance is None:
        return None
    closes = rnd["closes_on"]
    return RespondentContext(
        respondent_id=respondent_id,
        round_id=rnd["id"],
        alliance_id=alliance["id"],
        alliance_name=alliance["name"],
        partner=alliance["partner"],
        period=rnd["period"],
        side=resp["side"],
        role=resp["role"],
        questionnaire_version=rnd["questionnaire_version"],
        invitation_id=invitation["id"] if invitation else None,
        expires_at=_pydt(invitation["expires_at"]) if invitation else None,
        closes_on=_pydate(closes),
    )


def _pydt(value: Any) -> dt.datetime:
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def _pydate(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT:
        return None
    value = _pydt(value)
    return value.date() if isinstance(value, dt.datetime) else value


def submit(store: Store, code: str, now: dt.datetime | None = None) -> RespondentContext:
    """Mark the invitation behind a valid code submitted; raises ValueError if refused."""
    now = now or utcnow()
    ctx = verify(store, code, now)
    if isinstance(ctx, Refusal):
        raise ValueError(ctx.message)
    inv = store.read("invitations", {"id": ctx.invitation_id})
    store.upsert("invitations", inv.assign(submitted_at=now))
    return ctx


def reopen(store: Store, respondent_id: str, now: dt.datetime | None = None) -> int:
    """Let a respondent change submitted answers: clears submission of their live codes.

    Refused once the round has closed. Returns how many invitations were reopened.
    """
    now = now or utcnow()
    ctx = respondent_context(store, respondent_id)
    if ctx is None:
        raise ValueError(f"no respondent with id {respondent_id!r}")
    if ctx.closes_on is not None and now.date() > ctx.closes_on:
        raise ValueError(REFUSAL_MESSAGES["closed"])
    inv = store.read("invitations", {"respondent_id": respondent_id})
    todo = inv[inv["submitted_at"].notna() & inv["revoked_at"].isna()]
    if not todo.empty:
        store.upsert("invitations", todo.assign(submitted_at=pd.NaT))
    return len(todo)


# --- answers -------------------------------------------------------------------------


def check_answer(
    statement_ids: set[str] | frozenset[str],
    statement_id: str,
    score: int | None,
    comment: str | None,
) -> None:
    """Raise AnswerRefused with a message a respondent can act on."""
    if statement_id not in statement_ids:
        raise AnswerRefused(f"statement {statement_id!r} is not part of this questionnaire")
    if score is not None and (isinstance(score, bool) or score not in SCORES):
        raise AnswerRefused(f'the score must be 1 to 5 or "don\'t know", not {score!r}')
    if comment is not None and len(comment) > COMMENT_MAX:
        raise AnswerRefused(
            f"the comment is {len(comment)} characters long; please keep it under {COMMENT_MAX}"
        )
    if comment is not None and (found := FORBIDDEN_TEXT.search(comment)):
        raise AnswerRefused(
            f"the comment holds a control character ({visible(found.group())}) at character "
            f"{found.start() + 1}; please remove it"
        )


def answer_row(
    respondent_id: str,
    statement_ids: set[str] | frozenset[str],
    statement_id: str,
    score: int | None,
    comment: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The answers row for one answer, its comment cleaned (line ends, blanks); raises
    AnswerRefused with the reason when the answer cannot be stored."""
    comment = unix_lines(comment or "").strip() or None
    check_answer(statement_ids, statement_id, score, comment)
    return {
        "respondent_id": respondent_id,
        "statement_id": statement_id,
        "score": None if score is None else int(score),
        "comment": comment,
        "answered_at": now,
    }


def save_answer(
    store: Store,
    respondent_id: str,
    statement_id: str,
    score: int | None,
    comment: str | None = None,
    *,
    statement_ids: set[str] | frozenset[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Save (insert or replace) one answer in its own transaction; ``score`` None = don't know.

    ``statement_ids`` are the statements of the round's questionnaire version; looked up
    when not given.
    """
    if statement_ids is None:
        ctx = respondent_context(store, respondent_id)
        if ctx is None:
            raise AnswerRefused(f"no respondent with id {respondent_id!r}")
        statement_ids = statement_ids_of(ctx.questionnaire_version)
    row = answer_row(respondent_id, statement_ids, statement_id, score, comment, now or utcnow())
    store.upsert("answers", [row])
    return row


def save_answer_with_code(
    store: Store,
    code: str,
    statement_id: str,
    score: int | None,
    comment: str | None = None,
    *,
    statement_ids: set[str] | frozenset[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Save an answer for whoever ``code`` belongs to, checking the code at every save
    (a code revoked or submitted in the meantime stops saving at once)."""
    now = now or utcnow()
    ctx = verify(store, code, now)
    if isinstance(ctx, Refusal):
        raise AnswerRefused(ctx.message)
    if statement_ids is None:
        statement_ids = statement_ids_of(ctx.questionnaire_version)
    return save_answer(
        store, ctx.respondent_id, statement_id, score, comment, statement_ids=statement_ids, now=now
    )


def save_answers(
    store: Store,
    respondent_id: str,
    answers: list[tuple[str, int | None, str | None]],
    *,
    statement_ids: set[str] | frozenset[str],
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """Save a page of answers (statement, score or None for don't know, comment) in one
    transaction; those refused are left out and returned as statement -> message."""
    now = now or utcnow()
    rows, refused = [], {}
    for statement_id, score, comment in answers:
        try:
            rows.append(answer_row(respondent_id, statement_ids, statement_id, score, comment, now))
        except AnswerRefused as exc:
            refused[statement_id] = str(exc)
    if rows:
        store.upsert("answers", rows)
    return refused


def statement_ids_of(version: str) -> frozenset[str]:
    from alliance_kit.records import questionnaire

    return frozenset(s.id for s in questionnaire.load(version).statements)


def own_answers(store: Store, respondent_id: str) -> pd.DataFrame:
    """One respondent's answers: for preloading their own form, never anyone else's."""
    return store.read("answers", {"respondent_id": respondent_id})


def own_answer_rows(store: Store, respondent_id: str) -> list[dict[str, Any]]:
    """:func:`own_answers` as plain rows (the survey web page reads them per request)."""
    return store.rows("answers", {"respondent_id": respondent_id})


# --- response status (aggregates only) -------------------------------------------------

STATUS_COLUMNS = ["side", "respondents", "invited", "started", "completed", "response_rate"]


def survey_frames(store: Store, round_id: str | None = None) -> dict[str, pd.DataFrame]:
    """What response_status needs, read from the store; invitations without code hashes."""
    where = {"round_id": round_id} if round_id else None
    frames = {
        "assessment_rounds": store.read(
            "assessment_rounds", {"id": round_id} if round_id else None
        ),
        "respondents": store.read("respondents", where),
    }
    ids = frames["respondents"]["id"].tolist()
    frames["answers"] = store.read("answers", {"respondent_id": ids})
    frames["invitations"] = store.read("invitations", {"respondent_id": ids}).drop(
        columns="code_hash"
    )
    return frames


def respondent_status(
    frames: Mapping[str, pd.DataFrame], round_id: str, *, n_statements: int | None = None
) -> pd.DataFrame:
    """Per respondent of a round: side, role, invited/started/completed flags.

    Completed means an invitation was submitted, or (with ``n_statements``) every
    statement has an answer (how a facilitated workshop finishes). No answers are included.
    """
    resp = frames["respondents"]
    resp = resp[resp["round_id"] == round_id]
    answers = frames["answers"]
    answers = answers[answers["respondent_id"].isin(resp["id"])]
    invs = frames.get("invitations")
    if invs is None:
        invs = pd.DataFrame(columns=["respondent_id", "revoked_at", "submitted_at"])
    invs = invs[invs["respondent_id"].isin(resp["id"])]
    answered = answers.groupby("respondent_id").size()
    submitted = set(invs.loc[invs["submitted_at"].notna(), "respondent_id"])
    out = pd.DataFrame(
        {
            "respondent_id": resp["id"].to_numpy(),
            "side": resp["side"].to_numpy(),
            "role": resp["role"].to_numpy(),
            "label": resp["label"].to_numpy(),
        }
    )
    out["invited"] = out["respondent_id"].isin(set(invs["respondent_id"]))
    n_answered = out["respondent_id"].map(answered).fillna(0).astype(int)
    out["started"] = n_answered > 0
    done = out["respondent_id"].isin(submitted)
    if n_statements:
        done |= n_answered >= n_statements
    out["completed"] = done
    return out.reset_index(drop=True)


def response_status(
    frames: Mapping[str, pd.DataFrame], round_id: str, *, n_statements: int | None = None
) -> pd.DataFrame:
    """Per side (us, partner): respondents, invited, started, completed and response rate
    (completed / respondents). Counts only: no answer and no person is shown."""
    per = respondent_status(frames, round_id, n_statements=n_statements)
    rows = []
    for side in SIDES:
        s = per[per["side"] == side]
        n = len(s)
        rows.append(
            {
                "side": side,
                "respondents": n,
                "invited": int(s["invited"].sum()),
                "started": int(s["started"].sum()),
                "completed": int(s["completed"].sum()),
                "response_rate": float(s["completed"].sum() / n) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
