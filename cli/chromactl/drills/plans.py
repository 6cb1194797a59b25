"""What each drill disrupts, measures and restores: shown by `drill --help` and `drill --dry-run`.

One place, in the words of each scenario's module docstring, so the help, the
dry run and the drill itself cannot drift apart silently (the test of this
module checks each scenario has a plan and the CLI lists them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromactl.drills import SCENARIOS


@dataclass(frozen=True)
class DrillPlan:
    scenario: str
    summary: str
    disrupts: tuple[str, ...]
    measures: str
    restores: tuple[str, ...]
    target: str  # "rto" (the env's slo.rto_minutes) or a fixed description

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "summary": self.summary, "disrupts": list(self.disrupts), "measures": self.measures,
                "restores": list(self.restores), "target": self.target}


PLANS: dict[str, DrillPlan] = {
    "kill-task": DrillPlan(
        "kill-task", "stop the running task; measure until a new one is RUNNING and healthy",
        ("ECS StopTask on the service's one running task (the outage a task crash causes)",),
        "StopTask until a new task is RUNNING and its target is healthy in the target group; then a smoke check",
        ("nothing was changed besides the task; the service's desired count is checked to be what it was",),
        "rto",
    ),
    "az-loss": DrillPlan(
        "az-loss", "move the service out of the running task's AZ; measure recovery in another AZ",
        ("ECS UpdateService: the service's subnets narrowed to those outside the task's AZ, with a new deployment",),
        "UpdateService until a task runs outside the lost AZ, the service is stable and its target healthy; then smoke",
        ("the original subnets are put back (UpdateService), which replaces the task once more; the drill waits for it",),
        "rto",
    ),
    "token-rotation": DrillPlan(
        "token-rotation", "rotate the API token while clients query; 0 errors expected",
        ("Secrets Manager RotateSecret on the token secret, while clients query a small seeded collection",),
        "client errors during the rotation and a short tail; afterwards old token refused, new token accepted",
        ("the seeded collection is deleted; the new token stays current (that is the rotation)",),
        "the rotation's own bound (300 s)",
    ),
    "restore-test": DrillPlan(
        "restore-test", "restore the newest backup into a temporary file system and check the data",
        ("AWS Backup StartRestoreJob into a NEW file system (the env's own data is not touched)",
         "temporary mount targets, access point, task, target group and listener rule for it"),
        "restore start until the data check (collections and counts against the manifest) is done",
        ("everything it created, newest first: rule, target group, task, task definition, access point, mount targets, file system",),
        "rto",
    ),
}

assert set(PLANS) == set(SCENARIOS), "every scenario needs a plan"


def scenarios_help() -> str:
    return "\n\n".join(f"{p.scenario}: {p.summary}." for p in PLANS.values())


def dry_run(env: Any, scenario: str, region: str, target_s: float | None) -> dict[str, Any]:
    """The plan of `scenario` for this env and region; nothing is called."""
    plan = PLANS[scenario]
    if plan.target != "rto":
        target = plan.target
    elif target_s is not None:
        target = f"{target_s:g} s (--target-seconds)"
    else:
        target = f"{env.slo.rto_minutes * 60:g} s (env slo.rto_minutes = {env.slo.rto_minutes:g})"
    return {**plan.to_dict(), "env": env.name, "region": region, "protected": env.protected, "target": target, "dry_run": True}
