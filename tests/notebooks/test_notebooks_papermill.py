"""Every notebook under notebooks/ runs under papermill against the sample store, is
committed clean, and records its key results; the start notebook's figures equal the
package's."""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from jupyter_client import KernelManager

from alliance_kit.views import portfolio
from alliance_kit.views.notebook import discover, recorded
from alliance_kit.records.store import Store

pytestmark = pytest.mark.notebook
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = discover(NOTEBOOKS_DIR)
KERNEL = "python3"


def notebook_id(path: Path) -> str:
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


def outputs(nb: nbformat.NotebookNode, mime: str) -> str:
    """All outputs of one mimetype in an executed notebook, joined."""
    return "".join(o.get("data", {}).get(mime, "") for c in nb.cells for o in c.get("outputs", []))


def test_notebooks_exist() -> None:
    assert NOTEBOOKS_DIR / "00_start_here.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_runs_under_papermill(path: Path, run_notebook) -> None:
    nb = run_notebook(path)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "record(" in source:
        assert recorded(nb), f"{notebook_id(path)} calls record() but nothing was recorded"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs committed"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one code cell tagged `parameters`"
    assert "db" in papermill.inspect_notebook(str(path)), "the parameters cell declares `db`"
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL


def test_python3_kernel_is_this_environment() -> None:
    """Notebooks name the kernel `python3`; it must start this virtualenv's interpreter."""
    km = KernelManager(kernel_name=KERNEL)
    cmd = km.format_kernel_cmd()
    assert os.path.abspath(cmd[0]) == os.path.abspath(sys.executable), cmd


def test_start_here_shows_the_register_of_the_store(run_notebook, sample_db) -> None:
    nb = run_notebook(NOTEBOOKS_DIR / "00_start_here.ipynb")
    store = Store(sample_db)
    try:
        reg = portfolio.register(store.read_all(), as_of="2026-09-30")
    finally:
        store.engine.dispose()
    results = recorded(nb)
    assert results["alliances"] == len(reg) == 12
    assert results["status_counts"] == reg["status"].value_counts().sort_index().to_dict()
    assert results["expected_revenue_active"] == portfolio.totals(reg).to_dict(orient="records")
    shown_html, shown_md = outputs(nb, "text/html"), outputs(nb, "text/markdown")
    assert html.escape(portfolio.headline(reg, "2026-09-30")) in shown_html
    for name in reg["name"]:
        assert f">{html.escape(name)}</td>" in shown_html
    assert "Strategy and scope" in shown_md  # the guide
    assert "an interactive form" in shown_html  # the form's static snapshot
