"""`--root R` reaches every verb that takes `--env` (issue 15: the root is a RunContext field, handed
down, never re-derived from the working directory). Run from a folder outside any project, each verb
must look the env up under R: an unknown env name is "Unknown env ... there is no R/envs/NAME", not
"No chromactl project found here" (what `manifest record` and `manifest show` said: they loaded
the env by name and ignored --root)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer
from chromactl.cli.app import app

from tests.lifecycle.conftest import run_cli
from tests.unit.test_config import GOOD, make_root

# Values for the other required parameters, so the verb gets as far as loading its env.
REQUIRED = {
    "region": ["--region", "us-west-2"],
    "collection": ["--collection", "my-vectors"],
    "file": ["--file", "__FILE__"],
    "scenario": ["kill-task"],
    "recovery_point": ["--recovery-point", "arn:aws:backup:us-east-1:111122223333:recovery-point:x"],
    "image": ["--image", "chromadb/chroma:1.5.9"],
}


def _verbs_with_env() -> list[tuple[list[str], click.Command]]:
    found = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        # init creates the env it is named, so an unknown name is its normal input
        elif path != ["init"] and any("--env" in getattr(p, "opts", []) for p in cmd.params):
            found.append((path, cmd))

    walk(typer.main.get_command(app), [])
    return found


VERBS = _verbs_with_env()


def test_every_verb_with_env_is_covered() -> None:
    names = {" ".join(path) for path, _ in VERBS}
    assert {"smoke", "status", "failover", "manifest record", "manifest show", "token rotate", "drill"} <= names
    for _, cmd in VERBS:
        missing = [p.name for p in cmd.params if p.required and "--env" not in getattr(p, "opts", []) and p.name not in REQUIRED]
        assert not missing, f"{cmd.name}: give a value for {missing} in REQUIRED"


@pytest.mark.parametrize("path,cmd", VERBS, ids=[" ".join(p) for p, _ in VERBS])
def test_root_reaches_the_env_lookup(path: list[str], cmd: click.Command, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "infra").mkdir()
    root = make_root(tmp_path / "infra", "prod", GOOD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = elsewhere / "vectors.jsonl"
    data.write_text("", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    for var in ("CHROMACTL_ROOT", "CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON"):
        monkeypatch.delenv(var, raising=False)
    extra: list[str] = []
    for p in cmd.params:
        if p.required and p.name in REQUIRED and "--env" not in getattr(p, "opts", []):
            extra += [str(data) if v == "__FILE__" else v for v in REQUIRED[p.name]]
    res = run_cli("--root", str(root), *path, "--env", "nosuch", *extra)
    assert "No chromactl project found" not in res.err, res.err
    assert "Unknown env 'nosuch'" in res.err and str(root) in res.err, (res.code, res.err)
    assert res.code == 2
