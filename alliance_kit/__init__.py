"""alliance-kit: keep strategic alliances from failing.

The package holds all the logic; notebooks, reports and dashboards only call it.
"""

import importlib as _importlib

import pandas as _pd

__version__ = "0.1.0"

# pandas 3 stores text in pyarrow when pyarrow is installed (it is: the CSV reader uses
# it). Arrow strings cannot hold a lone surrogate (U+D800..U+DFFF), which a browser's
# form input can carry: building the frame would fail before the intake could refuse the
# text in place. Python-backed strings keep such text as data to be validated.
_pd.set_option("mode.string_storage", "python")


def __getattr__(name: str):  # noqa: ANN202
    """``from alliance_kit import health`` (the path before the layered layout) still
    works, with a DeprecationWarning; see alliance_kit._moved."""
    moved = _importlib.import_module("alliance_kit._moved")
    if name in moved.MOVED:
        module = globals()[name] = moved.load(name)  # warned once
        return module
    raise AttributeError(f"module 'alliance_kit' has no attribute {name!r}")


_importlib.import_module("alliance_kit._moved").install()
