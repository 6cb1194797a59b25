"""No token value ever reaches Terraform: every AWS env's plan (real Terraform, offline provider)
holds no secret version and no token-shaped string, and ships exactly the zip the project
builds. (tests/stack checks the same resource type in the applied prod state.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chromactl.rotation.package import base64_sha256, build_zip

from tests.stack._tfplan import ENVS, ROTATION_ZIP, ensure_rotation_zip

# 64 characters of [a-z0-9] standing alone; a hex digest (0-9a-f only) is not a token.
TOKEN_SHAPED = re.compile(r"(?<![A-Za-z0-9])[a-z0-9]{64}(?![A-Za-z0-9])")


def token_shaped(text: str) -> list[str]:
    return [m for m in TOKEN_SHAPED.findall(text) if not re.fullmatch(r"[0-9a-f]{64}", m)]


def all_types(plan: dict[str, Any]) -> set[str]:
    types = {rc["type"] for rc in plan.get("resource_changes", [])}

    def walk(module: dict[str, Any]) -> None:
        types.update(r["type"] for r in module.get("resources", []))
        for child in module.get("child_modules", []) + list((module.get("module_calls") or {}).values()):
            walk(child.get("module", child))

    walk(plan.get("planned_values", {}).get("root_module", {}))
    walk(plan.get("configuration", {}).get("root_module", {}))
    return types


def test_the_detector_finds_a_token() -> None:
    from tests.rotation.harness import load_handler

    token = load_handler().new_token()
    assert token_shaped(json.dumps({"x": {"values": [f"Bearer {token}"]}})) == [token]
    assert token_shaped(json.dumps({"etag": "a" * 32 + "0" * 32, "arn": "arn:aws:x"})) == []


@pytest.fixture(scope="module")
def zip_hash() -> str:
    ensure_rotation_zip()
    return base64_sha256(ROTATION_ZIP)


@pytest.mark.parametrize("env", ENVS)
def test_plan_holds_no_token(env: str, env_plan: Any, zip_hash: str, tmp_path: Any) -> None:
    plan = env_plan(env)
    text = json.dumps(plan)
    types = all_types(plan)
    assert "aws_secretsmanager_secret" in types and "aws_secretsmanager_secret_rotation" in types
    assert "aws_secretsmanager_secret_version" not in types
    assert "secret_string" not in text and "secret_binary" not in text
    assert token_shaped(text) == []
    # No token rule at all: the rotation function owns them (issue 14).
    assert "uninitialised" not in text
    rules = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_lb_listener_rule"]
    assert [rc["name"] for rc in rules] == ["heartbeat"]
    # Terraform ships the zip this project builds, byte for byte.
    fns = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_lambda_function"]
    assert len(fns) == 1
    assert fns[0]["change"]["after"]["source_code_hash"] == zip_hash
    assert zip_hash == base64_sha256(build_zip(tmp_path / "again.zip")), (
        f"{ROTATION_ZIP} is stale (older than functions/token_rotation): run `make zip` before planning"
    )
