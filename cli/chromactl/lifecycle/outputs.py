"""Reading a stack's outputs: `terraform output -json` for one (env, region), once per run.

The typed result and its names live in chromactl/stack/outputs.py (StackOutputs, OutputValues);
this module is the one that runs Terraform for them (it needs the Runner, so it sits in lifecycle).
"""

from __future__ import annotations

import json
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import OperationFailed
from chromactl.lifecycle.runner import Runner
from chromactl.output import Output
from chromactl.stack.outputs import OutputValues, StackOutputs

__all__ = ["OutputValues", "StackOutputs", "read_outputs", "read_outputs_full", "read_stack_outputs", "redact"]


def read_outputs_full(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> dict[str, dict[str, Any]]:
    """name -> {"value", "sensitive", "type"} from the state of (env, region)."""
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


def read_outputs(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> OutputValues:
    """The outputs' values (sensitive ones included: callers must not print or store them; `.sensitive` names them)."""
    return OutputValues.from_full(read_outputs_full(env, region, output=output, profile=profile))


def read_stack_outputs(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> StackOutputs:
    """The stack's outputs of (env, region), read once, typed."""
    return StackOutputs.from_values(read_outputs(env, region, output=output, profile=profile), where=f"{env.name}/{region}")


def redact(full: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Values for display: sensitive outputs are never printed."""
    return {k: ("(sensitive)" if v.get("sensitive") else v.get("value")) for k, v in full.items()}
