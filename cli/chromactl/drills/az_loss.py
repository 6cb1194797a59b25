"""az-loss: take the running task's AZ away from the service and measure recovery.

The service's awsvpc subnets are narrowed to those outside the running task's AZ
and a new deployment is forced, which is what losing that AZ looks like to ECS:
the task must come back in another AZ, on the same Multi-AZ EFS. The clock runs
from UpdateService until a task is RUNNING outside the lost AZ, the service is
stable (one PRIMARY deployment, COMPLETED, running == desired) and its IP is
healthy in the target group. Then smoke.

The original subnets are put back in a `finally`, whatever happened. Changing
the network configuration starts a deployment in ECS, so the restore replaces
the task once more (a second short outage with desired_count = 1); the drill
waits (bounded) for the service to settle again and reports it.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from chromactl.aws.wait import observe, stable_reason
from chromactl.drills import ecs as E
from chromactl.drills.common import (
    Cleanup,
    DrillResult,
    WaitTimedOut,
    aws_call,
    poll_until,
    record_failure,
    rto_target,
)
from chromactl.drills.context import DrillContext
from chromactl.drills.kill_task import baseline, record_recovery_then_smoke, recovered
from chromactl.errors import OperationFailed


def _manual(cluster: str, service: str, conf: dict[str, Any]) -> str:
    subnets = ",".join(conf["subnets"])
    sgs = ",".join(conf.get("securityGroups") or [])
    ip = conf.get("assignPublicIp", "DISABLED")
    return (f"aws ecs update-service --cluster {cluster} --service {service} --network-configuration "
            f"'awsvpcConfiguration={{subnets=[{subnets}],securityGroups=[{sgs}],assignPublicIp={ip}}}'")


def run(ctx: DrillContext) -> DrillResult:
    result = DrillResult("az-loss", ctx.env.name, ctx.region)
    result.target_s, result.target_source = rto_target(ctx.env, ctx.target_override_s)
    cleanup = Cleanup()
    out = ctx.output
    try:
        cluster, service, tg = ctx.cluster_service_tg()
        ecs, elbv2, ec2 = ctx.client("ecs"), ctx.client("elbv2"), ctx.client("ec2")
        started = time.monotonic()
        svc = E.describe_service(ecs, cluster, service)
        original = E.awsvpc(svc)
        subnet_az = E.subnet_azs(ec2, original["subnets"])
        victim, _ = baseline(ctx, ecs, elbv2, cluster, service, tg, subnet_az)
        lost_az = victim.az or subnet_az.get(victim.subnet or "")
        if not lost_az:
            raise OperationFailed(f"Cannot tell which AZ the task {victim.arn} runs in.", "Check the task's ENI attachment in the ECS console.")
        remaining = [s for s in original["subnets"] if subnet_az.get(s) != lost_az]
        if not remaining:
            raise OperationFailed(f"Every subnet of {service} is in {lost_az}: losing it leaves nowhere to run.",
                                  "Give the service private subnets in at least two AZs (the vpc module's azs).")
        result.details.update(lost_az=lost_az, original_subnets=original["subnets"], remaining_subnets=remaining,
                              stopped_task=victim.to_dict())
        result.step("baseline", time.monotonic() - started, lost_az=lost_az)

        def current_subnets() -> list[str]:
            return list(E.awsvpc(E.describe_service(ecs, cluster, service))["subnets"])

        def restore() -> str:
            if sorted(current_subnets()) == sorted(original["subnets"]):
                return "subnets were never changed"
            aws_call("restoring the service's subnets", ecs.update_service, cluster=cluster, service=service,
                     networkConfiguration={"awsvpcConfiguration": copy.deepcopy(original)}, forceNewDeployment=True)
            return f"subnets restored ({len(original['subnets'])} subnets, {len(set(subnet_az.values()))} AZs)"

        cleanup.add("service subnets", restore, verify=lambda: sorted(current_subnets()) == sorted(original["subnets"]),
                    manual=_manual(cluster, service, original))
        reduced = {**copy.deepcopy(original), "subnets": remaining}
        out.info(f"Removing {lost_az} from {service}: subnets {', '.join(remaining)}; forcing a new deployment ...")
        t0 = ctx.clock.monotonic()
        aws_call("narrowing the service's subnets", ecs.update_service, cluster=cluster, service=service,
                 networkConfiguration={"awsvpcConfiguration": reduced}, forceNewDeployment=True)
        result.step("remove AZ", ctx.clock.monotonic() - t0)
        marks: dict[str, float] = {}

        def check() -> tuple[bool, dict[str, Any]]:
            ok, obs = recovered(ctx, ecs, elbv2, cluster, service, tg, victim, marks, t0, avoid_az=lost_az, subnet_az=subnet_az)
            stable, why = stable_reason(observe(ecs, elbv2, cluster, service, tg))
            if stable:
                marks.setdefault("service_stable_s", ctx.clock.monotonic() - t0)
            obs["why"] = f"{obs['why']}; service: {why}"
            return ok and stable, obs

        obs, _ = poll_until(check, timeout_s=ctx.timeout_s, poll_s=ctx.poll_s, what=f"{service} to recover outside {lost_az}",
                            clock=ctx.clock, output=ctx.output, on_change=lambda o: out.info(f"  [{ctx.clock.monotonic() - t0:6.1f}s] {o['why']}"))
        record_recovery_then_smoke(ctx, result, obs, marks, t0, out, f"Recovered outside {lost_az}")
        result.ok = True
    except BaseException as exc:
        record_failure(result, exc)
        if not isinstance(exc, Exception):
            raise
    finally:
        result.cleanup = cleanup.run(out)
        if result.cleanup and any(c["name"] == "service subnets" and c["ok"] and "restored" in str(c.get("detail")) for c in result.cleanup):
            _settle(ctx, result)
    return result


def _settle(ctx: DrillContext, result: DrillResult) -> None:
    """After the restore's deployment: wait (bounded) until the service is stable again; report, never raise."""
    try:
        cluster, service, tg = ctx.cluster_service_tg()
        ecs, elbv2 = ctx.client("ecs"), ctx.client("elbv2")

        def check() -> tuple[bool, dict[str, Any]]:
            ok, why = stable_reason(observe(ecs, elbv2, cluster, service, tg))
            return ok, {"why": why}

        _, secs = poll_until(check, timeout_s=ctx.timeout_s, poll_s=ctx.poll_s, what=f"{service} to settle after the restore", clock=ctx.clock, output=ctx.output)
        result.details["settled_after_restore_s"] = round(secs, 1)
        result.checks["stable_after_restore"] = True
    except WaitTimedOut as exc:
        result.checks["stable_after_restore"] = False
        result.details["settle_error"] = exc.message
        ctx.output.warn(f"the subnets are restored but {exc.message}")
    except Exception as exc:  # noqa: BLE001 - reported, the drill result carries it
        result.checks["stable_after_restore"] = False
        result.details["settle_error"] = getattr(exc, "message", None) or str(exc)
