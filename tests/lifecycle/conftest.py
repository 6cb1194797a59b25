"""Fixtures for the lifecycle tests: a tiny project run by real Terraform, and the CLI in-process.

`tiny_project` is a temp chromactl project whose envs use only Terraform's
built-in `terraform_data` resource, so the lifecycle (init, plan, sidecar,
guard, apply, output, destroy, locks, interrupts) runs with real Terraform and
no provider download. The envs keep the production backend block
(`backend "s3"` with use_lockfile); CHROMACTL_BACKEND=local swaps it for a
local state under <project>/.chromactl/state/.
"""

from __future__ import annotations

import io
import os
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.filled import TEST_ACCOUNT
from tests.fixtures.moto_server import FAKE_AWS, start_moto
from tests.fixtures.servers import stop_process

REGION = "us-east-1"

MAIN_TF = """\
terraform {
  required_version = ">= 1.10"
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

variable "size" {
  type        = string
  description = "Changes in place."
}

variable "generation" {
  type        = number
  description = "Changing it replaces the disk."
  default     = 1
}

variable "region" {
  type        = string
  description = "The region of this stack."
  default     = "us-east-1"
}

variable "failover_region" {
  type        = string
  description = "Where the DR copies go."
  default     = "us-west-2"
}

resource "terraform_data" "svc" {
  input = var.size
}

resource "terraform_data" "disk" {
  triggers_replace = [var.generation]
}

output "endpoint_url" {
  value       = "https://chroma-${var.size}.${var.region}.example.com"
  description = "The endpoint."
}

output "token_secret_arn" {
  value       = "arn:aws:secretsmanager:${var.region}:123456789012:secret:chroma-token"
  description = "The token's secret."
  sensitive   = true
}
"""

TOML = """\
[env]
kind = "aws"
protected = {protected}

[regions]
primary = "us-east-1"
failover = ["us-west-2"]

[state]
bucket = "chromactl-test-state-{name}"
region = "us-east-2"
"""


@dataclass
class TinyProject:
    root: Path

    def env_dir(self, name: str) -> Path:
        return self.root / "envs" / name

    def state(self, name: str, region: str = "us-east-1") -> Path:
        return self.root / ".chromactl" / "state" / name / region / "terraform.tfstate"

    def set_tfvar(self, name: str, text: str) -> None:
        (self.env_dir(name) / "terraform.tfvars").write_text(text, encoding="utf-8")


def write_env(root: Path, name: str, *, protected: bool) -> None:
    d = root / "envs" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    (d / "terraform.tfvars").write_text('size = "small"\n', encoding="utf-8")
    (d / "chromactl.toml").write_text(TOML.format(protected=str(protected).lower(), name=name), encoding="utf-8")


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TinyProject:
    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True)
    write_env(root, "tiny", protected=False)
    write_env(root, "tinyprod", protected=True)
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("", encoding="utf-8")
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_TERRAFORM"):
        monkeypatch.delenv(var, raising=False)
    return TinyProject(root)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


class _NoTty(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(*args: str, stdin: str = "") -> CliResult:
    """chromactl in this process (fast); stdin is not a terminal."""
    from chromactl.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = _NoTty(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli() -> Iterator[object]:
    yield run_cli


def assert_clean_error(res: CliResult, code: int, *needles: str) -> None:
    """One sentence and a hint, the right exit code, no traceback."""
    assert res.code == code, (res.code, res.out, res.err)
    assert "Traceback" not in res.err and "Traceback" not in res.out
    assert "error: " in res.err and "hint: " in res.err, res.err
    for needle in needles:
        assert needle in res.err, (needle, res.err)


def cli_env() -> dict[str, str]:
    return dict(os.environ)


# ------------------------------------------------------------------ ECS / ELB in moto (own server: tasks "run")


@pytest.fixture(scope="session")
def moto_ecs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server whose ECS services report their tasks running (MOTO_ECS_SERVICE_RUNNING=1), in TEST_ACCOUNT:
    the ARNs it returns go into env files that `up` applies, and up refuses a documentation account id."""
    proc, server = start_moto(tmp_path_factory.mktemp("moto-ecs") / "moto.log",
                              {"MOTO_ECS_SERVICE_RUNNING": "1", "MOTO_ACCOUNT_ID": TEST_ACCOUNT}, what="moto (ecs)")
    try:
        yield server.url
    finally:
        stop_process(proc)


@pytest.fixture
def ecs_env(moto_ecs: str, monkeypatch: pytest.MonkeyPatch) -> str:
    urllib.request.urlopen(urllib.request.Request(f"{moto_ecs}/moto-api/reset", method="POST"), timeout=10).read()
    for k, v in FAKE_AWS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_ecs)
    return moto_ecs


def make_stack(desired: int = 1, register: bool = False) -> dict[str, str]:
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    tg = elbv2.create_target_group(Name="chroma-dev", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="chroma-dev")
    ecs.register_task_definition(family="chroma", containerDefinitions=[{"name": "chroma", "image": "chromadb/chroma:1.5.9", "memory": 512}])
    ecs.create_service(cluster="chroma-dev", serviceName="chroma", taskDefinition="chroma", desiredCount=desired)
    if register:
        elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.1.10", "Port": 8000}])
    return {"cluster_name": "chroma-dev", "service_name": "chroma", "target_group_arn": tg, "endpoint_url": "https://chroma.example.com"}


def terraform_exec() -> str:
    """Shell words that run the engine chromactl resolves here: terraform or tofu on PATH, or
    the bundled one (a fresh machine has no terraform on PATH; wrappers must work there too)."""
    import shlex

    from chromactl.terraform.engine import resolve

    return " ".join(shlex.quote(a) for a in resolve().argv)
