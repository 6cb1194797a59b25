"""What every day-2 verb starts from: an AWS env, its region, the stack's outputs, a client factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.session import ClientFactory
from chromactl.config import EnvConfig, load_env
from chromactl.errors import UsageError
from chromactl.lifecycle.guard import check_apply
from chromactl.lifecycle.summary import PlanSummary
from chromactl.output import Output
from chromactl.stack import outputs as stack_outputs


@dataclass
class Day2:
    env: EnvConfig
    region: str
    outputs: dict[str, Any]
    factory: Any
    output: Output
    profile: str | None = None


def aws_env(env_name: str, verb: str, root: Path | None = None) -> EnvConfig:
    env = load_env(env_name, root)
    if not env.is_aws:
        raise UsageError(f"`{verb}` works on AWS envs; {env.name!r} is a {env.kind} env.",
                         "The local env keeps its data in its data directory; copy that directory to back it up.")
    return env


def open_env(env_name: str, verb: str, *, region: str | None, output: Output, profile: str | None = None,
             outputs: dict[str, Any] | None = None, factory: Any = None, root: Path | None = None) -> Day2:
    """Load the env and (unless given, as tests do) read the stack's outputs with `terraform output`."""
    env = aws_env(env_name, verb, root)
    the_region = env.region_or_primary(region)
    if outputs is None:
        outputs = stack_outputs.read_outputs(env, the_region, output=output, profile=profile)
    if factory is None:
        factory = ClientFactory(profile=profile)
    return Day2(env=env, region=the_region, outputs=dict(outputs), factory=factory, output=output, profile=profile)


def confirm_changes(d2: Day2, changes: list[tuple[str, str, str]], *, yes: bool, confirm_env: str | None) -> None:
    """The one confirmation policy (lifecycle.guard.check_apply), asked before a day-2 verb starts anything:
    `changes` are the (action, type, address) its apply will make; a replace or delete on a protected env
    needs the env's name typed (or --confirm-env); anything else --yes or a y/N at a terminal."""
    summary = PlanSummary()
    for action, rtype, address in changes:
        summary.add(action, rtype, address)
    check_apply(d2.env, d2.region, summary, d2.output, auto_approve=yes, confirm_env=confirm_env)
