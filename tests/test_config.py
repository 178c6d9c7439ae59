from __future__ import annotations

from alliance_kit import config


def test_db_url_resolution(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(config.ENV_DB, raising=False)
    assert config.db_url().endswith("data/alliance_kit.sqlite")
    assert config.db_url(str(tmp_path / "x.sqlite")) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv(config.ENV_DB, "postgresql://u:p@h/db")
    assert config.db_url() == "postgresql+psycopg://u:p@h/db"
    assert config.db_url("sqlite:///:memory:") == "sqlite:///:memory:"
