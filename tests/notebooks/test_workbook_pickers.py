"""Every workbook opens with its alliance (and quarter) picker, pre-set from the papermill
parameters, with its code out of sight; and runs headless on a sparse store (one alliance,
no surveys, optional fields empty) and on an empty one, saying so instead of failing."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import nbformat
import pytest

from alliance_kit.views.notebook import recorded
from alliance_kit.records.store import Store

pytestmark = pytest.mark.notebook
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
WORKBOOKS = [
    NOTEBOOKS_DIR / "00_start_here.ipynb",
    *sorted((NOTEBOOKS_DIR / "imagine").glob("*.ipynb")),
    *sorted((NOTEBOOKS_DIR / "align").glob("*.ipynb")),
    *sorted((NOTEBOOKS_DIR / "succeed").glob("*.ipynb")),
    *sorted((NOTEBOOKS_DIR / "assess").glob("*.ipynb")),
]
WIDGET = "application/vnd.jupyter.widget-view+json"
SPARSE = {
    "id": "X1",
    "name": "Solo Pilot",
    "partner": "Partner Ltd",
    "type": "co-sell",
    "stage": "2 knowledge",
    "start_date": dt.date(2026, 2, 10),
    "owner": "Ann",
    "expected_revenue": 1_000_000.0,
    "currency": "EUR",
    "importance": 3,
}


def _id(path: Path) -> str:
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells for o in c.get("outputs", [])]


def _html(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in _outputs(nb))


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sparse") / "sparse.sqlite"
    store = Store(str(path))
    store.migrate()
    store.upsert("alliances", [SPARSE])
    store.engine.dispose()
    return str(path)


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("empty") / "empty.sqlite"
    store = Store(str(path))
    store.migrate()
    store.engine.dispose()
    return str(path)


def test_every_workbook_is_listed() -> None:
    assert len(WORKBOOKS) == 11


@pytest.mark.parametrize("path", WORKBOOKS, ids=_id)
def test_code_is_out_of_sight(path: Path) -> None:
    """JupyterLab collapses hidden sources; Voila and nbconvert read the tag."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source
            assert "hide-input" in cell.metadata.get("tags", []), cell.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"]  # papermill and nbval still find it
    assert "start(" in code[1].source  # the picker comes right after the parameters


@pytest.mark.parametrize("path", WORKBOOKS, ids=_id)
def test_workbook_opens_with_its_picker_set_from_the_parameters(path: Path, run_notebook) -> None:
    nb = run_notebook(path)  # the sample store, alliance A003, 2026-Q3
    code = [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in
            c.metadata.get("tags", [])]  # fmt: skip
    first = code[1].outputs
    assert any(WIDGET in o.get("data", {}) for o in first), "the picker is a live widget"
    snapshot = "".join(o.get("data", {}).get("text/html", "") for o in first)
    assert html.escape("Alliance: A003 — Joint Medical Imaging Suite") in snapshot
    if "start_here" not in path.name:
        assert "Quarter: 2026-Q3" in snapshot
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", WORKBOOKS, ids=_id)
def test_workbook_runs_on_a_sparse_store(path: Path, run_notebook, sparse_db, tmp_path) -> None:
    params = {"db": sparse_db, "alliance": "x1", "period": "2026-q3", "as_of": None}
    if "documents_dir" in path.read_text():
        params["documents_dir"] = str(tmp_path)
    nb = run_notebook(path, **params)
    results = recorded(nb)
    if "start_here" in path.name:
        assert results["alliances"] == 1
    else:
        assert results.get("alliance", "X1") == "X1"  # the id as stored, though typed x1
    assert html.escape("Alliance: X1 — Solo Pilot") in _html(nb)
    assert "could not be shown" not in _html(nb)


@pytest.mark.parametrize(
    "name", ["00_start_here.ipynb", "align/04_agreements.ipynb", "succeed/07_kpi_reporting.ipynb"]
)
def test_workbook_on_an_empty_store_says_where_to_start(name: str, run_notebook, empty_db) -> None:
    nb = run_notebook(NOTEBOOKS_DIR / name, db=empty_db, alliance=None)
    shown = _html(nb)
    assert "The store holds no alliance yet" in shown
    assert "alliance-kit import" in shown
    if name == "00_start_here.ipynb":
        assert recorded(nb)["alliances"] == 0
        assert "add the first one with the form below" in shown
    else:
        assert "00_start_here.ipynb" in shown and recorded(nb) == {}
        assert "Choose an alliance at the top" in shown
