"""Sample survey rounds, respondents and answers drawn around each crack's health, and the
outcomes of ended alliances."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records.model import (
    TABLES,
)
from alliance_kit.records.sample.plan import (
    _FIRST,
    _LAST,
    ENDED,
    _choice,
    _days,
    _frame,
    _obj,
    _Plan,
    _ragged,
)
from alliance_kit.records.store import typed_frame

QUESTIONNAIRE_VERSION = "2026.1"
STATEMENTS = tuple(f"C{c}.{k}" for c in range(1, 7) for k in range(1, 5))
_RESPONDENT_ROLES = ("sponsor", "alliance manager", "finance", "operations", "sales")
_COMMENTS = (
    "Sponsor meetings keep getting moved.",
    "KPIs are unclear to my team & the partner's.",
    'The "joint plan" exists only on slides.',
    "Great collaboration this quarter!",
    "We need more engineers > the 2 FTE assigned.",
    "Decisions take weeks; escalation path isn't used.",
    "Strategy was never briefed to sales.",
)


# --- health assessment ------------------------------------------------------------------


def _surveys(plan, ours, theirs, respondents_per_side, survey_periods):
    rng, T = plan.rng, plan.T
    first_t = 0 if survey_periods is None else max(T - survey_periods, 0)
    a, t = np.nonzero(plan.active() & (np.arange(T)[None, :] >= first_t))
    round_ids = _obj(f"{x}-R{p}" for x, p in zip(plan.ids[a], _obj(plan.periods)[t], strict=True))
    opened = _days(plan.pend[t], -35)
    rounds = _frame(
        "assessment_rounds",
        {
            "id": round_ids,
            "alliance_id": plan.ids[a],
            "period": _obj(plan.periods)[t],
            "questionnaire_version": _obj([QUESTIONNAIRE_VERSION] * a.size),
            "opened_on": opened,
            "closes_on": _days(plan.pend[t], -7),
        },
    )
    lo, hi = respondents_per_side
    rs, local = _ragged(rng.integers(lo, hi + 1, 2 * a.size))
    rnd, side = rs // 2, rs % 2
    ra, rt = a[rnd], t[rnd]
    size = rs.size
    role = local % len(_RESPONDENT_ROLES)
    sponsor_level = np.where(side == 0, ours[ra], theirs[ra])
    sponsor_level = np.where(sponsor_level == None, "director", sponsor_level)  # noqa: E711
    level = np.select(
        [role == 0, role == 1],
        [sponsor_level, _choice(rng, ("director", "manager"), size)],
        _choice(rng, ("vp", "director", "manager", "staff"), size),
    )
    first = rng.integers(0, len(_FIRST), size)
    last = rng.integers(0, len(_LAST), size)
    rids = _obj(
        f"{r}-{'U' if s == 0 else 'P'}{j + 1}"
        for r, s, j in zip(round_ids[rnd], side.tolist(), local.tolist(), strict=True)
    )
    respondents = _frame(
        "respondents",
        {
            "id": rids,
            "round_id": round_ids[rnd],
            "side": _obj(("us", "partner"))[side],
            "role": _obj(_RESPONDENT_ROLES)[role],
            "org_level": level,
            "label": _obj(
                f"{_FIRST[x]} {_LAST[y]}"
                for x, y in zip(first.tolist(), last.tolist(), strict=True)
            ),
        },
    )
    # Answers: respondent x statement, vectorized; float32 keeps a million-alliance-row
    # survey small.
    S = len(STATEMENTS)
    crack = np.repeat(np.arange(6), 4)
    h = plan.health[ra[:, None], crack[None, :], rt[:, None]].astype(np.float32)
    mu = 1 + 4 * h + plan.bias[ra[:, None], side[:, None], crack[None, :]].astype(np.float32)
    mu += rng.normal(0, 0.25, (size, 1)).astype(np.float32)
    mu += rng.normal(0, 0.5, (size, S)).astype(np.float32)
    score = np.clip(np.rint(mu), 1, 5).astype(np.int8)
    dk_rate = 0.03 + 0.1 * (1 - h) + np.isin(crack, (1, 3))[None, :] * 0.4 * np.maximum(0.75 - h, 0)
    dont_know = rng.random((size, S), dtype=np.float32) < dk_rate
    del mu, h, dk_rate
    comments = _obj(_COMMENTS)
    has_comment = rng.random((size, S), dtype=np.float32) < 0.03
    comment = np.full((size, S), None, dtype=object)
    comment[has_comment] = comments[rng.integers(0, len(comments), int(has_comment.sum()))]
    start = opened[rnd].astype("datetime64[s]") + (
        rng.integers(0, 26 * 86400, size) // 60 * 60
    ).astype("timedelta64[s]")
    step = rng.integers(15, 90, (size, S)).cumsum(1).astype("timedelta64[s]")
    answered = start[:, None] + step
    scores = pd.array(score.ravel(), dtype="Int64")
    scores[dont_know.ravel()] = pd.NA
    answers = typed_frame(
        TABLES["answers"],
        pd.DataFrame(
            {
                "respondent_id": pd.Series(np.repeat(rids, S), dtype=object),
                "statement_id": pd.Series(np.tile(_obj(STATEMENTS), size), dtype=object),
                "score": scores,
                "comment": pd.Series(comment.ravel(), dtype=object),
                "answered_at": answered.ravel().astype("datetime64[ns]"),
            },
            copy=False,
        ),
    )
    return rounds, respondents, answers


def _outcomes(plan: _Plan) -> pd.DataFrame:
    rng = plan.rng
    ended = np.flatnonzero(plan.kind == ENDED)
    mean_h = plan.health[ended, :, plan.end_t[ended]].mean(1)
    p_fail = 1 / (1 + np.exp(-(0.55 - mean_h) * 12))
    failed = rng.random(ended.size) < p_fail
    outcome = np.where(
        failed, _choice(rng, ("failed", "failed", "exited"), ended.size), "succeeded"
    )
    outcome = outcome.astype(object)
    outcome[ended == 11] = "failed"
    notes = {
        "failed": "Partner disengaged; targets missed for three quarters & resources never filled.",
        "exited": "Exited by mutual agreement after a strategy change.",
        "succeeded": "Objectives met; relationship completed as planned.",
    }
    return _frame(
        "outcomes",
        {
            "alliance_id": plan.ids[ended],
            "outcome": outcome,
            "ended_on": plan.last_day[ended],
            "notes": _obj(notes[o] for o in outcome),
        },
    )
