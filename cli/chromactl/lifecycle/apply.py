"""apply and destroy for one (env, region), callable without the CLI.

- apply: a saved plan only (never plans again silently); the guard decides
  whether it may go ahead; the plan is single-use and removed afterwards.
- apply_region: plan, pending-secret check, apply, outputs (the failover's rebuild).
- destroy: `plan -destroy` to a file, guard (protected envs type the name),
  apply that plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import Cancelled, UsageError
from chromactl.lifecycle import planfile
from chromactl.lifecycle.guard import check_apply
from chromactl.lifecycle.plan import (
    PlanResult,
    _progress,
    guard_placeholders,
    plan,
    settle_pending_secrets,
    show_plan,
)
from chromactl.lifecycle.summary import PlanSummary
from chromactl.output import Output
from chromactl.stack import outputs as stack_outputs
from chromactl.stack.outputs import OutputValues
from chromactl.terraform.runner import Runner

NOTHING_TO_DESTROY = "nothing to destroy"


@dataclass(frozen=True)
class ApplyResult:
    """What `apply_saved` applied (`apply --json`'s result, `up`'s `applied`)."""

    env: str
    region: str
    destroy: bool
    summary: PlanSummary
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "destroy": self.destroy,
            "summary": self.summary.to_dict(),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class DestroyResult:
    """What `destroy` did: the applied destroy plan and its count of deleted resources, or nothing
    (applied None: the stack had nothing to destroy)."""

    env: str
    region: str
    destroyed: int
    applied: ApplyResult | None = None

    @property
    def note(self) -> str | None:
        return NOTHING_TO_DESTROY if self.applied is None else None

    def to_dict(self) -> dict[str, Any]:
        if self.applied is None:
            return {"env": self.env, "region": self.region, "destroyed": self.destroyed, "note": NOTHING_TO_DESTROY}
        return {**self.applied.to_dict(), "destroyed": self.destroyed}


def apply_saved(
    env: EnvConfig,
    region: str,
    output: Output,
    *,
    plan_path: Path | None = None,
    auto_approve: bool = False,
    allow_protected_changes: bool = False,
    confirm_env: str | None = None,
    profile: str | None = None,
    summary: PlanSummary | None = None,
    runner: Runner | None = None,
    sandbox: bool = False,
    check_secrets: bool = False,
    secret_action: str | None = None,
) -> ApplyResult:
    """Apply a saved plan made by `plan` for this (env, region). Returns what was applied.

    check_secrets (the `apply` verb; `up` checks before its confirmation): refuse a plan
    creating a secret whose name one scheduled for deletion holds, unless secret_action is
    "force-delete" (a restore needs a new plan: `up --restore-secret`).
    """
    runner = runner or Runner(env, region, output, profile=profile)
    path = (plan_path or planfile.default_plan_path(env, region)).resolve()
    car = planfile.read_sidecar(path, env, region, runner.backend.state_key, runner.backend.kind)
    if not car.destroy:
        guard_placeholders(env, "apply", sandbox=sandbox)
    if car.terraform_version and car.terraform_version != runner.engine.version:
        raise UsageError(
            f"The plan file {path} was made by Terraform {car.terraform_version}; this run uses {runner.engine.version}.",
            f"Plan again with this Terraform: `chromactl plan --env {env.name} --region {region}`.",
        )
    runner.ensure_init()
    if summary is None:
        summary = show_plan(runner, path)
        if not output.json:
            summary.render(output.err, f"saved plan for {env.name}/{region}")
    if check_secrets and not car.destroy:
        if secret_action == "restore":
            raise UsageError("--restore-secret needs a new plan (the restored secret is imported, then planned again).",
                             f"Use `chromactl up --env {env.name} --region {region} --restore-secret`.")
        settle_pending_secrets(env, region, output, PlanResult(env.name, region, path, True, summary), runner=runner,
                               action=secret_action, profile=profile, sandbox=sandbox, verb="apply")
    check_apply(
        env,
        region,
        summary,
        output,
        auto_approve=auto_approve,
        allow_protected_changes=allow_protected_changes,
        confirm_env=confirm_env,
        destroy=car.destroy,
    )
    output.info(f"Applying {'destroy ' if car.destroy else ''}plan for {env.name}/{region}: {summary.line()}.")
    started = time.monotonic()
    try:
        result = runner.run(
            ["apply", "-input=false", "-json", str(path)],
            json_events=True,
            on_event=_progress(output, verbose_only=False),
            step="apply",
        )
    finally:
        planfile.discard(path)  # single-use: applied, failed or interrupted, it is stale now
    if result.rc != 0:
        raise runner.failure("apply", result)
    return ApplyResult(env.name, region, car.destroy, summary, round(time.monotonic() - started, 1))


def apply_region(
    env: EnvConfig,
    region: str,
    *,
    extra_vars: dict[str, str] | None,
    output: Output,
    auto_approve: bool,
    allow_protected_changes: bool = False,
    profile: str | None = None,
    confirm_env: str | None = None,
    sandbox: bool = False,
    secret_action: str | None = None,
    verb: str = "failover",
) -> OutputValues:
    """init, plan to a file, guard, apply the saved plan; returns the stack's outputs.

    The result is an OutputValues: bare values, plus `.sensitive`, the names Terraform marks
    sensitive (the failover journal drops those, whatever their names).

    Like `up`, it checks before applying that no secret the plan creates has its name held by
    one scheduled for deletion (settle_pending_secrets; `secret_action` as for `up`): a rebuild
    in a region the env was destroyed in earlier would otherwise fail half-way through the apply.
    """
    runner = Runner(env, region, output, profile=profile)
    result = plan(env, region, output, extra_vars=extra_vars, runner=runner, sandbox=sandbox)
    if result.changes:
        result, _ = settle_pending_secrets(env, region, output, result, runner=runner, action=secret_action, profile=profile,
                                           sandbox=sandbox, verb=verb, extra_vars=extra_vars)
    if result.changes:
        apply_saved(
            env,
            region,
            output,
            plan_path=result.path,
            auto_approve=auto_approve,
            allow_protected_changes=allow_protected_changes,
            confirm_env=confirm_env,
            summary=result.summary,
            runner=runner,
            sandbox=sandbox,
        )
    else:
        planfile.discard(result.path)
        output.info(f"{env.name}/{region}: no changes.")
    return stack_outputs.read_outputs(env, region, output=output, profile=profile)


def destroy(
    env: EnvConfig,
    region: str,
    output: Output,
    *,
    auto_approve: bool = False,
    confirm_env: str | None = None,
    profile: str | None = None,
) -> DestroyResult:
    """Plan a destroy, guard it (protected envs: the typed name), apply it."""
    runner = Runner(env, region, output, profile=profile)
    result = plan(env, region, output, destroy=True, runner=runner)
    if not result.summary.has_resource_changes and not result.changes:
        planfile.discard(result.path)
        return DestroyResult(env.name, region, 0)
    if not output.json:
        result.summary.render(output.err, f"destroy {env.name}/{region}")
    try:
        applied = apply_saved(
            env,
            region,
            output,
            plan_path=result.path,
            auto_approve=auto_approve,
            confirm_env=confirm_env,
            summary=result.summary,
            runner=runner,
        )
    except (UsageError, Cancelled):
        planfile.discard(result.path)  # refused or declined: never leave a ready-to-run destroy plan behind
        raise
    return DestroyResult(env.name, region, result.summary.total("delete"), applied)


