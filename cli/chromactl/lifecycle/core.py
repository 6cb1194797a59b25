"""plan / apply / up / destroy for one (env, region), callable without the CLI.

- plan: init when needed, `terraform plan -json -detailed-exitcode -out=FILE`,
  summary from the event stream, sidecar next to the plan.
- apply: a saved plan only (never plans again silently); the guard decides
  whether it may go ahead; the plan is single-use and removed afterwards.
- up: plan, summary, guard, apply, wait until the service is stable, smoke.
- destroy: `plan -destroy` to a file, guard (protected envs type the name),
  apply that plan.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed, UsageError
from chromactl.lifecycle import planfile
from chromactl.lifecycle.guard import check_apply
from chromactl.lifecycle.runner import Runner
from chromactl.lifecycle.summary import PlanSummary, from_events, from_plan_json
from chromactl.output import Output

DEFAULT_WAIT_S = 900.0


@dataclass
class PlanResult:
    env: str
    region: str
    path: Path
    changes: bool
    summary: PlanSummary
    destroy: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "plan_file": str(self.path),
            "changes": self.changes,
            "destroy": self.destroy,
            "summary": self.summary.to_dict(),
        }


def _var_args(extra_vars: dict[str, str] | None) -> list[str]:
    args: list[str] = []
    for key, value in (extra_vars or {}).items():
        if not key.replace("_", "").isalnum():
            raise UsageError(f"{key!r} is not a Terraform variable name.", "Variable names are letters, digits and underscores.")
        args.append(f"-var={key}={value}")
    return args


_VAR_DECL = re.compile(r'^\s*variable\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def declared_variables(env: EnvConfig) -> set[str]:
    """Variables the env root declares (a cheap scan of its *.tf files)."""
    names: set[str] = set()
    for path in env.dir.glob("*.tf"):
        try:
            names.update(_VAR_DECL.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return names


def region_vars(env: EnvConfig, region: str) -> dict[str, str]:
    """`region` and `failover_region` for the root, when it declares them.

    failover_region: the env's first failover region other than `region`; when
    `region` is itself a failover target, the primary (DR copies point back).
    """
    declared = declared_variables(env)
    out: dict[str, str] = {}
    if "region" in declared:
        out["region"] = region
    if "failover_region" in declared:
        others = [r for r in env.failover_regions if r != region]
        fallback = env.primary_region if env.primary_region != region else None
        target = others[0] if others else fallback
        if target:
            out["failover_region"] = target
    return out


def _progress(output: Output, verbose_only: bool) -> Callable[[dict[str, Any]], None]:
    shown = ("apply_complete", "apply_errored", "apply_start")

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("type")
        message = str(event.get("@message", ""))
        if kind == "diagnostic":
            diag = event.get("diagnostic") or {}
            if diag.get("severity") == "warning":
                output.debug(f"terraform warning: {diag.get('summary')}")
            return
        if output.verbose and kind != "version":
            output.debug(message)
        elif not verbose_only and kind in shown:
            output.info(f"  {message}")

    return on_event


def ensure_build_artifacts(env: EnvConfig, output: Output) -> None:
    """Build what the env root reads from build/ (the rotation Lambda's zip) before a plan.

    The build is reproducible (same sources, same bytes), so rebuilding every
    time costs milliseconds and never shows as a change; it means `up` works
    on a fresh clone without a separate build step.
    """
    root = env.dir.parent.parent
    src = root / "functions" / "token_rotation"
    if not (src / "handler.py").is_file():
        return  # a checkout without the function: doctor reports a missing zip
    from chromactl.rotation.package import build_zip

    dest = root / "build" / "token-rotation.zip"
    build_zip(dest, src)
    output.debug(f"built {dest}")


def plan(
    env: EnvConfig,
    region: str,
    output: Output,
    *,
    out: Path | None = None,
    destroy: bool = False,
    extra_vars: dict[str, str] | None = None,
    profile: str | None = None,
    reinit: bool = False,
    runner: Runner | None = None,
) -> PlanResult:
    """Plan (env, region) to a saved file with its sidecar; returns the summary."""
    runner = runner or Runner(env, region, output, profile=profile)
    ensure_build_artifacts(env, output)
    runner.ensure_init(force=reinit)
    path = (out or planfile.default_plan_path(env, region, destroy=destroy)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    planfile.discard(path)  # an older plan for the same target is replaced, never half-reused
    all_vars = {**region_vars(env, region), **(extra_vars or {})}
    args = ["plan", "-input=false", "-json", "-detailed-exitcode", f"-out={path}", *_var_args(all_vars)]
    if destroy:
        args.append("-destroy")
    try:
        with output.status(f"terraform plan for {env.name}/{region}"):
            result = runner.run(args, json_events=True, on_event=_progress(output, verbose_only=True), step="plan")
    except BaseException:
        planfile.discard(path)
        raise
    if result.rc not in (0, 2) or not path.is_file():
        planfile.discard(path)
        raise runner.failure("plan", result)
    summary = from_events(result.events)
    changes = result.rc == 2
    planfile.write_sidecar(
        path,
        env=env.name,
        region=region,
        state_key=runner.backend.state_key,
        backend=runner.backend.kind,
        terraform_version=runner.engine.version,
        destroy=destroy,
        changes=changes,
        summary=summary.to_dict(),
    )
    return PlanResult(env.name, region, path, changes, summary, destroy)


def show_plan(runner: Runner, path: Path) -> PlanSummary:
    """What a saved plan really does, from `terraform show -json`."""
    result = runner.run(["show", "-json", "-no-color", str(path)], step="show", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("show", result)
    try:
        return from_plan_json(json.loads(result.stdout))
    except json.JSONDecodeError:
        raise OperationFailed(f"terraform show did not print the plan {path} as JSON.", "Run `chromactl plan` again.") from None


def plan_diff(runner: Runner, path: Path) -> str:
    """Terraform's own attribute-level diff of a saved plan (`terraform show`), no colour."""
    result = runner.run(["show", "-no-color", str(path)], step="show", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("show", result)
    return result.stdout


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
) -> dict[str, Any]:
    """Apply a saved plan made by `plan` for this (env, region). Returns what was applied."""
    runner = runner or Runner(env, region, output, profile=profile)
    path = (plan_path or planfile.default_plan_path(env, region)).resolve()
    car = planfile.read_sidecar(path, env, region, runner.backend.state_key, runner.backend.kind)
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
    return {
        "env": env.name,
        "region": region,
        "destroy": car.destroy,
        "summary": summary.to_dict(),
        "seconds": round(time.monotonic() - started, 1),
    }


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
) -> dict[str, Any]:
    """init, plan to a file, guard, apply the saved plan; returns the stack's outputs."""
    from chromactl.lifecycle.outputs import read_outputs

    runner = Runner(env, region, output, profile=profile)
    result = plan(env, region, output, extra_vars=extra_vars, runner=runner)
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
        )
    else:
        planfile.discard(result.path)
        output.info(f"{env.name}/{region}: no changes.")
    return read_outputs(env, region, output=output, profile=profile)


def destroy(
    env: EnvConfig,
    region: str,
    output: Output,
    *,
    auto_approve: bool = False,
    confirm_env: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Plan a destroy, guard it (protected envs: the typed name), apply it."""
    runner = Runner(env, region, output, profile=profile)
    result = plan(env, region, output, destroy=True, runner=runner)
    if not result.summary.has_resource_changes and not result.changes:
        planfile.discard(result.path)
        return {"env": env.name, "region": region, "destroyed": 0, "note": "nothing to destroy"}
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
    except UsageError:
        planfile.discard(result.path)  # never leave a ready-to-run destroy plan behind
        raise
    applied["destroyed"] = result.summary.total("delete")
    return applied


# -- waiting for the service ------------------------------------------------------------------

_CLUSTER_KEYS = ("ecs_cluster_name", "cluster_name", "ecs_cluster_arn", "cluster_arn")
_SERVICE_KEYS = ("ecs_service_name", "service_name", "ecs_service_arn", "service_arn")
_TG_KEYS = ("target_group_arn", "alb_target_group_arn", "tg_arn")


def pick(outputs: dict[str, Any], keys: tuple[str, ...], what: str, env: EnvConfig, region: str) -> str:
    for key in keys:
        value = outputs.get(key)
        if value:
            return str(value)
    raise ConfigError(
        f"The outputs of {env.name}/{region} have no {what} ({' or '.join(keys[:2])}).",
        f"Is the stack applied? Check `chromactl output --env {env.name} --region {region}`.",
    )


def wait_stable(
    env: EnvConfig,
    region: str,
    outputs: dict[str, Any],
    factory: Any,
    timeout_s: float,
    output: Output,
    *,
    poll_s: float = 5.0,
) -> dict[str, Any]:
    """Wait (bounded) until the ECS service is stable and every target healthy.

    Stable = running == desired (>= 1), exactly one deployment, PRIMARY with
    rolloutState COMPLETED; and the target group has at least `desired`
    targets, all healthy. A FAILED rollout (circuit breaker) stops the wait at
    once. Own polling, because moto's `services_stable` waiter never settles.
    """
    from chromactl.aws.wait import observe, stable_reason

    cluster = pick(outputs, _CLUSTER_KEYS, "ECS cluster", env, region)
    service = pick(outputs, _SERVICE_KEYS, "ECS service", env, region)
    tg = pick(outputs, _TG_KEYS, "target group", env, region)
    ecs = factory.client("ecs", region)
    elbv2 = factory.client("elbv2", region)
    started = time.monotonic()
    deadline = started + timeout_s
    last: dict[str, Any] = {}
    last_line = ""
    polls = 0
    while True:
        polls += 1
        last = observe(ecs, elbv2, cluster, service, tg)
        ok, why = stable_reason(last)
        line = (
            f"service {last['running']}/{last['desired']} running, {last['pending']} pending, "
            f"{len(last['deployments'])} deployment(s); targets {last['healthy']}/{len(last['targets'])} healthy"
        )
        if line != last_line:
            output.info(f"  [{time.monotonic() - started:5.0f}s] {line}")
            last_line = line
        if ok:
            last.update(stable=True, seconds=round(time.monotonic() - started, 1), polls=polls)
            return last
        if last.get("rollout_failed"):
            raise OperationFailed(
                f"The ECS deployment of {env.name}/{region} failed: {why}.",
                "The circuit breaker rolled it back; see `chromactl status` and the service's events and logs.",
            )
        if time.monotonic() + poll_s > deadline:
            raise OperationFailed(
                f"The service of {env.name}/{region} was not stable after {timeout_s:.0f} s: {why}.",
                f"Check `chromactl status --env {env.name} --region {region}`; raise --wait-timeout if tasks start slowly.",
            )
        time.sleep(poll_s)



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
) -> dict[str, Any]:
    """init, plan, summary, confirm, apply, wait until stable, smoke (local env: start Chroma here, smoke)."""
    if not env.is_aws:
        from chromactl.local.server import local_up

        local = dict(local_up(env, output))
        local["smoke"] = None if skip_checks else _smoke(env.name, None, profile, output)
        return local
    from chromactl.lifecycle.outputs import read_outputs

    the_region = env.region_or_primary(region)
    runner = Runner(env, the_region, output, profile=profile)
    result = plan(env, the_region, output, runner=runner)
    if diff and result.changes and not output.json:
        output.err.out(plan_diff(runner, result.path), highlight=False)
    if not output.json:
        result.summary.render(output.err, f"plan {env.name}/{the_region}")
    applied = None
    if result.changes:
        applied = apply_saved(
            env, the_region, output, plan_path=result.path, auto_approve=auto_approve,
            confirm_env=confirm_env, summary=result.summary, runner=runner,
        )
    else:
        planfile.discard(result.path)
        output.info(f"{env.name}/{the_region}: no changes to apply.")
    outputs = read_outputs(env, the_region, output=output, profile=profile)
    data: dict[str, Any] = {
        "env": env.name,
        "region": the_region,
        "endpoint": outputs.get("endpoint_url"),
        "applied": applied,
        "plan": result.summary.to_dict(),
        "stable": None,
        "smoke": None,
    }
    if skip_checks:
        output.info("Skipping the stability wait and the smoke check (--skip-checks).")
        return data
    if factory is None:
        from chromactl.aws.session import ClientFactory

        factory = ClientFactory(profile=profile)
    output.info(f"Waiting (up to {wait_timeout:.0f} s) for the service of {env.name}/{the_region} to be stable and healthy...")
    data["stable"] = wait_stable(env, the_region, outputs, factory, wait_timeout, output)
    # issue 12.2: the first rotation is asynchronous; the smoke check needs its token
    from chromactl.rotation.wait import wait_for_stack_token

    data["token"] = wait_for_stack_token(outputs, the_region, factory, wait_timeout, output.info)
    alb = outputs.get("alb_dns_name")
    data["smoke"] = _smoke(env.name, the_region, profile, output, alb_dns_name=alb)
    data["manifest"] = _record_manifest(env, the_region, profile, factory, output, alb_dns_name=alb)
    return data


def _stack_target(env_name: str, region: str | None, profile: str | None, alb_dns_name: str | None) -> Any:
    """The env's check target, dialled at this stack's ALB.

    `up` checks the stack it just applied. The endpoint's name (domain_name) may not point at
    this ALB yet (first apply without a Route 53 zone; DNS is the operator's step), so the checks
    dial the ALB's own DNS name and present the endpoint's name in TLS (verified) and as Host.
    """
    import dataclasses

    from chromactl.checks.target import resolve_target

    target = resolve_target(env_name, None, None, region, profile)
    host = urllib.parse.urlsplit(target.url).hostname
    alb = (alb_dns_name or "").rstrip(".")
    if alb and host and host != alb:
        target = dataclasses.replace(target, url=f"https://{alb}", server_name=host if target.verify_tls else None)
    return target


def _record_manifest(env: EnvConfig, region: str, profile: str | None, factory: Any, output: Output, *,
                     alb_dns_name: str | None = None) -> dict[str, Any] | None:
    """After a passing smoke check, record collections and counts for the failover's data gate.

    Best effort: the stack is up and checked either way; a failure is a warning
    naming the command that records it by hand.
    """
    from chromactl.failover.manifest import record_manifest

    try:
        target = _stack_target(env.name, region, profile, alb_dns_name)
        entry = record_manifest(env, region, target, factory)
    except Exception as exc:  # noqa: BLE001 - a warning, never a failed `up`
        output.warn(
            f"could not record the data manifest ({type(exc).__name__}: {exc}); "
            f"run `chromactl manifest record --env {env.name}` before relying on the failover's data check."
        )
        return None
    output.info(f"Recorded the data manifest: {len(entry['collections'])} collection(s), {entry['total_records']} record(s).")
    return entry


def _smoke(env_name: str, region: str | None, profile: str | None, output: Output, *,
           alb_dns_name: str | None = None) -> dict[str, Any]:
    from chromactl.checks.smoke import run_smoke

    target = _stack_target(env_name, region, profile, alb_dns_name)
    if target.server_name:
        output.info(f"Smoke check through this stack's ALB {target.url} as {target.server_name} "
                    f"(clients reach it once {target.server_name} points at {alb_dns_name}) ...")
    else:
        output.info(f"Smoke check against {target.url} ...")
    report = run_smoke(target)
    data = report.to_dict()
    if not report.ok:
        bad = [s.name for s in report.steps if not s.ok]
        raise OperationFailed(
            f"The smoke check of {env_name} failed at: {', '.join(bad) or 'cleanup'}.",
            f"See `chromactl smoke --env {env_name} --json` for each step; the stack itself is applied.",
        )
    return data
