"""The questionnaire as data: versions, statements, anchors, cracks and remedies."""

from __future__ import annotations

import pytest
import yaml

from alliance_kit.records import questionnaire

ELEMENTS = {
    "strategy": "Imagine", "goals & KPIs": "Imagine", "business case": "Imagine",
    "agreements & contracts": "Align", "governance": "Align",
    "operations": "Succeed", "reporting": "Succeed", "continuous improvement": "Succeed",
}  # fmt: skip


def test_versions_and_newest():
    assert questionnaire.versions() == ["2025.1", "2026.1"]
    assert questionnaire.newest() == "2026.1"
    assert questionnaire.load().version == "2026.1"


def test_2026_1_has_four_statements_per_crack_with_anchors():
    q = questionnaire.load("2026.1")
    assert [s.id for s in q.statements] == [f"C{c}.{n}" for c in range(1, 7) for n in range(1, 5)]
    for s in q.statements:
        assert s.crack == int(s.id[1])
        assert s.text.strip() and sorted(s.anchors) == [1, 2, 3, 4, 5]
        assert all(a.strip() for a in s.anchors.values())
        assert len(set(s.anchors.values())) == 5
    assert [s.id for s in q.by_crack(4)] == ["C4.1", "C4.2", "C4.3", "C4.4"]


def test_cracks_name_their_remedies_and_actions():
    q = questionnaire.load()
    assert q.elements == ELEMENTS
    assert [c.short for c in q.cracks.values()] == [
        "Commitment", "Strategy", "Trust", "Goals & KPIs", "Governance", "Resources"
    ]  # fmt: skip
    for n, c in q.cracks.items():
        assert c.number == n and c.name and c.question
        assert c.remedies and set(c.remedies) <= set(ELEMENTS)
        assert len(c.actions) >= 3
    assert q.cracks[4].remedies == ["goals & KPIs", "reporting"]
    assert q.cracks[2].remedies[0] == "strategy"
    assert {e for c in q.cracks.values() for e in c.remedies} >= {
        "strategy", "goals & KPIs", "business case", "agreements & contracts", "governance",
        "operations", "reporting", "continuous improvement",
    }  # fmt: skip


def test_older_version_keeps_ids_with_its_own_wording():
    old, new = questionnaire.load("2025.1"), questionnaire.load("2026.1")
    assert len(old.statements) == 23
    assert "C2.4" not in {s.id for s in old.statements}
    assert old.statement("C1.1").text == "Our executive sponsors are committed to this alliance."
    assert old.statement("C1.1").text != new.statement("C1.1").text
    assert old.statement("C1.1").anchors == new.statement("C1.1").anchors
    assert old.statement("C5.2") == new.statement("C5.2")
    with pytest.raises(KeyError):
        old.statement("C2.4")


def test_statement_map_covers_every_version():
    m = questionnaire.statement_map()
    assert m.groupby("questionnaire_version").size().to_dict() == {"2025.1": 23, "2026.1": 24}
    assert (m["crack"] == m["statement_id"].str[1].astype(int)).all()


def test_unknown_version_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown; known versions: 2025.1, 2026.1"):
        questionnaire.load("2024.9")


def test_each_load_gives_fresh_lists():
    q = questionnaire.load()
    q.statements.clear()
    q.cracks[1].actions.clear()
    again = questionnaire.load()
    assert len(again.statements) == 24 and again.cracks[1].actions


def write(tmp_path, doc) -> str:
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def minimal(statements, **versions):
    crack = {"name": "n", "short": "s", "remedies": ["governance"], "actions": ["a"]}
    return {
        "cracks": {1: crack},
        "versions": {"1": {"released": "2020-01-01", "statements": statements}, **versions},
    }


ANCHORS = {i: f"a{i}" for i in range(1, 6)}


def test_malformed_files_are_rejected(tmp_path):
    bad_anchor = minimal([{"id": "C1.1", "text": "t", "anchors": {1: "a", 2: "b"}}])
    with pytest.raises(ValueError, match="anchors for 1..5"):
        questionnaire.load("1", write(tmp_path, bad_anchor))
    bad_id = minimal([{"id": "X1", "text": "t", "anchors": ANCHORS}])
    with pytest.raises(ValueError, match="not like C1.1"):
        questionnaire.load("1", write(tmp_path, bad_id))
    loop = minimal([], a={"based_on": "b"}, b={"based_on": "a"})
    with pytest.raises(ValueError, match="loop"):
        questionnaire.load("a", write(tmp_path, loop))
