"""The questionnaire widgets without a browser: set widget values, check the store."""

from __future__ import annotations

import datetime as dt
import sys

import ipywidgets as w
import pandas as pd
import pytest

from alliance_kit.assess import survey
from alliance_kit.assess import survey_widgets as sw
from alliance_kit.delivery import serve
from alliance_kit.records import questionnaire

NOW = dt.datetime(2026, 7, 2, 9, 0)
Q = questionnaire.load("2026.1")
EVIL = "<script>alert(1)</script>"


def clock():
    return NOW


def texts(widget) -> str:
    """Every text a widget tree shows (HTML values, labels, options), joined."""
    out = []
    for attr in ("value", "description", "placeholder"):
        v = getattr(widget, attr, None)
        if isinstance(v, str):
            out.append(v)
    for opt in getattr(widget, "options", ()) or ():
        out.append(str(opt[0] if isinstance(opt, tuple) else opt))
    for tip in getattr(widget, "tooltips", ()) or ():
        out.append(str(tip))
    for child in getattr(widget, "children", ()) or ():
        out.append(texts(child))
    return "\n".join(out)


@pytest.fixture
def setup(sqlite_store):
    store = sqlite_store
    store.insert(
        "alliances",
        [
            {
                "id": "A001",
                "name": f"Cloud {EVIL}",
                "partner": "North<b>wind</b>",
                "type": "co-sell",
                "stage": "5 working together",
                "start_date": dt.date(2025, 1, 1),
                "owner": "Eve",
                "expected_revenue": 1.0,
                "currency": "USD",
                "importance": 3,
            }
        ],
    )
    rnd = survey.open_round(store, "A001", "2026-Q3", questionnaire_version="2026.1")
    me = survey.add_respondent(store, rnd["id"], "partner", role=f"ops {EVIL}", label=EVIL)
    other = survey.add_respondent(store, rnd["id"], "us", role="sponsor")
    return store, rnd["id"], me, other


# --- the form ----------------------------------------------------------------------------


def test_form_groups_statements_by_crack_with_anchors(setup):
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    assert list(form.items) == [s.id for s in Q.statements]
    assert sorted(form.crack_headers) == [1, 2, 3, 4, 5, 6]
    assert "Senior management commitment" in form.crack_headers[1].value
    item = form.items["C1.1"]
    assert [o[1] for o in item.score.options] == [1, 2, 3, 4, 5, sw.DONT_KNOW]
    for n in range(1, 6):
        assert sw.esc(Q.statement("C1.1").anchors[n]) in item.anchors.value
    assert form.progress.value == 0 and form.progress.max == 24


def test_each_answer_is_saved_when_given(setup):
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    form.items["C1.1"].score.value = 4
    answers = store.read("answers")
    assert answers[["statement_id", "score"]].values.tolist() == [["C1.1", 4]]
    assert "ak-ok" in form.items["C1.1"].message.value
    assert "You answered 4" in form.items["C1.1"].anchors.value
    form.items["C1.1"].comment.value = "because <b>reasons</b>"
    form.items["C2.3"].score.value = sw.DONT_KNOW
    answers = store.read("answers").set_index("statement_id")
    assert answers.loc["C1.1", "comment"] == "because <b>reasons</b>"
    assert pd.isna(answers.loc["C2.3", "score"])
    assert form.progress.value == 2
    assert "1 of 4 answered" in form.crack_headers[1].value
    form.items["C1.1"].score.value = 2  # a changed answer replaces the earlier one
    assert store.read("answers", {"statement_id": "C1.1"})["score"].tolist() == [2]


def test_comment_before_score_waits_for_the_score(setup):
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    item = form.items["C3.1"]
    item.comment.value = "later"
    assert store.read("answers").empty
    assert "Pick an answer" in item.message.value
    item.score.value = 3
    row = store.read("answers").iloc[0]
    assert (row["statement_id"], row["score"], row["comment"]) == ("C3.1", 3, "later")


def test_too_long_comment_is_refused_visibly(setup):
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    item = form.items["C1.1"]
    item.score.value = 5
    item.comment.value = "x" * (survey.COMMENT_MAX + 1)
    assert "ak-error" in item.message.value and "under 2000" in item.message.value
    assert store.read("answers")["comment"].tolist() == [None]


def test_a_control_character_in_a_comment_is_refused_visibly(setup):
    """A NUL pasted into a comment: a message the respondent can act on, not a failed
    insert on PostgreSQL or an export that breaks later; the earlier answer stays."""
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    item = form.items["C1.1"]
    item.score.value = 5
    item.comment.value = "pasted\x00text"
    assert "ak-error" in item.message.value and "control character" in item.message.value
    assert store.read("answers")["comment"].tolist() == [None]
    item.comment.value = "two\r\nlines"
    assert store.read("answers")["comment"].tolist() == ["two\nlines"]


def test_statement_not_in_the_version_is_refused_visibly(setup):
    store, _, me, _ = setup
    form = sw.workbook_form(store, me, Q)
    assert form.answer("C9.9", 3) is False
    assert "C9.9" in form.message.value and "not part of questionnaire 2026.1" in (
        form.message.value
    )
    assert store.read("answers").empty
    assert form.answer("C1.2", 7) is False  # a score the buttons do not offer
    assert store.read("answers").empty
    assert form.answer("C1.2", None, "no idea") is True
    row = store.read("answers").iloc[0]
    assert pd.isna(row["score"]) and row["comment"] == "no idea"


def test_refusal_from_the_saver_is_shown(setup):
    store, *_ = setup

    def refuse(*_args):
        raise survey.AnswerRefused("the round is closed")

    form = sw.QuestionnaireForm(Q, refuse)
    form.items["C1.1"].score.value = 3
    assert "Not saved: the round is closed" in form.items["C1.1"].message.value


def test_preload_shows_own_answers_without_saving_again(setup):
    store, _, me, other = setup
    survey.save_answer(store, me, "C1.1", 2, "mine", now=NOW)
    survey.save_answer(store, other, "C1.2", 5, "not mine", now=NOW)
    form = sw.workbook_form(store, me, Q)
    assert form.items["C1.1"].score.value == 2
    assert form.items["C1.1"].comment.value == "mine"
    assert form.items["C1.2"].score.value is None
    assert "not mine" not in texts(form.widget)
    assert store.read("answers", {"respondent_id": me})["answered_at"].tolist() == [
        pd.Timestamp(NOW)
    ]
    assert form.answered == {"C1.1"}


# --- the survey page ---------------------------------------------------------------------


def test_valid_code_shows_only_own_questionnaire(setup):
    store, _, me, other = setup
    survey.save_answer(store, me, "C4.1", 4, "my comment", now=NOW)
    survey.save_answer(store, other, "C4.1", 1, "secret of the other side", now=NOW)
    code = survey.invite(store, me, now=NOW).code
    page = sw.SurveyPage(store, code, clock=clock)
    assert page.form is not None and page.refusal is None
    shown = texts(page.widget)
    assert "secret of the other side" not in shown
    assert page.form.items["C4.1"].score.value == 4
    # user-typed text is escaped
    assert EVIL not in page.header.value
    assert "&lt;script&gt;" in page.header.value
    assert "North&lt;b&gt;wind&lt;/b&gt;" in page.header.value
    page.form.items["C5.2"].score.value = 3
    saved = store.read("answers", {"respondent_id": me})
    assert saved["statement_id"].tolist() == ["C4.1", "C5.2"]


def test_submit_marks_the_invitation_and_closes_the_form(setup):
    store, _, me, _ = setup
    code = survey.invite(store, me, now=NOW).code
    page = sw.SurveyPage(store, code, clock=clock)
    assert page.submit() is False  # nothing answered yet
    assert "at least one" in page.submit_message.value
    page.form.items["C1.1"].score.value = 5
    assert page.submit() is False  # 23 unanswered: asks first
    assert "23 statement(s) are not answered" in page.submit_message.value
    assert store.read("invitations")["submitted_at"].isna().all()
    assert page.submit() is True  # the second press submits
    assert store.read("invitations")["submitted_at"].tolist() == [pd.Timestamp(NOW)]
    assert "Thank you" in texts(page.widget)
    assert page.form.items["C1.1"].score.disabled
    again = sw.SurveyPage(store, code, clock=clock)
    assert again.refusal == survey.Refusal("submitted") and again.form is None


@pytest.mark.parametrize("reason", ["invalid", "expired", "revoked"])
def test_refused_codes_show_no_statement(setup, reason):
    store, _, me, _ = setup
    issued = survey.invite(store, me, now=NOW, days=30)
    code = issued.code
    when = NOW
    if reason == "invalid":
        code = "wrong-code"
    elif reason == "expired":
        when = NOW + dt.timedelta(days=31)
    else:
        survey.revoke(store, respondent_id=me, now=NOW)
    page = sw.SurveyPage(store, code, clock=lambda: when)
    assert page.form is None and page.refusal == survey.Refusal(reason)
    shown = texts(page.widget)
    assert sw.esc(survey.REFUSAL_MESSAGES[reason]) in shown
    for st in Q.statements:
        assert sw.esc(st.text) not in shown
    assert "Cloud" not in shown  # not even which alliance the code was for


def test_code_typed_in_the_field(setup):
    store, _, me, _ = setup
    code = survey.invite(store, me, now=NOW).code
    page = sw.SurveyPage(store, None, clock=clock)
    assert page.form is None and page.refusal is None
    assert "invitation code" in texts(page.widget)
    page.code_field.value = code
    page.open_button.click()
    assert page.form is not None


def test_code_from_query():
    assert sw.code_from_query("code=abc-_1&token=t") == "abc-_1"
    assert sw.code_from_query("token=t") is None
    assert sw.code_from_query("") is None
    assert sw.code_from_query(None) is None
    assert sw.code_from_query("code=%20x%20") == "x"


def test_survey_app_reads_the_query_string(setup, monkeypatch):
    store, _, me, _ = setup
    code = survey.invite(store, me).code
    monkeypatch.setenv("QUERY_STRING", f"code={code}")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    widget = sw.survey_app(store.url)
    assert Q.statements[0].text in texts(widget)


def test_survey_app_without_a_store_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("QUERY_STRING", raising=False)
    widget = sw.survey_app(str(tmp_path / "missing.sqlite"))
    assert "not available right now" in texts(widget)


# --- workbook helpers --------------------------------------------------------------------


def test_respondent_picker_and_adder(setup):
    store, round_id, me, other = setup
    picker = sw.RespondentPicker(store, round_id, Q)
    assert [v for _, v in picker.dropdown.options] == [me, other]
    assert EVIL in picker.dropdown.options[0][0]  # plain text option labels, not HTML
    picker.form.items["C1.1"].score.value = 1
    picker.show(other)
    picker.form.items["C1.1"].score.value = 5
    scores = store.read("answers").set_index("respondent_id")["score"].to_dict()
    assert scores == {me: 1, other: 5}
    added = []
    adder = sw.RespondentAdder(store, round_id, on_added=added.append)
    adder.side.value, adder.role.value, adder.label.value = "partner", "finance", "<i>K</i>"
    adder.button.click()
    assert len(added) == 1
    assert store.read("respondents", {"id": added[0]})["role"].tolist() == ["finance"]
    assert "&lt;" not in adder.message.value or EVIL not in adder.message.value


def test_status_panel_shows_counts_not_answers(setup):
    store, round_id, me, _ = setup
    survey.save_answer(store, me, "C1.1", 3, "private remark", now=NOW)
    panel = sw.StatusPanel(store, round_id, n_statements=len(Q.statements))
    status = panel.refresh()
    assert status.set_index("side")["started"].to_dict() == {"us": 0, "partner": 1}
    assert "private remark" not in panel.table.value
    assert "response rate" in panel.table.value
    assert isinstance(panel.widget, w.VBox)


# --- serving ------------------------------------------------------------------------------


def test_voila_command(tmp_path):
    nb = tmp_path / "page.ipynb"
    nb.write_text("{}")
    cmd = serve.voila_command(
        nb,
        8123,
        str(tmp_path / "s.sqlite"),
        token="tok",
        preheat=2,
        base_env={"JUPYTER_PATH": "/x"},
    )
    assert cmd.argv[:4] == [sys.executable, "-m", "voila", str(nb.resolve())]
    for arg in (
        "--port=8123",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--no-browser",
        "--preheat_kernel=True",
        "--pool_size=2",
        "--template=alliance-kit",
    ):
        assert arg in cmd.argv
    assert cmd.env["ALLIANCE_KIT_DB"] == f"sqlite:///{tmp_path / 's.sqlite'}"
    assert cmd.env["JUPYTER_PATH"].split(":") == [str(serve.SHARE), "/x"]
    assert cmd.env["JUPYTER_CONFIG_PATH"].split(":")[0] == str(serve.CONFIG)
    assert cmd.env["ALLIANCE_KIT_VOILA_TOKEN"] == "tok" and "tok" not in " ".join(cmd.argv)
    assert (serve.SHARE / "voila/templates/alliance-kit/index.html.j2").exists()
    assert cmd.url == "http://127.0.0.1:8123/"
    plain = serve.voila_command(nb, 8124, base_env={"ALLIANCE_KIT_VOILA_TOKEN": "inherited"})
    assert not any(a.startswith("--preheat") for a in plain.argv)
    assert "ALLIANCE_KIT_VOILA_TOKEN" not in plain.env  # no token: none inherited either
    with pytest.raises(FileNotFoundError):
        serve.voila_command(tmp_path / "nope.ipynb", 1)


def test_voila_template_loads_nothing_from_a_cdn():
    text = (serve.SHARE / "voila/templates/alliance-kit/index.html.j2").read_text()
    assert "fontawesome" in text  # it strips the stock template's CDN links
    assert "<link" not in text.replace('<link rel="stylesheet" href="https://cdn', "")


def test_a_page_takes_only_a_few_wrong_codes(setup):
    """Codes typed into one page: after CODE_ATTEMPTS refusals the page takes no more,
    not even a valid code (a guesser must load a new page, which the server counts)."""
    store, _, me, _ = setup
    code = survey.invite(store, me, now=NOW).code
    page = sw.SurveyPage(store, None, clock=clock)
    for i in range(sw.CODE_ATTEMPTS - 1):
        assert page.open(f"wrong-{i}") is False
        assert page.refusal is not None and not page.code_field.disabled
    assert page.open("wrong-last") is False
    assert page.code_field.disabled and page.open_button.disabled
    assert page.open(code) is False and page.form is None
    assert "Too many codes" in texts(page.widget)
    assert sw.SurveyPage(store, code, clock=clock).form is not None  # a new page opens it


def _iopub_until_idle(kc, msg_id: str, timeout: float = 60.0) -> list[dict]:
    """The kernel's iopub messages in reply to ``msg_id``, until it is idle again."""
    import queue
    import time

    msgs, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return msgs
    raise AssertionError(f"the kernel never finished {msg_id}")


def test_malformed_widget_messages_send_no_traceback_to_the_browser(setup, tmp_path):
    """A browser can send any comm message to its page's kernel. On a real kernel running
    the survey page, malformed updates of its widgets (a score outside the buttons, a
    comment that is not text, a message that is not a dict) are refused without an
    'error' message or any traceback going back over the wire, and the page still works."""
    import json

    from jupyter_client.manager import start_new_kernel

    store, _, me, _ = setup
    code = survey.invite(store, me, now=NOW).code
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        setup_code = (
            "import datetime\n"
            "from alliance_kit.assess import survey_widgets as sw\n"
            "from alliance_kit.views.notebook import hide_tracebacks\n"
            "from alliance_kit.records.opening import open_store\n"
            "hide_tracebacks()  # as survey_app and the served dashboard do\n"
            f"store = open_store({str(store.engine.url.database)!r})\n"
            f"page = sw.SurveyPage(store, {code!r}, clock=lambda: {NOW!r}).widget\n"
            "from IPython.display import display; display(page)\n"
            "import ipywidgets as w\n"
            "def walk(x):\n"
            "    yield x\n"
            "    for c in getattr(x, 'children', ()):\n"
            "        yield from walk(c)\n"
            "score = next(x for x in walk(page) if isinstance(x, w.ToggleButtons))\n"
            "comment = next(x for x in walk(page) if isinstance(x, w.Textarea))\n"
            "print('IDS', score.model_id, comment.model_id)\n"
        )
        ids = None
        seen = _iopub_until_idle(kc, kc.execute(setup_code), 90)
        for msg in seen:
            if msg["msg_type"] == "stream" and "IDS" in msg["content"]["text"]:
                ids = msg["content"]["text"].split("IDS", 1)[1].split()[:2]
            assert msg["msg_type"] != "error", msg["content"]
        assert ids, "the survey page did not start"
        score_id, comment_id = ids
        hostile = [
            (score_id, {"method": "update", "state": {"index": 99}, "buffer_paths": []}),
            (score_id, {"method": "update", "state": {"value": "<b>x</b>"}, "buffer_paths": []}),
            (comment_id, {"method": "update", "state": {"value": 12}, "buffer_paths": []}),
            (comment_id, "not a dict"),
        ]
        wire: list[dict] = []
        for comm_id, data in hostile:
            msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
            kc.shell_channel.send(msg)
            wire += _iopub_until_idle(kc, msg["header"]["msg_id"])
        assert not [m for m in wire if m["msg_type"] == "error"]
        assert "Traceback" not in json.dumps([m["content"] for m in wire])
        # the page still saves a proper answer afterwards
        done = kc.execute(
            "score.value = 4\nprint('SAVED', [x.value for x in walk(page)"
            " if isinstance(x, w.HTML) and 'Saved at' in x.value])"
        )
        out = "".join(
            m["content"].get("text", "")
            for m in _iopub_until_idle(kc, done)
            if m["msg_type"] == "stream"
        )
        assert "Saved at" in out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert store.read("answers", {"respondent_id": me})["score"].tolist() == [4]
