"""Drift and refresh against the offline provider's "remote" side (tools/tfoffline/remote.py):
what lands in state when something other than Terraform changed the object (as the rotation
function rewrites the listener rule's header values), and that `ignore_changes` keeps such a
change out of the plan the way the stack relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfoffline import harness

ROOT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_lb_listener_rule" "token" {
  listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/0123456789abcdef/0123456789abcdef"
  priority     = 10

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }

  condition {
    http_header {
      http_header_name = "Authorization"
      values           = ["Bearer initial"]
    }
  }
%s
}
"""

IGNORE = """
  lifecycle {
    ignore_changes = [condition]
  }
"""


def _apply(tf_offline: Any, tmp_path: Path, body: str) -> tuple[Path, dict[str, str], str]:
    root = tf_offline.write_root(tmp_path / "root", {"main.tf": ROOT % body})
    env = dict(tf_offline.env)
    side = tmp_path / "remote.json"
    env["TFOFFLINE_REMOTE"] = str(side)
    harness.apply(root, env=env)
    rid = harness.state_json(root, env=env)["values"]["root_module"]["resources"][0]["values"]["id"]
    return root, env, rid


def _rotate(side: Path, rid: str, value: str) -> None:
    cond = [
        {
            "host_header": [],
            "http_header": [{"http_header_name": "Authorization", "values": [value]}],
            "http_request_method": [],
            "path_pattern": [],
            "query_string": [],
            "source_ip": [],
        }
    ]
    side.write_text(json.dumps({"aws_lb_listener_rule": {rid: {"condition": cond}}}))


def _header_values(state: dict[str, Any]) -> list[str]:
    res = state["values"]["root_module"]["resources"][0]["values"]
    return res["condition"][0]["http_header"][0]["values"]


def test_refresh_brings_the_rotated_value_into_state(tf_offline: Any, tmp_path: Path) -> None:
    root, env, rid = _apply(tf_offline, tmp_path, IGNORE)
    _rotate(Path(env["TFOFFLINE_REMOTE"]), rid, "Bearer rotated")
    r = harness.run(root, "apply", "-refresh-only", "-auto-approve", "-no-color", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _header_values(harness.state_json(root, env=env)) == ["Bearer rotated"]


def test_ignore_changes_keeps_the_rotated_value_out_of_the_plan(
    tf_offline: Any, tmp_path: Path
) -> None:
    root, env, rid = _apply(tf_offline, tmp_path, IGNORE)
    _rotate(Path(env["TFOFFLINE_REMOTE"]), rid, "Bearer rotated")
    r = harness.run(root, "plan", "-detailed-exitcode", "-no-color", env=env)
    assert r.returncode == 0, r.stdout  # 0 = no changes: Terraform will not put the old token back


def test_without_ignore_changes_the_plan_reverts_the_rotation(
    tf_offline: Any, tmp_path: Path
) -> None:
    root, env, rid = _apply(tf_offline, tmp_path, "")
    _rotate(Path(env["TFOFFLINE_REMOTE"]), rid, "Bearer rotated")
    r = harness.run(root, "plan", "-detailed-exitcode", "-no-color", env=env)
    assert r.returncode == 2, r.stdout  # 2 = changes: the next apply would undo the rotation
    assert '"Bearer rotated"' in r.stdout and '"Bearer initial"' in r.stdout


def test_deleted_out_of_band_is_planned_again(tf_offline: Any, tmp_path: Path) -> None:
    root, env, rid = _apply(tf_offline, tmp_path, IGNORE)
    Path(env["TFOFFLINE_REMOTE"]).write_text(json.dumps({"aws_lb_listener_rule": {rid: None}}))
    r = harness.run(root, "plan", "-detailed-exitcode", "-no-color", env=env)
    assert r.returncode == 2, r.stdout
    assert "will be created" in r.stdout


def test_corrupt_side_file_is_an_error(tf_offline: Any, tmp_path: Path) -> None:
    root, env, _ = _apply(tf_offline, tmp_path, IGNORE)
    Path(env["TFOFFLINE_REMOTE"]).write_text("{not json")
    r = harness.run(root, "plan", "-no-color", env=env)
    assert r.returncode == 1
    assert "remote side file" in r.stdout + r.stderr and "unreadable" in r.stdout + r.stderr
