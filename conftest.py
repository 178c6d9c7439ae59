"""Every pytest process gets a store holding the sample portfolio for the notebooks.

``pytest_configure`` creates a temporary SQLite store, loads the sample portfolio ending in
2026-Q3 and points ``ALLIANCE_KIT_DB`` (and ``ALLIANCE_KIT_SAMPLE_DB``, which tests read to
find it) at it, so every kernel this process starts (nbval's, papermill's) opens that
store. Under pytest-xdist each worker makes its own; the controller, which runs no test,
makes none. Notebooks under ``notebooks/`` are collected by nbval (``--nbval-lax`` in
pyproject's addopts) and must stay whole in one worker: ``make test`` uses
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
    from alliance_kit.store import Store

    store = Store(str(path))
    try:
        store.migrate()
        try:
            from alliance_kit import sample
        except ImportError:  # TEMPORARY until alliance_kit.sample lands
            store.replace_all(_minimal_portfolio())
        else:
            sample.load(store, last_period=SAMPLE_LAST_PERIOD)
    finally:
        store.engine.dispose()


def _minimal_portfolio() -> dict:
    """TEMPORARY stand-in for the sample portfolio (three alliances)."""
    import pandas as pd

    base = {
        "type": "co-sell",
        "stage": "5 working together",
        "owner": "Ann Owner",
        "our_sponsor": "Sam Sponsor",
        "our_sponsor_level": "svp",
        "partner_sponsor": "Pat Partner",
        "partner_sponsor_level": "vp",
        "currency": "USD",
    }
    alliances = [
        base
        | {
            "id": "A001",
            "name": "Cloud co-sell",
            "partner": "Nimbus <Cloud>",
            "start_date": "2023-04-01",
            "expected_revenue": 40e6,
            "importance": 5,
        },
        base
        | {
            "id": "A002",
            "name": "Retail distribution",
            "partner": "ShopCo & Sons",
            "type": "distribution",
            "start_date": "2024-10-01",
            "expected_revenue": 8.5e6,
            "importance": 3,
            "currency": "EUR",
        },
        base
        | {
            "id": "A003",
            "name": "Joint venture Asia",
            "partner": "Lotus JV",
            "type": "joint venture",
            "start_date": "2021-01-01",
            "end_date": "2026-03-31",
            "expected_revenue": 12e6,
            "importance": 4,
        },
    ]
    from alliance_kit.model import TABLES
    from alliance_kit.store import typed_frame

    rows = {
        "alliances": alliances,
        "outcomes": [{"alliance_id": "A003", "outcome": "failed", "ended_on": "2026-03-31"}],
    }
    return {t: typed_frame(TABLES[t], pd.DataFrame(r)) for t, r in rows.items()}


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    from alliance_kit.config import ENV_DB

    tmp = Path(tempfile.mkdtemp(prefix="alliance-kit-sample-"))
    config.stash[_TMP_KEY] = tmp
    path = tmp / "sample.sqlite"
    try:
        make_sample_store(path)
    except Exception as exc:  # reported by tests/notebooks, so other tests still run
        os.environ[ENV_SAMPLE_ERROR] = f"{type(exc).__name__}: {exc}"
    os.environ[ENV_DB] = str(path)
    os.environ[ENV_SAMPLE] = str(path)


def pytest_unconfigure(config: pytest.Config) -> None:
    tmp = config.stash.get(_TMP_KEY, None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
