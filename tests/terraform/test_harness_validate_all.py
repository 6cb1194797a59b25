"""`validate-all` and copy_root on a small synthetic project laid out like ours.

modules/logs declares `configuration_aliases = [aws.failover]` (validated as a
root through alias stubs, which must not leak into the stack's use of it),
modules/broken has a misspelled argument, the stack composes logs, and
envs/dev calls the stack through `../../terraform/stack` with a partial s3
backend. One file is badly formatted.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tfoffline import __main__ as cli
from tfoffline import harness

VERSIONS = """terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = "~> 6.0"
      configuration_aliases = [aws.failover]
    }
  }
}
"""

LOGS = """variable "name" {
  type        = string
  description = "Log group name."
}

resource "aws_cloudwatch_log_group" "primary" {
  name = var.name
}

resource "aws_cloudwatch_log_group" "replica" {
  provider = aws.failover
  name     = var.name
}

output "replica_arn" {
  description = "Replica ARN."
  value       = aws_cloudwatch_log_group.replica.arn
}
"""

BROKEN = """resource "aws_cloudwatch_log_group" "g" {
  name              = "x"
  retention_in_dayz = 7
}
"""

STACK = """module "logs" {
  source    = "../modules/logs"
  name      = "/chroma/${var.env}"
  providers = { aws = aws, aws.failover = aws.failover }
}

variable "env" {
  type        = string
  description = "Environment."
}

output "replica_arn" {
  description = "Replica ARN."
  value       = module.logs.replica_arn
}
"""

ENV = """terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
  backend "s3" {}
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "failover"
  region = "eu-central-1"
}

module "stack" {
  source    = "../../terraform/stack"
  env       = "dev"
  providers = { aws = aws, aws.failover = aws.failover }
}

output "replica_arn" {
  value = module.stack.replica_arn
}
"""


def make_repo(base: Path, *, broken: bool, unformatted: bool) -> Path:
    files = {
        "terraform/modules/logs/versions.tf": VERSIONS,
        "terraform/modules/logs/main.tf": LOGS,
        "terraform/stack/versions.tf": VERSIONS,
        "terraform/stack/main.tf": STACK,
        "envs/dev/main.tf": ENV,
        "envs/local/chromactl.toml": "# no Terraform here\n",
    }
    if broken:
        files["terraform/modules/broken/main.tf"] = BROKEN
    if unformatted:
        files["envs/dev/extra.tf"] = "locals {\n      x    = 1\n}\n"
    for rel, text in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    return base


def test_validate_all_reports_each_root(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", broken=True, unformatted=True)
    out = io.StringIO()
    rc = cli.validate_all(repo, out=out)
    lines = out.getvalue().splitlines()
    assert rc == 1
    assert lines[0].startswith("FAIL  fmt -check: not formatted:") and "extra.tf" in lines[0]
    assert "ok    terraform/modules/logs" in lines
    assert "FAIL  terraform/modules/broken (validate):" in lines
    assert any(
        'main.tf:3: Unsupported argument: An argument named "retention_in_dayz"' in ln
        for ln in lines
    )
    assert "ok    terraform/stack" in lines
    assert "ok    envs/dev" in lines
    assert lines[-1] == "4 roots, 2 failure(s)"
    # nothing is written into the project itself
    assert not list(repo.rglob(harness.OVERRIDE_NAME)) and not list(
        repo.rglob(harness.ALIASES_NAME)
    )
    assert not list(repo.rglob(".terraform"))


def test_copy_root_keeps_relative_module_paths_and_plans(tmp_path: Path, tf_offline) -> None:
    repo = make_repo(tmp_path / "repo", broken=False, unformatted=False)
    (repo / "build").mkdir()
    (repo / "build" / "lambda.zip").write_bytes(b"PK")
    root = harness.copy_root("envs/dev", tmp_path / "copy", repo=repo)
    assert root == tmp_path / "copy" / "envs" / "dev"
    assert (tmp_path / "copy" / "terraform" / "modules" / "logs" / "main.tf").is_file()
    assert (tmp_path / "copy" / "build" / "lambda.zip").is_file()
    plan = tf_offline.plan(root)
    replica = [
        rc
        for rc in plan["resource_changes"]
        if rc["address"] == "module.stack.module.logs.aws_cloudwatch_log_group.replica"
    ]
    assert replica and replica[0]["change"]["after"]["region"] == "eu-central-1"
    # the partial s3 backend was replaced by a local one
    assert 'backend "local"' in (root / harness.OVERRIDE_NAME).read_text()


def test_module_with_aliases_plans_as_a_root(tmp_path: Path, tf_offline) -> None:
    repo = make_repo(tmp_path / "repo", broken=False, unformatted=False)
    root = harness.copy_root("terraform/modules/logs", tmp_path / "copy", repo=repo)
    plan = tf_offline.plan(root, vars={"name": "/x"})
    regions = {rc["address"]: rc["change"]["after"]["region"] for rc in plan["resource_changes"]}
    assert regions == {
        "aws_cloudwatch_log_group.primary": "us-east-1",
        "aws_cloudwatch_log_group.replica": harness.STUB_REGION,
    }


@pytest.mark.parametrize("rel", ["envs/local", "nowhere"])
def test_copy_root_refuses_non_roots(tmp_path: Path, rel: str) -> None:
    repo = make_repo(tmp_path / "repo", broken=False, unformatted=False)
    with pytest.raises(harness.NotATerraformRoot):
        harness.copy_root(rel, tmp_path / "copy", repo=repo)
