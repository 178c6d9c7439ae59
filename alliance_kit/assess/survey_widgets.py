"""The questionnaire as ipywidgets: the assessment workbook's form and the survey page.

Every widget tree is built by a plain function or class here, so tests set widget values
and check the store without a browser. Each answer is saved the moment it is given (a
value change triggers the save); a refused answer shows a message next to the statement.
Text that people typed (labels, comments, names) is escaped before it goes into HTML.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from alliance_kit.assess import survey
from alliance_kit.records.model import ORG_LEVELS, SIDES

if TYPE_CHECKING:
    from alliance_kit.records.questionnaire import Questionnaire, Statement
    from alliance_kit.records.store import Store

DONT_KNOW = "dk"
SCORE_OPTIONS: list[tuple[str, Any]] = [(str(n), n) for n in survey.SCORES] + [
    ("Don't know", DONT_KNOW)
]
SIDE_NAMES = {"us": "our company", "partner": "the partner"}
#: Codes a survey page refuses before it takes no more (see SurveyPage.open).
CODE_ATTEMPTS = 5

#: Saves one answer: (statement_id, score or None for don't know, comment or None).
SaveFn = Callable[[str, int | None, str | None], Any]

STYLE = """
<style>
.ak-page { max-width: 980px; margin: 0 auto; width: 100%;
  font-family: var(--jp-ui-font-family, sans-serif); color: #1d2733; }
.ak-header { background: #12355b; color: #fff; padding: 22px 28px; border-radius: 8px; }
.ak-header h1 { margin: 0 0 6px 0; font-size: 26px; font-weight: 600; color: #fff; }
.ak-header .ak-sub { font-size: 15px; opacity: .9; }
.ak-help { background: #f3f6fa; border-left: 4px solid #2f6fb0; padding: 12px 18px;
  margin: 14px 0; font-size: 14px; line-height: 1.5; border-radius: 4px; }
.ak-crack { margin: 22px 0 4px 0; font-size: 19px; font-weight: 600; color: #12355b;
  border-bottom: 2px solid #d5dee8; padding-bottom: 4px; }
.ak-crack .ak-count { float: right; font-size: 13px; font-weight: 400; color: #51606f; }
.ak-crack-q { font-size: 13px; color: #51606f; margin-bottom: 6px; }
.ak-statement { font-size: 15px; font-weight: 600; margin: 14px 0 6px 0; line-height: 1.4; }
.ak-statement .ak-id { color: #7a8896; font-weight: 400; font-size: 12px; margin-right: 6px; }
.ak-anchors { display: grid; grid-template-columns: repeat(5, 1fr); gap: 4px;
  font-size: 12px; line-height: 1.35; color: #3a4756; margin: 4px 0; }
.ak-anchors div { background: #f6f8fa; border: 1px solid #e1e6eb; border-radius: 4px;
  padding: 5px 7px; }
.ak-anchors div b { color: #12355b; }
.ak-anchors div.ak-chosen { background: #dcebfa; border-color: #2f6fb0; }
.ak-chosen-text { font-size: 13px; color: #12355b; margin: 2px 0; }
.ak-score .widget-toggle-button.mod-active { background: #2f6fb0; color: #fff; }
.ak-score .widget-toggle-button:hover { box-shadow: 0 0 0 1px #2f6fb0 inset; }
.ak-ok { color: #1e7b34; font-size: 12px; }
.ak-error { color: #b00020; font-size: 13px; font-weight: 600; }
.ak-refusal { background: #fdecea; border: 1px solid #f5c2c0; color: #7a1a14;
  padding: 18px 22px; border-radius: 6px; font-size: 16px; margin: 16px 0; }
.ak-thanks { background: #e8f5e9; border: 1px solid #b9dfbd; color: #1b5e20;
  padding: 18px 22px; border-radius: 6px; font-size: 16px; margin: 16px 0; }
</style>
"""


def esc(value: Any) -> str:
    """Text for HTML widgets: whatever people typed is shown as text, never as markup."""
    return html.escape("" if value is None else str(value), quote=True)


def _crack_name(q: Questionnaire, crack: int) -> tuple[str, str]:
    c = getattr(q, "cracks", {}).get(crack)
    if c is None:
        return f"Crack {crack}", ""
    return c.name, getattr(c, "question", "")


# --- one statement ------------------------------------------------------------------


class StatementItem:
    """The widgets of one statement: score buttons, anchors, comment, message."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.title = w.HTML(
            f'<div class="ak-statement"><span class="ak-id">{esc(statement.id)}</span>'
            f"{esc(statement.text)}</div>"
        )
        self.score = w.ToggleButtons(
            options=SCORE_OPTIONS,
            value=None,
            tooltips=[statement.anchors[n] for n in survey.SCORES]
            + ["I don't know or cannot judge this"],
            style={"button_width": "auto"},
            layout=w.Layout(width="auto"),
        )
        self.score.add_class("ak-score")
        self.anchors = w.HTML(self._anchors_html(None))
        self.comment = w.Textarea(
            placeholder="Optional comment (what makes you say so?)",
            continuous_update=False,
            rows=2,
            layout=w.Layout(width="98%"),
        )
        self.comment.add_class("ak-comment")
        self.message = w.HTML("")
        self.box = w.VBox(
            [self.title, self.score, self.anchors, self.comment, self.message],
            layout=w.Layout(margin="0 0 10px 0"),
        )
        self.box.add_class("ak-item")
        self.box.add_class(f"ak-item-{statement.id.replace('.', '-')}")

    @property
    def answered(self) -> bool:
        return self.score.value is not None

    def value(self) -> int | None:
        """The score to save: 1-5, or None for don't know."""
        return None if self.score.value in (None, DONT_KNOW) else int(self.score.value)

    def _anchors_html(self, chosen: Any) -> str:
        cells = "".join(
            f'<div class="{"ak-chosen" if chosen == n else ""}"><b>{n}</b> '
            f"{esc(self.statement.anchors[n])}</div>"
            for n in survey.SCORES
        )
        if chosen == DONT_KNOW:
            said = "You answered: don't know."
        elif chosen in survey.SCORES:
            said = f"You answered {chosen}: {esc(self.statement.anchors[chosen])}"
        else:
            said = "Not answered yet."
        return f'<div class="ak-anchors">{cells}</div><div class="ak-chosen-text">{said}</div>'

    def show_choice(self) -> None:
        self.anchors.value = self._anchors_html(self.score.value)

    def show_ok(self, text: str) -> None:
        self.message.value = f'<span class="ak-ok">{esc(text)}</span>'

    def show_error(self, text: str) -> None:
        self.message.value = f'<span class="ak-error">{esc(text)}</span>'


# --- the form ----------------------------------------------------------------------


class QuestionnaireForm:
    """A whole questionnaire grouped by crack, saving each answer as it is given.

    ``save`` does the saving (to the store, for one respondent); it raises
    ``survey.AnswerRefused`` (or ValueError) to refuse an answer, which is then shown.
    ``answers`` preloads this respondent's earlier answers.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        save: SaveFn,
        *,
        answers: pd.DataFrame | None = None,
        clock: Callable[[], dt.datetime] = survey.utcnow,
    ) -> None:
        self.questionnaire = questionnaire
        self._save = save
        self._clock = clock
        self._loading = False
        self.statement_ids = frozenset(s.id for s in questionnaire.statements)
        self.items: dict[str, StatementItem] = {}
        self.crack_headers: dict[int, w.HTML] = {}
        self.message = w.HTML("")
        self.progress = w.IntProgress(
            value=0,
            min=0,
            max=len(questionnaire.statements),
            description="Answered",
            layout=w.Layout(width="60%"),
        )
        self.progress_label = w.HTML("")
        sections: list[w.Widget] = [
            w.HTML(STYLE),
            w.HBox([self.progress, self.progress_label]),
            self.message,
        ]
        for crack in sorted({s.crack for s in questionnaire.statements}):
            header = w.HTML()
            self.crack_headers[crack] = header
            sections.append(header)
            for st in questionnaire.statements:
                if st.crack == crack:
                    item = StatementItem(st)
                    self.items[st.id] = item
                    item.score.observe(self._on_score(item), names="value")
                    item.comment.observe(self._on_comment(item), names="value")
                    sections.append(item.box)
        self.widget = w.VBox(sections)
        self.widget.add_class("ak-form")
        if answers is not None:
            self.preload(answers)
        self._refresh_progress()

    # --- state ---------------------------------------------------------------------

    @property
    def answered(self) -> set[str]:
        return {sid for sid, item in self.items.items() if item.answered}

    def preload(self, answers: pd.DataFrame) -> None:
        """Show earlier answers without saving them again."""
        self._loading = True
        try:
            for row in answers.itertuples(index=False):
                item = self.items.get(row.statement_id)
                if item is None:
                    continue
                score = row.score
                item.score.value = DONT_KNOW if pd.isna(score) else int(score)
                item.comment.value = "" if row.comment is None else str(row.comment)
                item.show_choice()
        finally:
            self._loading = False
        self._refresh_progress()

    def disable(self) -> None:
        for item in self.items.values():
            item.score.disabled = True
            item.comment.disabled = True

    def _refresh_progress(self) -> None:
        done = self.answered
        total = len(self.items)
        self.progress.value = len(done)
        self.progress_label.value = f"&nbsp;{len(done)} of {total} statements answered"
        for crack, header in self.crack_headers.items():
            ids = [s.id for s in self.questionnaire.statements if s.crack == crack]
            name, question = _crack_name(self.questionnaire, crack)
            n = sum(sid in done for sid in ids)
            header.value = (
                f'<div class="ak-crack">{crack}. {esc(name)}'
                f'<span class="ak-count">{n} of {len(ids)} answered</span></div>'
                + (f'<div class="ak-crack-q">{esc(question)}</div>' if question else "")
            )

    # --- saving --------------------------------------------------------------------

    def answer(
        self, statement_id: str, score: int | None | str, comment: str | None = None
    ) -> bool:
        """Give an answer as a respondent would (score None or "dk" = don't know).

        Returns whether it was saved; a refusal is shown in the form's message.
        """
        item = self.items.get(statement_id)
        if item is None:
            self.message.value = (
                f'<span class="ak-error">Not saved: statement {esc(statement_id)} is not part '
                f"of questionnaire {esc(self.questionnaire.version)}.</span>"
            )
            return False
        self._loading = True  # set both values, then save once
        try:
            if comment is not None:
                item.comment.value = comment
            item.score.value = DONT_KNOW if score in (None, DONT_KNOW) else score
        except Exception as exc:  # noqa: BLE001 - e.g. a score the buttons do not offer
            item.show_error(f"Not saved: {score!r} is not one of 1-5 or don't know ({exc})")
            return False
        finally:
            self._loading = False
        item.show_choice()
        saved = self._store(item)
        self._refresh_progress()
        return saved

    def _store(self, item: StatementItem) -> bool:
        comment = item.comment.value.strip() or None
        if comment is not None and len(comment) > survey.COMMENT_MAX:
            item.show_error(
                f"Not saved: the comment is {len(comment)} characters long; please keep it "
                f"under {survey.COMMENT_MAX}."
            )
            return False
        try:
            self._save(item.statement.id, item.value(), comment)
        except (survey.AnswerRefused, ValueError) as exc:
            item.show_error(f"Not saved: {exc}")
            return False
        except Exception:  # noqa: BLE001 - the respondent must see that nothing was saved
            item.show_error("Not saved: the answer could not be stored. Please try again.")
            return False
        item.show_ok(f"Saved at {self._clock():%H:%M:%S} UTC")
        return True

    def _on_score(self, item: StatementItem) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            item.show_choice()
            if not self._loading and change["new"] is not None:
                self._store(item)
            self._refresh_progress()

        return handler

    def _on_comment(self, item: StatementItem) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._loading:
                return
            text = (change["new"] or "").strip()
            if len(text) > survey.COMMENT_MAX:
                item.show_error(
                    f"Not saved: the comment is {len(text)} characters long; please keep it "
                    f"under {survey.COMMENT_MAX}."
                )
            elif not item.answered:
                item.message.value = (
                    '<span class="ak-chosen-text">Pick an answer (1-5 or don\'t know) and '
                    "your comment is saved with it.</span>"
                )
            else:
                self._store(item)

        return handler


# --- the assessment workbook -------------------------------------------------------------


def workbook_form(
    store: Store, respondent_id: str, questionnaire: Questionnaire
) -> QuestionnaireForm:
    """The form for one respondent in the workbook, preloaded with their own answers."""
    ids = frozenset(s.id for s in questionnaire.statements)

    def save(statement_id: str, score: int | None, comment: str | None) -> None:
        survey.save_answer(store, respondent_id, statement_id, score, comment, statement_ids=ids)

    return QuestionnaireForm(questionnaire, save, answers=survey.own_answers(store, respondent_id))


def respondent_label(row: Any) -> str:
    """How a respondent is listed for the facilitator: id, side, role, label (plain text)."""
    parts = [row["id"], SIDE_NAMES.get(row["side"], row["side"])]
    parts += [str(row[c]) for c in ("role", "label") if row.get(c)]
    return " · ".join(parts)


class RespondentPicker:
    """Choose a respondent of a round, then answer for them (one form at a time)."""

    def __init__(self, store: Store, round_id: str, questionnaire: Questionnaire) -> None:
        self.store = store
        self.round_id = round_id
        self.questionnaire = questionnaire
        self.dropdown = w.Dropdown(description="Respondent", layout=w.Layout(width="70%"))
        self.area = w.VBox()
        self.form: QuestionnaireForm | None = None
        self.widget = w.VBox([self.dropdown, self.area])
        self.refresh()
        self.dropdown.observe(lambda _c: self.show(), names="value")
        self.show()

    def refresh(self) -> None:
        resp = self.store.read("respondents", {"round_id": self.round_id})
        rows = [r for _, r in resp.iterrows()]
        current = self.dropdown.value
        self.dropdown.options = [(respondent_label(r), r["id"]) for r in rows]
        ids = [r["id"] for r in rows]
        self.dropdown.value = current if current in ids else (ids[0] if ids else None)

    def show(self, respondent_id: str | None = None) -> QuestionnaireForm | None:
        if respondent_id is not None:
            self.dropdown.value = respondent_id  # observe calls show() again
            return self.form
        rid = self.dropdown.value
        if rid is None:
            self.form = None
            self.area.children = [w.HTML("<i>Add a respondent first.</i>")]
            return None
        self.form = workbook_form(self.store, rid, self.questionnaire)
        self.area.children = [self.form.widget]
        return self.form


class RespondentAdder:
    """A small form to add a respondent to a round during the workshop."""

    def __init__(
        self, store: Store, round_id: str, on_added: Callable[[str], None] | None = None
    ) -> None:
        self.store = store
        self.round_id = round_id
        self.on_added = on_added
        self.side = w.Dropdown(options=list(SIDES), description="Side")
        self.role = w.Text(description="Role", placeholder="sponsor, finance, operations...")
        self.org_level = w.Dropdown(
            options=[("", None), *[(x, x) for x in ORG_LEVELS]], description="Level"
        )
        self.label = w.Text(description="Label", placeholder="name or initials (optional)")
        self.button = w.Button(description="Add respondent", button_style="primary")
        self.message = w.HTML("")
        self.button.on_click(lambda _b: self.add())
        self.widget = w.VBox(
            [
                w.HBox([self.side, self.org_level]),
                w.HBox([self.role, self.label]),
                self.button,
                self.message,
            ]
        )

    def add(self) -> str | None:
        try:
            rid = survey.add_respondent(
                self.store,
                self.round_id,
                self.side.value,
                role=self.role.value.strip() or None,
                org_level=self.org_level.value,
                label=self.label.value.strip() or None,
            )
        except ValueError as exc:
            self.message.value = f'<span class="ak-error">{esc(exc)}</span>'
            return None
        self.message.value = f'<span class="ak-ok">Added {esc(rid)}.</span>'
        self.role.value = self.label.value = ""
        if self.on_added:
            self.on_added(rid)
        return rid


def round_html(summary: dict[str, Any], n_respondents: int) -> str:
    """The heading of the workbook: which alliance, period and questionnaire (escaped)."""
    opened = summary.get("opened_on")
    closes = summary.get("closes_on")
    return header_html(
        f"Health assessment: {summary['alliance_name']}",
        f"Partner {esc(summary['partner'])} &middot; period {esc(summary['period'])} "
        f"&middot; questionnaire {esc(summary['questionnaire_version'])} &middot; round "
        f"{esc(summary['id'])} opened {esc(str(opened)[:10])}"
        + (f", closes {esc(str(closes)[:10])}" if closes is not None else "")
        + f" &middot; {n_respondents} respondent(s)",
    )


def status_table_html(status: pd.DataFrame) -> str:
    """Response status per side as an HTML table (counts and rates only)."""
    rows = "".join(
        f"<tr><td>{esc(SIDE_NAMES.get(r.side, r.side))}</td><td>{r.respondents}</td>"
        f"<td>{r.invited}</td><td>{r.started}</td><td>{r.completed}</td>"
        f"<td>{'' if pd.isna(r.response_rate) else f'{r.response_rate:.0%}'}</td></tr>"
        for r in status.itertuples(index=False)
    )
    return (
        '<table class="ak-status"><thead><tr><th>side</th><th>respondents</th><th>invited</th>'
        f"<th>started</th><th>completed</th><th>response rate</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


class StatusPanel:
    """Who has answered on each side, refreshed on demand (aggregates, never answers)."""

    def __init__(self, store: Store, round_id: str, n_statements: int) -> None:
        self.store = store
        self.round_id = round_id
        self.n_statements = n_statements
        self.table = w.HTML()
        self.button = w.Button(description="Refresh", icon="")
        self.button.on_click(lambda _b: self.refresh())
        self.widget = w.VBox([self.table, self.button])
        self.refresh()

    def status(self) -> pd.DataFrame:
        frames = survey.survey_frames(self.store, self.round_id)
        return survey.response_status(frames, self.round_id, n_statements=self.n_statements)

    def refresh(self) -> pd.DataFrame:
        status = self.status()
        self.table.value = STYLE + status_table_html(status)
        return status


# --- the survey page ---------------------------------------------------------------------

INSTRUCTIONS = (
    "Rate each statement from <b>1</b> (the first description fits) to <b>5</b> (the last "
    "description fits); the descriptions under the buttons say what each number means. "
    "Choose <b>Don't know</b> if you cannot judge a statement: that is useful information "
    "too. A comment is optional. <b>Every answer is saved as soon as you give it</b>, so "
    "you can close the page and come back later with the same link. When you are done, "
    "press <b>Submit my answers</b> at the bottom. Your answers are combined with those of "
    "other respondents; no individual's answers are shown to anyone."
)


def header_html(title: str, subtitle: str = "") -> str:
    return (
        f'{STYLE}<div class="ak-page"><div class="ak-header"><h1>{esc(title)}</h1>'
        f'<div class="ak-sub">{subtitle}</div></div></div>'
    )


class SurveyPage:
    """The respondent's page: a code (from the link or typed), then their questionnaire.

    Valid code: their own questionnaire, their earlier answers preloaded, a Submit button.
    Refused code: a clear refusal and no statement at all.
    """

    def __init__(
        self,
        store: Store,
        code: str | None = None,
        *,
        load_questionnaire: Callable[[str], Questionnaire] | None = None,
        clock: Callable[[], dt.datetime] = survey.utcnow,
    ) -> None:
        self.store = store
        self.clock = clock
        self._load = load_questionnaire or _load_questionnaire
        self.code: str | None = None
        self.refused_codes = 0
        self.context: survey.RespondentContext | None = None
        self.refusal: survey.Refusal | None = None
        self.form: QuestionnaireForm | None = None
        self.header = w.HTML(header_html("Alliance health check"))
        self.body = w.VBox()
        self.widget = w.VBox([self.header, self.body], layout=w.Layout(align_items="stretch"))
        self.widget.add_class("ak-survey")
        # The code entry, for respondents who got a code rather than a link.
        self.code_field = w.Password(
            placeholder="paste your invitation code", layout=w.Layout(width="420px")
        )
        self.code_field.add_class("ak-code")
        self.open_button = w.Button(
            description="Open my questionnaire",
            button_style="primary",
            layout=w.Layout(width="220px"),
        )
        self.open_button.add_class("ak-open")
        self.open_button.on_click(lambda _b: self.open(self.code_field.value))
        self.submit_button = w.Button(
            description="Submit my answers",
            button_style="success",
            layout=w.Layout(width="220px", height="40px", margin="16px 0"),
        )
        self.submit_button.add_class("ak-submit")
        self.submit_button.on_click(lambda _b: self.submit())
        self.submit_message = w.HTML("")
        self.code_row = w.HBox([self.code_field, self.open_button])
        self.code_row.add_class("ak-page")
        self.submit_row = w.VBox([self.submit_button, self.submit_message])
        self.submit_row.add_class("ak-page")
        if code:
            self.open(code)
        else:
            self.ask_code()

    def ask_code(self, note: str = "") -> None:
        self.body.children = [
            w.HTML(
                f'{STYLE}<div class="ak-page"><div class="ak-help">Enter the personal '
                "invitation code you received from your alliance manager to open your "
                "questionnaire.</div></div>"
            ),
            self.code_row,
            w.HTML(note),
        ]

    def open(self, code: str | None) -> bool:
        """Check the code and show the questionnaire or the refusal; returns whether shown.
        After CODE_ATTEMPTS refused codes the page takes no more (the survey server limits
        page loads per address, so guessing codes stays slow)."""
        self.form = None
        if self.refused_codes >= CODE_ATTEMPTS:
            self._too_many_codes()
            return False
        result = survey.verify(self.store, code, self.clock())
        if isinstance(result, survey.Refusal):
            self.refused_codes += 1
            if self.refused_codes >= CODE_ATTEMPTS:
                self._too_many_codes()
                return False
            self.refusal, self.context, self.code = result, None, None
            self.header.value = header_html("Alliance health check")
            self.body.children = [
                w.HTML(
                    f'<div class="ak-page"><div class="ak-refusal ak-refused-{result.reason}">'
                    f"<b>We cannot open a questionnaire with this code.</b><br>"
                    f"{esc(result.message)}</div></div>"
                )
            ]
            if result.reason == "invalid":
                self.body.children = [
                    *self.body.children,
                    self.code_row,
                ]
            return False
        self.refusal, self.context, self.code = None, result, code
        q = self._load(result.questionnaire_version)
        ids = frozenset(s.id for s in q.statements)

        def save(statement_id: str, score: int | None, comment: str | None) -> None:
            survey.save_answer_with_code(
                self.store,
                code,
                statement_id,
                score,
                comment,
                statement_ids=ids,
                now=self.clock(),
            )

        self.form = QuestionnaireForm(
            q,
            save,
            answers=survey.own_answers(self.store, result.respondent_id),
            clock=self.clock,
        )
        self.form.widget.add_class("ak-page")
        self.header.value = header_html(
            f"Alliance health check: {result.alliance_name}", _subtitle(result)
        )
        self.body.children = [
            w.HTML(f'<div class="ak-page"><div class="ak-help">{INSTRUCTIONS}</div></div>'),
            self.form.widget,
            self.submit_row,
        ]
        return True

    def _too_many_codes(self) -> None:
        self.refusal, self.context, self.code = None, None, None
        self.code_field.disabled = self.open_button.disabled = True
        self.body.children = [
            w.HTML(
                '<div class="ak-page"><div class="ak-refusal ak-refused-attempts"><b>Too many '
                "codes were tried on this page.</b><br>Open the link from your invitation "
                "again later, or ask your alliance manager for a new one.</div></div>"
            )
        ]

    @staticmethod
    def _confirm_text(missing: int) -> str:
        return (
            f'<span class="ak-chosen-text ak-confirm">{missing} statement(s) are not answered '
            "yet. Answer them, or press <b>Submit my answers</b> again to submit as it is."
            "</span>"
        )

    def submit(self) -> bool:
        """Submit (a second press confirms when statements are left unanswered)."""
        if self.form is None or self.code is None:
            return False
        if not self.form.answered:
            self.submit_message.value = (
                '<span class="ak-error">Answer at least one statement before submitting.</span>'
            )
            return False
        missing = len(self.form.items) - len(self.form.answered)
        if missing and self.submit_message.value != self._confirm_text(missing):
            # unanswered statements: ask once, a second press submits
            self.submit_message.value = self._confirm_text(missing)
            return False
        try:
            survey.submit(self.store, self.code, self.clock())
        except ValueError as exc:
            self.submit_message.value = f'<span class="ak-error">{esc(exc)}</span>'
            return False
        self.form.disable()
        self.submit_button.disabled = True
        self.body.children = [
            w.HTML(
                '<div class="ak-page"><div class="ak-thanks"><b>Thank you: your answers are '
                "submitted.</b><br>They will be combined with the other respondents' answers "
                "for the alliance health review."
                + (f" You left {missing} statement(s) unanswered." if missing else "")
                + " You can close this page.</div></div>"
            )
        ]
        return True


def _subtitle(ctx: survey.RespondentContext) -> str:
    """Who answers for which side, the period and how long the link works (escaped)."""
    role = f" as {esc(ctx.role)}" if ctx.role else ""
    if ctx.side == "partner":
        who = f"You answer for <b>{esc(ctx.partner)}</b>{role}, the partner in this alliance."
    else:
        who = f"You answer for <b>our side</b>{role} of the alliance with {esc(ctx.partner)}."
    until = f" &middot; your link works until {ctx.expires_at:%d %b %Y}" if ctx.expires_at else ""
    return f"{who}<br>Assessment period {esc(ctx.period)}{until}"


def _load_questionnaire(version: str) -> Questionnaire:
    from alliance_kit.records import questionnaire

    return questionnaire.load(version)


def code_from_query(query_string: str | None) -> str | None:
    """The ``code`` parameter of a query string such as Voila's ``QUERY_STRING``."""
    from urllib.parse import parse_qs

    values = parse_qs(query_string or "").get("code")
    return values[0].strip() if values and values[0].strip() else None


def query_string() -> str:
    """The page's query string inside a Voila kernel (waits for it if the kernel was
    preheated, when the request arrives only after the notebook started)."""
    import os

    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def survey_app(db: str | None = None, code: str | None = None) -> w.Widget:
    """The survey page for a Voila kernel: the code from the argument or the link."""
    from alliance_kit.records.history import Actor
    from alliance_kit.records.opening import open_store
    from alliance_kit.records.store import StoreError
    from alliance_kit.views.notebook import hide_tracebacks

    hide_tracebacks()
    code = code or code_from_query(query_string())
    try:
        store = open_store(db)
        # Answers are recorded as counts, under no one's name: respondents are anonymous.
        store.actor = Actor("survey respondent", "survey page")
    except StoreError:
        return w.HTML(
            header_html("Alliance health check")
            + '<div class="ak-page"><div class="ak-refusal">The survey is not available '
            "right now. Please try again later or contact your alliance manager.</div></div>"
        )
    return SurveyPage(store, code).widget
