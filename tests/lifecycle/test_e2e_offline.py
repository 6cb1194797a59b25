"""The lifecycle end to end on the real envs, with real Terraform and the offline AWS provider.

In a temp copy of the project (CHROMACTL_ROOT), with CHROMACTL_BACKEND=local
(state under <copy>/.chromactl/state/<env>/<region>/) and the offline
provider's CLI config (TF_CLI_CONFIG_FILE from tools/tfoffline/harness.py):

- `up --env dev --auto-approve --skip-checks` (a subprocess: the headline
  flow exactly as a user runs it) creates the state;
- `output` shows the endpoint; a second `plan --check` reports no changes
  (exit 0); a changed tfvar makes it say "changes present" (exit 1);
- `destroy` empties the state;
- prod: `destroy --auto-approve` with no terminal is refused (exit 2) and
  the state is intact.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.envelope import result_of
from tests.fixtures.filled import TEST_ACCOUNT, fill_placeholders
from tests.lifecycle.conftest import assert_clean_error, run_cli

pytestmark = pytest.mark.slow

harness = pytest.importorskip("tfoffline.harness")


def resources(state: Path) -> list[str]:
    if not state.exists():
        return []
    out = []
    for r in json.loads(state.read_text()).get("resources", []):
        if r.get("mode") == "managed":
            addr = f"{r['module']}.{r['type']}.{r['name']}" if r.get("module") else f"{r['type']}.{r['name']}"
            out += [f"{addr}[{i.get('index_key')!r}]" if "index_key" in i else addr for i in r.get("instances", [])]
    return sorted(out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("e2e")
    root = tmp / "proj"
    for env in ("envs/dev", "envs/prod"):
        harness.copy_root(env, root)
        fill_placeholders(root / env)  # up refuses placeholders, sandbox or not: fill them as a user would
    zip_path = root / "build" / "token-rotation.zip"
    if not zip_path.is_file():  # built by `make` (rotation part); a stand-in is enough to plan and apply offline
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as zf:
            zf.writestr("handler.py", "def handler(event, context):\n    return None\n")
    cli_config = harness.write_cli_config(tmp / "tfrc")
    mp = pytest.MonkeyPatch()
    mp.setenv("CHROMACTL_ROOT", str(root))
    mp.setenv("CHROMACTL_BACKEND", "local")
    mp.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    mp.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_TERRAFORM", "TF_DATA_DIR"):
        mp.delenv(var, raising=False)
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        mp.setenv(var, "http://127.0.0.1:9")  # offline: any network attempt fails at once
    try:
        yield root
    finally:
        mp.undo()


def test_dev_lifecycle_end_to_end(project: Path) -> None:
    state = project / ".chromactl" / "state" / "dev" / "us-east-1" / "terraform.tfstate"
    proc = subprocess.run(
        [sys.executable, "-m", "chromactl.cli.app", "up", "--env", "dev", "--sandbox", "--auto-approve", "--skip-checks", "--json"],
        capture_output=True, text=True, timeout=600, env=dict(os.environ), stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    up = result_of(proc.stdout)
    created = up["plan"]["totals"]["create"]
    assert created > 50 and up["endpoint"].startswith("https://")
    assert up["second_plan"] == {"converged": True, "changes": {}, "output_changes": 0}  # the real env converges (item 18)
    assert len(resources(state)) == created
    assert any(".aws_ecs_service." in r for r in resources(state))
    # the real backend block is kept; only the override (written because of the switch) makes it local
    assert 'backend "s3"' in (project / "envs" / "dev" / "versions.tf").read_text()
    assert (project / "envs" / "dev" / "chromactl_backend_override.tf").is_file()

    res = run_cli("output", "--env", "dev", "--json")
    assert res.code == 0, res.err
    outs = result_of(res.out)
    assert outs["endpoint_url"] == up["endpoint"]
    assert outs["cluster_name"] and outs["target_group_arn"].startswith("arn:aws:elasticloadbalancing:us-east-1:")
    # the outputs the Python reads that the root did not export before (issue 12, item 5), from a real apply
    assert outs["backup_role_arn"].startswith("arn:aws:iam::") and outs["vpc_id"] and outs["alarm_name_prefix"] == "chromactl-dev"
    assert outs["account_id"] == TEST_ACCOUNT
    res = run_cli("output", "endpoint_url", "--env", "dev")
    assert res.code == 0 and up["endpoint"] in res.out

    res = run_cli("plan", "--env", "dev", "--check", "--json", "--sandbox")
    assert res.code == 0, res.err[-3000:]
    data = result_of(res.out)
    assert data["changes"] is False and data["summary"]["totals"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}

    tfvars = project / "envs" / "dev" / "terraform.tfvars"
    original = tfvars.read_text()
    tfvars.write_text(original + "\nlog_retention_days = 60\n" if "log_retention_days" not in original else original.replace("log_retention_days", "log_retention_days = 60 #", 1))
    res = run_cli("plan", "--env", "dev", "--check", "--sandbox")
    assert res.code == 2, res.err[-3000:]  # terraform -detailed-exitcode: 2 = changes present
    assert "changes present" in res.err and "aws_cloudwatch_log_group" in res.out
    assert re.search(r"[1-9]\d* to update", res.out), res.out
    tfvars.write_text(original)

    res = run_cli("destroy", "--env", "dev", "--auto-approve", "--json")
    assert res.code == 0, res.err[-3000:]
    assert result_of(res.out)["destroyed"] == created
    assert resources(state) == []


def test_prod_refuses_destroy_without_typed_name(project: Path) -> None:
    state = project / ".chromactl" / "state" / "prod" / "us-east-1" / "terraform.tfstate"
    # The CLI's own refusal (protected env: type its name) is what this test is about. prod's data guard
    # (protect_data, issue 12 item 12) would refuse the destroy even earlier, at plan time (checked in
    # tests/stack/test_applied_prod.py), so it is off in this copy.
    tfvars = project / "envs" / "prod" / "terraform.tfvars"
    text, n = re.subn(r"(?m)^protect_data\s*=\s*true", "protect_data = false", tfvars.read_text())
    assert n == 1
    tfvars.write_text(text)
    res = run_cli("up", "--env", "prod", "--sandbox", "--auto-approve", "--skip-checks", "--json")
    assert res.code == 0, res.err[-3000:]
    assert result_of(res.out)["second_plan"]["converged"] is True  # prod converges too: one apply, then an empty plan
    before = resources(state)
    assert len(before) > 50
    serial = json.loads(state.read_text())["serial"]

    res = run_cli("destroy", "--env", "prod", "--auto-approve")
    assert_clean_error(res, 2, "protected env prod", "type", "Nothing was changed")
    assert resources(state) == before and json.loads(state.read_text())["serial"] == serial
    assert not list((project / "envs" / "prod" / ".chromactl" / "plans").glob("*destroy*"))
