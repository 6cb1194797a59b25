"""Issue 16 item 11: `drill --help` lists the scenarios, the shell completes scenarios and env names,
`drill --dry-run` says what it would disrupt, measure and restore, and touches nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chromactl.config import list_envs
from chromactl.drills import SCENARIOS
from chromactl.drills.plans import PLANS

from tests.fixtures.envelope import result_of

ROOT = Path(__file__).resolve().parents[2]
CHROMACTL = str(Path(sys.executable).parent / "chromactl")
# no AWS reachable: a dry run that called AWS would fail (or hang on the timeout) instead of printing its plan
NO_AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMACTL_", "AWS_"))}
    full.update({"NO_COLOR": "1", "COLUMNS": "120", **NO_AWS}, **(env or {}))
    return subprocess.run([CHROMACTL, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=full, check=False)


def complete(words: str) -> list[str]:
    """What bash completion offers for the last word of `words` (Typer/Click's bash protocol)."""
    parts = words.split(" ")
    res = run(env={"_CHROMACTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)})
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_help_lists_every_scenario_with_its_summary() -> None:
    text = " ".join(run("drill", "--help").stdout.split())
    for name in SCENARIOS:
        assert f"{name}: {PLANS[name].summary}." in text, name
    assert "--dry-run" in text


def test_shell_completes_scenarios_and_env_names() -> None:
    assert complete("chromactl drill ") == list(SCENARIOS)
    assert complete("chromactl drill t") == ["token-rotation"]
    envs = list_envs(ROOT)
    assert complete("chromactl drill kill-task --env ") == envs
    assert complete("chromactl smoke --env p") == [e for e in envs if e.startswith("p")]
    assert complete("chromactl status --env s") == [e for e in envs if e.startswith("s")]


def test_unknown_scenario_is_a_usage_error_naming_the_choices() -> None:
    res = run("drill", "kill-tsak", "--env", "dev")
    assert res.returncode == 2 and "kill-task" in res.stderr and "restore-test" in res.stderr


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_dry_run_prints_the_plan_and_changes_nothing(scenario: str) -> None:
    res = run("drill", scenario, "--env", "prod", "--dry-run")  # protected, no terminal: a dry run needs no confirmation
    assert res.returncode == 0, res.stderr
    assert f"drill {scenario} on prod/us-east-1 (dry run; nothing was changed)" in res.stdout
    assert "disrupts: " in res.stdout and "restores: " in res.stdout and "measures: " in res.stdout
    data = result_of(run("--json", "drill", scenario, "--env", "prod", "--dry-run", "--target-seconds", "120").stdout)
    assert data["dry_run"] is True and data["disrupts"] == list(PLANS[scenario].disrupts)
    if PLANS[scenario].target == "rto":
        assert data["target"] == "120 s (--target-seconds)"


def test_env_completion_reads_the_root_on_the_line(tmp_path: Path) -> None:
    """`chromactl --root R smoke --env <TAB>` offers R's envs, also from a folder outside any project
    (completion listed the working directory's project only, so it offered nothing there)."""
    from tests.unit.test_config import GOOD, make_root

    (tmp_path / "infra").mkdir()
    root = make_root(tmp_path / "infra", "prod", GOOD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    words = f"chromactl --root {root} smoke --env "
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMACTL_", "AWS_"))}
    full.update({"_CHROMACTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)})
    res = subprocess.run([CHROMACTL], capture_output=True, text=True, timeout=60, cwd=elsewhere, env=full, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == list_envs(root) and "prod" in res.stdout.split()
