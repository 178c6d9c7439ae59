"""Conventions every notebook under ``notebooks/`` follows, and recorded results.

For the authors of workbooks, reports and dashboards:

1. **Parameters.** The first code cell is tagged ``parameters`` and assigns plain literals.
   Use the standard names where they apply, so batch runs and tests can pass them:
   ``db = None`` (store URL or SQLite path; None means ``$ALLIANCE_KIT_DB``, else the default
   store), ``alliance = None`` (an alliance id; None means the first one in the store),
   ``period = None`` (a quarter such as ``"2026-Q3"``; None means the last closed quarter),
   ``as_of = None`` (a date ``"YYYY-MM-DD"``; None means today). The notebook tests
   (``tests/notebooks/``) pass exactly the standard names a notebook declares, with
   ``alliance="A003"``, ``period="2026-Q3"`` and ``as_of="2026-09-30"``, against a store
   holding the sample portfolio (``sample.load(store, last_period="2026-Q3")``).
2. **Thin.** Markdown that guides the user plus short calls into ``alliance_kit``; every
   number shown comes from a tested package function. Committed without outputs. A
   workbook's second code cell calls ``workbook.start`` with the parameters: it shows the
   alliance (and quarter) picker, and later cells show ``wb.section(...)`` /
   ``wb.form(...)``, redrawn when the picker changes. Code cells carry
   ``"jupyter": {"source_hidden": true}`` and the tag ``hide-input``.
3. **Recorded results.** The key figures a notebook shows are recorded with
   ``record(name, value)``, usually in its last cell. ``record`` emits a display output of
   mimetype ``application/vnd.alliance-kit+json`` holding ``{"name": ..., "value": ...}``
   (with an empty ``text/plain`` so nothing visible is added). Papermill keeps outputs in
   the executed notebook, so ``recorded(executed_nb)`` reads them back as a dict; the
   notebook tests assert on them and batch runs can put them in their manifest. Values
   must be JSON-able: numbers, text, booleans, None, lists and dicts of those; numpy and
   pandas scalars, dates, Series and DataFrames (as a list of row dicts) are converted.
   Do not use scrapbook (it no longer installs cleanly).
4. **Static HTML.** Widgets shown with ``widgets.TableView`` or ``widgets.RecordForm``
   also carry a ``text/html`` snapshot. nbconvert uses it only when the notebook holds no
   widget state; papermill (nbclient) stores widget state, whose HTML rendering needs a
   CDN, so pass an executed notebook through ``without_widget_state`` before exporting it.
5. **Runs everywhere.** Each notebook runs under ``pytest --nbval-lax`` and papermill from
   its own folder (the kernel's working directory is the notebook's folder); find other
   notebooks and files with ``notebooks_dir()``, never with absolute paths.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance_kit import config

MIME = "application/vnd.alliance-kit+json"
STANDARD_PARAMETERS = ("db", "alliance", "period", "as_of")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (NaN and missing become None)."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(name: str, value: Any) -> None:
    """Record a key result of the running notebook under ``name`` (see the module doc)."""
    from IPython.display import display

    payload = {"name": str(name), "value": jsonable(value)}
    json.dumps(payload)  # fail here, in the notebook, if it cannot be stored
    display({MIME: payload, "text/plain": ""}, raw=True)


def recorded(nb: Any) -> dict[str, Any]:
    """The results recorded in an executed notebook (a path or an nbformat node), by name;
    a later record of the same name wins."""
    if isinstance(nb, (str, Path)):
        import nbformat

        nb = nbformat.read(str(nb), as_version=4)
    results: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(MIME)
            if payload is None:
                continue
            if isinstance(payload, str):
                payload = json.loads(payload)
            results[payload["name"]] = payload["value"]
    return results


def without_widget_state(nb: Any) -> Any:
    """The notebook node with its saved widget state removed (in place, and returned), so
    static exports fall back to each widget's ``text/html`` snapshot instead of loading
    the widget manager from a CDN."""
    nb.metadata.pop("widgets", None)
    return nb


def discover(folder: str | Path | None = None) -> list[Path]:
    """Every notebook under ``folder`` (default ``notebooks_dir()``), checkpoints excluded,
    in path order."""
    root = Path(folder) if folder is not None else notebooks_dir()
    return sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder: the kernel's working directory when it is inside it (how
    Jupyter, nbval and the tests run notebooks), else the checkout's ``notebooks/``."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "00_start_here.ipynb").is_file():
            return folder
    return config.project_root() / "notebooks"


def hide_tracebacks(shell: Any = None) -> bool:
    """In a served page's kernel: an error while handling a widget message (a malformed or
    hostile message from the browser, a failing callback) is logged on the server in one
    line instead of being sent to the browser as a traceback (which shows file paths and
    code). ipywidgets reports such errors through the shell's ``showtraceback``; Voila's
    ``show_tracebacks=False`` covers only cells. Returns whether a shell was found."""
    import logging
    import sys

    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    log = logging.getLogger("alliance_kit.page")

    def quiet(*_args: Any, **_kwargs: Any) -> None:
        etype, value, _tb = sys.exc_info()
        name = etype.__name__ if etype else "error"
        first = str(value).strip().splitlines()[0] if value and str(value).strip() else ""
        log.warning("refused a widget message: %s%s", name, f": {first[:200]}" if first else "")

    shell.showtraceback = quiet
    return True
