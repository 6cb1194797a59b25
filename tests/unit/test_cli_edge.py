"""The CLI edge: version, help, and errors as a sentence and a hint with an exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chromactl import __version__

from tests.fixtures.envelope import result_of

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "chromactl.cli.app"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=full_env, check=False)


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert __version__ in proc.stdout and "Chroma 1.5.9" in proc.stdout


def test_help_lists_envs() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    assert "envs" in proc.stdout


def test_envs_json_lists_local() -> None:

    proc = run("envs", "--json")
    assert proc.returncode == 0, proc.stderr
    names = [e["name"] for e in result_of(proc.stdout)["envs"]]
    assert "local" in names


def test_bad_root_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    proc = run("envs", env={"CHROMACTL_ROOT": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "hint: " in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_option_is_usage_error() -> None:
    proc = run("envs", "--bogus")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
