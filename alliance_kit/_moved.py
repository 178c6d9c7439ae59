"""The module paths before the package was laid out in layers (records, the principles,
views, delivery), kept working for notebooks users copied before: ``from alliance_kit
import health`` and ``from alliance_kit.widgets import TableView`` import the module from
its new place with a DeprecationWarning that names it. Nothing in this repository uses
them (tests/test_architecture.py checks); docs/architecture.md lists where each went."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

#: old name (under alliance_kit) -> new dotted path (under alliance_kit)
MOVED = {
    "model": "records.model", "keys": "records.keys", "periods": "records.periods",
    "paths": "records.paths", "store": "records.store", "snapshots": "records.snapshots",
    "changes": "records.changes", "history": "records.history", "schemas": "records.schemas",
    "io": "records.io", "sample": "records.sample", "questionnaire": "records.questionnaire",
    "strategy": "imagine.strategy", "kpis": "imagine.kpis",
    "business_case": "imagine.business_case", "imagine_forms": "imagine.forms",
    "agreements": "align.agreements", "governance": "align.governance",
    "align_forms": "align.forms",
    "operations": "succeed.operations", "kpi_reporting": "succeed.kpi_reporting",
    "improvement": "succeed.improvement", "lifecycle": "succeed.lifecycle",
    "succeed_forms": "succeed.forms",
    "survey": "assess.survey", "health": "assess.health", "risk": "assess.risk",
    "survey_widgets": "assess.survey_widgets",
    "formatting": "views.formatting", "charts": "views.charts", "documents": "views.documents",
    "widgets": "views.widgets", "workbook": "views.workbook", "notebook": "views.notebook",
    "reporting": "views.reporting", "dashboard": "views.dashboard",
    "portfolio": "views.portfolio",
    "batch": "delivery.batch", "publish": "delivery.publish", "serve": "delivery.serve",
    "processes": "delivery.processes", "web_guard": "delivery.web_guard",
}  # fmt: skip


def load(old: str) -> ModuleType:
    """The module that ``alliance_kit.<old>`` became, with a DeprecationWarning."""
    new = f"alliance_kit.{MOVED[old]}"
    warnings.warn(
        f"alliance_kit.{old} moved to {new}; update the import (docs/architecture.md)",
        DeprecationWarning,
        stacklevel=3,
    )
    return importlib.import_module(new)


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import alliance_kit.<old>`` finds the moved module under its old name too."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201
        prefix, _, old = fullname.partition(".")
        if prefix != "alliance_kit" or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):  # noqa: ANN001, ANN201
        return load(spec.name.partition(".")[2])

    def exec_module(self, module: ModuleType) -> None:
        pass  # the moved module is already executed


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
