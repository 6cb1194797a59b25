"""Bad input to the strict checks: a missing or corrupt rule table, no botocore, a botocore
without a shape a rule needs. Each is one sentence naming the file or shape and a failing
Terraform run (never a silent pass); TFOFFLINE_STRICT=0 turns the checks off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tfoffline import harness, strict

ROOT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
}
resource "aws_efs_file_system" "data" {
  throughput_mode = "%s"
}
"""


def _rules_copy(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    shutil.copytree(strict.RULES_DIR, d)
    return d


def _validate(
    tf_offline: Any, tmp_path: Path, extra: dict[str, str], mode: str = "elastic"
) -> dict[str, Any]:
    root = tf_offline.write_root(tmp_path / "root", {"main.tf": ROOT % mode})
    env = {**tf_offline.env, **extra}
    return harness.validate(root, env=env)


def test_strict_catches_and_the_switch_turns_it_off(tf_offline: Any, tmp_path: Path) -> None:
    bad = _validate(tf_offline, tmp_path / "on", {}, mode="fast")
    assert not bad["valid"]
    assert any(
        'expected throughput_mode to be one of ["bursting" "provisioned" "elastic"], got fast'
        == d["summary"]
        for d in bad["diagnostics"]
    )
    off = _validate(tf_offline, tmp_path / "off", {"TFOFFLINE_STRICT": "0"}, mode="fast")
    assert off["valid"], off


@pytest.mark.parametrize("damage", ["missing", "corrupt", "wrong_version"])
def test_bad_rule_table_fails_naming_the_file(damage: str, tf_offline: Any, tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    target = rules / "api.json"
    if damage == "missing":
        target.unlink()
    elif damage == "corrupt":
        target.write_text('{"version": 1, "resources": ')
    else:
        target.write_text(json.dumps({"version": 7}))
    result = _validate(tf_offline, tmp_path, {"TFOFFLINE_RULES": str(rules)})
    assert not result["valid"]
    summaries = [d["summary"] for d in result["diagnostics"] if d["severity"] == "error"]
    assert any(str(target) in s for s in summaries), summaries
    assert all(
        s.count(".") <= 3 for s in summaries if str(target) in s
    )  # one sentence (dots in the path)


def test_botocore_without_a_needed_shape(tf_offline: Any, tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    doc = json.loads((rules / "provider.json").read_text())
    doc["resources"]["aws_efs_file_system"]["rules"].append(
        {"path": "throughput_mode", "kind": "enum", "botocore_enum": "efs:ThroughputModeV9"}
    )
    (rules / "provider.json").write_text(json.dumps(doc))
    result = _validate(tf_offline, tmp_path, {"TFOFFLINE_RULES": str(rules)})
    assert not result["valid"]
    assert any(
        "has no shape efs:ThroughputModeV9 that a rule needs" in d["summary"]
        for d in result["diagnostics"]
    )


def test_botocore_member_missing_names_it(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    doc = json.loads((rules / "api.json").read_text())
    doc["resources"]["aws_efs_file_system"]["members"]["creation_token"] = "CreationTokenV2"
    (rules / "api.json").write_text(json.dumps(doc))
    with pytest.raises(
        strict.RuleTableError,
        match=r"has no member efs:CreateFileSystemRequest\.CreationTokenV2 that a rule needs",
    ):
        strict.compile_tables(rules)


def test_no_botocore_data(tf_offline: Any, tmp_path: Path) -> None:
    empty = tmp_path / "nobotocore"
    empty.mkdir()
    result = _validate(
        tf_offline,
        tmp_path,
        {"TFOFFLINE_BOTOCORE_DATA": str(empty), "TFOFFLINE_RULES": str(_rules_copy(tmp_path))},
    )
    assert not result["valid"]
    assert any(
        f"TFOFFLINE_BOTOCORE_DATA={empty} is not a botocore data directory" in d["summary"]
        for d in result["diagnostics"]
    )
