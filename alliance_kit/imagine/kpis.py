"""Goals & KPIs (Imagine) and their reporting (Succeed): are the KPIs defined, agreed and
reported? Evidence figures per KPI and per alliance, vectorized over the portfolio."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance_kit import config
from alliance_kit.records import measures, periods
from alliance_kit.records.measures import table
from alliance_kit.records.model import CADENCES, KPI_DIRECTIONS

#: The fields a KPI needs to be SMART: someone owns it, it is measured from a baseline to
#: a target by a date, reported at a cadence from a named data source.
SMART_FIELDS = ("owner", "baseline", "target", "due_date", "cadence", "data_source")
#: Quarters (1-4) in which a KPI of each cadence reports; no cadence counts as quarterly.
REPORTING_QUARTERS = {
    "monthly": (1, 2, 3, 4),
    "quarterly": (1, 2, 3, 4),
    "semiannual": (2, 4),
    "annual": (4,),
}


def kpi_definitions(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per KPI: how many SMART fields are filled, ``completeness`` (0-1), which
    are ``missing``, and whether both partners agreed it."""
    k = table(frames, "kpis")
    filled = pd.DataFrame(
        {f: k[f].notna() & (k[f].astype(str).str.strip() != "") for f in SMART_FIELDS}
    )
    missing = filled.apply(lambda row: ", ".join(f for f in SMART_FIELDS if not row[f]), axis=1)
    return pd.DataFrame(
        {
            "alliance_id": k["alliance_id"],
            "kpi_id": k["id"],
            "name": k["name"],
            "filled": filled.sum(axis=1).astype(int),
            "completeness": filled.mean(axis=1) if len(k) else pd.Series(dtype=float),
            "missing": missing if len(k) else pd.Series(dtype=object),
            "agreed_by_both": k["agreed_by_both"].astype(bool),
        }
    ).reset_index(drop=True)


def _not_blank(values: pd.Series) -> np.ndarray:
    """Filled: not missing and not only spaces (checked once per distinct value)."""
    codes, uniques = pd.factorize(values)
    filled = np.array([str(v).strip() != "" for v in uniques], dtype=bool)
    return measures.take(filled, codes, False)


def kpi_completeness(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per alliance: ``kpis`` defined, ``complete`` (all SMART fields filled),
    ``completeness`` (mean share of SMART fields filled) and ``agreed`` (share agreed by
    both partners). An alliance without KPIs scores 0 on both: nothing is defined."""
    k = table(frames, "kpis")
    text = ("owner", "cadence", "data_source")
    filled = sum(
        (_not_blank(k[f]) if f in text else k[f].notna().to_numpy()).astype(np.int64)
        for f in SMART_FIELDS
    )
    share = filled / len(SMART_FIELDS)
    n = len(table(frames, "alliances"))
    pos = measures.positions(frames, k["alliance_id"])
    valid = pos >= 0
    # pandas' group means (compensated sums), so the shares average exactly as before
    means = (
        pd.DataFrame({"completeness": share, "agreed": k["agreed_by_both"].to_numpy(float)})
        .iloc[valid]
        .groupby(pos[valid])
        .mean()
        .reindex(range(n))
        .fillna(0.0)
    )
    return measures.per_alliance(
        frames,
        kpis=measures.count(pos, n),
        complete=measures.count(pos, n, share == 1.0),
        completeness=means["completeness"].to_numpy(),
        agreed=means["agreed"].to_numpy(),
    )


def actuals_on_time(
    frames: dict[str, pd.DataFrame], period: str, window: int = 4, grace_days: int = 30
) -> pd.DataFrame:
    """Actuals reported on time, per alliance, over the window's quarters.

    A KPI is expected to report for each quarter of the window its cadence covers
    (REPORTING_QUARTERS) from the alliance's start quarter on. A report is on time when
    an actual for that quarter exists and was reported within ``grace_days`` after the
    quarter ended (an actual without a report date counts as on time). ``rate`` =
    on_time / expected (NaN when nothing was expected).
    """
    quarters = periods.span(periods.shift(period, -(window - 1)), period)
    rows = _report_rows(frames)
    pos = rows["alliance"]
    running = measures.take(measures.quarters_running(frames, period, window), pos, 0)
    expected = _expected_reports(*rows["cadence"], quarters) & (
        np.arange(window) >= (window - running)[:, None]
    )  # KPI x quarter of the window
    kpi, (codes, periods_seen) = rows["kpi"], rows["period"]
    quarter = measures.take(
        measures.rows_of(periods_seen, pd.Series(quarters, dtype=object)), codes, -1
    )
    deadline = np.array(
        [np.datetime64(periods.end(p), "ns") + np.timedelta64(grace_days, "D") for p in quarters]
    )
    reported_on = rows["reported_on"]
    cell = (kpi >= 0) & (quarter >= 0)
    cell[cell] = expected[kpi[cell], quarter[cell]]  # an actual for an expected report
    on_time = cell & (
        np.isnat(reported_on)
        | (reported_on <= measures.take(deadline, quarter, np.datetime64("NaT")))
    )
    n = len(table(frames, "alliances"))
    at = measures.take(pos, kpi, -1)
    expected_n = measures.total(pos, n, expected.sum(axis=1)).astype(np.int64)
    on_time_n = measures.count(at, n, on_time)
    return measures.per_alliance(
        frames,
        expected=expected_n,
        reported=measures.count(at, n, cell),
        on_time=on_time_n,
        rate=measures.ratio(on_time_n, expected_n.astype(float)),
    )


def _report_rows(frames: dict[str, pd.DataFrame]) -> dict:
    """What actuals_on_time reads, whatever the period: per KPI its alliance's row and
    its cadence, per actual its KPI's row, its period and report date (distinct
    values factorized, each a pair of codes and values)."""

    def compute() -> dict:
        k, act = table(frames, "kpis"), table(frames, "kpi_actuals")
        return {
            "alliance": measures.positions(frames, k["alliance_id"]),
            "cadence": pd.factorize(k["cadence"]),
            "kpi": measures.rows_of(act["kpi_id"], k["id"]),
            "period": pd.factorize(act["period"]),
            "reported_on": measures.days(act["reported_on"]),
        }

    return measures.memo(frames, ("kpis", "report rows"), compute)


def _expected_reports(codes: np.ndarray, uniques: object, quarters: list[str]) -> np.ndarray:
    """KPI x quarter: does the KPI's cadence (factorized: codes, values) report in that
    quarter (REPORTING_QUARTERS; no or an unknown cadence counts as quarterly)."""
    number = [int(p[-1]) for p in quarters]
    by_cadence = np.array(
        [
            [q in REPORTING_QUARTERS.get(c, REPORTING_QUARTERS["quarterly"]) for q in number]
            for c in [*uniques, "quarterly"]
        ],
        dtype=bool,
    ).reshape(-1, len(quarters))
    return by_cadence[codes]


# --- KPI designer, objective tree and starter catalogue (Imagine: goals & KPIs workbook) ---
# Added for the goals & KPIs workbook. The health indicators above score crack 4 from
# SMART_FIELDS; the designer below also asks for a unit and both partners' agreement, and
# names each missing item in words, so the user knows exactly what to fill in.

#: Every item a KPI needs before both partners can steer by it, with the words shown when
#: it is missing (SMART_FIELDS plus the unit and the agreement of both partners).
SMART_ITEMS: dict[str, str] = {
    "owner": "owner",
    "unit": "unit",
    "baseline": "baseline",
    "target": "target",
    "due_date": "due date",
    "cadence": "cadence",
    "data_source": "data source",
    "agreed_by_both": "agreed by both",
}
NO_OBJECTIVE = "(not linked to an objective)"
CATALOGUE_PATH = config.project_root() / "templates" / "kpi_catalogue.yaml"
CATALOGUE_COLUMNS = ("key", "name", "unit", "direction", "cadence", "data_source", "why")


def _filled(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def smart_check(kpi: Mapping[str, Any] | pd.Series) -> list[str]:
    """What one KPI (a record or a row) still lacks, in SMART_ITEMS order and words;
    empty when it is complete. Agreement counts only when ``agreed_by_both`` is true."""
    missing = []
    for col, words in SMART_ITEMS.items():
        value = kpi.get(col)
        ok = bool(value) if col == "agreed_by_both" and _filled(value) else _filled(value)
        if not ok:
            missing.append(words)
    return missing


def _filled_frame(k: pd.DataFrame) -> pd.DataFrame:
    """Per KPI and SMART item: is it there? (vectorized smart_check)."""
    out = {}
    for col in SMART_ITEMS:
        v = k[col]
        if col == "agreed_by_both":
            out[col] = v.astype("boolean").fillna(False).astype(bool)
        elif v.dtype == object:
            out[col] = v.notna() & (v.astype(str).str.strip() != "")
        else:
            out[col] = v.notna()
    return pd.DataFrame(out, index=k.index)


def smart_table(frames: dict[str, pd.DataFrame], alliance_id: str | None = None) -> pd.DataFrame:
    """One row per KPI (of one alliance, or all): ``missing`` (the items smart_check
    names, as text), ``n_missing`` and ``smart`` (nothing missing)."""
    k = table(frames, "kpis")
    if alliance_id is not None:
        k = k[k["alliance_id"] == alliance_id]
    filled = _filled_frame(k)
    words = list(SMART_ITEMS.values())
    missing = [
        ", ".join(w for w, ok in zip(words, row, strict=True) if not ok)
        for row in filled.itertuples(index=False)
    ]
    n_missing = (~filled).sum(axis=1).astype(int)
    return pd.DataFrame(
        {
            "alliance_id": k["alliance_id"].to_numpy(),
            "kpi_id": k["id"].to_numpy(),
            "name": k["name"].to_numpy(),
            "missing": pd.Series(missing, dtype=object).to_numpy(),
            "n_missing": n_missing.to_numpy(),
            "smart": (n_missing == 0).to_numpy(),
        }
    )


def kpi_tree(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """The alliance's objectives and the KPIs that measure each, one row per pair (tidy).

    An objective no KPI measures gets one row with an empty ``kpi_id``; KPIs linked to no
    objective sit under NO_OBJECTIVE. Columns: objective_id, objective, kpi_id, kpi, owner,
    unit, direction, baseline, target, due_date, cadence, agreed_by_both, missing, smart.
    """
    o = table(frames, "objectives")
    o = o[o["alliance_id"] == alliance_id][["id", "title"]]
    o = o.rename(columns={"id": "objective_id", "title": "objective"})
    k = table(frames, "kpis")
    k = k[k["alliance_id"] == alliance_id]
    cols = ["owner", "unit", "direction", "baseline", "target", "due_date", "cadence"]
    kk = k[["id", "objective_id", "name", *cols, "agreed_by_both"]].rename(
        columns={"id": "kpi_id", "name": "kpi"}
    )
    sm = smart_table({"kpis": k})[["kpi_id", "missing", "smart"]]
    kk = kk.merge(sm, on="kpi_id", how="left")
    known = kk["objective_id"].isin(o["objective_id"])
    kk.loc[~known, "objective_id"] = None
    tree = o.merge(kk, on="objective_id", how="left")
    orphans = kk[~known].assign(objective=NO_OBJECTIVE)
    if len(orphans):
        tree = pd.concat([tree, orphans[tree.columns]], ignore_index=True)
    tree["objective_order"] = range(len(tree))
    tree = tree.sort_values(["objective_order"], kind="stable").drop(columns="objective_order")
    return tree.reset_index(drop=True)


def _fmt_number(value: Any) -> str:
    if not _filled(value):
        return "?"
    x = float(value)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


def tree_html(tree: pd.DataFrame) -> str:
    """The objective -> KPI tree as a readable, escaped HTML outline: each objective, then
    its KPIs with baseline -> target, due date and what is missing."""
    if tree.empty:
        return (
            "<p><em>No objectives or KPIs yet: add an objective, then KPIs that measure "
            "it.</em></p>"
        )
    parts = ['<div class="ak-kpi-tree" style="font-family:system-ui,sans-serif;font-size:14px">']
    for objective, rows in tree.groupby("objective", sort=False, dropna=False):
        oid = rows["objective_id"].iloc[0]
        head = html.escape(str(objective))
        if _filled(oid):
            head = f"{head} <span style='color:#777'>({html.escape(str(oid))})</span>"
        parts.append(f"<div style='margin:8px 0 2px'><b>{head}</b></div><ul style='margin:0'>")
        measured = rows[rows["kpi_id"].notna()]
        if measured.empty:
            parts.append("<li style='color:#b3261e'>no KPI measures this objective yet</li>")
        for r in measured.to_dict("records"):
            unit = f" {r['unit']}" if _filled(r["unit"]) else ""
            arrow = "&#8599;" if r["direction"] == "increase" else "&#8600;"
            due = (
                pd.Timestamp(r["due_date"]).strftime("%Y-%m-%d") if _filled(r["due_date"]) else "?"
            )
            status = (
                "<span style='color:#1b5e20'>&#10003; SMART and agreed</span>"
                if r["smart"]
                else f"<span style='color:#b3261e'>missing: {html.escape(str(r['missing']))}</span>"
            )
            parts.append(
                f"<li>{arrow} <b>{html.escape(str(r['kpi']))}</b> "
                f"<span style='color:#777'>({html.escape(str(r['kpi_id']))})</span>: "
                f"{html.escape(_fmt_number(r['baseline']) + unit)} &rarr; "
                f"{html.escape(_fmt_number(r['target']) + unit)} by {html.escape(due)}; "
                f"owner {html.escape(str(r['owner']) if _filled(r['owner']) else '?')}; "
                f"{status}</li>"
            )
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def load_catalogue(path: str | Path | None = None) -> pd.DataFrame:
    """The starter catalogue of common alliance KPIs (``templates/kpi_catalogue.yaml``):
    key, name, unit (``currency`` means the alliance's currency), direction, cadence,
    data_source and why it matters. ValueError when an entry is incomplete or invalid."""
    import yaml

    p = Path(path) if path is not None else CATALOGUE_PATH
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    entries = data.get("kpis", [])
    frame = pd.DataFrame(entries, columns=list(CATALOGUE_COLUMNS))
    bad = []
    for i, e in enumerate(entries):
        lack = [c for c in CATALOGUE_COLUMNS if not _filled(e.get(c))]
        if lack:
            bad.append(f"entry {i + 1} ({e.get('key', '?')}) lacks {', '.join(lack)}")
        if e.get("direction") not in KPI_DIRECTIONS:
            bad.append(f"entry {e.get('key', i + 1)}: direction is one of {KPI_DIRECTIONS}")
        if e.get("cadence") not in CADENCES:
            bad.append(f"entry {e.get('key', i + 1)}: cadence is one of {CADENCES}")
    if frame["key"].duplicated().any():
        bad.append("keys repeat: " + ", ".join(frame.loc[frame["key"].duplicated(), "key"]))
    if bad:
        raise ValueError(f"{p}: " + "; ".join(bad))
    return frame


def kpi_from_catalogue(
    entry: Mapping[str, Any] | pd.Series,
    alliance_id: str,
    *,
    currency: str | None = None,
    kpi_id: str | None = None,
    objective_id: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """A new ``kpis`` record from a catalogue entry: name, unit, direction, cadence and
    data source filled in; baseline, target, due date, owner and the agreement are left
    for the partners to set (smart_check lists them)."""
    unit = entry["unit"]
    if unit == "currency":
        unit = currency or "currency"
    return {
        "id": kpi_id,
        "alliance_id": alliance_id,
        "objective_id": objective_id,
        "name": entry["name"],
        "owner": owner,
        "owner_side": None,
        "unit": unit,
        "direction": entry["direction"],
        "baseline": None,
        "target": None,
        "due_date": None,
        "cadence": entry["cadence"],
        "data_source": entry["data_source"],
        "agreed_by_both": False,
    }
