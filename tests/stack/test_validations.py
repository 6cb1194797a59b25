"""Bad input is refused at plan time with a message that says what is wrong (issue 3 "Proof").

The cases plan envs/dev (one initialised copy, real Terraform) with bad -var values and expect
the plan to fail with each validation's own message; a control case shows the same root plans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tfoffline import harness

from tests.stack._tfplan import Plan, flat, required_memory_mib, tfvars

MOON = "us-moon-1"


def plan_fails(tf_offline: Any, root: Path, vars: dict[str, Any]) -> str:
    """The plan's diagnostics; a plan that succeeds gives a marker no case expects, so only the
    cases of that batch fail (not every case through the shared fixture)."""
    try:
        tf_offline.plan(root, vars=vars)
    except harness.TerraformFailed as failed:
        return flat(failed.output)
    return "(the plan succeeded: no validation refused these values)"


def moon_maps() -> dict[str, Any]:
    v = tfvars("dev")
    return {
        "azs_by_region": {**v["azs_by_region"], MOON: [f"{MOON}a", f"{MOON}b"]},
        "certificate_arns": {**v["certificate_arns"], MOON: f"arn:aws:acm:{MOON}:123456789012:certificate/abc-123"},
    }


# case -> (the bad -var values, the messages the plan must print). Terraform reports every
# failed validation of a run, so the cases are planned in batches of independent inputs
# (each input's message is distinct) instead of one plan per case.
BATCHES: list[dict[str, Any]] = [
    {
        "vpc_cidr": "10.0.0.0/33",
        "allowed_cidrs": ["203.0.113.0/24", "300.1.2.0/24"],
        "task_cpu": 1024, "task_memory": 16384,
        "image": "chromadb/chroma:latest",
        "log_retention_days": 42,
        "existing_file_system_id": "fs-0123456789abcdef0",
        "failover_region": "us-east-1",
        "certificate_arns": {"us-east-1": "not-an-arn", "us-west-2": "x"},
    },
    {
        "region": MOON, **moon_maps(),
        "allowed_cidrs": [],
        "existing_file_system_id": "vol-1", "existing_root_directory": "/chroma",
    },
    {
        "region": "eu-west-1",
        "vpc_cidr": "10.0.0.0/26",
        "task_cpu": 3000,
        "image": "chromadb/chroma",
        "dns_zone_id": "Z0123456789ABC", "dns_record_name": "chroma",
    },
    {
        # issue 12 item 8: valid CIDR syntax that the provider's cidr_ipv4 / cidr_block validators refuse
        "vpc_cidr": "10.40.0.1/16",
        "allowed_cidrs": ["203.0.113.0/24", "198.51.100.7/24", "2001:db8::/32"],
        # item 17: EFS's access point path rule (at most 4 components)
        "existing_file_system_id": "fs-0123456789abcdef0", "existing_root_directory": "/a/b/c/d/e",
    },
    {
        # item 17: no trailing slash
        "existing_file_system_id": "fs-0123456789abcdef0", "existing_root_directory": "/aws-backup-restore_2026-11-25T03-00-00-000Z/chroma/",
        # item 15: a tag alone is not enough
        "image": "chromadb/chroma:1.5.9",
    },
    # the capacity rule is a precondition of the task definition (it needs the module's locals), which
    # Terraform evaluates only once every input is valid: a batch of its own
    {"expected_vectors": 5_000_000},
]

CASES: dict[str, tuple[int, list[str]]] = {
    "bad vpc cidr": (0, ["vpc_cidr must be a valid IPv4 CIDR block"]),
    "bad allowed cidr": (0, ["allowed_cidrs must hold valid IPv4 CIDR blocks"]),
    "not a fargate pair": (0, ["cpu 1024 with memory 16384 MiB is not a Fargate size"]),
    "image not pinned": (0, ["image must be pinned"]),
    "log retention not allowed by cloudwatch": (0, ["log_retention_days must be one of CloudWatch's allowed values"]),
    "attach without a root directory": (0, ["existing_file_system_id and existing_root_directory are set together"]),
    "failover equals primary": (0, ["failover_region must differ from region"]),
    "bad certificate arn": (0, ["certificate_arn must be an ACM certificate ARN"]),
    "unknown region": (1, [f'region "{MOON}" is not a known AWS region']),
    # the capacity batch is the last one (index 5): the issue-12 CIDR and path batches were merged before it
    "task too small for the vectors": (
        5, ["memory 2048 MiB cannot hold 5000000 vectors of 1536 dimensions at steady state",
            "memory 2048 MiB cannot hold 5000000 vectors of 1536 dimensions during a bulk load",
            f"needs at least {required_memory_mib(5_000_000, 1536)} MiB"]),
    "empty allowed cidrs on an internet-facing alb": (1, ["allowed_cidrs must not be empty for an internet-facing ALB"]),
    "bad file system id": (1, ["existing_file_system_id must look like fs-"]),
    "region the env does not list": (2, ['region "eu-west-1" is not configured for this env']),
    "vpc cidr too small": (2, ["prefix between /16 and /22"]),
    "not a fargate cpu": (2, ["cpu must be one of Fargate's sizes"]),
    "image without a tag": (2, ["image must be pinned"]),
    "relative dns record name": (2, ["dns_record_name must be a fully qualified DNS name"]),
    "vpc cidr with host bits": (3, ['vpc_cidr "10.40.0.1/16" must be an IPv4 network address, with no host bits set']),
    "allowed cidrs with host bits or ipv6": (
        3, ["allowed_cidrs must hold IPv4 network addresses with no host bits set; not: 198.51.100.7/24, 2001:db8::/32"]),
    "access point path with 5 components": (3, ['existing_root_directory "/a/b/c/d/e" must be an absolute path EFS accepts']),
    "access point path with a trailing slash": (
        4, ['existing_root_directory "/aws-backup-restore_2026-11-25T03-00-00-000Z/chroma/" must be an absolute path EFS accepts']),
    "image with a tag but no digest": (4, ["image must be pinned by tag and digest"]),
}


@pytest.fixture(scope="module")
def batch_output(tf_offline: Any, scratch_dev: Path) -> dict[int, str]:
    return {i: plan_fails(tf_offline, scratch_dev, vars) for i, vars in enumerate(BATCHES)}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_the_plan_with_its_message(case: str, batch_output: dict[int, str]) -> None:
    batch, messages = CASES[case]
    out = batch_output[batch]
    for message in messages:
        assert message in out, f"{case}: {message!r} not in: {out[-2000:]}"


def test_control_the_same_root_plans_internal_alb_without_cidrs_a_dns_record_and_ecs_exec(tf_offline: Any, scratch_dev: Path) -> None:
    plan = Plan(tf_offline.plan(scratch_dev, vars={
        "internal_alb": True, "allowed_cidrs": [],
        "dns_zone_id": "Z0123456789ABC", "dns_record_name": "chroma-dev.example.com.",
        "enable_execute_command": True,
    }))
    lb = plan.values("aws_lb")
    assert lb["internal"] is True
    ingress = plan.of_type("aws_vpc_security_group_ingress_rule")
    assert not [r for r in ingress if r["name"] in ("https", "http_redirect")]
    # internal: the rotation function reaches the ALB by security group, not through NAT
    assert not [r for r in ingress if r["name"] == "https_extra_cidrs"]
    assert [r for r in ingress if r["name"] == "https_security_groups"]
    record = plan.values("aws_route53_record")
    assert (record["zone_id"], record["name"], record["type"]) == ("Z0123456789ABC", "chroma-dev.example.com.", "A")
    assert record["alias"][0]["evaluate_target_health"] is True
    env_vars = plan.values("aws_lambda_function")["environment"][0]["variables"]
    assert env_vars["TLS_SERVER_NAME"] == "chroma-dev.example.com" and env_vars["VERIFY_TLS"] == "true"
    assert plan.data["planned_values"]["outputs"]["endpoint_url"]["value"] == "https://chroma-dev.example.com"
    # ECS Exec: sessions encrypted and logged, the init process on, the root file system writable for the agent
    assert plan.values("aws_ecs_service")["enable_execute_command"] is True
    cluster = plan.one("aws_ecs_cluster")
    exec_cfg = cluster["values"]["configuration"][0]["execute_command_configuration"][0]
    assert exec_cfg["logging"] == "OVERRIDE"
    assert exec_cfg["log_configuration"][0]["cloud_watch_encryption_enabled"] is True
    assert plan.unknown(cluster["address"])["configuration"][0]["execute_command_configuration"][0]["kms_key_id"] is True
    c = json.loads(plan.values("aws_ecs_task_definition")["container_definitions"])[0]
    assert c["linuxParameters"]["initProcessEnabled"] is True and c["readonlyRootFilesystem"] is False
