"""The capacity rule is one rule: Terraform (terraform/modules/ecs) and `chromactl size`
(cli/chromactl/sizing.py) give the same figures, and a plan names the figure that fails.

Real Terraform plans a small root that calls the ecs module once per case (for_each), so every
case is checked in one plan; the module's `capacity` output is compared with sizing.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromactl import sizing
from tfoffline import harness

from tests.stack._tfplan import flat

CASES = {
    "empty": (0, 384),
    "dev": (100_000, 1536),
    "staging": (1_000_000, 1536),
    "prod": (5_000_000, 1536),
    "minilm": (2_000_000, 384),
    "odd": (123_457, 769),
    "huge": (9_000_000, 1024),
}

ROOT_TF = """
provider "aws" {
  region = "us-east-1"
}

variable "cases" {
  type = map(object({ vectors = number, dims = number, cpu = number, memory = number }))
}

module "ecs" {
  source   = "../../terraform/modules/ecs"
  for_each = var.cases

  name                  = "cap-${replace(each.key, "_", "-")}"
  region                = "us-east-1"
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_cidr              = "10.0.0.0/16"
  private_subnet_ids    = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  alb_security_group_id = "sg-0123456789abcdef0"
  target_group_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cap/0123456789abcdef"
  file_system_id        = "fs-0123456789abcdef0"
  access_point_id       = "fsap-0123456789abcdef0"
  file_system_arn       = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
  access_point_arn      = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
  iam_name              = "cap-${replace(each.key, "_", "-")}-us-east-1"
  account_id            = "123456789012"
  log_group_name        = "/cap/app"
  log_group_arn         = "arn:aws:logs:us-east-1:123456789012:log-group:/cap/app"
  exec_log_group_name   = "/cap/exec"
  exec_log_group_arn    = "arn:aws:logs:us-east-1:123456789012:log-group:/cap/exec"
  exec_kms_key_arn      = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  cpu                   = each.value.cpu
  memory                = each.value.memory
  expected_vectors      = each.value.vectors
  vector_dimensions     = each.value.dims
}

output "capacity" {
  value = { for k, m in module.ecs : k => m.capacity }
}

output "grace" {
  value = { for k, m in module.ecs : k => m.capacity.health_check_grace_period_seconds }
}
"""


def _root(tf_offline: Any, name: str) -> Path:
    base = tf_offline.copy("envs/dev").parents[1]  # <copy>/envs/dev -> <copy>
    root = tf_offline.write_root(base / "envs" / name, {"main.tf": ROOT_TF})
    tf_offline.init(root)
    return root


def _cases_var(cases: dict[str, tuple[int, int, int, int]]) -> dict[str, Any]:
    return {"cases": {k: {"vectors": n, "dims": d, "cpu": c, "memory": m} for k, (n, d, c, m) in cases.items()}}


@pytest.fixture(scope="module")
def cap_root(tf_offline: Any) -> Path:
    return _root(tf_offline, "capacity")


def test_terraform_and_chromactl_size_compute_the_same_figures(tf_offline: Any, cap_root: Path) -> None:
    picks = {k: sizing.pick(n, d) for k, (n, d) in CASES.items()}
    cases = {k: (n, d, p.fit.cpu, p.fit.memory_mib) for (k, (n, d)), p in zip(CASES.items(), picks.values(), strict=True)}
    plan = tf_offline.plan(cap_root, vars=_cases_var(cases))
    got = plan["planned_values"]["outputs"]["capacity"]["value"]
    for key, p in picks.items():
        e = p.estimate
        assert got[key] == {
            "steady_state_mib": e.steady_mib, "during_load_mib": e.load_mib, "required_memory_mib": e.min_memory_mib,
            "memory_mib": p.fit.memory_mib, "health_check_grace_period_seconds": p.grace_seconds,
        }, key
    # the service gets the sized grace (issue 12 item 16): more vectors, more grace
    services = {r["address"]: r["values"] for r in harness.planned_resources(plan) if r["type"] == "aws_ecs_service"}
    graces = {a.split('"')[1]: v["health_check_grace_period_seconds"] for a, v in services.items()}
    assert graces == {k: p.grace_seconds for k, p in picks.items()}
    assert graces["empty"] == sizing.GRACE_BASE_S < graces["dev"] < graces["staging"] < graces["prod"] <= sizing.GRACE_MAX_S


def test_a_task_one_size_too_small_fails_the_plan_naming_the_figure(tf_offline: Any, cap_root: Path) -> None:
    """The Fargate size just under the pick fails at plan, and the message says which figure
    (steady state or during a bulk load) does not fit, as `chromactl size --memory` does."""
    cases: dict[str, tuple[int, int, int, int]] = {}
    expected: dict[str, list[str]] = {}
    for key in ("dev", "staging", "prod", "minilm"):
        n, d = CASES[key]
        p = sizing.pick(n, d)
        smaller = [m for m in sizing.FARGATE_SIZES[p.fit.cpu] if m < p.fit.memory_mib]
        assert smaller, key
        mem = smaller[-1]
        cases[key] = (n, d, p.fit.cpu, mem)
        fails = sizing.failures(p.estimate, mem)
        assert fails, key
        expected[key] = [f"memory {mem} MiB cannot hold {n} vectors of {d} dimensions " + ("at steady state" if "steady" in f else "during a bulk load")
                         for f in fails]
    with pytest.raises(harness.TerraformFailed) as failed:
        tf_offline.plan(cap_root, vars=_cases_var(cases))
    out = flat(failed.value.output)
    for key, messages in expected.items():
        for m in messages:
            assert m in out, f"{key}: {m!r} not in {out[-3000:]}"
    assert "chromactl size --vectors 5000000 --dims 1536" in out


def test_an_explicit_grace_wins(tf_offline: Any, cap_root: Path) -> None:
    root = _root(tf_offline, "capacity-grace")
    (root / "main.tf").write_text(ROOT_TF.replace("  vector_dimensions     = each.value.dims\n",
                                                  "  vector_dimensions     = each.value.dims\n  health_check_grace_period_seconds = 42\n"))
    n, d = CASES["prod"]
    p = sizing.pick(n, d)
    plan = tf_offline.plan(root, vars=_cases_var({"prod": (n, d, p.fit.cpu, p.fit.memory_mib)}))
    assert plan["planned_values"]["outputs"]["grace"]["value"] == {"prod": 42}
