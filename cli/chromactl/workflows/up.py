"""`chromactl up` for one (env, region): plan, summary, guard, apply, wait until stable, smoke.

A local env starts Chroma here and smoke-checks it. An AWS env reads its outputs once after the
apply (`terraform output`, with the run's Output so --verbose shows it) and hands them to the
stability wait, the token wait and the check target, which resolves the endpoint and token once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.session import ClientFactory
from chromactl.checks import smoke
from chromactl.checks.smoke import SmokeReport
from chromactl.checks.target import Target
from chromactl.config import EnvConfig
from chromactl.day2 import version as V
from chromactl.day2.version import record_after_check
from chromactl.errors import OperationFailed
from chromactl.failover import manifest
from chromactl.lifecycle import planfile
from chromactl.lifecycle.apply import ApplyResult, apply_saved
from chromactl.lifecycle.plan import (
    DEFAULT_WAIT_S,
    check_converged,
    guard_placeholders,
    plan,
    plan_diff,
    require_converged,
    settle_pending_secrets,
)
from chromactl.lifecycle.summary import PlanSummary
from chromactl.local.server import local_up
from chromactl.output import Output
from chromactl.rotation.wait import wait_for_stack_token
from chromactl.stack import outputs as stack_outputs
from chromactl.stack.health import wait_stable
from chromactl.terraform.runner import Runner
from chromactl.workflows.endpoint import stack_target


@dataclass(frozen=True)
class LocalUpResult:
    """`up` of a local env: the server local_up started or found, and its smoke check (None: --skip-checks)."""

    started: bool
    already_running: bool
    pid: int
    endpoint: str
    data_dir: str
    log: str
    smoke: SmokeReport | None = None
    chroma_version_record: str | None = None  # the highest version that opened the data, recorded after the smoke check

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "started": self.started,
            "already_running": self.already_running,
            "pid": self.pid,
            "endpoint": self.endpoint,
            "data_dir": self.data_dir,
            "log": self.log,
            "smoke": None if self.smoke is None else self.smoke.to_dict(),
        }
        if self.smoke is not None:  # recorded only after a smoke check
            data["chroma_version_record"] = self.chroma_version_record
        return data


@dataclass(frozen=True)
class UpResult:
    """`up` of an AWS env: the apply (None: no changes), the plans, and the checks after it.

    smoke None: --skip-checks, and then token, manifest and chroma_version_record are not in the JSON
    (the checks never ran); with the checks they are, null when there was nothing to wait for or record.
    """

    env: str
    region: str
    endpoint: str | None
    applied: ApplyResult | None
    plan: PlanSummary
    second_plan: dict[str, Any] | None  # check_converged's result; None without an apply or after a destroy plan
    secrets: dict[str, Any] | None  # settle_pending_secrets' result
    stable: dict[str, Any] | None = None  # wait_stable's last observation
    smoke: SmokeReport | None = None
    token: dict[str, Any] | None = None  # wait_for_stack_token's result (None: the stack has no token)
    manifest: dict[str, Any] | None = None  # the recorded manifest entry (None: not recorded, a warning said why)
    chroma_version_record: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "env": self.env,
            "region": self.region,
            "endpoint": self.endpoint,
            "applied": None if self.applied is None else self.applied.to_dict(),
            "plan": self.plan.to_dict(),
            "second_plan": self.second_plan,
            "secrets": self.secrets,
            "stable": self.stable,
            "smoke": None if self.smoke is None else self.smoke.to_dict(),
        }
        if self.smoke is not None:  # the checks ran
            data["token"] = self.token
            data["manifest"] = self.manifest
            data["chroma_version_record"] = self.chroma_version_record
        return data


def up(
    env: EnvConfig,
    region: str | None,
    output: Output,
    *,
    auto_approve: bool = False,
    skip_checks: bool = False,
    wait_timeout: float = DEFAULT_WAIT_S,
    confirm_env: str | None = None,
    profile: str | None = None,
    factory: Any = None,
    diff: bool = False,
    sandbox: bool = False,
    secret_action: str | None = None,
) -> UpResult | LocalUpResult:
    """init, plan, summary, confirm, apply, wait until stable, smoke (local env: start Chroma here, smoke).

    secret_action: None, "force-delete" or "restore": what to do with a secret scheduled
    for deletion whose name the plan creates (see settle_pending_secrets).
    """
    if not env.is_aws:
        V.local_preflight(env)  # a chromadb older than the one that opened the data dir is refused before it starts
        server = local_up(env, output)
        checked = None if skip_checks else _smoke(env.name, None, profile, output, root=env.root)
        return LocalUpResult(
            started=server["started"], already_running=server["already_running"], pid=server["pid"],
            endpoint=server["endpoint"], data_dir=server["data_dir"], log=server["log"], smoke=checked,
            chroma_version_record=None if checked is None else V.record_local(env)["highest"],
        )
    the_region = env.region_or_primary(region)
    guard_placeholders(env, "up", sandbox=sandbox)
    runner = Runner(env, the_region, output, profile=profile)
    result = plan(env, the_region, output, runner=runner, sandbox=sandbox)
    secrets_done = None
    if result.changes:
        result, secrets_done = settle_pending_secrets(env, the_region, output, result, runner=runner, action=secret_action,
                                                      factory=factory, profile=profile, sandbox=sandbox)
    if diff and result.changes and not output.json:
        output.err.out(plan_diff(runner, result.path), highlight=False)
    if not output.json:
        result.summary.render(output.err, f"plan {env.name}/{the_region}")
    applied = second = None
    if result.changes:
        applied = apply_saved(
            env, the_region, output, plan_path=result.path, auto_approve=auto_approve,
            confirm_env=confirm_env, summary=result.summary, runner=runner, sandbox=sandbox,
        )
        if not applied.destroy:
            second = check_converged(env, the_region, output, runner=runner)
            require_converged(env, the_region, second)
            output.info(f"{env.name}/{the_region}: a second plan right after the apply is empty (the stack converged).")
    else:
        planfile.discard(result.path)
        output.info(f"{env.name}/{the_region}: no changes to apply.")
    outputs = stack_outputs.read_outputs(env, the_region, output=output, profile=profile)  # the one `terraform output` of this run
    endpoint = outputs.get("endpoint_url")
    if skip_checks:
        output.info("Skipping the stability wait and the smoke check (--skip-checks).")
        return UpResult(env.name, the_region, endpoint, applied, result.summary, second, secrets_done)
    if factory is None:
        factory = ClientFactory(profile=profile)
    output.info(f"Waiting (up to {wait_timeout:.0f} s) for the service of {env.name}/{the_region} to be stable and healthy...")
    stable = wait_stable(env, the_region, outputs, factory, wait_timeout, output)
    # issue 12.2: the first rotation is asynchronous; the smoke check needs its token
    token = wait_for_stack_token(outputs, the_region, factory, wait_timeout, output.info, output=output)
    alb = outputs.get("alb_dns_name")
    target = stack_target(env.name, the_region, profile, alb, outputs=outputs, output=output, root=env.root, env=env)  # one token read too
    checked = _smoke(env.name, the_region, profile, output, alb_dns_name=alb, target=target)
    entry = _record_manifest(env, the_region, profile, factory, output, alb_dns_name=alb, target=target)
    return UpResult(
        env.name, the_region, endpoint, applied, result.summary, second, secrets_done,
        stable=stable, smoke=checked, token=token, manifest=entry,
        chroma_version_record=record_after_check(env, the_region, factory, output),
    )


def _record_manifest(env: EnvConfig, region: str, profile: str | None, factory: Any, output: Output, *,
                     alb_dns_name: str | None = None, target: Target | None = None) -> dict[str, Any] | None:
    """After a passing smoke check, record collections and counts for the failover's data gate.

    Best effort: the stack is up and checked either way; a failure is a warning
    naming the command that records it by hand.
    """
    try:
        target = target or stack_target(env.name, region, profile, alb_dns_name, output=output, root=env.root, env=env)
        entry = manifest.record_manifest(env, region, target, factory)
    except Exception as exc:  # noqa: BLE001 - a warning, never a failed `up`
        output.warn(
            f"could not record the data manifest ({type(exc).__name__}: {exc}); "
            f"run `chromactl manifest record --env {env.name}` before relying on the failover's data check."
        )
        return None
    output.info(f"Recorded the data manifest: {len(entry['collections'])} collection(s), {entry['total_records']} record(s).")
    return entry


def _smoke(env_name: str, region: str | None, profile: str | None, output: Output, *,
           alb_dns_name: str | None = None, target: Target | None = None, root: Path | None = None) -> SmokeReport:
    """The smoke check of the stack `up` applied (target: resolved already this run, else from the env in `root`)."""
    target = target or stack_target(env_name, region, profile, alb_dns_name, output=output, root=root)
    if target.server_name:
        output.info(f"Smoke check through this stack's ALB {target.url} as {target.server_name} "
                    f"(clients reach it once {target.server_name} points at {alb_dns_name}) ...")
    else:
        output.info(f"Smoke check against {target.url} ...")
    report = smoke.run_smoke(target)
    if not report.ok:
        bad = [s.name for s in report.steps if not s.ok]
        raise OperationFailed(
            f"The smoke check of {env_name} failed at: {', '.join(bad) or 'cleanup'}.",
            f"See `chromactl smoke --env {env_name} --json` for each step; the stack itself is applied.",
        )
    return report
