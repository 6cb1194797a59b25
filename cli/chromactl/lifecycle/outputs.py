"""The stack's outputs for one (env, region): `terraform output -json`."""

from __future__ import annotations

import json
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import OperationFailed
from chromactl.output import Output


def read_outputs_full(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> dict[str, dict[str, Any]]:
    """name -> {"value", "sensitive", "type"} from the state of (env, region)."""
    from chromactl.lifecycle.runner import Runner

    runner = Runner(env, region, output or Output(json=True), profile=profile)
    runner.ensure_init()
    result = runner.run(["output", "-json", "-no-color"], step="output", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("output", result)
    try:
        data = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise OperationFailed(f"terraform output for {env.name}/{region} did not print JSON.", "Run again with --verbose to see the command.") from None
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def read_outputs(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> dict[str, Any]:
    """The outputs' values only (sensitive ones included: callers must not print them)."""
    return {k: v.get("value") for k, v in read_outputs_full(env, region, output=output, profile=profile).items()}


def redact(full: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Values for display: sensitive outputs are never printed."""
    return {k: ("(sensitive)" if v.get("sensitive") else v.get("value")) for k, v in full.items()}
