"""Personal links to the executive dashboard on a team store with people.

On a PostgreSQL store where ``alliance-kit access`` granted at least one person, the
dashboard has no shared token. Each viewer opens it with the personal link that
``alliance-kit access link --person NAME`` printed (``?token=...`` on the first visit,
or the token typed on the sign-in page); only the token's sha256 is stored, with an
expiry (:mod:`alliance_kit.records.access`). Then:

- Voila's identity provider (:func:`identity_provider_class`) signs the viewer in as that
  person and keeps only the link's id in the signed, HttpOnly, SameSite=Strict login
  cookie. Every later request re-checks the link (:class:`PersonalLinks`, trusted for
  ``LINK_RECHECK`` seconds at most), so a revoked link or a revoked person is refused at
  once with a page saying so (HTTP 403), on every visit until a new link replaces it. A
  page already open on such a link is closed, and its kernel shut down, within the same
  re-check.
- Wrong links count towards the address lockout of :mod:`alliance_kit.delivery.web_guard`,
  as wrong shared tokens do; the link is looked up by its hash, never compared as text.
- The prelaunch hook (:func:`prelaunch_hook`) writes the viewer's name, kind of access and
  PostgreSQL role into the notebook's parameters (quoted by papermill, so a name is data,
  never code). The viewer's kernel then reads the store as that role (``SET ROLE``, the
  server's login being a member of every person's role), and row-level security decides
  what the page holds. Hence no preheated kernels and no shared snapshot in this mode.

The kernel holds the server's store URL and switches role per connection: that is safe
only because a Voila page cannot run code in its kernel (Voila allows widget messages,
not ``execute_request``).
"""

from __future__ import annotations

import asyncio
import copy
import html
import inspect
import os
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from alliance_kit.config import ENV_DASHBOARD_PERSONAL

#: Seconds a link found active is trusted before it is checked again.
LINK_RECHECK = 2.0
#: A personal token longer than this is refused without a look-up.
MAX_TOKEN_LENGTH = 256
#: Entries kept in the re-check cache before stale ones are dropped.
CACHE_LIMIT = 1024
#: The page a refused link gets (HTTP 403): no detail on why, for a guessed link.
NO_LONGER_VALID = "This dashboard link is no longer valid"
NO_LONGER_VALID_DETAIL = (
    "It has expired or been revoked, or it was not copied whole. Ask your alliance-kit "
    "administrator for a new personal link (alliance-kit access link --person NAME)."
)
STORE_UNAVAILABLE = "The dashboard cannot check your link right now"
STORE_UNAVAILABLE_DETAIL = "The team store did not answer. Try again in a minute."
#: The notebook parameters the viewer reaches the page's kernel by.
VIEWER_PARAMETERS = ("viewer", "viewer_kind", "viewer_role")


def personal_mode(environ: dict[str, str] | None = None) -> bool:
    """Whether this server serves people by personal link (set by ``voila_command``)."""
    return (os.environ if environ is None else environ).get(ENV_DASHBOARD_PERSONAL) == "1"


class StoreUnavailable(Exception):
    """The team store could not be asked about a link (the request is refused)."""


@dataclass
class PersonalLinks:
    """Signing in by personal token, and re-checking a signed-in link.

    ``find(token)`` returns ``(person, link_id)`` for a valid token, else None
    (:func:`alliance_kit.records.access.person_for_link`); ``active(link_id)`` the person
    while the link is still valid, else None (:func:`~alliance_kit.records.access.link_active`).
    An answer is trusted for ``recheck`` seconds, so a revocation is seen within that.
    """

    find: Callable[[str], tuple[Any, str] | None]
    active: Callable[[str], Any | None]
    recheck: float = LINK_RECHECK
    clock: Callable[[], float] = time.monotonic
    _checked: dict[str, tuple[float, Any | None]] = field(default_factory=dict)

    @classmethod
    def for_store(cls, db: str | None = None) -> PersonalLinks:
        """Links checked against the store at ``db`` (default: ``$ALLIANCE_KIT_DB``), opened
        once with the server's own login."""
        from alliance_kit.records import access
        from alliance_kit.records.opening import open_store

        store = open_store(db)
        return cls(
            find=lambda token: access.person_for_link(store, token),
            active=lambda link_id: access.link_active(store, link_id),
        )

    def sign_in(self, token: str) -> tuple[Any, str] | None:
        """``(person, link_id)`` for a valid personal token, else None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = self._ask(self.find, token)
        if found is not None:
            person, link_id = found
            self._remember(link_id, person)
        return found

    def check(self, link_id: str) -> Any | None:
        """The person of a signed-in link while it is valid, else None (revoked, expired,
        or the person's access revoked)."""
        if not link_id:
            return None
        hit = self._checked.get(link_id)
        if hit is not None and self.clock() - hit[0] < self.recheck:
            return hit[1]
        person = self._ask(self.active, link_id)
        self._remember(link_id, person)
        return person

    def _ask(self, question: Callable[[str], Any], value: str) -> Any:
        try:
            return question(value)
        except Exception as exc:  # noqa: BLE001 - a store error refuses, never lets in
            raise StoreUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc

    def _remember(self, link_id: str, person: Any | None) -> None:
        now = self.clock()
        if len(self._checked) >= CACHE_LIMIT:
            for key in [k for k, (at, _) in self._checked.items() if now - at >= self.recheck]:
                del self._checked[key]
        self._checked[link_id] = (now, person)


def refusal_page(title: str, detail: str) -> str:
    """A small self-contained HTML page (no script, nothing loaded from elsewhere)."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:40em;margin:4em auto;padding:0 1em;color:#1f2933}}"
        "h1{font-size:1.4em}</style></head><body>"
        f"<h1 data-testid='refused'>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
        "</body></html>"
    )


def viewer_parameters(name: str, kind: str, login: str) -> dict[str, str]:
    """The notebook parameters naming the signed-in viewer (see VIEWER_PARAMETERS)."""
    return dict(zip(VIEWER_PARAMETERS, (str(name), str(kind), str(login)), strict=True))


def inject_viewer(notebook: Any, name: str, kind: str, login: str) -> Any:
    """A copy of ``notebook`` with the viewer's parameters in a cell right after the one
    tagged ``parameters``, written by papermill's Python translator (string literals, so
    any text a person's name holds stays a string). Nothing else is added: papermill's
    own notebook metadata would carry the values into the page."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = copy.deepcopy(notebook)
    source = translate_parameters(
        "python3", "python", viewer_parameters(name, kind, login), "Viewer"
    )
    cell = nbformat.v4.new_code_cell(source=source)
    cell.metadata["tags"] = ["injected-parameters"]
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        raise ValueError("the dashboard notebook has no cell tagged 'parameters'")
    nb.cells.insert(tagged[0] + 1, cell)
    return nb


def prelaunch_hook(handler: Any, notebook: Any, cwd: str) -> Any:
    """Voila's ``VoilaConfiguration.prelaunch_hook``: the page's notebook for the viewer the
    identity provider signed in (refused, 403, if there is none)."""
    from tornado import web

    user = getattr(handler, "current_user", None)
    login = getattr(user, "login", "")
    if not login:
        raise web.HTTPError(403, "no signed-in viewer")
    return inject_viewer(notebook, user.name, user.kind, login)


def identity_provider_class() -> type:
    """Voila's identity provider for personal links (built late: only a server needs
    jupyter_server)."""
    from jupyter_server.auth.identity import User
    from jupyter_server.auth.login import LoginFormHandler
    from tornado import ioloop, web, websocket

    from alliance_kit.delivery import web_guard

    @dataclass
    class PersonUser(User):
        """A signed-in person: the user model's name is the person's name."""

        kind: str = ""
        login: str = ""
        link_id: str = ""

    def user_of(person: Any, link_id: str) -> PersonUser:
        name = str(person.name)
        return PersonUser(
            username=str(person.login),
            name=name,
            display_name=name,
            initials=(name[:1] or "?").upper(),
            kind=str(person.kind),
            login=str(person.login),
            link_id=link_id,
        )

    class PersonalLinkIdentityProvider(web_guard.identity_provider_class()):
        """Sign-in by personal link (token or sign-in form) instead of a shared token."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.links = PersonalLinks.for_store()
            #: link id -> {kernel id: the open websocket of a page signed in by it}
            self.open_pages: dict[str, dict[str, Any]] = {}
            self._sweeper: Any = None

        def _watch(self, handler: Any, user: Any) -> None:
            """Keep a page's kernel connection (its websocket) under its link's watch."""
            kernel_id = (getattr(handler, "path_kwargs", None) or {}).get("kernel_id")
            if not kernel_id or not isinstance(handler, websocket.WebSocketHandler):
                return
            self.open_pages.setdefault(user.link_id, {})[kernel_id] = handler
            if self._sweeper is None:
                self._sweeper = ioloop.PeriodicCallback(
                    self.close_revoked, self.links.recheck * 1000
                )
                self._sweeper.start()

        async def close_revoked(self) -> int:
            """Close the open pages of links no longer valid, and shut their kernels down:
            a revoked viewer's open page stops within a re-check, not at their next
            visit. Returns how many pages were closed."""
            closed = 0
            for link_id, pages in list(self.open_pages.items()):
                live = {k: h for k, h in pages.items() if h.ws_connection is not None}
                if not live:
                    self.open_pages.pop(link_id, None)
                    continue
                self.open_pages[link_id] = live
                try:
                    person = await asyncio.to_thread(self.links.check, link_id)
                except StoreUnavailable:
                    continue  # asked again at the next sweep
                if person is not None:
                    continue
                self.open_pages.pop(link_id, None)
                for kernel_id, page in live.items():
                    page.close(4403, NO_LONGER_VALID)
                    with suppress(Exception):  # already gone, or culled meanwhile
                        done = page.kernel_manager.shutdown_kernel(kernel_id)
                        if inspect.isawaitable(done):
                            await done
                    closed += 1
                self.log.warning(
                    "closed %d open page(s) of a dashboard link no longer valid", len(live)
                )
            return closed

        @property
        def auth_enabled(self) -> bool:
            return True  # there is no shared token, and never anonymous access

        @property
        def login_available(self) -> bool:
            return True

        def _refuse_page(self, handler: Any, status: int, title: str, detail: str) -> None:
            handler.set_status(status)
            handler.set_header("Content-Type", "text/html; charset=utf-8")
            handler.set_header("Cache-Control", "no-store")
            raise web.Finish(refusal_page(title, detail))

        async def _get_user(self, handler: Any) -> Any:
            address = handler.request.remote_ip
            self._refuse_if_locked(handler, self.failures)
            given = self.get_token(handler)
            try:
                user = await self._token_or_cookie_user(handler)
            except StoreUnavailable as exc:
                self.log.error("could not check a dashboard link: %s", exc)
                self._refuse_page(handler, 503, STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL)
            if given:
                if user is None or not getattr(handler, "_token_authenticated", False):
                    self._count_wrong(handler)
                else:
                    self.failures.clear(address)
            refused = getattr(handler, "_alliance_kit_refused", False)
            if user is None and refused and not isinstance(handler, LoginFormHandler):
                self._refuse_page(handler, 403, NO_LONGER_VALID, NO_LONGER_VALID_DETAIL)
            if user is not None:
                self._watch(handler, user)
            return user

        async def _token_or_cookie_user(self, handler: Any) -> Any:
            """jupyter_server's order (a link given wins over the cookie, and its user
            is kept in the cookie), except that a cookie of a link no longer valid is
            kept rather than cleared: each visit with it gets the page saying so, not a
            sign-in form, until a new link replaces it."""
            if getattr(handler, "_jupyter_current_user", None):
                return handler._jupyter_current_user
            token_user = await self.get_user_token(handler)
            cookie_user = await self.get_user_cookie(handler)
            if token_user is not None:
                if token_user != cookie_user:
                    self.set_login_cookie(handler, token_user)
                handler._token_authenticated = True
            return token_user or cookie_user

        async def get_user_token(self, handler: Any) -> Any:
            given = self.get_token(handler)
            if not given:
                return None
            found = await asyncio.to_thread(self.links.sign_in, given)
            if found is None:
                handler._alliance_kit_refused = True
                return None
            person, link_id = found
            self.log.info("%s signed in by personal link", person.login)
            return user_of(person, link_id)

        async def get_user_cookie(self, handler: Any) -> Any:
            kept = super().get_user_cookie(handler)
            if asyncio.iscoroutine(kept):
                kept = await kept
            link_id = getattr(kept, "link_id", "")
            if kept is None:
                return None
            person = await asyncio.to_thread(self.links.check, link_id)
            if person is None:
                handler._alliance_kit_refused = True
                return None
            return user_of(person, link_id)

        def user_to_cookie(self, user: Any) -> str:
            import json

            return json.dumps({"link": getattr(user, "link_id", "")})

        def user_from_cookie(self, cookie_value: str) -> Any:
            import json

            link_id = json.loads(cookie_value).get("link") or ""
            return PersonUser(username="person", link_id=str(link_id)) if link_id else None

        def identity_model(self, user: Any) -> dict[str, Any]:
            model = super().identity_model(user)
            for private in ("link_id", "login"):
                model.pop(private, None)
            return model

        def process_login_form(self, handler: Any) -> Any:
            """The sign-in page: the personal token typed as the password."""
            address = handler.request.remote_ip
            self._refuse_if_locked(handler, self.failures)
            typed = handler.get_argument("password", default="").strip()
            try:
                found = self.links.sign_in(typed)
            except StoreUnavailable as exc:
                self.log.error("could not check a dashboard link: %s", exc)
                self._refuse_page(handler, 503, STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL)
            if found is None:
                self._count_wrong(handler)
                return None
            self.failures.clear(address)
            return user_of(*found)

    return PersonalLinkIdentityProvider
