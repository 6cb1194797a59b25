"""The offline harness has teeth: broken configurations fail with the right diagnostic.

Each case is a small root (a module call plus one mistake) validated by real
Terraform against the offline provider's schema. A control root with no mistake
must validate, so every failure below comes from the mistake alone. The roots
are validated in parallel (each run is a Terraform process plus provider).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

BASE = """
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "logs" {
  source = "./mod"
  name   = "/chroma/test"
}

resource "aws_efs_file_system" "data" {
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"
}
"""

MODULE = """
variable "name" {
  type        = string
  description = "Log group name."
}

resource "aws_cloudwatch_log_group" "this" {
  name              = var.name
  retention_in_days = 30
}

output "arn" {
  description = "ARN of the log group."
  value       = aws_cloudwatch_log_group.this.arn
}
"""

# name -> (extra configuration, expected summary, fragments the detail must contain)
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "misspelled_argument": (
        'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n  tagz = {}\n}\n',
        "Unsupported argument",
        ('"tagz"', 'Did you mean "tags"'),
    ),
    "missing_required_argument": (
        'resource "aws_efs_access_point" "ap" {\n  posix_user {\n    uid = 1000\n    gid = 1000\n  }\n}\n',
        "Missing required argument",
        ('"file_system_id" is required',),
    ),
    "missing_required_nested_argument": (
        (
            'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n'
            "  posix_user {\n    uid = 1000\n  }\n}\n"
        ),
        "Missing required argument",
        ('"gid" is required',),
    ),
    "block_written_as_attribute": (
        (
            'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n'
            "  posix_user = {\n    uid = 1000\n    gid = 1000\n  }\n}\n"
        ),
        "Unsupported argument",
        ('block of type "posix_user"',),
    ),
    "wrong_value_type": (
        (
            'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n'
            '  posix_user {\n    uid = "chroma"\n    gid = 1000\n  }\n}\n'
        ),
        "Incorrect attribute value type",
        ("a number is required",),
    ),
    "wrong_collection_type": (
        (
            'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n'
            '  tags = ["a", "b"]\n}\n'
        ),
        "Incorrect attribute value type",
        ("map of string required",),
    ),
    "undeclared_module_output": (
        'output "log_group" {\n  value = module.logs.name\n}\n',
        "Unsupported attribute",
        ('does not have an attribute named "name"',),
    ),
    "undeclared_variable": (
        'output "x" {\n  value = var.region\n}\n',
        "Reference to undeclared input variable",
        ('"region" has not been declared',),
    ),
    "too_many_max1_blocks": (
        (
            'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n'
            '  root_directory {\n    path = "/a"\n  }\n  root_directory {\n    path = "/b"\n  }\n}\n'
        ),
        "Too many root_directory blocks",
        ("No more than 1",),
    ),
    "missing_required_block": (
        (
            'resource "aws_lb_listener_rule" "auth" {\n  listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"\n'
            '  condition {\n    path_pattern {\n      values = ["/*"]\n    }\n  }\n}\n'
        ),
        "Insufficient action blocks",
        ("At least 1",),
    ),
    "syntax_error": (
        'resource "aws_efs_access_point" "ap" {\n  file_system_id = aws_efs_file_system.data.id\n',
        "Unclosed configuration block",
        ("no closing brace for this block",),
    ),
    "unknown_resource_type": (
        'resource "aws_efs_filesystem" "x" {}\n',
        "Invalid resource type",
        ('does not support resource type "aws_efs_filesystem"',),
    ),
}


@pytest.fixture(scope="module")
def teeth_results(
    tf_offline: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("teeth")
    roots: dict[str, Path] = {
        "control": tf_offline.write_root(base / "control", {"main.tf": BASE, "mod/main.tf": MODULE})
    }
    for name, (extra, _, _) in CASES.items():
        roots[name] = tf_offline.write_root(
            base / name, {"main.tf": BASE + "\n" + extra, "mod/main.tf": MODULE}
        )
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(tf_offline.validate, root) for name, root in roots.items()}
        return {name: f.result() for name, f in futures.items()}


def test_control_root_is_valid(teeth_results: dict[str, dict[str, Any]]) -> None:
    result = teeth_results["control"]
    assert result["valid"] is True, result["diagnostics"]
    assert result["error_count"] == 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_config_fails_with_the_right_diagnostic(
    case: str, teeth_results: dict[str, dict[str, Any]], tf_offline: Any
) -> None:
    _, summary, fragments = CASES[case]
    result = teeth_results[case]
    assert result["valid"] is False
    errs = tf_offline.errors(result)
    assert errs, f"{case}: no error diagnostics in {result}"
    matching = [d for d in errs if d["summary"] == summary]
    assert matching, f"{case}: expected {summary!r}, got {[d['summary'] for d in errs]}"
    detail = " ".join(d.get("detail", "") for d in matching)
    for fragment in fragments:
        assert fragment in detail, f"{case}: {fragment!r} not in {detail!r}"
    # the diagnostic points at the file and line of the mistake
    assert all(d.get("range", {}).get("filename") == "main.tf" for d in matching)
