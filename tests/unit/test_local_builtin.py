"""Review finding 2: the local env exists in every project. A chromactl checkout has envs/local/chromactl.toml;
a repository made by `chromactl init` has no envs/local, and chromactl.config's built-in copy (LOCAL_TOML) stands
in for it, equal to the checkout's file, its data under the project's own .chromactl/local."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chromactl.config import LOCAL_TOML, load_env
from chromactl.local.server import data_dir

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import run_cli
from tests.scaffold.test_init import repo  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]


def test_the_built_in_local_env_is_the_checkouts_file() -> None:
    assert LOCAL_TOML == (REPO / "envs" / "local" / "chromactl.toml").read_text(encoding="utf-8")


def test_a_project_without_envs_local_has_the_same_local_env(tmp_path: Path) -> None:
    (tmp_path / "envs").mkdir()
    builtin, checkout = load_env("local", tmp_path), load_env("local", REPO)
    fields = {f.name for f in dataclasses.fields(builtin)} - {"dir", "config_path"}
    assert {f: getattr(builtin, f) for f in fields} == {f: getattr(checkout, f) for f in fields}
    assert builtin.dir == tmp_path / "envs" / "local"
    assert data_dir(builtin) == (tmp_path / ".chromactl" / "local").resolve()  # under the project, as in the checkout


def test_status_and_envs_know_local_in_a_repository_made_by_init(repo: Path) -> None:  # noqa: F811
    assert run_cli("init", "--env", "prod", "--region", "us-east-1", "--account", "210987654321").code == 0
    assert not (repo / "envs" / "local").exists()
    res = run_cli("status", "--env", "local", "--json")
    assert "Unknown env" not in res.err, res.err
    assert res.code == 1, (res.out, res.err)  # not running: exit 1, as in the checkout
    assert str(repo / ".chromactl" / "local") in res.out, res.out
    names = [e["name"] for e in result_of(run_cli("envs", "--json").out)["envs"]]
    assert names == ["local", "prod"]
    refused = run_cli("init", "--env", "local", "--region", "us-east-1")
    assert refused.code == 2 and "the embedded env, which every project has built in" in refused.err, refused.err
