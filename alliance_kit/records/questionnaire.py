"""The six-crack questionnaire, read from ``templates/questionnaire.yaml``.

The questionnaire is data so that its wording can change without code changes. It is
versioned: each assessment round records the ``questionnaire_version`` it used, and
scoring maps that round's statement ids to cracks through that version, so older rounds
stay scorable after the wording changes. Statement ids ("C2.4") are stable across
versions: an id always measures the same crack.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from alliance_kit import config

PATH = config.project_root() / "templates" / "questionnaire.yaml"
SCALE = (1, 2, 3, 4, 5)
_ID = re.compile(r"^C([1-6])\.(\d+)$")


@dataclass(frozen=True)
class Statement:
    """One statement respondents rate 1-5 (or "don't know"), with written anchors."""

    id: str
    crack: int
    text: str
    anchors: dict[int, str]


@dataclass(frozen=True)
class Crack:
    """A crack in the alliance foundation, the elements that repair it and what to do."""

    name: str
    short: str
    remedies: list[str]
    actions: list[str]
    number: int = 0
    question: str = ""
    #: What an executive is asked to do when this crack puts an alliance on their desk.
    ask: str = ""


@dataclass(frozen=True)
class Questionnaire:
    version: str
    statements: list[Statement]
    cracks: dict[int, Crack]
    elements: dict[str, str] = field(default_factory=dict)  # element -> Imagine/Align/Succeed

    def statement(self, statement_id: str) -> Statement:
        for s in self.statements:
            if s.id == statement_id:
                return s
        raise KeyError(f"statement {statement_id!r} is not in questionnaire {self.version}")

    def by_crack(self, crack: int) -> list[Statement]:
        return [s for s in self.statements if s.crack == crack]


@functools.lru_cache(maxsize=8)
def _raw(path: str, stamp: tuple[int, int]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _stamp(path: str) -> tuple[int, int]:
    """File modification time and size: an edited file is read again."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def _data(path: Path | str | None) -> dict[str, Any]:
    p = str(path or PATH)
    return _raw(p, _stamp(p))


def versions(path: Path | str | None = None) -> list[str]:
    """All versions in the file, oldest first (by release date, then name)."""
    raw = _data(path)["versions"]
    return sorted(raw, key=lambda v: (str(raw[v].get("released", "")), v))


def newest(path: Path | str | None = None) -> str:
    data = _data(path)
    return str(data.get("newest") or versions(path)[-1])


def _statements(raw: dict[str, Any], version: str, seen: tuple[str, ...] = ()) -> list[dict]:
    """The statement records of a version, resolving ``based_on`` / ``omit`` / ``text``."""
    if version in seen:
        raise ValueError(f"questionnaire versions based on each other in a loop: {seen}")
    spec = raw[version]
    if "based_on" not in spec:
        return [dict(s) for s in spec["statements"]]
    base = _statements(raw, str(spec["based_on"]), (*seen, version))
    omit = set(spec.get("omit", []))
    texts = spec.get("text", {}) or {}
    out = [dict(s, text=texts.get(s["id"], s["text"])) for s in base if s["id"] not in omit]
    out += [dict(s) for s in spec.get("statements", [])]
    return out


def _statement(rec: dict[str, Any]) -> Statement:
    m = _ID.match(str(rec["id"]))
    if not m:
        raise ValueError(f"statement id {rec['id']!r} is not like C1.1 (crack 1..6)")
    anchors = {int(k): str(v) for k, v in rec["anchors"].items()}
    if sorted(anchors) != list(SCALE):
        raise ValueError(f"statement {rec['id']} needs anchors for 1..5, has {sorted(anchors)}")
    return Statement(
        id=str(rec["id"]), crack=int(m.group(1)), text=str(rec["text"]), anchors=anchors
    )


def load(version: str | None = None, path: Path | str | None = None) -> Questionnaire:
    """The questionnaire of ``version`` (None: the newest); ValueError for an unknown one."""
    data = _data(path)
    version = str(version) if version is not None else newest(path)
    if version not in data["versions"]:
        known = ", ".join(versions(path))
        raise ValueError(f"questionnaire version {version!r} is unknown; known versions: {known}")
    cracks = {
        int(n): Crack(
            name=c["name"],
            short=c["short"],
            remedies=list(c["remedies"]),
            actions=list(c["actions"]),
            number=int(n),
            question=c.get("question", ""),
            ask=c.get("ask", ""),
        )
        for n, c in data["cracks"].items()
    }
    statements = [_statement(r) for r in _statements(data["versions"], version)]
    return Questionnaire(version, statements, cracks, dict(data.get("elements", {})))


@functools.lru_cache(maxsize=8)
def _statement_map(path: str, stamp: tuple[int, int]) -> pd.DataFrame:
    rows = [(v, s.id, s.crack) for v in versions(path) for s in load(v, path).statements]
    return pd.DataFrame(rows, columns=["questionnaire_version", "statement_id", "crack"])


def statement_map(path: Path | str | None = None) -> pd.DataFrame:
    """Every (questionnaire_version, statement_id) -> crack, across all versions."""
    p = str(path or PATH)
    return _statement_map(p, _stamp(p)).copy()


def cracks(path: Path | str | None = None) -> dict[int, Crack]:
    """The six cracks (the same in every version)."""
    return load(None, path).cracks
