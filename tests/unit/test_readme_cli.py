"""Issue 16 item 17 and "Done means": the README's verb table matches the CLI, it says how `chromactl`
gets on PATH (and that works), and scripts/tf-offline sets up what it needs or names the one command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _verbs() -> set[str]:
    from chromactl.cli.app import app
    from typer.main import get_command

    group = get_command(app)
    out: set[str] = set()
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs and name == "token":
            out.update(f"{name} {s}" for s in subs)
        else:
            out.add(name)
    return out


def test_readme_verb_table_matches_the_cli() -> None:
    table = README.split("### Verbs", 1)[1].split("\n\n", 2)[1]
    listed: set[str] = set()
    for row in table.splitlines()[2:]:
        listed.update(re.findall(r"`([a-z][a-z ]*)`", row.split("|")[1]))
    assert listed == _verbs()


def test_readme_says_how_chromactl_gets_on_path_and_it_works() -> None:
    assert "source .venv/bin/activate" in README and "uv tool install" in README
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env["PATH"] = "/usr/bin:/bin"  # chromactl is not on it until the venv is activated
    venv = Path(sys.executable).parent.parent
    res = subprocess.run(["bash", "-c", f"source {venv}/bin/activate && command -v chromactl && chromactl --version"],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == f"{venv}/bin/chromactl" and "chromactl " in res.stdout


def _fake_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "tf-offline", repo / "scripts" / "tf-offline")
    return repo


def test_tf_offline_sets_up_what_is_missing_with_make(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    log = tmp_path / "make.log"
    fake = tmp_path / "fake-make"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {log}\nexit 1\n")
    fake.chmod(0o755)
    res = subprocess.run([str(repo / "scripts" / "tf-offline"), "envs/prod", "plan"], capture_output=True, text=True,
                         env={**os.environ, "MAKE": str(fake)}, timeout=60, check=False)
    assert log.read_text().split() == ["-C", str(repo), ".venv/.installed", ".venv-tfprov/.installed", "build/token-rotation.zip"]
    assert res.returncode == 2
    assert "setting up" in res.stderr and f"run it by hand to see why: {fake} -C {repo}" in res.stderr


def test_tf_offline_without_make_names_the_command(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    res = subprocess.run([str(repo / "scripts" / "tf-offline"), "envs/prod", "plan"], capture_output=True, text=True,
                         env={**os.environ, "MAKE": "no-such-make"}, timeout=60, check=False)
    assert res.returncode == 2
    assert f"run: no-such-make -C {repo} .venv/.installed .venv-tfprov/.installed build/token-rotation.zip" in res.stderr
