"""Early warnings against the previous quarter (step 6 of
:mod:`alliance_kit.assess.health`) and the remedies that go with open cracks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from alliance_kit.assess.indicators import number_texts, one_decimal, percent_text
from alliance_kit.assess.scoring import ScoringConfig, rounded
from alliance_kit.records import questionnaire

ALERT_KINDS = ("drop", "newly red", "gap widening", "response falling", "dont know")
#: How each kind of alert is named on a page.
ALERT_LABELS = {
    "drop": "Drop",
    "newly red": "Newly red",
    "gap widening": "Gap widening",
    "response falling": "Response falling",
    "dont know": "Don't know",
}


def early_warnings(
    cracks: pd.DataFrame, response: pd.DataFrame, cfg: ScoringConfig
) -> pd.DataFrame:
    """Early-warning rows (alliance_id, crack, kind, severity, message); messages are
    only written for the rows that trip a rule."""
    labels = {n: f"crack {n} {c.short}" for n, c in questionnaire.cracks().items()}
    c = cracks
    alliance, crack = c["alliance_id"].to_numpy(), c["crack"].to_numpy()
    rows: list[pd.DataFrame] = []

    def add(mask: pd.Series, kind: str, severity, say: Callable[..., str], *cols) -> None:
        """Alerts where ``mask``; ``cols`` are (column, format or None): numbers are
        formatted once per distinct value before ``say`` writes the sentence."""
        hit = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        if not len(hit):
            return
        label = [labels[n] for n in crack[hit].tolist()]
        values = [
            number_texts(v.to_numpy()[hit], f) if f else v.iloc[hit].tolist() for v, f in cols
        ]
        msg = list(map(say, label, *values))
        sev = severity if isinstance(severity, str) else severity.to_numpy()[hit]
        rows.append(pd.DataFrame({"alliance_id": alliance[hit], "crack": crack[hit],
                                  "kind": kind, "severity": sev, "message": msg}))  # fmt: skip

    one = one_decimal
    score, prev = (c["score"], one), (c["prev_score"], one)
    change = c["change"]
    add(change <= -cfg.drop_alert, "drop", "medium",
        lambda lbl, d, s, p: f"{lbl} fell {d} points to {s} (was {p})",
        (-change, one), score, prev)  # fmt: skip
    add((c["status"] == "red") & c["prev_status"].isin(["green", "amber"]), "newly red", "high",
        lambda lbl, s, ps, p: f"{lbl} turned red at {s} (was {ps} at {p})",
        score, (c["prev_status"], None), prev)  # fmt: skip
    add(rounded(c["gap"].abs() - c["prev_gap"].abs()) >= cfg.gap_widening, "gap widening",
        "medium",
        lambda lbl, g, pg: f"{lbl}: perception gap widened from {pg} to {g} "
        "points (us minus partner)",
        (c["gap"], one), (c["prev_gap"], one))  # fmt: skip
    strict = c["crack"].isin(cfg.dont_know_cracks)
    add(c["dont_know_warning"], "dont know",
        pd.Series(np.where(strict, "high", "medium"), index=c.index),
        lambda lbl, r, n: f"{lbl}: {r} of answers were don't know"
        + (" (people do not know it: that is the crack itself)"
           if n in cfg.dont_know_cracks else ""),
        (c["dont_know_rate"], percent_text), (c["crack"], None))  # fmt: skip
    r = response
    fall = (r["prev_rate"] - r["rate"]) >= cfg.response_drop - 1e-12
    if fall.any():
        hit = r[fall]
        rows.append(pd.DataFrame({
            "alliance_id": hit["alliance_id"].to_numpy(), "crack": pd.NA,
            "kind": "response falling", "severity": "low",
            "message": [f"response rate fell from {percent_text(p)} to {percent_text(n)}"
                        for p, n in zip(hit["prev_rate"], hit["rate"], strict=True)],
        }))  # fmt: skip
    cols = ["alliance_id", "crack", "kind", "severity", "message"]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["crack"] = out["crack"].astype("Int64")
    order = {"high": 0, "medium": 1, "low": 2}
    return (
        out.assign(_o=out["severity"].map(order))
        .sort_values(["_o", "alliance_id", "crack"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)[cols]
    )


def response_table(groups: pd.DataFrame, period: str) -> pd.DataFrame:
    g = groups[groups["period"] == period].groupby("alliance_id")[["invited", "responded"]].sum()
    g["rate"] = g["responded"] / g["invited"].where(g["invited"] > 0)
    return g


def remedy_text(crack: pd.Series) -> pd.Series:
    cr = questionnaire.cracks()
    return crack.map({n: ", ".join(c.remedies) for n, c in cr.items()})
