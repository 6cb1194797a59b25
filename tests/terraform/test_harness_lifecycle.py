"""A correct root goes through the whole lifecycle offline with real Terraform.

validate -> plan (computed values unknown, region and tags_all planned like the
real provider) -> apply into a local state (deterministic ids and ARNs in the
configured region and account 123456789012) -> plan again (no changes) ->
destroy (empty state). The root uses what the stack's modules use: a module
with `configuration_aliases` for a failover region, an aliased provider,
jsonencode() policies, data sources and the built-in terraform_data.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tfoffline import harness

ROOT = """
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
  backend "s3" {}
}

variable "name" {
  type        = string
  description = "Name prefix."
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Project = "chromactl" }
  }
}

provider "aws" {
  alias  = "failover"
  region = "eu-central-1"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "failover" {
  provider = aws.failover
}

data "aws_availability_zones" "available" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

module "logs" {
  source    = "./mod"
  name      = "/${var.name}/app"
  providers = { aws = aws, aws.failover = aws.failover }
}

resource "aws_efs_file_system" "data" {
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"
  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }
  tags = { Name = var.name }
}

resource "aws_efs_access_point" "chroma" {
  file_system_id = aws_efs_file_system.data.id
  posix_user {
    uid = 1000
    gid = 1000
  }
  root_directory {
    path = "/chroma"
    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = "0750"
    }
  }
}

resource "aws_efs_file_system_policy" "tls_only" {
  file_system_id = aws_efs_file_system.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyNonTLS"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "*"
      Resource  = aws_efs_file_system.data.arn
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# a set-nested block holding computed attributes: the second plan must still be empty
resource "aws_backup_plan" "daily" {
  name = "${var.name}-daily"
  rule {
    rule_name         = "daily"
    target_vault_name = "${var.name}-vault"
    schedule          = "cron(0 3 * * ? *)"
    lifecycle {
      delete_after = 35
    }
    copy_action {
      destination_vault_arn = "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr"
      lifecycle {
        delete_after = 35
      }
    }
  }
}

resource "terraform_data" "marker" {
  input = "${data.aws_partition.current.partition}:${data.aws_caller_identity.current.account_id}"
}

output "azs" {
  value = data.aws_availability_zones.available.names
}
output "assume_policy" {
  value = jsondecode(data.aws_iam_policy_document.assume.json)
}
output "account_id" {
  value = data.aws_caller_identity.current.account_id
}
output "failover_region" {
  value = data.aws_region.failover.region
}
output "access_point_arn" {
  value = aws_efs_access_point.chroma.arn
}
output "replica_log_group_arn" {
  value = module.logs.replica_arn
}
"""

MODULE = """
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = "~> 6.0"
      configuration_aliases = [aws.failover]
    }
  }
}

variable "name" {
  type        = string
  description = "Log group name."
}

resource "aws_cloudwatch_log_group" "primary" {
  name              = var.name
  retention_in_days = 30
}

resource "aws_cloudwatch_log_group" "replica" {
  provider          = aws.failover
  name              = var.name
  retention_in_days = 30
}

output "replica_arn" {
  description = "ARN of the log group in the failover region."
  value       = aws_cloudwatch_log_group.replica.arn
}
"""

VARS = {"name": "chroma-dev"}


@pytest.fixture(scope="module")
def root(tf_offline: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tf_offline.write_root(
        tmp_path_factory.mktemp("lifecycle") / "root", {"main.tf": ROOT, "mod/main.tf": MODULE}
    )


def _change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    found = [rc for rc in plan["resource_changes"] if rc["address"] == address]
    assert found, f"{address} not in plan"
    return found[0]["change"]


def test_init_makes_no_network_attempt(tf_offline: Any, root: Any) -> None:
    # Proxies point at a closed port: any registry request would fail init.
    assert tf_offline.env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    proc = tf_offline.init(root)
    assert proc.returncode == 0
    assert "Terraform has been successfully initialized" in proc.stdout
    # Older engines "install" the provider from the offline mirror; newer ones skip dev overrides.
    assert "Failed to query" not in proc.stdout + proc.stderr
    assert "registry.terraform.io/.well-known" not in proc.stdout + proc.stderr
    assert (root / harness.OVERRIDE_NAME).is_file(), "the local backend override is written by init"


@pytest.mark.slow
def test_lifecycle(tf_offline: Any, root: Any) -> None:
    # (validation of a correct root is covered by the teeth control root; plan validates too)
    # plan: computed values unknown, known config values as written
    plan = tf_offline.plan(root, vars=VARS)
    fs = _change(plan, "aws_efs_file_system.data")
    assert fs["actions"] == ["create"]
    assert fs["after_unknown"]["id"] is True and fs["after_unknown"]["arn"] is True
    assert fs["after"]["encrypted"] is True and fs["after"]["throughput_mode"] == "elastic"
    assert fs["after"]["region"] == "eu-west-1"
    assert fs["after"]["tags_all"] == {"Name": "chroma-dev", "Project": "chromactl"}
    policy = _change(plan, "aws_efs_file_system_policy.tls_only")
    assert policy["after_unknown"]["policy"] is True  # depends on the file system's ARN
    replica = _change(plan, "module.logs.aws_cloudwatch_log_group.replica")
    assert replica["after"]["region"] == "eu-central-1"
    assert plan["planned_values"]["outputs"]["account_id"]["value"] == "123456789012"
    assert plan["planned_values"]["outputs"]["failover_region"]["value"] == "eu-central-1"
    assert plan["planned_values"]["outputs"]["azs"]["value"] == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]
    assert plan["planned_values"]["outputs"]["assume_policy"]["value"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            }
        ],
    }

    # apply: deterministic values, region and account in ARNs
    tf_offline.apply(root, vars=VARS)
    state = tf_offline.state(root)
    outputs = state["values"]["outputs"]
    assert re.fullmatch(
        r"arn:aws:elasticfilesystem:eu-west-1:123456789012:\S+",
        outputs["access_point_arn"]["value"],
    )
    assert (
        outputs["replica_log_group_arn"]["value"]
        == "arn:aws:logs:eu-central-1:123456789012:log-group:/chroma-dev/app"
    )
    resources = {
        r["address"]: r["values"]
        for r in harness.planned_resources({"planned_values": state["values"]})
    }
    fs_id = resources["aws_efs_file_system.data"]["id"]
    assert re.fullmatch(r"fs-[0-9a-f]+", fs_id)
    assert resources["aws_efs_access_point.chroma"]["file_system_id"] == fs_id
    doc = json.loads(resources["aws_efs_file_system_policy.tls_only"]["policy"])
    assert doc["Statement"][0]["Resource"] == resources["aws_efs_file_system.data"]["arn"]
    assert resources["terraform_data.marker"]["input"] == "aws:123456789012"

    # plan again: nothing to do
    again = tf_offline.plan(root, vars=VARS)
    actions = {rc["address"]: rc["change"]["actions"] for rc in again["resource_changes"]}
    assert actions and all(a == ["no-op"] for a in actions.values()), actions

    # destroy: empty state
    tf_offline.destroy(root, vars=VARS)
    after = tf_offline.state(root)
    assert not after.get("values", {}).get("root_module", {}).get("resources")


@pytest.mark.slow
def test_apply_is_deterministic(tf_offline: Any, tmp_path: Any) -> None:
    """Two applies of the same config in fresh roots give the same ids and ARNs."""
    config = {
        "main.tf": 'provider "aws" {\n  region = "us-west-2"\n}\n'
        'resource "aws_kms_key" "k" {\n  description = "x"\n  enable_key_rotation = true\n}\n'
        'resource "aws_security_group" "sg" {\n  name = "chroma"\n  vpc_id = "vpc-123"\n}\n'
        'output "k" {\n  value = [aws_kms_key.k.arn, aws_kms_key.k.key_id, aws_security_group.sg.id]\n}\n'
    }

    def apply_fresh(name: str) -> list[str]:
        r = tf_offline.write_root(tmp_path / name, config)
        tf_offline.apply(r)
        return tf_offline.state(r)["values"]["outputs"]["k"]["value"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(apply_fresh, ("a", "b")))
    assert seen[0] == seen[1]
    arn, key_id, sg = seen[0]
    assert arn == f"arn:aws:kms:us-west-2:123456789012:key/{key_id}"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", key_id)
    assert sg.startswith("sg-")


def test_failed_plan_raises_with_terraform_output(tf_offline: Any, tmp_path: Any) -> None:
    r = tf_offline.write_root(
        tmp_path / "bad",
        {"main.tf": 'variable "x" {\n  type = number\n}\noutput "y" {\n  value = var.x\n}\n'},
    )
    with pytest.raises(harness.TerraformFailed) as info:
        tf_offline.plan(r, vars={"x": "not-a-number"})
    assert "Invalid value for input variable" in info.value.output
    assert info.value.message.startswith("terraform plan failed in ")


def test_terraform_test_runs_offline(tf_offline: Any, tmp_path: Any) -> None:
    """`terraform test` (plan-only run blocks) works against the double; a failing assertion fails it."""
    files = {
        "main.tf": 'provider "aws" {\n  region = "sa-east-1"\n}\n'
        'variable "retention" {\n  type = number\n}\n'
        'resource "aws_cloudwatch_log_group" "g" {\n  name              = "/t"\n'
        "  retention_in_days = var.retention\n}\n"
        'data "aws_region" "here" {}\n'
        'output "region" {\n  value = data.aws_region.here.region\n}\n',
        "tests/plan.tftest.hcl": "variables {\n  retention = 30\n}\n"
        'run "good" {\n  command = plan\n  assert {\n'
        '    condition     = aws_cloudwatch_log_group.g.retention_in_days == 30 && output.region == "sa-east-1"\n'
        '    error_message = "unexpected plan"\n  }\n}\n'
        'run "bad" {\n  command = plan\n  variables {\n    retention = 7\n  }\n  assert {\n'
        "    condition     = aws_cloudwatch_log_group.g.retention_in_days == 30\n"
        '    error_message = "retention must be 30"\n  }\n}\n',
    }
    root = tf_offline.write_root(tmp_path / "t", files)
    tf_offline.init(root)
    proc = tf_offline.run(root, "test", "-no-color")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert 'run "good"... pass' in out
    assert 'run "bad"... fail' in out and "retention must be 30" in out
    assert "1 passed, 1 failed" in out


def test_the_provider_answers_as_the_account_allowed_account_ids_names(tf_offline: Any, tmp_path: Any) -> None:
    """The real provider refuses credentials of an account not in allowed_account_ids, so a run that
    gets anywhere runs as one of them; the double answered as 123456789012 whatever the env said, so
    an env filled with its own account applied a state mixing two accounts' ARNs (the day-2 tests saw
    the file system's ARN in one account and the backup role's in another)."""
    config = {
        "main.tf": """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["210987654321"]
}
provider "aws" {
  alias  = "plain"
  region = "eu-west-1"
}
data "aws_caller_identity" "me" {}
data "aws_caller_identity" "plain" {
  provider = aws.plain
}
resource "aws_sns_topic" "t" {
  name = "acct-test"
}
output "account" {
  value = data.aws_caller_identity.me.account_id
}
output "plain_account" {
  value = data.aws_caller_identity.plain.account_id
}
output "topic_arn" {
  value = aws_sns_topic.t.arn
}
"""
    }
    root = tf_offline.write_root(tmp_path / "acct", config)
    assert tf_offline.apply(root).returncode == 0
    out = {k: v["value"] for k, v in tf_offline.state(root)["values"]["outputs"].items()}
    assert out["account"] == "210987654321"
    assert out["topic_arn"].split(":")[4] == "210987654321"  # the ARN's account field
    assert out["plain_account"] == "123456789012"  # no allowed_account_ids: the documentation account
