"""ECS and ELBv2 lookups the drills share: the service's running tasks (with subnet,
AZ and IP), its network configuration, and the target group's health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromactl.drills.common import aws_call
from chromactl.errors import OperationFailed


@dataclass(frozen=True)
class TaskInfo:
    arn: str
    last_status: str
    desired_status: str
    subnet: str | None
    ip: str | None
    az: str | None
    group: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "last_status": self.last_status, "subnet": self.subnet, "ip": self.ip, "az": self.az}


def _detail(task: dict[str, Any], name: str) -> str | None:
    for att in task.get("attachments") or []:
        if att.get("type") != "ElasticNetworkInterface":
            continue
        for d in att.get("details") or []:
            if d.get("name") == name:
                return str(d.get("value"))
    return None


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    resp = aws_call(f"describing ECS service {service}", ecs.describe_services, cluster=cluster, services=[service])
    services = resp.get("services") or []
    if not services or services[0].get("status") not in (None, "ACTIVE"):
        raise OperationFailed(f"ECS service {service} was not found (or is not active) in cluster {cluster}.",
                              "Is the stack applied in this region? See `chromactl status`.")
    return dict(services[0])


def service_tasks(ecs: Any, cluster: str, service: str, subnet_az: dict[str, str] | None = None) -> list[TaskInfo]:
    """The service's tasks whose desired status is RUNNING (any last status), newest ECS view."""
    arns: list[str] = []
    token = None
    for _ in range(10):  # bounded paging; a single-writer service has one task
        kwargs: dict[str, Any] = {"cluster": cluster, "serviceName": service, "desiredStatus": "RUNNING"}
        if token:
            kwargs["nextToken"] = token
        page = aws_call(f"listing the tasks of {service}", ecs.list_tasks, **kwargs)
        arns.extend(page.get("taskArns") or [])
        token = page.get("nextToken")
        if not token:
            break
    return describe_tasks(ecs, cluster, arns, service, subnet_az)


def describe_tasks(ecs: Any, cluster: str, arns: list[str], service: str | None = None,
                   subnet_az: dict[str, str] | None = None) -> list[TaskInfo]:
    out: list[TaskInfo] = []
    for lo in range(0, len(arns), 100):
        resp = aws_call("describing tasks", ecs.describe_tasks, cluster=cluster, tasks=arns[lo:lo + 100])
        for t in resp.get("tasks") or []:
            group = t.get("group")
            if service and group and group.startswith("service:") and group != f"service:{service}":
                continue  # another service's task in the same cluster
            subnet = _detail(t, "subnetId")
            az = t.get("availabilityZone") or (subnet_az or {}).get(subnet or "")
            out.append(TaskInfo(arn=t["taskArn"], last_status=str(t.get("lastStatus")), desired_status=str(t.get("desiredStatus")),
                                subnet=subnet, ip=_detail(t, "privateIPv4Address"), az=az, group=group))
    return out


def task_status(ecs: Any, cluster: str, arn: str) -> str | None:
    resp = aws_call("describing a task", ecs.describe_tasks, cluster=cluster, tasks=[arn])
    tasks = resp.get("tasks") or []
    return str(tasks[0].get("lastStatus")) if tasks else None


def subnet_azs(ec2: Any, subnets: list[str]) -> dict[str, str]:
    if not subnets:
        return {}
    resp = aws_call("describing the service's subnets", ec2.describe_subnets, SubnetIds=list(subnets))
    return {s["SubnetId"]: s["AvailabilityZone"] for s in resp.get("Subnets") or []}


def target_health(elbv2: Any, tg_arn: str) -> list[dict[str, Any]]:
    resp = aws_call("reading target health", elbv2.describe_target_health, TargetGroupArn=tg_arn)
    return [
        {"id": d.get("Target", {}).get("Id"), "port": d.get("Target", {}).get("Port"), "state": d.get("TargetHealth", {}).get("State")}
        for d in resp.get("TargetHealthDescriptions") or []
    ]


def awsvpc(service: dict[str, Any]) -> dict[str, Any]:
    conf = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    if not conf.get("subnets"):
        raise OperationFailed(f"ECS service {service.get('serviceName')} has no awsvpc subnets.",
                              "The drills expect the stack's Fargate service (awsvpc network mode).")
    return {k: v for k, v in conf.items() if k in ("subnets", "securityGroups", "assignPublicIp")}
