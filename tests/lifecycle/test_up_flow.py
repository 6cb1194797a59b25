"""`up` all the way: plan, apply, wait until stable, smoke — with real parts.

AWS env: real Terraform applies a small root (local state) whose outputs
name an ECS service and target group in moto, a token secret in moto's
Secrets Manager, and an endpoint that is a real nginx (enforcing the ALB's
token rule) in front of a real Chroma server. `up` waits on moto's ECS/ELB
and runs the smoke check through the proxy with the token it read.

Local env: `up --env local` starts Chroma here (helper C's local server) and
smoke-checks it; `status` and `destroy` go to the same local server.
"""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from tests.fixtures.envelope import result_of
from tests.fixtures.servers import free_port
from tests.lifecycle.conftest import REGION, TinyProject, assert_clean_error, make_stack, run_cli

SVC_TF = """\
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

variable "region" {
  type = string
}

variable "failover_region" {
  type = string
}

variable "endpoint_url" {
  type = string
}

variable "token_secret_arn" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "service_name" {
  type = string
}

variable "target_group_arn" {
  type = string
}

resource "terraform_data" "service" {
  input = [var.cluster_name, var.service_name, var.target_group_arn]
}

output "endpoint_url" {
  value = var.endpoint_url
}

output "token_secret_arn" {
  value     = var.token_secret_arn
  sensitive = true
}

output "cluster_name" {
  value = terraform_data.service.output[0]
}

output "service_name" {
  value = terraform_data.service.output[1]
}

output "target_group_arn" {
  value = terraform_data.service.output[2]
}
"""


def _svc_env(p: TinyProject, **tfvars: str) -> None:
    d = p.env_dir("svc")
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.tf").write_text(SVC_TF)
    (d / "chromactl.toml").write_text(
        '[env]\nkind = "aws"\nprotected = false\n\n[regions]\nprimary = "us-east-1"\nfailover = ["us-west-2"]\n\n'
        '[state]\nbucket = "chromactl-test-state-svc"\nregion = "us-east-2"\n'
    )
    (d / "terraform.tfvars").write_text("".join(f'{k} = "{v}"\n' for k, v in tfvars.items()))


@pytest.fixture
def svc_stack(tiny_project: TinyProject, ecs_env: str, chroma_server, make_nginx_proxy):  # type: ignore[no-untyped-def]
    import boto3

    token = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="chroma-svc-token", SecretString=token)["ARN"]
    proxy = make_nginx_proxy(chroma_server.url, [token])
    return tiny_project, arn, proxy


def test_up_applies_waits_and_smokes(svc_stack) -> None:  # type: ignore[no-untyped-def]
    p, arn, proxy = svc_stack
    stack = make_stack(register=True)
    _svc_env(p, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    res = run_cli("up", "--env", "svc", "--sandbox", "--auto-approve", "--json", "--wait-timeout", "30")
    assert res.code == 0, res.err[-3000:]
    data = result_of(res.out)
    assert data["applied"]["summary"]["totals"]["create"] == 1
    assert data["stable"]["stable"] is True and data["stable"]["healthy"] == 1
    assert data["smoke"]["ok"] is True and data["smoke"]["cleaned_up"] is True
    assert data["smoke"]["target"]["auth"] == "token"
    assert arn not in res.out and "secret" not in json.dumps(data["smoke"]["target"]).lower()
    # no state bucket yet: the data manifest cannot be recorded; a warning, not a failed up
    assert data["manifest"] is None
    assert "chromactl manifest record --env svc" in res.err
    import boto3

    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket="chromactl-test-state-svc", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    # a second up: no changes, still waits and smokes, and records the manifest for the failover gate
    res = run_cli("up", "--env", "svc", "--sandbox", "--auto-approve", "--json", "--wait-timeout", "30")
    assert res.code == 0, res.err[-3000:]
    data = result_of(res.out)
    assert data["applied"] is None
    assert data["manifest"] is not None and data["manifest"]["region"] == "us-east-1"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="chromactl-test-state-svc").get("Contents", [])]
    assert any(k.endswith("svc/manifest.json") for k in keys), keys


def test_up_fails_when_the_service_never_settles(svc_stack) -> None:  # type: ignore[no-untyped-def]
    p, arn, proxy = svc_stack
    stack = make_stack(register=False)  # no healthy target: never stable
    _svc_env(p, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    res = run_cli("up", "--env", "svc", "--sandbox", "--auto-approve", "--wait-timeout", "1")
    assert_clean_error(res, 1, "was not stable after 1 s", "0 target(s) registered")
    # applied all the same (the wait is after apply), and the next run does not trip
    res = run_cli("plan", "--env", "svc", "--check", "--sandbox")
    assert res.code == 0, res.err


def test_local_env_up_status_destroy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "proj"
    (root / "envs" / "local").mkdir(parents=True)
    port = free_port()
    (root / "envs" / "local" / "chromactl.toml").write_text(f'[env]\nkind = "local"\n\n[local]\nport = {port}\ndata_dir = ".chromactl/local"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        res = run_cli("up", "--env", "local", "--json")
        assert res.code == 0, res.err[-3000:]
        data = result_of(res.out)
        assert data["smoke"]["ok"] is True
        res = run_cli("status", "--env", "local", "--json")
        assert res.code == 0 and result_of(res.out)["running"] is True
        res = run_cli("output", "--env", "local", "--json")
        assert result_of(res.out)["endpoint_url"] == f"http://127.0.0.1:{port}"
    finally:
        res = run_cli("destroy", "--env", "local", "--json")
    assert res.code == 0, res.err
    res = run_cli("status", "--env", "local", "--json")
    assert res.code == 1 and result_of(res.out)["running"] is False
    res = run_cli("up", "--env", "local", "--skip-checks", "--json")
    try:
        assert res.code == 0 and result_of(res.out)["smoke"] is None
    finally:
        assert run_cli("destroy", "--env", "local").code == 0


def test_up_reads_the_outputs_once_and_shows_that_read_with_verbose(svc_stack, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 15: one `terraform output` per `up` (it used to run three: after the apply, and again for the
    smoke check's target and for the manifest's), and that one read goes through the run's Output, so
    --verbose prints it like every other Terraform command (the target's read dropped --verbose)."""
    from chromactl.terraform.runner import Runner

    p, arn, proxy = svc_stack
    stack = make_stack(register=True)
    _svc_env(p, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    calls: list[tuple[str, bool]] = []
    real_run = Runner.run

    def counting_run(self: Runner, args: list[str], **kw: object) -> object:
        calls.append((args[0], self.output.verbose))
        return real_run(self, args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Runner, "run", counting_run)
    res = run_cli("--verbose", "up", "--env", "svc", "--sandbox", "--auto-approve", "--wait-timeout", "30")
    assert res.code == 0, res.err[-3000:]
    outputs = [verbose for verb, verbose in calls if verb == "output"]
    assert outputs == [True], calls
    assert sum(" output -json" in line for line in res.err.splitlines()) == 1, res.err[-3000:]
    assert "plan" in [verb for verb, _ in calls]  # the spy saw the rest of the run too
