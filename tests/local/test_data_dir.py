"""The local env's data_dir can never be the checkout, home or /, nor lock or delete anything above it (issue 20.1);
`destroy --env local` says what ran and, with --delete-data, names what it deletes and asks (issue 16.4)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.errors import ConfigError, UsageError
from chromactl.local import datadir
from chromactl.local.server import data_dir, local_destroy, local_up
from chromactl.output import Output

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import free_port


def make_project(tmp_path: Path, data: str, port: int | None = None) -> Path:
    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True, exist_ok=True)
    (root / "envs" / "local").mkdir(parents=True, exist_ok=True)
    (root / "envs" / "local" / "chromactl.toml").write_text(
        f'[env]\nkind = "local"\n[local]\nport = {port or free_port()}\ndata_dir = "{data}"\n'
    )
    return root


@pytest.mark.parametrize("data", [".", "..", "/", "~", "envs/.."])
def test_checkout_home_root_and_their_ancestors_are_refused(tmp_path: Path, data: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "proj" / "envs"))  # a home inside the checkout: "~" is refused as home
    root = make_project(tmp_path, data)
    (tmp_path / "proj" / "envs").mkdir(exist_ok=True)
    env = load_env("local", root)
    with pytest.raises(ConfigError, match="chromactl will not use, chmod or delete it") as info:
        local_up(env, Output(json=True))
    assert info.value.exit_code == 2
    with pytest.raises(ConfigError):
        local_destroy(env, delete_data=True)
    assert (root / "envs" / "local" / "chromactl.toml").is_file()  # nothing deleted


def test_home_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    root = make_project(tmp_path, "~")
    with pytest.raises(ConfigError, match="is your home directory"):
        data_dir(load_env("local", root))
    root2 = make_project(tmp_path / "b", str(tmp_path))  # an ancestor of home and of the checkout
    with pytest.raises(ConfigError, match="a directory holding"):
        data_dir(load_env("local", root2))


def test_a_foreign_non_empty_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    os.chmod(foreign, 0o755)
    root = make_project(tmp_path, str(foreign))
    env = load_env("local", root)
    with pytest.raises(ConfigError, match="already holds files chromactl did not create"):
        local_up(env, Output(json=True))
    with pytest.raises(UsageError, match="chromactl did not create it and will not delete it"):
        local_destroy(env, delete_data=True)
    assert (foreign / "cat.jpg").is_file() and stat.S_IMODE(foreign.stat().st_mode) == 0o755


def test_parent_is_never_chmod_ed(tmp_path: Path) -> None:
    """data_dir = "/tmp/chroma" turned /tmp from 1777 into 0700: the parent keeps its mode now."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    path = shared / "chroma"
    datadir.prepare(path, tmp_path / "proj", tmp_path / "chromactl.toml", "local")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE(path.stat().st_mode) == 0o700 and datadir.is_marked(path)
    assert not (shared / "local-server.json").exists()  # state stays in the project's own .chromactl/


def test_an_empty_directory_and_an_old_chroma_dir_are_adopted(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    datadir.prepare(empty, tmp_path / "proj", tmp_path / "c.toml", "local")
    assert datadir.is_marked(empty)
    old = tmp_path / "old"
    (old / "6d2c3f56-2f64-4b0a-9b1e-0c1d2e3f4a5b").mkdir(parents=True)
    (old / "chroma.sqlite3").write_bytes(b"")
    datadir.prepare(old, tmp_path / "proj", tmp_path / "c.toml", "local")
    assert datadir.is_marked(old)


def test_cli_destroy_says_nothing_ran_and_refuses_to_delete_without_yes(tmp_path: Path) -> None:
    root = make_project(tmp_path, ".chromactl/local")
    ddir = root / ".chromactl" / "local"
    datadir.prepare(ddir, root, root / "envs/local/chromactl.toml", "local")
    (ddir / "chroma.sqlite3").write_bytes(b"x" * 2048)
    env = {"CHROMACTL_ROOT": str(root)}
    res = run_cli("destroy", "--env", "local", env=env)
    assert res.returncode == 0, res.stderr
    # review finding 16: the env is named as an env ("no local server of local" read as a typo)
    assert "no local Chroma server was running for env 'local'" in res.stdout and "stopped" not in res.stdout
    assert "data kept in" in res.stdout
    # --delete-data without a terminal and without --yes: refused, exit 2, nothing deleted
    res = run_cli("destroy", "--env", "local", "--delete-data", env=env)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert f"Refusing to delete {ddir}" in res.stderr and "--yes" in res.stderr
    assert (ddir / "chroma.sqlite3").is_file()
    res = run_cli("--json", "destroy", "--env", "local", "--delete-data", "--yes", env=env)
    assert res.returncode == 0, res.stderr
    data = result_of(res.stdout)
    assert data["data_deleted"] is True and data["deleted"]["path"] == str(ddir) and data["deleted"]["files"] == 2
    assert not ddir.exists() and (root / ".chromactl").is_dir() and (root / "envs").is_dir()


def test_cli_destroy_names_the_collections_it_deletes(tmp_path: Path) -> None:
    from chromactl.checks.client import ChromaClient

    root = make_project(tmp_path, ".chromactl/local")
    env = load_env("local", root)
    up = local_up(env, Output(json=True))
    try:
        with ChromaClient(up["endpoint"]) as c:
            c.create_collection("precious")
        res = run_cli("destroy", "--env", "local", "--delete-data", "--yes", env={"CHROMACTL_ROOT": str(root)})
        assert res.returncode == 0, res.stderr
        assert f"stopped the local Chroma server of env 'local' (pid {up['pid']})" in res.stdout
        assert f"deleted {data_dir(env)}" in res.stdout and "1 collection(s): precious" in res.stdout
    finally:
        local_destroy(env)
