"""Running notebooks under papermill against the sample store.

The root ``conftest.py`` fills a temporary store with the sample portfolio (2026-Q3) and
points ``ALLIANCE_KIT_DB`` at it. ``run_notebook`` executes a notebook in a separate
process (papermill is not thread-safe and a kernel must not share our process), from the
notebook's own folder, with a per-cell timeout, and passes the standard parameters the
notebook declares (see ``alliance_kit.views.notebook``). Executed notebooks are cached for the
session, so several tests can assert on one run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = ROOT / "notebooks"
CELL_TIMEOUT = 300  # seconds any one cell may run before the notebook fails
KERNEL = "python3"
#: Values for the standard parameter names, passed when a notebook declares them.
STANDARD_VALUES: dict[str, Any] = {"alliance": "A003", "period": "2026-Q3", "as_of": "2026-09-30"}
_PORT_CLASH = ("Address already in use", "Kernel died before replying to kernel_info")


def _name(path: Path) -> str:
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


@pytest.fixture(scope="session")
def sample_db() -> str:
    """Path of this process's sample store (made by the root conftest)."""
    error = os.environ.get("ALLIANCE_KIT_SAMPLE_ERROR")
    if error:
        pytest.fail(f"the sample store could not be made: {error}")
    path = os.environ.get("ALLIANCE_KIT_SAMPLE_DB")
    if not path or not Path(path).is_file():
        pytest.fail("no sample store: the root conftest.py did not run or did not load it")
    return path


def _papermill(
    path: Path, out: Path, params: Mapping[str, Any], db: str
) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(path),
        str(out),
        "--cwd",
        str(path.parent),
        "--kernel",
        KERNEL,
        "--execution-timeout",
        str(CELL_TIMEOUT),
        "--no-progress-bar",
        "--log-level",
        "WARNING",
        "-y",
        json.dumps(dict(params)),
    ]
    env = os.environ | {"ALLIANCE_KIT_DB": db}
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=CELL_TIMEOUT * 4, check=False
    )


def _tail(text: str, lines: int = 40) -> str:
    kept = [line for line in text.splitlines() if "running over TCP" not in line]
    return "\n".join(kept[-lines:])


@pytest.fixture(scope="session")
def run_notebook(
    sample_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., nbformat.NotebookNode]:
    """``run_notebook(path, **overrides)`` -> the executed notebook (fails the test if a
    cell raised or timed out). Standard parameters the notebook declares are passed with
    the sample store's values; ``overrides`` add or replace parameters."""
    out_dir = tmp_path_factory.mktemp("executed")
    cache: dict[tuple, nbformat.NotebookNode] = {}

    def run(path: Path, **overrides: Any) -> nbformat.NotebookNode:
        declared = papermill.inspect_notebook(str(path))
        params = {"db": sample_db, **STANDARD_VALUES} | overrides
        params = {k: v for k, v in params.items() if k in declared or k in overrides}
        key = (str(path), json.dumps(params, sort_keys=True))
        if key in cache:
            return cache[key]
        out = out_dir / f"{_name(path).replace('/', '__')}-{len(cache)}.ipynb"
        done = _papermill(path, out, params, sample_db)
        if done.returncode != 0 and any(s in done.stderr for s in _PORT_CLASH):
            done = _papermill(path, out, params, sample_db)  # parallel kernel starts can clash
        if done.returncode != 0:
            pytest.fail(
                f"{_name(path)} failed under papermill with {params}:\n{_tail(done.stderr)}"
            )
        cache[key] = nbformat.read(str(out), as_version=4)
        return cache[key]

    return run
