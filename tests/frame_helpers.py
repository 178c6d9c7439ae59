"""Hand-built record frames for unit tests, typed exactly as the store returns them."""

from __future__ import annotations

import pandas as pd

from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame


def tf(name: str, rows: list[dict]) -> pd.DataFrame:
    """A frame of table ``name`` from plain row dicts (missing columns empty)."""
    return typed_frame(TABLES[name], pd.DataFrame(rows))


def alliances(*rows: dict) -> pd.DataFrame:
    """Alliances with every required column filled; each row gives at least its id."""
    base = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
    return tf("alliances", [dict(base, **r) for r in rows])
