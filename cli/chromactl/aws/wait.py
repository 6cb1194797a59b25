"""One look at an ECS service and its target group, and whether it is stable."""

from __future__ import annotations

from typing import Any

from chromactl.aws.session import describe_aws_error
from chromactl.errors import OperationFailed


def observe(ecs: Any, elbv2: Any, cluster: str, service: str, target_group_arn: str) -> dict[str, Any]:
    """Service counts, deployments and target health (one describe call each)."""
    try:
        resp = ecs.describe_services(cluster=cluster, services=[service])
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        raise OperationFailed(f"Cannot describe ECS service {service} in cluster {cluster}: {describe_aws_error(exc)}.", "Check credentials and region (`chromactl doctor`).") from None
    services = resp.get("services") or []
    if not services:
        reason = (resp.get("failures") or [{}])[0].get("reason", "MISSING")
        raise OperationFailed(f"ECS service {service} was not found in cluster {cluster} ({reason}).", "Is the stack applied in this region? See `chromactl output`.")
    svc = services[0]
    deployments = [
        {
            "id": d.get("id"),
            "status": d.get("status"),
            "rollout_state": d.get("rolloutState"),
            "rollout_reason": d.get("rolloutStateReason"),
            "running": d.get("runningCount", 0),
            "desired": d.get("desiredCount", 0),
            "pending": d.get("pendingCount", 0),
            "failed_tasks": d.get("failedTasks", 0),
            "task_definition": d.get("taskDefinition"),
        }
        for d in svc.get("deployments") or []
    ]
    try:
        th = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        raise OperationFailed(f"Cannot read the health of target group {target_group_arn}: {describe_aws_error(exc)}.", "Check credentials and region (`chromactl doctor`).") from None
    targets = [
        {
            "id": t.get("Target", {}).get("Id"),
            "port": t.get("Target", {}).get("Port"),
            "state": t.get("TargetHealth", {}).get("State"),
            "reason": t.get("TargetHealth", {}).get("Reason"),
        }
        for t in th.get("TargetHealthDescriptions") or []
    ]
    return {
        "cluster": cluster,
        "service": service,
        "status": svc.get("status"),
        "running": svc.get("runningCount", 0),
        "desired": svc.get("desiredCount", 0),
        "pending": svc.get("pendingCount", 0),
        "deployments": deployments,
        "targets": targets,
        "healthy": sum(1 for t in targets if t["state"] == "healthy"),
        "rollout_failed": any(d["rollout_state"] == "FAILED" for d in deployments if d["status"] == "PRIMARY"),
    }


def stable_reason(obs: dict[str, Any]) -> tuple[bool, str]:
    """(stable?, why not) for an observation from `observe`."""
    deps = obs["deployments"]
    primary = [d for d in deps if d["status"] == "PRIMARY"]
    if obs.get("rollout_failed"):
        reason = primary[0].get("rollout_reason") if primary else ""
        return False, f"rollout FAILED ({reason})" if reason else "rollout FAILED"
    if obs["desired"] < 1:
        return False, "desired count is 0 (the service is scaled down)"
    if obs["running"] != obs["desired"]:
        return False, f"{obs['running']} of {obs['desired']} task(s) running"
    if len(deps) != 1 or not primary:
        return False, f"{len(deps)} deployments in progress (waiting for one PRIMARY)"
    state = primary[0].get("rollout_state")
    if state not in (None, "COMPLETED"):
        return False, f"deployment {state}"
    if len(obs["targets"]) < obs["desired"]:
        return False, f"{len(obs['targets'])} target(s) registered, {obs['desired']} expected"
    if obs["healthy"] != len(obs["targets"]):
        bad = [f"{t['id']}={t['state']}" for t in obs["targets"] if t["state"] != "healthy"]
        return False, "targets not healthy: " + ", ".join(bad[:5])
    return True, "stable"
