"""pyproject.toml is the single source of dependencies; environment.yml mirrors it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return {r.replace(" ", "") for r in reqs}


def _environment_requirements() -> tuple[set[str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {r.replace(" ", "") for r in pip}, env["dependencies"]


def test_environment_yml_mirrors_pyproject() -> None:
    pip_reqs, deps = _environment_requirements()
    assert pip_reqs == _pyproject_requirements()
    assert any(str(d).startswith("python=3.11") for d in deps)


def test_console_script_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["alliance-kit"] == "alliance_kit.cli:main"
