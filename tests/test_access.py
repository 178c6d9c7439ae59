"""Per-person access on the real PostgreSQL server: five people of different kinds read
and write every table through the public paths (CLI, forms, import --merge, the
dashboard's view model, report), and direct SQL; row-level security decides."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from alliance_kit.cli import main
from alliance_kit.records import access, io, sample
from alliance_kit.records.model import ALLIANCE_PATH, TABLES
from alliance_kit.records.store import AccessRefused, Store, StoreError
from tests.conftest import _drop_pg_database, _fresh_pg_database

pytestmark = pytest.mark.postgres

OWNED = "A002"  # the owner's alliance (the sample's A001 is the other one checked)
OTHER = "A001"
TEAM = {
    "Ana Admin": ("admin", ()),
    "Ann Analyst": ("analyst", ()),
    "Otto O'Owner <b>": ("owner", (OWNED,)),
    "Eve Exec": ("executive", ()),
    "Nightly report": ("reader", ()),
}


class Team:
    """A store holding the sample portfolio, its owner's handle and one per person."""

    def __init__(self, owner: Store) -> None:
        self.owner = owner
        self.url = owner.engine.url.render_as_string(hide_password=False)
        self.urls: dict[str, str] = {}
        self.people: dict[str, access.Person] = {}
        for name, (kind, alliances) in TEAM.items():
            granted = access.grant(owner, name, kind, alliances)
            assert granted.created and granted.password
            self.people[kind] = granted.person
            self.urls[kind] = (
                make_url(self.url)
                .set(username=granted.person.login, password=granted.password)
                .render_as_string(hide_password=False)
            )
        self.stores = {kind: Store(url) for kind, url in self.urls.items()}

    def close(self) -> None:
        for store in self.stores.values():
            store.engine.dispose()


@pytest.fixture
def team() -> Team:
    url, name = _fresh_pg_database()
    owner = Store(url)
    owner.migrate()
    sample.load(owner)
    made = Team(owner)
    try:
        yield made
    finally:
        made.close()
        owner.engine.dispose()
        _drop_pg_database(name)


def cli(url: str, *args: object, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*map(str, args), "--db", url], input=input)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


# --- reading -------------------------------------------------------------------------


def test_every_kind_reads_what_its_role_allows_on_every_table(team: Team) -> None:
    everything = team.owner.read_all()
    for kind in ("admin", "analyst", "executive", "reader"):
        frames = team.stores[kind].read_all()
        for table in TABLES:
            assert len(frames[table]) == len(everything[table]), (kind, table)
    mine = team.stores["owner"].read_all()
    for table in TABLES:
        theirs = _alliance_series(everything, table).eq(OWNED)
        assert set(_alliance_series(mine, table).dropna()) <= {OWNED}, table
        assert len(mine[table]) == int(theirs.sum()), table
    assert len(mine["answers"]) > 0 and len(mine["kpi_actuals"]) > 0


def _alliance_series(frames: dict[str, pd.DataFrame], table: str) -> pd.Series:
    """Each row's alliance, following ALLIANCE_PATH for tables without the column."""
    frame = frames[table]
    if table == "alliances":
        return frame["id"]
    if table not in ALLIANCE_PATH:
        return frame["alliance_id"]
    column, parent = ALLIANCE_PATH[table]
    mapping = dict(zip(frames[parent]["id"], _alliance_series(frames, parent), strict=True))
    return frame[column].map(mapping)


def test_an_owner_using_sql_directly_gets_nothing_of_another_alliance(team: Team) -> None:
    with team.stores["owner"].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kpis WHERE alliance_id = :a"), {
            "a": OTHER}).scalar_one() == 0  # fmt: skip
        assert (
            conn.execute(
                text("UPDATE alliances SET name = 'taken over' WHERE id = :a"), {"a": OTHER}
            ).rowcount
            == 0
        )
        assert conn.execute(text("DELETE FROM risks WHERE alliance_id = :a"), {"a": OTHER}
                            ).rowcount == 0  # fmt: skip
        conn.rollback()
        with pytest.raises(AccessRefused, match="may not write this lessons row"):
            conn.execute(
                text(
                    "INSERT INTO lessons (id, alliance_id, recorded_on, title, version) "
                    "VALUES ('L-x', :a, '2026-10-01', 'mine now', 1)"
                ),
                {"a": OTHER},
            )
        conn.rollback()
        # nor reads the access tables' secrets
        with pytest.raises(AccessRefused):
            conn.execute(text("SELECT token_hash FROM dashboard_links")).all()
    assert team.owner.read("alliances").set_index("id").loc[OTHER, "name"] != "taken over"
    assert len(team.owner.read("risks").query("alliance_id == @OTHER"))


def test_a_role_not_on_the_team_sees_no_row_even_with_table_privileges(team: Team) -> None:
    app = os.environ.get("ALLIANCE_KIT_TEST_PG_APP")
    if not app:
        pytest.fail("ALLIANCE_KIT_TEST_PG_APP is not set: run the suite with `make test`")
    role = make_url(app).username
    with team.owner.engine.begin() as conn:
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role}")
    stranger = Store(f"{app}/{team.owner.engine.url.database}")
    try:
        assert all(len(f) == 0 for f in stranger.read_all().values())
        with pytest.raises(AccessRefused):
            stranger.insert("lessons", [_lesson("L-s", OWNED, "x")])
    finally:
        stranger.engine.dispose()
        with team.owner.engine.begin() as conn:
            conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            conn.exec_driver_sql(f"REVOKE USAGE ON SCHEMA public FROM {role}")


def _lesson(key: str, alliance: str, title: str) -> dict:
    return dict(id=key, alliance_id=alliance, recorded_on=dt.date(2026, 10, 1), title=title)


# --- writing through the public paths --------------------------------------------------------


def _edit(team: Team, tmp_path: Path, alliance: str, name: str) -> Path:
    """The store's export with one alliance renamed (what a user edits and merges back)."""
    folder = io.export_portfolio(team.owner, tmp_path / f"export-{name}", "csv")
    path = folder / "alliances.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["id"] == alliance, "name"] = name
    frame.to_csv(path, index=False)
    return folder


def test_import_merge_as_each_kind(team: Team, tmp_path: Path) -> None:
    before = team.owner.read("alliances").set_index("id")["name"]
    # the owner, on their own alliance: written, under their name and role
    code, out = cli(
        team.urls["owner"], "import", _mine(team, tmp_path, "Owner's rename"), "--merge"
    )
    assert code == 0, out
    assert team.owner.read("alliances").set_index("id").loc[OWNED, "name"] == "Owner's rename"
    with team.owner.engine.connect() as conn:
        who = conn.execute(
            text("SELECT user_name, db_role FROM change_sets ORDER BY at DESC LIMIT 1")
        ).one()
    assert who == ("Otto O'Owner <b>", team.people["owner"].login)
    # the owner, on another alliance: refused, saying what is needed; nothing written
    edit = _edit(team, tmp_path, OTHER, "Hijacked")
    code, out = cli(team.urls["owner"], "import", edit, "--merge")
    assert code != 0
    assert "An owner changes only their own alliances" in out and "Nothing was written" in out
    assert team.owner.read("alliances").set_index("id").loc[OTHER, "name"] == before[OTHER]
    # executives and readers only read
    for kind in ("executive", "reader"):
        code, out = cli(team.urls[kind], "import", _edit(team, tmp_path, OTHER, kind), "--merge")
        assert code != 0 and "executives and readers only read" in out, out
        assert team.owner.read("alliances").set_index("id").loc[OTHER, "name"] == before[OTHER]
    # an analyst writes any alliance
    code, out = cli(team.urls["analyst"], "import", _edit(team, tmp_path, OTHER, "By analyst"),
                    "--merge")  # fmt: skip
    assert code == 0, out
    assert team.owner.read("alliances").set_index("id").loc[OTHER, "name"] == "By analyst"


def _mine(team: Team, tmp_path: Path, name: str) -> Path:
    """An export as the owner sees it (their alliance only), with it renamed."""
    folder = io.export_portfolio(team.stores["owner"], tmp_path / "mine", "csv")
    path = folder / "alliances.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame["id"]) == [OWNED]
    frame["name"] = name
    frame.to_csv(path, index=False)
    return folder


def test_forms_save_for_an_owner_only_on_their_alliances(team: Team) -> None:
    from alliance_kit.views.widgets import RecordForm

    form = RecordForm(team.stores["owner"], "lessons")
    assert {v for _, v in form.fields["alliance_id"].widget.options if v} == {OWNED}
    form.fields["alliance_id"].widget.value = OWNED
    form.fields["title"].widget.value = "Agree the KPI definitions before the kick-off"
    form.fields["recorded_on"].widget.value = dt.date(2026, 10, 1)
    assert form.save(), form.status.value
    assert "Saved" in form.status.value
    # an executive's form is refused, and says why
    exec_form = RecordForm(team.stores["executive"], "lessons")
    exec_form.fields["alliance_id"].widget.value = OWNED
    exec_form.fields["title"].widget.value = "Executives write nothing"
    exec_form.fields["recorded_on"].widget.value = dt.date(2026, 10, 1)
    assert not exec_form.save()
    assert "executives and readers only read" in exec_form.status.value
    texts = set(team.owner.read("lessons")["title"])
    assert "Agree the KPI definitions before the kick-off" in texts
    assert "Executives write nothing" not in texts


def test_a_workbook_says_who_is_signed_in_and_offers_their_alliances(team: Team) -> None:
    from alliance_kit.views import workbook

    book = workbook.start(store=team.stores["owner"], title="Strategy", with_period=False)
    first = book.widget.children[0]
    assert "Signed in as <b>Otto O&#x27;Owner &lt;b&gt;</b> · owner of A002" in first.value
    assert [v for _, v in book.alliance_picker.options if v] == [OWNED]
    owners_book = workbook.start(store=team.owner, title="Strategy", with_period=False)
    assert not any("Signed in" in getattr(c, "value", "") for c in owners_book.widget.children)


def test_the_history_records_the_person_and_cannot_be_forged(team: Team) -> None:
    store = team.stores["analyst"]
    store.insert("lessons", [_lesson("L-an", OTHER, "analyst's lesson")])
    with team.owner.engine.connect() as conn:
        who = conn.execute(
            text("SELECT user_name, db_role FROM change_sets ORDER BY at DESC LIMIT 1")
        ).one()
    assert who == ("Ann Analyst", team.people["analyst"].login)
    with store.engine.connect() as conn, pytest.raises(AccessRefused):
        conn.execute(
            text(
                "INSERT INTO change_sets (id, at, user_name, db_role, source) "
                "VALUES ('forged', now(), 'Ana Admin', current_user, 'psql')"
            )
        )


def test_dashboard_view_model_shows_an_owner_only_their_alliance(team: Team) -> None:
    from alliance_kit.views.dashboard import DashboardApp

    shown = DashboardApp.from_store(db=team.urls["owner"], period="2026-Q3").current()
    assert set(shown["alliance_id"]) == {OWNED}
    everyone = DashboardApp.from_store(db=team.urls["executive"], period="2026-Q3").current()
    full = DashboardApp.from_store(db=team.url, period="2026-Q3").current()
    assert set(everyone["alliance_id"]) == set(full["alliance_id"]) and len(full) > 1


def test_reports_as_the_owner_and_as_the_read_only_report_role(team: Team, tmp_path: Path):
    code, out = cli(team.urls["owner"], "report", "-p", "2026-Q3", "--format", "html",
                    "--out", tmp_path / "owner", "--no-progress", "--workers", "1")  # fmt: skip
    assert code == 0, out
    built = sorted(p.stem for p in (tmp_path / "owner" / "2026-Q3" / "alliances").glob("*.html"))
    assert built == [OWNED]
    code, out = cli(team.urls["reader"], "report", "-p", "2026-Q3", "--format", "html",
                    "--alliance", OTHER, "--out", tmp_path / "reader", "--no-progress",
                    "--workers", "1")  # fmt: skip
    assert code == 0, out
    manifest = json.loads((tmp_path / "reader" / "2026-Q3" / "manifest.json").read_text())
    assert OTHER in json.dumps(manifest)


# --- managing access -----------------------------------------------------------------------


def test_access_commands_admin_only_and_traced(team: Team) -> None:
    code, out = cli(team.urls["analyst"], "access", "grant", "--person", "Mallory",
                    "--role", "admin")  # fmt: skip
    assert code != 0 and "changing access needs an admin" in out
    # an admin person (not the store's owner) grants and revokes
    code, out = cli(team.urls["admin"], "access", "grant", "--person", "Olga", "--role",
                    "owner", "--alliance", OTHER)  # fmt: skip
    assert code == 0, out
    olga_url = out.strip().splitlines()[-1].strip()
    olga = Store(olga_url)
    try:
        assert set(olga.read("alliances")["id"]) == {OTHER}
    finally:
        olga.engine.dispose()
    code, out = cli(team.urls["admin"], "access", "list")
    assert "Olga" in out and "row-level security: in force on all" in out
    # revoking asks first
    code, out = cli(team.urls["admin"], "access", "revoke", "--person", "Olga", input="n\n")
    assert code != 0 and access.person(team.owner, "Olga") is not None
    code, out = cli(team.urls["admin"], "access", "revoke", "--person", "Olga", "--yes")
    assert code == 0, out
    assert access.person(team.owner, "Olga") is None
    with pytest.raises(OperationalError):
        Store(olga_url).engine.connect().close()
    log = access.log_frame(team.owner)
    assert list(log["action"][:2]) == ["revoke", "grant"]
    assert set(log["by"][:2]) == {team.people["admin"].login}


def test_a_login_above_row_level_security_is_refused_as_a_person(team: Team) -> None:
    store_owner = make_url(team.url).username
    with pytest.raises(access.AccessError, match="not bound by row-level security"):
        access.grant(team.owner, "Sneaky", "executive", login=store_owner)
    with pytest.raises(access.AccessError, match="already a person's login"):
        access.grant(team.owner, "Twin", "analyst", login=team.people["owner"].login)
    assert access.person(team.owner, "Sneaky") is None


def test_an_admin_person_is_revoked_and_can_no_longer_sign_in(team: Team) -> None:
    admin = team.stores.pop("admin")
    conn = admin.engine.connect()  # signed in when revoked: the session is ended
    assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    assert access.revoke(team.owner, "Ana Admin").kind == "admin"
    with pytest.raises(OperationalError):
        conn.exec_driver_sql("SELECT 1")
    conn.invalidate()
    admin.engine.dispose()
    with pytest.raises(OperationalError):
        Store(team.urls["admin"]).engine.connect().close()
    with pytest.raises(access.AccessError, match="no person"):
        access.revoke(team.owner, "Ana Admin")


def test_links_issue_check_and_revoke(team: Team) -> None:
    token = access.issue_link(team.owner, "Eve Exec", days=7)
    found = access.person_for_link(team.owner, token)
    assert found is not None and found[0].kind == "executive"
    assert access.link_active(team.owner, found[1]) == found[0]
    assert access.person_for_link(team.owner, token[:-1] + "x") is None
    with team.owner.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM dashboard_links")).scalars().all()
    assert token not in stored and len(stored) == 1
    assert access.revoke_links(team.owner, "Eve Exec") == 1
    assert access.person_for_link(team.owner, token) is None
    assert access.link_active(team.owner, found[1]) is None


def test_init_says_row_level_security_is_in_force_and_notices_a_gap(team: Team) -> None:
    with team.owner.engine.begin() as conn:  # as if an upgrade had added a table
        conn.exec_driver_sql(f"REVOKE SELECT ON kpis FROM {make_url(team.url).database}_analyst")
    with pytest.raises(AccessRefused):
        team.stores["analyst"].read("kpis")
    code, out = cli(team.url, "init")
    assert code == 0 and "row-level security in force on all" in out and "5 people" in out
    assert len(team.stores["analyst"].read("kpis")) == len(team.owner.read("kpis"))
    code, out = cli(team.urls["analyst"], "init")  # anyone may check a store at head
    assert code == 0 and "row-level security in force on all" in out, out
    with team.owner.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE kpis DISABLE ROW LEVEL SECURITY")
    code, out = cli(team.url, "init")
    assert code != 0 and "not in force on kpis" in out


def test_the_embedded_store_is_single_user(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    code, out = cli(str(db), "init")
    assert code == 0 and "single-user" in out
    code, out = cli(str(db), "access", "grant", "--person", "Ana", "--role", "analyst")
    assert code != 0 and "the embedded SQLite store is single-user" in out


def test_executives_and_readers_never_see_who_a_respondent_is(team: Team) -> None:
    full = team.owner.read("respondents")
    comments = team.owner.read("answers")["comment"]
    assert full["label"].notna().any() and full["role"].notna().any() and comments.notna().any()
    for kind in ("executive", "reader"):
        seen = team.stores[kind].read("respondents")
        assert len(seen) == len(full) and list(seen["side"]) == list(full["side"])
        for column in ("label", "email", "role", "org_level"):
            assert seen[column].isna().all(), column
        answers = team.stores[kind].read("answers")
        assert answers["comment"].isna().all() and answers["score"].notna().any()
        assert team.stores[kind].read("invitations")["code_hash"].isna().all()
        with team.stores[kind].engine.connect() as conn, pytest.raises(AccessRefused):
            conn.execute(text("SELECT label FROM respondents")).all()
    # and the health scores they see are the analysts' (none of those columns count)
    from alliance_kit.assess import health

    seen = health.score_portfolio(team.stores["executive"].read_all(), "2026-Q3")
    full_scores = health.score_portfolio(team.stores["analyst"].read_all(), "2026-Q3")
    pd.testing.assert_frame_equal(seen.alliances, full_scores.alliances)
    pd.testing.assert_frame_equal(seen.cracks, full_scores.cracks)
    mine = team.stores["owner"].read("respondents")  # an owner runs their alliance's rounds
    assert mine["label"].notna().any()


def test_an_owner_runs_survey_rounds_of_their_alliance_only(team: Team) -> None:
    code, out = cli(team.urls["analyst"], "survey", "open-round", "--alliance", OTHER,
                    "--period", "2026-Q4")  # fmt: skip
    assert code == 0 and out.startswith("round RND-0001:"), out
    code, out = cli(team.urls["owner"], "survey", "open-round", "--alliance", OWNED,
                    "--period", "2026-Q4")  # fmt: skip
    assert code == 0, out
    round_id = out.split()[1].rstrip(":")
    code, out = cli(team.urls["owner"], "survey", "add-respondent", "--round", round_id,
                    "--side", "partner", "--label", "Pat")  # fmt: skip
    assert code == 0, out
    code, out = cli(team.urls["owner"], "survey", "invite", "--round", round_id, "--all")
    assert code == 0 and "1 code(s) issued" in out, out
    # a new id is new across the store, not only among the rows this owner sees
    assert round_id == "RND-0002"
    rounds = len(team.owner.read("assessment_rounds"))
    code, out = cli(team.urls["owner"], "survey", "open-round", "--alliance", OTHER,
                    "--period", "2026-Q3")  # fmt: skip
    assert code != 0 and f"unknown alliance '{OTHER}'" in out, out  # not there for them
    assert len(team.owner.read("assessment_rounds")) == rounds


def test_every_record_table_written_as_each_kind(team: Team) -> None:
    """One saved row per record table (a form's save: Store.upsert), of the owner's
    alliance and of another: allowed where the role may write, refused and unchanged
    elsewhere."""
    everything = team.owner.read_all()
    tried = 0
    for table in TABLES:
        frame = everything[table]
        alliance = _alliance_series(everything, table)
        mine, other = frame[alliance.eq(OWNED).to_numpy()], frame[alliance.eq(OTHER).to_numpy()]
        if mine.empty or other.empty:
            continue
        tried += 1
        rows = {"mine": mine.head(1), "other": other.head(1)}
        allowed = {
            ("owner", "mine"), ("analyst", "mine"), ("analyst", "other"), ("admin", "mine"),
            ("admin", "other"),
        }  # fmt: skip
        for kind in ("owner", "executive", "reader", "analyst", "admin"):
            for which in ("mine", "other"):
                row = team.owner.read(table, _key(table, rows[which]))
                if (kind, which) in allowed:
                    team.stores[kind].upsert(table, row)
                    after = team.owner.read(table, _key(table, rows[which]))
                    assert int(after["version"].iloc[0]) == int(row["version"].iloc[0]) + 1
                else:
                    with pytest.raises(StoreError, match="(?i)nothing was written"):
                        team.stores[kind].upsert(table, row)
                    after = team.owner.read(table, _key(table, rows[which]))
                    assert int(after["version"].iloc[0]) == int(row["version"].iloc[0]), (
                        kind, which, table)  # fmt: skip
    assert tried >= 25


def _key(table: str, row: pd.DataFrame) -> dict:
    keys = [c.name for c in TABLES[table].primary_key.columns]
    return {k: row[k].iloc[0] for k in keys}
