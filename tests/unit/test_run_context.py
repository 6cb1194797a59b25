"""The RunContext (cli/context.py, issue 15): --root is a field built once at the edge, never written
into os.environ for code below to find, and an env loaded from it knows its root (EnvConfig.root)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.terraform.backend import local_state_path

from tests.lifecycle.conftest import run_cli
from tests.unit.test_config import GOOD, make_root


def test_root_is_a_field_not_an_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "infra").mkdir()
    root = make_root(tmp_path / "infra", "prod", GOOD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    monkeypatch.chdir(elsewhere)
    res = run_cli("--root", str(root), "--json", "envs")
    assert res.code == 0, res.err
    # the root's one env, plus the local env every project has built in (config.LOCAL_TOML)
    assert [e["name"] for e in json.loads(res.out)["result"]["envs"]] == ["local", "prod"]
    assert "CHROMACTL_ROOT" not in os.environ  # the old callback wrote it here, for the whole process


def test_a_root_without_envs_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    res = run_cli("--root", str(tmp_path), "envs")
    assert res.code == 2 and "has no envs/ directory" in res.err and "hint: " in res.err, res.err
    assert "Traceback" not in res.err


def test_code_holding_an_env_uses_its_root_not_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "infra").mkdir()
    root = make_root(tmp_path / "infra", "prod", GOOD)
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)  # no envs/ here: a lookup from the working directory would fail
    env = load_env("prod", root)
    assert env.root.resolve() == root.resolve()
    assert local_state_path(env, "us-east-1") == env.root / ".chromactl" / "state" / "prod" / "us-east-1" / "terraform.tfstate"


def test_a_drill_loads_its_env_from_the_root_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`drill --root R` hands R to run_drill: it loads the env from there with no CHROMACTL_ROOT set
    for it (cmd_drill used to write --root into os.environ around the call)."""
    from chromactl.drills import core as drill_core
    from chromactl.output import Output

    (tmp_path / "infra").mkdir()
    root = make_root(tmp_path / "infra", "prod", GOOD)
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)  # no envs/ here: a lookup from the working directory would fail
    seen: dict[str, object] = {}
    # the scenario records the env it was given (the drill itself is tested in tests/drills)
    monkeypatch.setattr(drill_core, "runner", lambda scenario: lambda ctx: seen.setdefault("env", ctx.env))
    monkeypatch.setattr(drill_core, "guard_protected", lambda *a, **k: None)
    drill_core.run_drill("prod", "kill-task", output=Output(json=True), root=root, factory=object(), outputs={"cluster_name": "c"})
    assert seen["env"].root.resolve() == root.resolve()  # type: ignore[attr-defined]
    assert "CHROMACTL_ROOT" not in os.environ

