"""The seeded sample portfolio: realistic, coherent alliance records for demos and benchmarks.

Every alliance gets a latent health per crack (0-1) for each quarter, and every record is
drawn from it: a weak crack 1 shows as low-level sponsors and executives skipping the
steering committee, a weak crack 4 as KPI definitions with gaps and late actuals, and so
on. Survey answers are drawn around ``1 + 4 * health`` with a per-side perception bias, so
the health scoring finds, from the records alone, the cracks the generator designed.

The twelve default alliances (``A001`` .. ``A012``) have fixed profiles (``PROFILES``);
beyond twelve, alliances get random profiles, and ended ones get outcomes whose
success correlates with health, so a risk model can be fitted on a large portfolio.
Everything is generated with numpy over the whole portfolio at once (no per-alliance
loops over records), so ten thousand alliances take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records.model import TABLES, VERSION
from alliance_kit.records.sample.align import (
    _agreements,
    _attendance,
    _briefings,
    _decisions,
    _governance,
    _meetings,
    _obligations,
    _raci,
)
from alliance_kit.records.sample.assess import STATEMENTS, _outcomes, _surveys
from alliance_kit.records.sample.imagine import (
    _business_cases,
    _kpi_actuals,
    _kpis,
    _objectives,
    _strategies,
)
from alliance_kit.records.sample.plan import (
    PROFILES,
    _alliances,
    _people,
    _plan,
    _sponsor_levels,
    profiles,
)
from alliance_kit.records.sample.succeed import (
    _actions,
    _documents,
    _issues,
    _lessons,
    _resources,
    _risks,
)

__all__ = ["PROFILES", "STATEMENTS", "holds_sample", "load", "portfolio", "profiles"]


# --- the portfolio ------------------------------------------------------------------------


def portfolio(
    n_alliances: int = 12,
    seed: int = 7,
    last_period: str | None = None,
    n_periods: int = 6,
    *,
    respondents_per_side: tuple[int, int] = (3, 6),
    survey_periods: int | None = None,
) -> dict[str, pd.DataFrame]:
    """A coherent sample portfolio: one typed frame per table of the model.

    Deterministic for given arguments. ``last_period`` (default: the last closed quarter)
    ends the ``n_periods`` quarters of history. For large benchmark portfolios the surveys
    can be thinned: ``respondents_per_side=(lo, hi)`` per round and side, and
    ``survey_periods`` (the most recent quarters that have an assessment round).
    """
    lo, hi = respondents_per_side
    if not 1 <= lo <= hi:
        raise ValueError("respondents_per_side must be (lo, hi) with 1 <= lo <= hi")
    plan = _plan(n_alliances, seed, last_period, n_periods)
    ours, theirs = _sponsor_levels(plan)
    people, people_frame = _people(plan, ours, theirs)
    out: dict[str, pd.DataFrame] = {
        "alliances": _alliances(plan, people, ours, theirs),
        "people": people_frame,
        "strategies": _strategies(plan),
    }
    obj_owner, out["objectives"] = _objectives(plan)
    objective_ids = out["objectives"]["id"].to_numpy(dtype=object)
    kpi_owner, base, target, pct, whole, out["kpis"] = _kpis(
        plan, people, obj_owner, out["objectives"]
    )
    out["kpi_actuals"] = _kpi_actuals(
        plan, kpi_owner, out["kpis"]["id"].to_numpy(dtype=object), base, target, pct, whole
    )
    out["business_cases"], out["business_case_lines"] = _business_cases(plan)
    ag_owner, ag_draft, ag_signed, out["agreements"] = _agreements(plan, people)
    ag_ids = out["agreements"]["id"].to_numpy(dtype=object)
    ag_local = np.arange(ag_owner.size) - np.searchsorted(ag_owner, ag_owner)
    out["obligations"] = _obligations(plan, people, ag_owner, ag_draft, ag_signed, ag_ids)
    out["briefings"] = _briefings(plan, ag_owner, ag_local, ag_draft, ag_signed, ag_ids)
    bodies, out["governance_bodies"], out["body_members"] = _governance(plan, people)
    m_body, m_t, m_held, m_held_on, m_ids, out["meetings"] = _meetings(plan, bodies)
    out["attendance"] = _attendance(plan, people, bodies, m_body, m_t, m_held, m_ids)
    out["decisions"] = _decisions(plan, bodies, m_body, m_t, m_held, m_held_on, m_ids)
    out["raci"] = _raci(plan)
    out["actions"] = _actions(
        plan, people, obj_owner, objective_ids, bodies, m_body, m_t, m_held, m_held_on, m_ids
    )
    out["resources"] = _resources(plan)
    out["risks"], out["risk_reviews"] = _risks(plan, people)
    out["issues"] = _issues(plan, people)
    out["lessons"] = _lessons(plan)
    out["documents"] = _documents(plan)
    out["assessment_rounds"], out["respondents"], out["answers"] = _surveys(
        plan, ours, theirs, respondents_per_side, survey_periods
    )
    out["outcomes"] = _outcomes(plan)
    # Every sample record is new to a store: version 1.
    return {name: out[name].assign(**{VERSION: 1}).astype({VERSION: "Int64"}) for name in TABLES}


def load(store, **kw) -> dict[str, int]:
    """Replace the store's content with a sample portfolio; returns rows written per table."""
    return store.replace_all(portfolio(**kw))


def holds_sample(store, *, seeds: tuple[int, ...] = ()) -> bool:
    """Whether the store holds exactly a sample portfolio as ``demo`` loads it (the
    default seed or one of ``seeds``, for its own number of alliances and last quarter)
    and nothing else: such a store may be replaced by ``demo`` without asking."""
    from alliance_kit.records import changes

    held = store.holds_records()
    if not held or "invitations" in held:
        return False
    stored = store.read_all()
    ids = stored["alliances"]["id"].tolist()
    if ids != [f"A{i + 1:03d}" for i in range(len(ids))]:
        return False
    periods = [
        str(df["period"].max())
        for df in stored.values()
        if "period" in df.columns and df["period"].notna().any()
    ]
    if not periods:
        return False
    for seed in dict.fromkeys((*seeds, 7)):
        sample = portfolio(n_alliances=len(ids), seed=seed, last_period=max(periods))
        if changes.diff(stored, sample, mode="replace").empty:
            return True
    return False
