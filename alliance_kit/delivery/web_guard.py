"""Guards for the Voila servers alliance-kit starts (loaded by share/config/voila.py).

- Secrets never reach a log: the access log prints request URIs with the values of
  ``token``, ``code``, ``password`` and ``_xsrf`` replaced by ``[redacted]``.
- Wrong dashboard tokens lock an address out: after ``failures`` wrong tokens within
  ``window`` seconds, every request from that address is refused (HTTP 429) for
  ``lockout`` seconds. The counts live in the server's memory only.
- The survey server counts page loads per address (each starts a kernel, in which a
  respondent may try a few codes; see survey_widgets.CODE_ATTEMPTS): past ``pages`` loads
  within ``window`` seconds the address waits ``lockout`` seconds.
- Pages are not to be framed by other sites and send no Referer (their URL may hold a
  code): Content-Security-Policy frame-ancestors 'none', X-Frame-Options DENY,
  Referrer-Policy no-referrer; login cookies are HttpOnly and SameSite=Strict.

Settings (environment of the server): ALLIANCE_KIT_LOCKOUT_FAILURES (10),
ALLIANCE_KIT_LOCKOUT_WINDOW (600 s), ALLIANCE_KIT_LOCKOUT_SECONDS (900 s),
ALLIANCE_KIT_SURVEY_PAGES (30 page loads per window).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Query parameters whose values are secrets.
SECRET_PARAMS = ("token", "code", "password", "_xsrf")
_SECRET_VALUE = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&;#\s]*"
)
#: Headers every page of the servers sends.
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
COOKIE_OPTIONS = {"httponly": True, "samesite": "Strict"}
ENV_FAILURES = "ALLIANCE_KIT_LOCKOUT_FAILURES"
ENV_WINDOW = "ALLIANCE_KIT_LOCKOUT_WINDOW"
ENV_LOCKOUT = "ALLIANCE_KIT_LOCKOUT_SECONDS"
ENV_SURVEY_PAGES = "ALLIANCE_KIT_SURVEY_PAGES"
#: Server environment variables that are secrets: read once by the config, then removed
#: so the kernels this server starts never inherit them.
SECRET_ENV = ("ALLIANCE_KIT_VOILA_TOKEN", "ALLIANCE_KIT_DASHBOARD_TOKEN")


def redact_uri(uri: str) -> str:
    """The URI with the values of secret query parameters replaced."""
    return _SECRET_VALUE.sub(r"\1[redacted]", uri)


def install_log_redaction() -> None:
    """Redact secret query parameters in every log record of this process (tornado's
    warnings for refused requests print the URI too, not only the access log)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report
            return record
        clean = redact_uri(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def log_request(handler: Any) -> None:
    """Tornado ``log_function``: the access log line tornado writes, with secrets redacted."""
    access = logging.getLogger("tornado.access")
    status = handler.get_status()
    if status < 400:
        log = access.info
    elif status < 500:
        log = access.warning
    else:
        log = access.error
    request = handler.request
    ms = 1000.0 * request.request_time()
    log("%d %s %s (%s) %.2fms", status, request.method, redact_uri(request.uri),
        request.remote_ip, ms)  # fmt: skip


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@dataclass
class AttemptCounter:
    """Failures (or attempts) per address within a sliding window, and the lockouts they
    lead to. In memory: a restart forgets them."""

    limit: int = 10
    window: float = 600.0
    lockout: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls, limit_env: str = ENV_FAILURES, default_limit: int = 10) -> AttemptCounter:
        return cls(
            limit=max(1, int(_env_number(limit_env, default_limit))),
            window=_env_number(ENV_WINDOW, 600.0),
            lockout=_env_number(ENV_LOCKOUT, 900.0),
        )

    def locked(self, address: str) -> bool:
        until = self._locked_until.get(address)
        if until is None:
            return False
        if self.clock() >= until:
            del self._locked_until[address]
            return False
        return True

    def add(self, address: str) -> bool:
        """Count one event; True if the address is now locked out."""
        now = self.clock()
        events = self._events.setdefault(address, deque())
        events.append(now)
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            self._locked_until[address] = now + self.lockout
            events.clear()
            return True
        return False

    def clear(self, address: str) -> None:
        self._events.pop(address, None)

    def prune(self) -> None:
        """Forget addresses with no recent events (bounded memory under a scan)."""
        now = self.clock()
        for address in [
            a for a, ev in self._events.items() if not ev or ev[-1] <= now - self.window
        ]:
            del self._events[address]
        for address in [a for a, t in self._locked_until.items() if t <= now]:
            del self._locked_until[address]


def take_secret_env() -> dict[str, str]:
    """The secret variables of this process's environment, removed from it (kept after the
    first call, since a config file may be read twice)."""
    global _TAKEN  # noqa: PLW0603 - read-once process environment, not program state
    if _TAKEN is None:
        _TAKEN = {name: os.environ.pop(name) for name in SECRET_ENV if name in os.environ}
    return _TAKEN


_TAKEN: dict[str, str] | None = None


def identity_provider_class() -> type:
    """Voila's identity provider with lockouts (imported late: only a server needs it)."""
    from jupyter_server.auth.identity import PasswordIdentityProvider
    from tornado import web

    class GuardedIdentityProvider(PasswordIdentityProvider):
        """Voila's provider (token or login form), with token checks in constant time,
        wrong tokens counted per address, and survey page loads counted per address when
        the server has no token."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.failures = AttemptCounter.from_env()
            self.pages = AttemptCounter.from_env(ENV_SURVEY_PAGES, 30)

        def _refuse(self, handler: Any) -> None:
            """Answer 429 in plain text and end the request (web.Finish: no error page,
            whose template needs a user this request does not have)."""
            handler.set_status(429)
            handler.set_header("Content-Type", "text/plain; charset=utf-8")
            raise web.Finish("Too many attempts from this address; try again later.\n")

        def _refuse_if_locked(self, handler: Any, counter: AttemptCounter) -> None:
            if counter.locked(handler.request.remote_ip):
                self._refuse(handler)

        async def _get_user(self, handler: Any) -> Any:
            address = handler.request.remote_ip
            if not self.token:  # the survey server: respondents hold codes, not tokens
                if _is_page(handler):
                    self._refuse_if_locked(handler, self.pages)
                    self.pages.prune()
                    self.pages.add(address)
                return await super()._get_user(handler)
            self._refuse_if_locked(handler, self.failures)
            given = self.get_token(handler)
            user = await super()._get_user(handler)
            if given:
                if user is None or not getattr(handler, "_token_authenticated", False):
                    self._count_wrong(handler)
                else:
                    self.failures.clear(address)
            return user

        def _count_wrong(self, handler: Any) -> None:
            """Count a wrong token (or link) from the request's address; past the limit the
            address is locked out and this request refused (429)."""
            address = handler.request.remote_ip
            self.failures.prune()
            if self.failures.add(address):
                self.log.warning("locked out %s after repeated wrong tokens", address)
                self._refuse(handler)

        async def get_user_token(self, handler: Any) -> Any:
            given = self.get_token(handler) or ""
            if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
                return None
            return await super().get_user_token(handler)

        def process_login_form(self, handler: Any) -> Any:
            address = handler.request.remote_ip
            self._refuse_if_locked(handler, self.failures)
            user = super().process_login_form(handler)
            if user is None and self.token:
                self._count_wrong(handler)
            elif user is not None:
                self.failures.clear(address)
            return user

    return GuardedIdentityProvider


def _is_page(handler: Any) -> bool:
    """A request for the served notebook page itself (each starts a kernel)."""
    return type(handler).__name__ in ("TornadoVoilaHandler", "VoilaHandler")
