"""Lifecycle checklist (Succeed): the artefacts ISO 44001's eight stages expect, which of
them exist in the store and which are missing, for the alliance's stage and those before.

Each stage expects a few artefacts (``ARTEFACTS``). An artefact exists when either

- a document of one of its kinds is recorded (``documents`` table, not superseded,
  dated on or before ``as_of`` when a date is given): state ``approved`` or ``draft``; or
- the records show it (``derived``): e.g. a documented strategy, governance bodies, exit
  provisions in an agreement, a risk register. The evidence says which records.

An approved document wins over a draft, a draft over derived evidence. ``missing``
otherwise. Completeness is the share of expected artefacts (stages up to the
alliance's current one) that exist, overall and per stage; a draft counts as existing
(it is there to be approved), the state column shows the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from alliance_kit.records.measures import table
from alliance_kit.records.model import STAGES

Derived = Callable[[dict[str, pd.DataFrame], str, pd.Timestamp], str | None]


def _rows(frames: dict[str, pd.DataFrame], name: str, alliance_id: str) -> pd.DataFrame:
    t = table(frames, name)
    return t[t["alliance_id"] == alliance_id]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _sponsor(frames, alliance_id, day):
    a = table(frames, "alliances")
    a = a[a["id"] == alliance_id]
    name = a["our_sponsor"].iloc[0] if len(a) else None
    if name is None or pd.isna(name) or not str(name).strip():
        return None
    level = a["our_sponsor_level"].iloc[0]
    return f"executive sponsor {name}" + ("" if pd.isna(level) else f" ({level})")


def _objectives(frames, alliance_id, day):
    n = len(_rows(frames, "objectives", alliance_id))
    return _count(n, "objective") + " recorded" if n else None


def _risk_register(frames, alliance_id, day):
    r = _rows(frames, "risks", alliance_id)
    r = r[r["raised_on"] <= day]
    return f"risk register with {_count(len(r), 'risk')}" if len(r) else None


def _strategy(frames, alliance_id, day):
    s = _rows(frames, "strategies", alliance_id)
    s = s[s["documented_on"].notna() & (s["documented_on"] <= day)]
    if s.empty:
        return None
    return f"strategy documented on {s['documented_on'].iloc[0]:%Y-%m-%d}"


def _business_case(frames, alliance_id, day):
    b = _rows(frames, "business_cases", alliance_id)
    lines = _rows(frames, "business_case_lines", alliance_id)
    if b.empty and lines.empty:
        return None
    return f"business case with {_count(len(lines), 'line')}"


def _exit_provisions(frames, alliance_id, day):
    a = _rows(frames, "agreements", alliance_id)
    has = a["exit_provisions"].notna() & (a["exit_provisions"].astype(str).str.strip() != "")
    a = a[has & ~a["status"].isin(["expired", "terminated"])]
    if a.empty:
        return None
    return "exit provisions in " + ", ".join(a["id"].astype(str))


def _bodies(frames, alliance_id, day):
    b = _rows(frames, "governance_bodies", alliance_id)
    return _count(len(b), "governance body", "governance bodies") if len(b) else None


def _raci(frames, alliance_id, day):
    r = _rows(frames, "raci", alliance_id)
    if r.empty:
        return None
    return f"RACI for {_count(r['decision_area'].nunique(), 'decision area')}"


def _joint_review(frames, alliance_id, day):
    rounds = _rows(frames, "assessment_rounds", alliance_id)
    rounds = rounds[rounds["opened_on"] <= day]
    resp = table(frames, "respondents")
    resp = resp[resp["round_id"].isin(rounds["id"])]
    both = resp.groupby("round_id")["side"].nunique()
    joint = both[both >= 2]
    if joint.empty:
        return None
    return f"{_count(len(joint), 'health assessment round')} answered by both partners"


def _reviewed_risks(frames, alliance_id, day):
    r = _rows(frames, "risks", alliance_id)
    rv = table(frames, "risk_reviews")
    n = rv.loc[rv["risk_id"].isin(r["id"]), "risk_id"].nunique()
    return f"{_count(n, 'risk')} reviewed jointly by period" if n else None


@dataclass(frozen=True)
class Artefact:
    """One artefact a stage expects: the document ``kinds`` that record it, and a
    ``derived`` check on the records (or None) returning evidence text when it exists."""

    stage: int
    name: str
    kinds: tuple[str, ...]
    derived: Derived | None = None
    where: str = ""


#: ISO 44001's stages and the artefacts each expects (DOMAIN notes). ``where`` says
#: which workbook records the derived evidence.
ARTEFACTS: tuple[Artefact, ...] = (
    Artefact(1, "senior executive responsible", (), _sponsor, "alliance record: our sponsor"),
    Artefact(1, "objectives", (), _objectives, "strategy / goals & KPIs workbooks"),
    Artefact(1, "initial risk assessment", ("initial risk assessment",), _risk_register,
             "continuous improvement workbook"),
    Artefact(1, "relationship management plan", ("relationship management plan",)),
    Artefact(2, "business strategy", ("business strategy", "strategy document"), _strategy,
             "strategy workbook"),
    Artefact(2, "value analysis", ("value analysis", "business case"), _business_case,
             "business case workbook"),
    Artefact(2, "exit considerations", ("exit considerations",), _exit_provisions,
             "agreements workbook: exit provisions"),
    Artefact(3, "internal assessment (collaborative profile)", ("collaborative profile",)),
    Artefact(4, "partner selection criteria", ("partner selection criteria",)),
    Artefact(5, "joint governance", ("governance charter",), _bodies, "governance workbook"),
    Artefact(5, "roles and responsibilities", ("roles and responsibilities",), _raci,
             "governance workbook: RACI"),
    Artefact(6, "value creation process", ("value creation process",)),
    Artefact(7, "joint review", ("joint review",), _joint_review, "health assessment"),
    Artefact(7, "jointly owned risks", (), _reviewed_risks, "continuous improvement workbook"),
    Artefact(8, "exit strategy", ("exit strategy",), _exit_provisions,
             "agreements workbook: exit provisions"),
)  # fmt: skip


def stage_number(stage: object) -> int:
    """The number (1-8) of a stage written as in STAGES ("5 working together")."""
    text = str(stage).strip()
    for i, s in enumerate(STAGES, start=1):
        if text == s or text == str(i) or text == s.split(" ", 1)[1]:
            return i
    raise ValueError(f"{stage!r} is not an ISO 44001 stage; one of {', '.join(STAGES)}")


def checklist(
    frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object = None
) -> pd.DataFrame:
    """Every artefact of the eight stages for the alliance: stage, stage_name, artefact,
    ``expected`` (its stage is the alliance's current stage or before), ``state``
    (approved, draft, derived, missing), ``exists``, ``evidence`` (documents or records
    found, in words) and ``where`` (which workbook records it)."""
    a = table(frames, "alliances")
    row = a[a["id"] == alliance_id]
    if row.empty:
        raise ValueError(f"no alliance {alliance_id!r} in the store")
    current = stage_number(row["stage"].iloc[0])
    day = pd.Timestamp.max if as_of is None else pd.Timestamp(as_of).normalize()
    docs = _rows(frames, "documents", alliance_id)
    docs = docs[(docs["status"] != "superseded") & (docs["dated"].isna() | (docs["dated"] <= day))]
    rows = []
    for art in ARTEFACTS:
        found = docs[docs["kind"].isin(art.kinds)]
        approved = found[found["status"] == "approved"]
        derived = art.derived(frames, alliance_id, day) if art.derived else None
        if len(approved):
            state, evidence = "approved", _doc_text(approved)
        elif len(found):
            state, evidence = "draft", _doc_text(found)
        elif derived:
            state, evidence = "derived", derived
        else:
            state, evidence = "missing", ""
        if derived and state in ("approved", "draft"):
            evidence = f"{evidence}; {derived}"
        rows.append(
            {
                "stage": art.stage,
                "stage_name": STAGES[art.stage - 1].split(" ", 1)[1],
                "artefact": art.name,
                "expected": art.stage <= current,
                "state": state,
                "exists": state != "missing",
                "evidence": evidence,
                "where": _where(art),
            }
        )
    return pd.DataFrame(rows)


def _where(art: Artefact) -> str:
    doc = f"a document: {' or '.join(art.kinds)}" if art.kinds else ""
    if art.where and doc:
        return f"{art.where}; or {doc}"
    return art.where or doc


def _doc_text(docs: pd.DataFrame) -> str:
    return "; ".join(
        f"{r['id']} ({r['status']}" + (f", {r['dated']:%Y-%m-%d})" if pd.notna(r["dated"]) else ")")
        for r in docs.to_dict("records")
    )


def stage_completeness(check: pd.DataFrame) -> pd.DataFrame:
    """Per stage: ``expected`` (stage reached), artefacts, existing, ``drafts`` (existing
    only as a draft document) and ``completeness`` (existing / artefacts)."""
    g = check.groupby(["stage", "stage_name"], sort=True)
    out = pd.DataFrame(
        {
            "expected": g["expected"].first(),
            "artefacts": g.size(),
            "existing": g["exists"].sum().astype(int),
            "drafts": g["state"].apply(lambda s: int((s == "draft").sum())),
        }
    )
    out["completeness"] = out["existing"] / out["artefacts"]
    return out.reset_index()


def completeness(check: pd.DataFrame) -> dict[str, float | int | list[str]]:
    """Over the stages reached: ``expected`` artefacts, ``existing``, ``completeness``
    (share existing; NaN when nothing is expected) and the ``missing`` ones by name."""
    e = check[check["expected"]]
    n, have = len(e), int(e["exists"].sum())
    return {
        "expected": n,
        "existing": have,
        "completeness": have / n if n else float("nan"),
        "missing": e.loc[~e["exists"], "artefact"].tolist(),
    }
