"""Every pytest process that runs notebooks gets a store holding the sample portfolio.

``pytest_configure`` points ``ALLIANCE_KIT_DB`` (and ``ALLIANCE_KIT_SAMPLE_DB``, which tests
read to find it) at a temporary SQLite store, so every kernel this process starts (nbval's,
papermill's) opens that store. The store is migrated and filled with the sample portfolio
ending in 2026-Q3 once collection has found a notebook test (a ``.ipynb`` collected by nbval,
or a test marked ``notebook``), before any test runs: a targeted run of unit tests does not
pay for it. Under pytest-xdist each worker makes its own store; the controller, which runs
no test, makes none. Notebooks under ``notebooks/`` are collected by nbval (``--nbval-lax``
in pyproject's addopts) and must stay whole in one worker: ``make test`` uses
``--dist loadfile``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SAMPLE_LAST_PERIOD = "2026-Q3"
ENV_SAMPLE = "ALLIANCE_KIT_SAMPLE_DB"
ENV_SAMPLE_ERROR = "ALLIANCE_KIT_SAMPLE_ERROR"  # why the store could not be made, if so
_TMP_KEY = pytest.StashKey[Path]()


def _is_xdist_controller(config: pytest.Config) -> bool:
    workers = getattr(config.option, "numprocesses", None)
    return bool(workers) and not hasattr(config, "workerinput")


def make_sample_store(path: Path) -> None:
    """A migrated SQLite store at ``path`` holding the sample portfolio."""
    from alliance_kit.records import sample
    from alliance_kit.records.store import Store

    store = Store(str(path))
    try:
        store.migrate()
        sample.load(store, last_period=SAMPLE_LAST_PERIOD)
    finally:
        store.engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    from alliance_kit.config import ENV_DB

    tmp = Path(tempfile.mkdtemp(prefix="alliance-kit-sample-"))
    config.stash[_TMP_KEY] = tmp
    path = tmp / "sample.sqlite"
    os.environ[ENV_DB] = str(path)
    os.environ[ENV_SAMPLE] = str(path)
    os.environ.pop(ENV_SAMPLE_ERROR, None)


def _runs_notebooks(items: list[pytest.Item]) -> bool:
    return any(
        str(item.path).endswith(".ipynb") or item.get_closest_marker("notebook") for item in items
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tmp = config.stash.get(_TMP_KEY, None)
    if tmp is None or not _runs_notebooks(items):
        return
    try:
        make_sample_store(tmp / "sample.sqlite")
    except Exception as exc:  # reported by tests/notebooks, so other tests still run
        os.environ[ENV_SAMPLE_ERROR] = f"{type(exc).__name__}: {exc}"


def pytest_unconfigure(config: pytest.Config) -> None:
    tmp = config.stash.get(_TMP_KEY, None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def _retry_nbval_kernel_start() -> None:
    """nbval starts one kernel per notebook and does not retry. With two workers starting
    kernels at once, two can be handed the same free port and one dies before it answers
    ("Kernel died before replying to kernel_info", seen once in CI); the report batch
    retries its kernel starts for the same reason. A second failure is raised as is."""
    import nbval.kernel

    start = nbval.kernel.start_new_kernel
    if getattr(start, "retries", False):
        return

    def start_retrying(*args, **kwargs):
        try:
            return start(*args, **kwargs)
        except RuntimeError:
            return start(*args, **kwargs)

    start_retrying.retries = True
    nbval.kernel.start_new_kernel = start_retrying


_retry_nbval_kernel_start()
