"""`chromactl drill`: load the env, guard it, read the stack, run one scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from chromactl.aws.session import ClientFactory
from chromactl.config import load_env
from chromactl.drills import SCENARIOS, az_loss, kill_task, restore_test, token_rotation
from chromactl.drills.common import DEFAULT_POLL_S, DrillResult, check_timeout, guard_protected
from chromactl.drills.context import DrillContext
from chromactl.errors import UsageError
from chromactl.output import Output
from chromactl.stack import outputs as stack_outputs


def runner(scenario: str) -> Callable[[DrillContext], DrillResult]:
    if scenario == "kill-task":
        return kill_task.run
    if scenario == "az-loss":
        return az_loss.run
    if scenario == "token-rotation":
        return token_rotation.run
    if scenario == "restore-test":
        return restore_test.run
    raise UsageError(f"Unknown drill {scenario!r}.", f"Pick one of: {', '.join(SCENARIOS)}.")


def read_stack(env: Any, region: str, output: Output, profile: str | None) -> dict[str, Any]:
    """The stack's outputs (a seam: tests give recorded outputs)."""
    return stack_outputs.read_outputs(env, region, output=output, profile=profile)


def run_drill(
    env_name: str,
    scenario: str,
    *,
    output: Output,
    region: str | None = None,
    timeout_s: float = 900.0,
    poll_s: float = DEFAULT_POLL_S,
    target_s: float | None = None,
    yes: bool = False,
    confirm_env: str | None = None,
    profile: str | None = None,
    factory: Any = None,
    outputs: dict[str, Any] | None = None,
    root: Path | None = None,
    **ports: Any,
) -> DrillResult:
    """Validate everything checkable offline first; then run the scenario and return its result (never raises for a failed drill)."""
    run = runner(scenario)
    check_timeout(timeout_s)
    if poll_s <= 0:
        raise UsageError("The poll interval must be positive.", "e.g. 5 seconds.")
    env = load_env(env_name, root)
    if not env.is_aws:
        raise UsageError(f"Env {env.name!r} is a local env; drills disrupt AWS resources.", "Pick an AWS env (see `chromactl envs`).")
    the_region = env.region_or_primary(region)
    guard_protected(env, scenario, output, yes=yes, confirm_env=confirm_env)
    if factory is None:
        factory = ClientFactory(profile=profile)
    if outputs is None:
        outputs = read_stack(env, the_region, output, profile)
    ctx = DrillContext(env=env, region=the_region, outputs=dict(outputs), factory=factory, output=output, timeout_s=timeout_s,
                       poll_s=poll_s, target_override_s=target_s, profile=profile, **ports)
    output.info(f"Drill {scenario} on {env.name}/{the_region} (every wait bounded by {timeout_s:g} s) ...")
    return run(ctx)
