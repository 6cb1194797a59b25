"""kill-task: stop the service's running task and measure how long until a new task is
RUNNING and the target group has it healthy again; then smoke.

With desired_count = 1 (one writer per data directory) this is the outage a task
crash causes: ECS notices the stopped task, starts a replacement (possibly in
another AZ), the ALB health check (`/api/v2/heartbeat`) marks it healthy. The
clock starts at StopTask and stops when both hold. Nothing else is changed, so
the only cleanup is making sure the service's desired count is what it was.
"""

from __future__ import annotations

import time
from typing import Any

from chromactl.drills import ecs as E
from chromactl.drills.common import (
    Cleanup,
    DrillResult,
    aws_call,
    poll_until,
    record_failure,
    rto_target,
)
from chromactl.drills.context import DrillContext
from chromactl.errors import OperationFailed

REASON = "chromactl drill kill-task"


def healthy_ids(health: list[dict[str, Any]]) -> set[str]:
    return {str(h["id"]) for h in health if h["state"] == "healthy"}


def baseline(ctx: DrillContext, ecs: Any, elbv2: Any, cluster: str, service: str, tg: str,
             subnet_az: dict[str, str] | None = None) -> tuple[E.TaskInfo, list[dict[str, Any]]]:
    """The task to disrupt, and proof the service is healthy before we start."""
    running = [t for t in E.service_tasks(ecs, cluster, service, subnet_az) if t.last_status == "RUNNING"]
    if not running:
        raise OperationFailed(f"Service {service} has no RUNNING task to disrupt.",
                              "Run the drill on a running stack (`chromactl status` shows it).")
    health = E.target_health(elbv2, tg)
    if not healthy_ids(health):
        raise OperationFailed(f"The target group of {service} has no healthy target before the drill; there is nothing to recover to.",
                              "Fix the service first (`chromactl status`), then drill.")
    return running[0], health


def recovered(ctx: DrillContext, ecs: Any, elbv2: Any, cluster: str, service: str, tg: str, old: E.TaskInfo,
              marks: dict[str, float], t0: float, *, avoid_az: str | None = None,
              subnet_az: dict[str, str] | None = None) -> tuple[bool, dict[str, Any]]:
    """One look: a new RUNNING task (outside avoid_az) and its IP healthy in the target group."""
    tasks = E.service_tasks(ecs, cluster, service, subnet_az)
    new = [t for t in tasks if t.arn != old.arn and t.last_status == "RUNNING"]
    if avoid_az:
        new = [t for t in new if t.az != avoid_az]
    ok_ids = healthy_ids(E.target_health(elbv2, tg))
    now = ctx.clock.monotonic() - t0
    if new:
        marks.setdefault("new_task_running_s", now)
    ips = {t.ip for t in new if t.ip}
    healthy = bool(ips & ok_ids) if ips else bool(ok_ids - {old.ip})
    if healthy:
        marks.setdefault("target_healthy_s", now)
    why = (f"{len(new)} new RUNNING task(s)" + (f" outside {avoid_az}" if avoid_az else "")
           + f"; healthy targets: {', '.join(sorted(ok_ids)) or 'none'}")
    return bool(new) and healthy, {"why": why, "new_tasks": [t.to_dict() for t in new], "healthy": sorted(ok_ids)}


def run(ctx: DrillContext) -> DrillResult:
    result = DrillResult("kill-task", ctx.env.name, ctx.region)
    result.target_s, result.target_source = rto_target(ctx.env, ctx.target_override_s)
    cleanup = Cleanup()
    out = ctx.output
    try:
        cluster, service, tg = ctx.cluster_service_tg()
        ecs, elbv2 = ctx.client("ecs"), ctx.client("elbv2")
        svc = E.describe_service(ecs, cluster, service)
        desired = int(svc.get("desiredCount", 0))

        def restore_desired() -> str:
            now = int(E.describe_service(ecs, cluster, service).get("desiredCount", 0))
            if now == desired:
                return f"desired count unchanged ({desired})"
            aws_call("restoring the desired count", ecs.update_service, cluster=cluster, service=service, desiredCount=desired)
            return f"desired count set back from {now} to {desired}"

        cleanup.add("service desired count", restore_desired,
                    verify=lambda: int(E.describe_service(ecs, cluster, service).get("desiredCount", 0)) == desired,
                    manual=f"aws ecs update-service --cluster {cluster} --service {service} --desired-count {desired}")
        started = time.monotonic()
        victim, health = baseline(ctx, ecs, elbv2, cluster, service, tg)
        result.details["stopped_task"] = victim.to_dict()
        result.details["healthy_before"] = sorted(healthy_ids(health))
        result.step("baseline", time.monotonic() - started, task=victim.arn)
        out.info(f"Stopping task {victim.arn.rsplit('/', 1)[-1]} of {service} ({victim.az or 'AZ unknown'}) ...")
        t0 = ctx.clock.monotonic()
        aws_call("stopping the task", ecs.stop_task, cluster=cluster, task=victim.arn, reason=REASON)
        result.step("stop task", ctx.clock.monotonic() - t0)
        marks: dict[str, float] = {}
        obs, _ = poll_until(
            lambda: recovered(ctx, ecs, elbv2, cluster, service, tg, victim, marks, t0),
            timeout_s=ctx.timeout_s, poll_s=ctx.poll_s, what=f"a new healthy task of {service}", clock=ctx.clock, output=ctx.output,
            on_change=lambda o: out.info(f"  [{ctx.clock.monotonic() - t0:6.1f}s] {o['why']}"),
        )
        record_recovery_then_smoke(ctx, result, obs, marks, t0, out, "Recovered")
        result.ok = True
    except BaseException as exc:
        record_failure(result, exc)
        if not isinstance(exc, Exception):
            raise  # Ctrl-C: the finally below still undoes what was changed
    finally:
        result.cleanup = cleanup.run(out)
    return result


def record_recovery_then_smoke(
    ctx: DrillContext, result: Any, obs: dict[str, Any], marks: dict[str, float], t0: float, out: Any, label: str
) -> None:
    """Record the measured recovery (time since t0, the marks, the replacement tasks), then run
    the smoke check against the recovered service. kill-task and az-loss end the same way."""
    result.measured_s = ctx.clock.monotonic() - t0
    result.details.update(marks)
    result.details["replacement"] = obs["new_tasks"]
    result.step("recover", result.measured_s, **marks)
    out.info(f"{label} in {result.measured_s:.1f} s; smoke check ...")
    s0 = time.monotonic()
    ok, smoke = ctx.smoke(ctx.target())
    result.checks["smoke"] = ok
    result.details["smoke"] = smoke
    result.step("smoke", time.monotonic() - s0, ok=ok)
