"""Configuration: where the store and its snapshots live (environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DB = "ALLIANCE_KIT_DB"
#: Where snapshots go (default: ``snapshots/`` beside a SQLite store, else data/snapshots/).
ENV_SNAPSHOTS = "ALLIANCE_KIT_SNAPSHOTS"
#: How many snapshots of each store are kept.
ENV_SNAPSHOT_KEEP = "ALLIANCE_KIT_SNAPSHOT_KEEP"
DEFAULT_SNAPSHOT_KEEP = 20
#: "1" in the environment of a dashboard server whose viewers sign in with personal links
#: (a team store with people), and so of its kernels: a page opens only for a signed-in
#: viewer, read as that person's role.
ENV_DASHBOARD_PERSONAL = "ALLIANCE_KIT_DASHBOARD_PERSONAL"


def project_root() -> Path:
    """The checkout holding ``data/`` and ``notebooks/`` (the current directory if installed)."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def default_db_path() -> Path:
    return project_root() / "data" / "alliance_kit.sqlite"


def absolute_db(url: str | None) -> str | None:
    """The same store named so that any working directory finds it: a bare SQLite path
    or a ``sqlite:///relative`` URL becomes absolute (against the current directory); other
    URLs and ``None`` are returned as they are. Commands call it once, where the user's value
    enters, because kernels and servers they start run in other directories."""
    if not url:
        return url
    if "://" not in url:
        return str(Path(url).expanduser().absolute())
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        rest = url[len(prefix) :]
        if rest and not rest.startswith("/"):
            return prefix + str(Path(rest).expanduser().absolute())
    return url


def db_url(url: str | None = None) -> str:
    """Resolve the store URL: an explicit URL or path, then ``$ALLIANCE_KIT_DB``, then the
    embedded SQLite file under ``data/``. A bare file path is taken as a SQLite file."""
    url = url or os.environ.get(ENV_DB) or str(default_db_path())
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    elif url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
