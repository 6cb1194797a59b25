"""What `chromactl plan` costs on top of Terraform, pinned by what it does rather than by a time (issue 21).

The plan-overhead benchmark (scripts/bench_cli.py, docs/checks.md "The numbers" 5) measures the
process tree of `chromactl plan --env prod --sandbox` against the same `terraform plan` run directly.
chromactl's own share is Python's start-up, its imports and reading Terraform's events; these tests
keep the parts that are not needed off that path, in the benchmark's own setting (the offline
provider, local backend, init current, stderr not a terminal):

- a second plan runs exactly one Terraform process (`plan`): no `init` (fingerprint current), no
  `version` (cached in the data dir), no `show -json` of the saved plan;
- it imports neither boto3/botocore, chromadb, numpy nor rich (the sandbox's placeholder warning
  is its only stderr line and is written plainly off a terminal), seen with `python -X importtime`.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

harness = pytest.importorskip("tfoffline.harness")
CHROMACTL = Path(sys.executable).parent / "chromactl"
NOT_ON_THE_PLAN_PATH = ("boto3", "botocore", "chromadb", "numpy", "rich")


def _plan(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *extra, str(CHROMACTL), "plan", "--env", "prod", "--sandbox"], env=env,
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, check=False)


def test_a_second_plan_runs_one_terraform_process_and_imports_no_heavy_module(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    harness.copy_root("envs/prod", root)  # placeholders left in: --sandbox plans with a warning, as the benchmark does
    zip_path = root / "build" / "token-rotation.zip"
    if not zip_path.is_file():
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as zf:
            zf.writestr("handler.py", "def handler(event, context):\n    return None\n")
    from chromactl.terraform.engine import resolve

    engine = " ".join(shlex.quote(a) for a in resolve().argv)  # the engine chromactl would pick, behind a counter
    calls = tmp_path / "terraform-calls.log"
    wrapper = tmp_path / "bin" / "terraform"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec {engine} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env = harness.offline_env(tmp_path / "tfrc")
    env.update(CHROMACTL_ROOT=str(root), CHROMACTL_BACKEND="local", NO_COLOR="1", CHROMACTL_TERRAFORM=str(wrapper))
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(key, None)

    first = _plan(env)  # init + plan, caches the engine's version
    assert first.returncode == 0, first.stderr[-3000:]
    calls.unlink()

    second = _plan(env, "-X", "importtime")
    assert second.returncode == 0, second.stderr[-3000:]
    assert calls.read_text().split() == ["plan"], calls.read_text()
    imported = {line.split("|")[-1].strip() for line in second.stderr.splitlines() if line.startswith("import time:")}
    assert "chromactl.lifecycle.plan" in imported  # importtime saw the plan path (lifecycle/plan.py since issue 15)
    heavy = sorted(m for m in imported if m.split(".")[0] in NOT_ON_THE_PLAN_PATH)
    assert heavy == [], heavy
    said = [line for line in second.stderr.splitlines() if not line.startswith("import time:")]
    assert any(line.startswith("warning: ") and "placeholder" in line for line in said), said  # the warning still says it
    assert "Saved to " in second.stdout


def test_the_same_plan_on_a_terminal_like_stream_still_uses_rich(tmp_path: Path) -> None:
    # the plain write is only for a stream rich would print plainly: FORCE_COLOR makes rich style it
    code = ("import sys; from chromactl.output import Output; Output(color=True).warn('x [env] y'); "
            "print('rich' in sys.modules)")
    env = {**os.environ, "FORCE_COLOR": "1"}
    env.pop("NO_COLOR", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "True" and "x [env] y" in out.stderr and "\x1b[" in out.stderr, out
    env.pop("FORCE_COLOR")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False" and out.stderr == "warning: x [env] y\n", out
