"""The dashboard per person (issue 14, item 3): personal links instead of one shared token.

- The link checks (:class:`PersonalLinks`): a token signs in, a signed-in link is
  re-checked every few seconds at most, a store error refuses.
- The identity provider, served by a real tornado server: a personal link signs in and
  leaves only the link's id in the signed cookie; a revoked link or cookie gets the
  "no longer valid" page (403); wrong links lock the address out; the sign-in form takes
  the token too.
- The prelaunch hook: the viewer reaches the notebook's parameters as data, whatever
  their name holds.
- The view: the page says who is signed in, escaped, and refuses to open without a viewer
  on a personal-link server.
- On the real PostgreSQL server (marked postgres): links issued by ``access``.
The browser test is tests/browser/test_dashboard_person_page.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_kit.cli.dashboard import DASHBOARD_NOTEBOOK
from alliance_kit.config import ENV_DASHBOARD_PERSONAL, project_root
from alliance_kit.delivery import dashboard_login as login
from alliance_kit.delivery.serve import voila_command
from alliance_kit.views import dashboard as d

NASTY_NAMES = [
    "O'Brien\"; import os",
    'x"""; os.system("id"); """',
    'back\\slash\\" and \\n',
    "line\nbreak\r\n\tindent",
    "<script>alert(1)</script> & Co",
    "Zoë Åström 山田 🙂",
    "{viewer}",
    "",
]


@dataclass(frozen=True)
class FakePerson:
    """The shape of :class:`alliance_kit.records.access.Person` the dashboard reads."""

    name: str
    kind: str
    login: str
    alliances: tuple[str, ...] = ()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeAccess:
    """Links held in memory: token -> link id -> person; revoking a link."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}
        self.people: dict[str, FakePerson] = {}
        self.revoked: set[str] = set()
        self.asked: list[str] = []
        self.broken = False

    def issue(self, token: str, person: FakePerson) -> str:
        link_id = f"link-{len(self.links) + 1}"
        self.links[token] = link_id
        self.people[link_id] = person
        return link_id

    def find(self, token: str):
        self.asked.append(f"find:{token}")
        if self.broken:
            raise OSError("connection refused")
        link_id = self.links.get(token)
        if link_id is None or link_id in self.revoked:
            return None
        return self.people[link_id], link_id

    def active(self, link_id: str):
        self.asked.append(f"active:{link_id}")
        if self.broken:
            raise OSError("connection refused")
        return None if link_id in self.revoked else self.people.get(link_id)


COOKIE_SECRET = "s" * 32
OWNER = FakePerson("Olivia O'Brien", "owner", "ak_olivia", ("A001",))


def links(access: FakeAccess, clock: Clock | None = None) -> login.PersonalLinks:
    return login.PersonalLinks(access.find, access.active, recheck=2.0, clock=clock or Clock())


# --- the link checks -------------------------------------------------------------------------


def test_a_personal_token_signs_in_and_a_revocation_is_seen_within_the_recheck():
    access, clock = FakeAccess(), Clock()
    link_id = access.issue("tok-olivia", OWNER)
    checks = links(access, clock)
    assert checks.sign_in("wrong") is None
    assert checks.sign_in("tok-olivia") == (OWNER, link_id)
    # right after signing in, and within the recheck, the store is not asked again
    assert checks.check(link_id) == OWNER
    clock.now += 1.9
    assert checks.check(link_id) == OWNER
    assert access.asked == ["find:wrong", "find:tok-olivia"]
    access.revoked.add(link_id)
    clock.now += 0.2  # past the recheck: asked again, and refused from now on
    assert checks.check(link_id) is None
    clock.now += 60
    assert checks.check(link_id) is None
    assert checks.sign_in("tok-olivia") is None
    assert access.asked.count(f"active:{link_id}") == 2


def test_empty_or_overlong_tokens_are_refused_without_a_look_up():
    access = FakeAccess()
    checks = links(access)
    assert checks.sign_in("") is None
    assert checks.sign_in("x" * (login.MAX_TOKEN_LENGTH + 1)) is None
    assert checks.check("") is None
    assert access.asked == []


def test_a_store_error_refuses_and_says_so():
    access = FakeAccess()
    link_id = access.issue("tok", OWNER)
    access.broken = True
    checks = links(access)
    with pytest.raises(login.StoreUnavailable, match="OSError: connection refused"):
        checks.sign_in("tok")
    with pytest.raises(login.StoreUnavailable):
        checks.check(link_id)


def test_the_recheck_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(login, "CACHE_LIMIT", 10)
    access, clock = FakeAccess(), Clock()
    checks = links(access, clock)
    for i in range(50):
        checks.check(f"gone-{i}")
        clock.now += 3
    assert len(checks._checked) <= 10


def test_the_refusal_page_is_plain_escaped_html():
    page = login.refusal_page("<b>title</b>", "a & b")
    assert "&lt;b&gt;title&lt;/b&gt;" in page and "a &amp; b" in page
    assert "<script" not in page and "http" not in page


# --- the identity provider, behind a real tornado server ---------------------------------------


def served_provider(access: FakeAccess, monkeypatch, clock: Clock | None = None):
    """The provider class with its links checked against ``access``."""
    monkeypatch.setattr(
        login.PersonalLinks, "for_store", classmethod(lambda cls: links(access, clock))
    )
    return login.identity_provider_class()(token="")


def run_server(provider, requests):
    """Serve a page and a sign-in form guarded by ``provider`` on a free port; run
    ``requests(base_url, fetch)`` against it; returns what it returns."""
    from tornado import httpclient, httpserver, web, websocket

    class Page(web.RequestHandler):
        base_url = "/"

        async def prepare(self) -> None:
            self.current_user = await provider.get_user(self)

        def get(self) -> None:
            user = self.current_user
            if user is None:
                self.set_status(302)
                self.set_header("Location", "/login")
                return
            self.write({"name": user.name, "display_name": user.display_name,
                        "kind": user.kind, "login": user.login})  # fmt: skip

    class Login(web.RequestHandler):
        base_url = "/"

        def post(self) -> None:
            user = provider.process_login_form(self)
            if user is None:
                self.set_status(401)
                self.write("invalid")
                return
            provider.set_login_cookie(self, user)
            self.write("ok")

    class KernelManager:
        def __init__(self) -> None:
            self.shut: list[str] = []

        async def shutdown_kernel(self, kernel_id: str) -> None:
            self.shut.append(kernel_id)

    kernels = KernelManager()

    class Channels(websocket.WebSocketHandler):
        """A page's kernel connection, as Voila's: authenticated when it opens."""

        base_url = "/"
        kernel_manager = kernels

        async def prepare(self) -> None:
            self.current_user = await provider.get_user(self)
            if self.current_user is None:
                raise web.HTTPError(403)

        def on_message(self, message) -> None:
            self.write_message(f"echo {message}")

    async def main():
        app = web.Application(
            [("/", Page), ("/login", Login),
             (r"/api/kernels/(?P<kernel_id>[\w-]+)/channels", Channels)],
            cookie_secret=COOKIE_SECRET, xsrf_cookies=False,
        )  # fmt: skip
        server = httpserver.HTTPServer(app)
        sockets = __import__("tornado.netutil").netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        client = httpclient.AsyncHTTPClient()

        async def fetch(path: str, cookie: str = "", method: str = "GET", body=None):
            headers = {"Cookie": cookie} if cookie else {}
            resp = await client.fetch(
                f"http://127.0.0.1:{port}{path}", method=method, body=body, headers=headers,
                follow_redirects=False, raise_error=False,
            )  # fmt: skip
            return resp

        async def connect(kernel_id: str, cookie: str):
            request = httpclient.HTTPRequest(
                f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels",
                headers={"Cookie": cookie},
            )
            return await websocket.websocket_connect(request)

        fetch.connect = connect
        fetch.kernels = kernels
        try:
            return await requests(fetch)
        finally:
            server.stop()

    return asyncio.run(main())


def login_cookie(resp) -> str:
    """The ``name=value`` of the login cookie a response set (empty if it cleared it)."""
    for header in resp.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if name.startswith("username-") and value not in ("", '""'):
            return f"{name}={value}"
    return ""


def test_a_personal_link_signs_in_as_that_person_and_the_cookie_keeps_only_the_link(
    monkeypatch,
):
    access = FakeAccess()
    link_id = access.issue("tok-olivia", OWNER)
    provider = served_provider(access, monkeypatch)

    async def requests(fetch):
        first = await fetch("/?token=tok-olivia")
        cookie = login_cookie(first)
        again = await fetch("/", cookie=cookie)
        anonymous = await fetch("/")
        return first, cookie, again, anonymous

    first, cookie, again, anonymous = run_server(provider, requests)
    assert first.code == 200
    seen = json.loads(first.body)
    assert seen == {"name": OWNER.name, "display_name": OWNER.name, "kind": "owner",
                    "login": "ak_olivia"}  # fmt: skip
    assert cookie, "the personal link must leave a login cookie"
    set_cookie = first.headers.get_list("Set-Cookie")[0].lower()
    assert "httponly" in set_cookie
    # the signed cookie holds the link's id, not the token nor the person
    from tornado.web import decode_signed_value

    name, value = cookie.split("=", 1)
    content = decode_signed_value(COOKIE_SECRET, name, value.strip('"'))
    assert json.loads(content) == {"link": link_id}
    assert again.code == 200 and json.loads(again.body)["name"] == OWNER.name
    assert anonymous.code == 302  # no link, no cookie: to the sign-in page


def test_a_revoked_link_and_its_cookie_get_the_no_longer_valid_page(monkeypatch):
    access, clock = FakeAccess(), Clock()
    link_id = access.issue("tok-olivia", OWNER)
    provider = served_provider(access, monkeypatch, clock)

    async def requests(fetch):
        cookie = login_cookie(await fetch("/?token=tok-olivia"))
        access.revoked.add(link_id)
        within = await fetch("/", cookie=cookie)  # the recheck has not run out yet
        clock.now += login.LINK_RECHECK
        by_cookie = await fetch("/", cookie=cookie)
        by_link = await fetch("/?token=tok-olivia")
        twice = await fetch("/", cookie=cookie)
        new = access.issue("tok-new", OWNER)
        renewed = await fetch("/?token=tok-new", cookie=cookie)  # a new link replaces it
        return within, by_cookie, by_link, twice, renewed, new

    within, by_cookie, by_link, twice, renewed, new = run_server(provider, requests)
    assert twice.code == 403
    assert renewed.code == 200 and json.loads(renewed.body)["name"] == OWNER.name
    assert login_cookie(renewed), "the new link's cookie replaces the revoked one"
    assert within.code == 200
    for refused in (by_cookie, by_link):
        assert refused.code == 403
        body = refused.body.decode()
        assert login.NO_LONGER_VALID in body and "Traceback" not in body
        assert refused.headers["Content-Type"].startswith("text/html")
    # the refused cookie is kept (not cleared): every visit with it gets this page, not a
    # sign-in form, until a new link replaces it
    assert not any("username-" in h for h in by_cookie.headers.get_list("Set-Cookie"))


def test_an_open_page_of_a_revoked_link_is_closed_and_its_kernel_shut_down(monkeypatch):
    access, clock = FakeAccess(), Clock()
    link_id = access.issue("tok-olivia", OWNER)
    other = access.issue("tok-eve", FakePerson("Eve", "executive", "ak_eve"))
    provider = served_provider(access, monkeypatch, clock)

    async def requests(fetch):
        mine = await fetch.connect("k-olivia", login_cookie(await fetch("/?token=tok-olivia")))
        hers = await fetch.connect("k-eve", login_cookie(await fetch("/?token=tok-eve")))
        await mine.write_message("filter")
        assert await mine.read_message() == "echo filter"
        access.revoked.add(link_id)
        clock.now += login.LINK_RECHECK
        closed = await provider.close_revoked()
        after = await asyncio.wait_for(mine.read_message(), 5)  # None: closed by the server
        code = mine.close_code
        await hers.write_message("still here")
        still = await hers.read_message()
        again = await provider.close_revoked()
        return closed, after, code, still, again, list(fetch.kernels.shut)

    closed, after, code, still, again, shut = run_server(provider, requests)
    assert closed == 1 and after is None and code == 4403
    assert shut == ["k-olivia"]
    assert still == "echo still here" and again == 0  # another person's page stays open
    assert other in provider.open_pages and link_id not in provider.open_pages


def test_wrong_links_lock_the_address_out(monkeypatch):
    monkeypatch.setenv("ALLIANCE_KIT_LOCKOUT_FAILURES", "3")
    access = FakeAccess()
    access.issue("tok-olivia", OWNER)
    provider = served_provider(access, monkeypatch)

    async def requests(fetch):
        codes = [(await fetch(f"/?token=guess-{i}")).code for i in range(3)]
        locked = await fetch("/?token=tok-olivia")  # even the right link, for a while
        return codes, locked

    codes, locked = run_server(provider, requests)
    assert codes == [403, 403, 429]
    assert locked.code == 429


def test_the_sign_in_form_takes_the_personal_token(monkeypatch):
    access = FakeAccess()
    access.issue("tok-olivia", OWNER)
    provider = served_provider(access, monkeypatch)

    async def requests(fetch):
        wrong = await fetch("/login", method="POST", body="password=nope")
        right = await fetch("/login", method="POST", body="password=tok-olivia")
        page = await fetch("/", cookie=login_cookie(right))
        return wrong, right, page

    wrong, right, page = run_server(provider, requests)
    assert wrong.code == 401 and right.code == 200
    assert json.loads(page.body)["name"] == OWNER.name


def test_a_store_that_does_not_answer_gets_a_503_page_not_a_traceback(monkeypatch):
    access = FakeAccess()
    access.issue("tok-olivia", OWNER)
    access.broken = True
    provider = served_provider(access, monkeypatch)

    async def requests(fetch):
        return await fetch("/?token=tok-olivia")

    resp = run_server(provider, requests)
    assert resp.code == 503
    assert login.STORE_UNAVAILABLE in resp.body.decode() and "OSError" not in resp.body.decode()


def test_the_provider_never_allows_anonymous_access(monkeypatch):
    provider = served_provider(FakeAccess(), monkeypatch)
    assert provider.auth_enabled and provider.login_available and provider.token == ""


# --- the viewer in the notebook's parameters ---------------------------------------------------


def dashboard_notebook():
    return nbformat.read(project_root() / DASHBOARD_NOTEBOOK, as_version=4)


def injected_values(nb) -> dict[str, object]:
    [cell] = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    namespace: dict[str, object] = {}
    exec(compile(cell.source, "<injected>", "exec"), {"__builtins__": {}}, namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_the_viewer_reaches_the_notebook_as_data(name):
    original = dashboard_notebook()
    nb = login.inject_viewer(original, name, "owner", "ak_o'brien")
    assert injected_values(nb) == {"viewer": name, "viewer_kind": "owner",
                                   "viewer_role": "ak_o'brien"}  # fmt: skip
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    assert original == dashboard_notebook()  # the served notebook itself is untouched


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.text(max_size=12))
def test_any_name_and_kind_stay_strings(name, kind):
    nb = login.inject_viewer(dashboard_notebook(), name, kind, "ak_x")
    values = injected_values(nb)
    assert values["viewer"] == name and values["viewer_kind"] == kind


def test_the_notebook_declares_the_viewer_parameters():
    nb = dashboard_notebook()
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for name in login.VIEWER_PARAMETERS:
        assert re.search(rf"^{name} = None$", params.source, re.M), name
    assert "role=viewer_role" in nb.cells[1].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_the_prelaunch_hook_needs_a_signed_in_person():
    from tornado import web

    nb = dashboard_notebook()
    person = SimpleNamespace(name="Eve <x>", kind="executive", login="ak_eve")
    out = login.prelaunch_hook(SimpleNamespace(current_user=person), nb, "/tmp")
    assert injected_values(out) == {"viewer": "Eve <x>", "viewer_kind": "executive",
                                    "viewer_role": "ak_eve"}  # fmt: skip
    for nobody in (None, SimpleNamespace(name="anon", kind="", login="")):
        with pytest.raises(web.HTTPError) as err:
            login.prelaunch_hook(SimpleNamespace(current_user=nobody), nb, "/tmp")
        assert err.value.status_code == 403


# --- the server's command ----------------------------------------------------------------------


def test_a_personal_link_server_has_no_token_no_preheat_and_says_so_to_its_kernels(tmp_path):
    nb = project_root() / DASHBOARD_NOTEBOOK
    base = {"ALLIANCE_KIT_VOILA_TOKEN": "stale", ENV_DASHBOARD_PERSONAL: "1", "PATH": "/bin"}
    cmd = voila_command(nb, 9001, "postgresql://x@h/db", personal=True, base_env=base)
    assert cmd.env[ENV_DASHBOARD_PERSONAL] == "1"
    assert "ALLIANCE_KIT_VOILA_TOKEN" not in cmd.env
    assert not any("preheat" in a for a in cmd.argv)
    shared = voila_command(nb, 9001, "x.sqlite", token="t" * 40, base_env=base)
    assert ENV_DASHBOARD_PERSONAL not in shared.env  # never inherited by another server
    for wrong in ({"token": "t" * 40}, {"preheat": 1}):
        with pytest.raises(ValueError, match="no shared token and no preheat"):
            voila_command(nb, 9001, "x", personal=True, **wrong)


def test_dashboard_commands_for_personal_links_print_no_token(tmp_path):
    from alliance_kit.cli.dashboard import PERSONAL_NO_TOKEN, dashboard_commands

    (tmp_path / DASHBOARD_NOTEBOOK).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / DASHBOARD_NOTEBOOK).write_text("{}")
    dash, survey, token = dashboard_commands(port=9001, db="postgresql://x@h/db",
                                             root=tmp_path, personal=True)  # fmt: skip
    assert token is None and dash.env[ENV_DASHBOARD_PERSONAL] == "1"
    assert survey is not None and ENV_DASHBOARD_PERSONAL not in survey.env
    with pytest.raises(ValueError, match=re.escape(PERSONAL_NO_TOKEN)):
        dashboard_commands(port=9001, db="x", root=tmp_path, personal=True, token="t" * 40)


# --- the view ---------------------------------------------------------------------------------


def test_the_page_says_who_is_signed_in_escaped():
    line = d.signed_in(d.Viewer("O'Brien <script>alert(1)</script>", "executive"))
    assert (
        "Signed in as <b>O&#x27;Brien &lt;script&gt;alert(1)&lt;/script&gt;</b> · executive" in line
    )
    assert "<script>" not in line
    assert d.signed_in(None) == ""


def test_a_personal_link_kernel_without_a_viewer_shows_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_DASHBOARD_PERSONAL, "1")
    with pytest.raises(PermissionError, match="personal link"):
        d.DashboardApp.from_store(db=str(tmp_path / "none.sqlite"), warm_up=False)


def test_a_viewer_heads_the_page():
    from test_dashboard import app_frames, fake_historian, fake_scorer

    app = d.DashboardApp(
        app_frames(),
        scorer=fake_scorer([]),
        historian=fake_historian([]),
        viewer=d.Viewer("Olivia O'Brien", "owner"),
    )
    assert "Signed in as <b>Olivia O&#x27;Brien</b> · owner" in app.header.value
    assert "your alliances" in app.header.value  # an owner's page is not the whole portfolio
    app.w_status.value = "red"  # a filter redraws the header: the line stays
    assert "Signed in as <b>Olivia O&#x27;Brien</b>" in app.header.value


# --- on the real PostgreSQL server, with people granted by `alliance-kit access` -------------


def pg_url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def grant(url: str, person: str, role: str, alliances=()) -> None:
    from click.testing import CliRunner

    from alliance_kit.cli import main

    args = ["access", "grant", "--db", url, "--person", person, "--role", role]
    for alliance in alliances:
        args += ["--alliance", alliance]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def team(pg_store):
    """The sample portfolio on PostgreSQL, an owner of two alliances and an executive,
    each with a personal link."""
    import uuid

    from alliance_kit.records import access, sample

    sample.load(pg_store, last_period="2026-Q3")
    url = pg_url(pg_store)
    ids = sorted(pg_store.read_all()["alliances"]["id"])
    tag = uuid.uuid4().hex[:6]
    owner, executive = f"Olivia O'Brien {tag}", f"Eve Exec {tag}"
    grant(url, owner, "owner", ids[:2])
    grant(url, executive, "executive")
    links_ = {p: access.issue_link(pg_store, p) for p in (owner, executive)}
    return SimpleNamespace(store=pg_store, url=url, ids=ids, mine=ids[:2], owner=owner,
                           executive=executive, links=links_)  # fmt: skip


@pytest.mark.postgres
def test_links_issued_by_access_sign_in_and_are_refused_once_revoked(team):
    from alliance_kit.records import access

    clock = Clock()
    checks = login.PersonalLinks.for_store(team.url)
    checks.clock = clock
    person, link_id = checks.sign_in(team.links[team.owner])
    assert (person.name, person.kind) == (team.owner, "owner")
    assert set(person.alliances) == set(team.mine) and person.login
    assert checks.check(link_id) == person
    assert checks.sign_in(team.links[team.owner][:-1] + "x") is None
    assert access.revoke_links(team.store, team.owner) >= 1
    clock.now += login.LINK_RECHECK
    assert checks.check(link_id) is None
    assert checks.sign_in(team.links[team.owner]) is None
    other, other_link = checks.sign_in(team.links[team.executive])  # hers still works
    assert other.kind == "executive"
    # the person revoked (not only their links): refused at the next check too
    from click.testing import CliRunner

    from alliance_kit.cli import main

    revoked = CliRunner().invoke(
        main, ["access", "revoke", "--db", team.url, "--person", team.executive, "--yes"]
    )
    assert revoked.exit_code == 0, revoked.output
    assert checks.check(other_link) == other  # within the re-check: still trusted
    clock.now += login.LINK_RECHECK
    assert checks.check(other_link) is None
    assert checks.sign_in(team.links[team.executive]) is None


@pytest.mark.postgres
def test_the_page_reads_the_store_as_the_viewer_never_from_the_shared_snapshot(
    team, tmp_path, monkeypatch
):
    from alliance_kit.records import access

    shared = tmp_path / "snapshot.pickle"
    d.load_snapshot(team.url, shared)  # what the administrator's login sees: everything
    monkeypatch.setenv(d.ENV_SNAPSHOT, str(shared))
    everyone = sorted(
        d.DashboardApp.from_store(db=team.url, warm_up=False).current()["alliance_id"]
    )
    assert set(team.mine) < set(everyone)
    monkeypatch.setenv(ENV_DASHBOARD_PERSONAL, "1")
    owner, _ = access.person_for_link(team.store, team.links[team.owner])
    executive, _ = access.person_for_link(team.store, team.links[team.executive])
    app = d.DashboardApp.from_store(db=team.url, role=owner.login, viewer=owner.name,
                                    viewer_kind=owner.kind, warm_up=False)  # fmt: skip
    assert sorted(app.current()["alliance_id"]) == team.mine
    assert sorted(app.frames["alliances"]["id"]) == team.mine  # the drill-down's tables too
    assert f"Signed in as <b>{d.escape(team.owner)}</b> · owner" in app.header.value
    other_period = app.periods[0]  # scored on demand from the store: still as the owner
    app.w_period.value = other_period
    assert set(app.current()["alliance_id"]) <= set(team.mine)
    wide = d.DashboardApp.from_store(db=team.url, role=executive.login, viewer=executive.name,
                                     viewer_kind=executive.kind, warm_up=False)  # fmt: skip
    assert sorted(wide.current()["alliance_id"]) == everyone


@pytest.mark.postgres
def test_dashboard_on_a_store_with_people_prints_no_token_and_serves_personal_links(
    team, monkeypatch
):
    from click.testing import CliRunner

    from alliance_kit.cli import dashboard as cli_dashboard
    from alliance_kit.cli import main

    ran = []

    def run_all(cmds, on_ready=None, on_stopped=None):
        ran.append(cmds)
        on_ready()
        return 0

    monkeypatch.setattr(cli_dashboard, "run_all", run_all)
    monkeypatch.delenv("ALLIANCE_KIT_DASHBOARD_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["dashboard", "--db", team.url, "--port", "9100"])
    assert result.exit_code == 0, result.output
    assert "alliance-kit access link --person NAME" in result.output
    assert "token=" not in result.output and "Scoring the portfolio" not in result.output
    [cmds] = ran
    dash = cmds[0]
    assert dash.env[ENV_DASHBOARD_PERSONAL] == "1"
    assert "ALLIANCE_KIT_VOILA_TOKEN" not in dash.env and d.ENV_SNAPSHOT not in dash.env
    assert not any("preheat" in a for a in dash.argv)
    refused = CliRunner().invoke(
        main, ["dashboard", "--db", team.url, "--token", "given-token-Xq7Rz2Lm9Kp4Wv8Tn3Yb6Hc1"]
    )
    assert refused.exit_code != 0 and "personal link" in refused.output and len(ran) == 1


@pytest.mark.postgres
def test_a_sparse_team_store_one_alliance_without_survey_and_one_not_started(pg_store):
    """An owner of a first alliance with no survey sees it as not assessed; an owner of an
    alliance that starts next year gets a page saying nothing is shown yet, not an error."""
    import datetime as dt
    import html as html_

    from alliance_kit.records import access

    start = dt.date.today().replace(day=1)
    pg_store.insert(
        "alliances",
        [
            dict(id="N1", name="Nordic", partner="Fjord AS", type="reseller",
                 stage="5 working together", start_date=dt.date(2026, 1, 15), owner="Ana",
                 expected_revenue=2_000_000.0, currency="EUR", importance=3),
            dict(id="F1", name="Future Fab", partner="Later Ltd", type="reseller",
                 stage="1 strategy", start_date=start.replace(year=start.year + 2),
                 owner="Fay", expected_revenue=1_000_000.0, currency="USD", importance=2),
        ],
    )  # fmt: skip
    url = pg_url(pg_store)
    grant(url, "Ana <N>", "owner", ["N1"])
    grant(url, "Fay", "owner", ["F1"])
    ana, fay = access.person(pg_store, "Ana <N>"), access.person(pg_store, "Fay")
    app = d.DashboardApp.from_store(db=url, role=ana.login, viewer=ana.name,
                                    viewer_kind=ana.kind, warm_up=False)  # fmt: skip
    assert app.current()["alliance_id"].tolist() == ["N1"]
    assert app.current()["health_index"].isna().all()
    assert "Signed in as <b>Ana &lt;N&gt;</b> · owner" in app.header.value
    assert "Future Fab" not in app.widget.children[0].value + app.tiles.value
    empty = d.DashboardApp.from_store(db=url, role=fay.login, viewer=fay.name,
                                      viewer_kind=fay.kind, warm_up=False)  # fmt: skip
    assert isinstance(empty, d.NothingVisible)
    assert html_.escape(d.NOTHING_VISIBLE, quote=True) in empty.widget.value
    assert "Signed in as <b>Fay</b> · owner" in empty.widget.value
    assert "Nordic" not in empty.widget.value
    assert empty.period is None and empty.current().empty
