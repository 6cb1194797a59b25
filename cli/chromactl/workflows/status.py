"""`chromactl status`: how an (env, region) is doing right now.

Sections, each read on its own so one failing API never hides the rest:
endpoint; ECS service (running/desired/pending, deployments); target
health; CloudWatch alarms in ALARM whose names start with the env's prefix;
EFS replication (state and lag from LastReplicatedTimestamp); the newest AWS
Backup recovery point; the running image, its Chroma version and the highest
version that has opened the data (chromactl.day2.status). `healthy` is False when the service is short of tasks,
a target is unhealthy, an alarm fires, or replication is in error; the CLI
then exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.aws.wait import observe, stable_reason
from chromactl.config import EnvConfig
from chromactl.day2.status import ChromaSection, chroma_section
from chromactl.day2.version import read_record
from chromactl.local.health import local_report
from chromactl.stack.outputs import StackOutputs

# botocore's paginators (paginators-1.json of cloudwatch: DescribeAlarms, NextToken / MaxRecords; of backup:
# ListRecoveryPointsByBackupVault, NextToken / MaxResults), pages of 100, at most MAX_PAGES of them
PAGE_SIZE = 100
MAX_PAGES = 20


@dataclass(frozen=True)
class StatusResult:
    """`chromactl status` of an AWS env. Each section is the dict its reader returns (an `error` key when
    that read failed); `healthy` is False when any problem was found (the CLI then exits 1)."""

    env: str
    region: str
    endpoint: str | None
    problems: tuple[str, ...]
    service: dict[str, Any]
    alarms: dict[str, Any]
    replication: dict[str, Any]
    recovery_point: dict[str, Any]
    chroma: ChromaSection
    checked_at: datetime

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "endpoint": self.endpoint,
            "healthy": self.healthy,
            "problems": list(self.problems),
            "service": self.service,
            "alarms": self.alarms,
            "replication": self.replication,
            "recovery_point": self.recovery_point,
            "chroma": self.chroma.to_dict(),
            "checked_at": self.checked_at,
        }


@dataclass(frozen=True)
class LocalStatusResult:
    """`chromactl status` of a local env: local/health.py's report of the server plus the highest Chroma
    version that has opened the data (day2/version.py's record)."""

    env: str
    running: bool  # the process lives (hung: it does not answer)
    pid: int | None
    endpoint: str
    version: str | None
    collections: int | None
    data_dir: str
    data_exists: bool
    log: str
    healthy: bool
    state: str  # running | hung | stale | stopped
    stale_pid: int | None
    problems: tuple[str, ...]
    highest_opened_data: str | None

    @classmethod
    def from_report(cls, report: dict[str, Any], highest_opened_data: str | None, *, problem: str | None = None) -> LocalStatusResult:
        problems = tuple(report["problems"]) + ((problem,) if problem else ())
        return cls(
            env=report["env"], running=report["running"], pid=report["pid"], endpoint=report["endpoint"],
            version=report["version"], collections=report["collections"], data_dir=report["data_dir"],
            data_exists=report["data_exists"], log=report["log"], healthy=report["healthy"], state=report["state"],
            stale_pid=report["stale_pid"], problems=problems, highest_opened_data=highest_opened_data,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "env": self.env,
            "running": self.running,
            "pid": self.pid,
            "endpoint": self.endpoint,
            "version": self.version,
            "collections": self.collections,
            "data_dir": self.data_dir,
            "data_exists": self.data_exists,
            "log": self.log,
        }
        # where the report had it: local_status sets `healthy` after `log` when it found the server's
        # state file (running is then True, hung included), local_report after `stale_pid` otherwise
        if self.running:
            data["healthy"] = self.healthy
        data.update(state=self.state, stale_pid=self.stale_pid, healthy=self.healthy, problems=list(self.problems),
                    highest_opened_data=self.highest_opened_data)
        return data


def _err(exc: Exception) -> dict[str, Any]:
    return {"error": getattr(exc, "message", None) or describe_aws_error(exc)}


def _age_s(ts: Any, now: datetime) -> float | None:
    if not isinstance(ts, datetime):
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    age: timedelta = now - ts
    return round(age.total_seconds(), 1)


def _stack(env: EnvConfig, region: str, outputs: Any) -> StackOutputs:
    return StackOutputs.from_values(outputs, where=f"{env.name}/{region}")


def service_section(env: EnvConfig, region: str, outputs: dict[str, Any], factory: Any) -> dict[str, Any]:
    stack = _stack(env, region, outputs)
    try:
        obs = observe(
            factory.client("ecs", region),
            factory.client("elbv2", region),
            stack.need("cluster_name"),
            stack.need("service_name"),
            stack.need("target_group_arn"),
        )
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        return _err(exc)
    ok, why = stable_reason(obs)
    obs["stable"] = ok
    obs["reason"] = why
    return obs


def alarms_section(env: EnvConfig, region: str, outputs: dict[str, Any], factory: Any) -> dict[str, Any]:
    # alarm_name_prefix: the stack's `<project>-<env>`; stacks applied before it was an output use the default project name
    prefix = _stack(env, region, outputs).alarm_name_prefix or f"chromactl-{env.name}"
    try:
        cw = factory.client("cloudwatch", region)
        firing: list[dict[str, Any]] = []
        pages = cw.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=prefix, StateValue="ALARM", PaginationConfig={"PageSize": PAGE_SIZE})
        for resp in islice(pages, MAX_PAGES):  # bounded pagination
            for alarm in resp.get("MetricAlarms", []) + resp.get("CompositeAlarms", []):
                if alarm.get("StateValue") != "ALARM" or not alarm.get("AlarmName", "").startswith(prefix):
                    continue  # filtered server-side too; kept strict for any API that ignores the filter
                firing.append({"name": alarm["AlarmName"], "reason": alarm.get("StateReason", ""), "since": alarm.get("StateUpdatedTimestamp")})
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        return {"prefix": prefix, **_err(exc)}
    return {"prefix": prefix, "in_alarm": firing}


def replication_section(region: str, outputs: Any, factory: Any, now: datetime) -> dict[str, Any]:
    fs_id = StackOutputs.from_values(outputs).file_system_id
    if not fs_id:
        return {"configured": False, "note": "no EFS file system id in the outputs"}
    try:
        efs = factory.client("efs", region)
        resp = efs.describe_replication_configurations(FileSystemId=fs_id)
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        if error_code(exc) == "ReplicationNotFound":
            return {"file_system_id": fs_id, "configured": False}
        return {"file_system_id": fs_id, **_err(exc)}
    dests = []
    for rep in resp.get("Replications", []):
        for d in rep.get("Destinations", []):
            last = d.get("LastReplicatedTimestamp")
            dests.append(
                {
                    "region": d.get("Region"),
                    "file_system_id": d.get("FileSystemId"),
                    "status": d.get("Status"),
                    "last_replicated": last,
                    "lag_s": _age_s(last, now),
                    "message": d.get("StatusMessage"),
                }
            )
    return {"file_system_id": fs_id, "configured": bool(dests), "destinations": dests}


def recovery_section(region: str, outputs: Any, factory: Any, now: datetime) -> dict[str, Any]:
    vault = StackOutputs.from_values(outputs).backup_vault_name
    if not vault:
        return {"note": "no backup vault in the outputs"}
    try:
        backup = factory.client("backup", region)
        newest = None
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=vault, PaginationConfig={"PageSize": PAGE_SIZE})
        for resp in islice(pages, MAX_PAGES):  # bounded pagination
            for rp in resp.get("RecoveryPoints", []):
                if rp.get("Status") not in (None, "COMPLETED"):
                    continue
                if newest is None or rp.get("CreationDate") > newest.get("CreationDate"):
                    newest = rp
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        return {"vault": vault, **_err(exc)}
    if newest is None:
        return {"vault": vault, "newest": None}
    return {
        "vault": vault,
        "newest": {
            "arn": newest.get("RecoveryPointArn"),
            "created": newest.get("CreationDate"),
            "age_s": _age_s(newest.get("CreationDate"), now),
            "resource": newest.get("ResourceArn"),
        },
    }


def collect_status(env: EnvConfig, region: str, outputs: dict[str, Any], factory: Any, *, now: datetime | None = None) -> StatusResult:
    now = now or datetime.now(UTC)
    service = service_section(env, region, outputs, factory)
    alarms = alarms_section(env, region, outputs, factory)
    replication = replication_section(region, outputs, factory, now)
    recovery = recovery_section(region, outputs, factory, now)
    chroma = chroma_section(env, region, service, factory)
    problems: list[str] = []
    if "error" in service:
        problems.append("service: " + service["error"])
    elif not service.get("stable"):
        problems.append("service: " + service.get("reason", "not stable"))
    if alarms.get("in_alarm"):
        problems.append("alarms: " + ", ".join(a["name"] for a in alarms["in_alarm"]))
    elif "error" in alarms:
        problems.append("alarms: " + alarms["error"])
    for d in replication.get("destinations", []):
        if d.get("status") == "ERROR":
            problems.append(f"replication to {d.get('region')}: ERROR {d.get('message') or ''}".strip())
        elif env.slo.rpo_minutes and d.get("lag_s") is not None and d["lag_s"] > env.slo.rpo_minutes * 60:
            problems.append(f"replication to {d.get('region')}: lag {d['lag_s']:.0f} s exceeds the RPO of {env.slo.rpo_minutes:.0f} min")
    return StatusResult(
        env=env.name,
        region=region,
        endpoint=_stack(env, region, outputs).endpoint_url,
        problems=tuple(problems),
        service=service,
        alarms=alarms,
        replication=replication,
        recovery_point=recovery,
        chroma=chroma,
        checked_at=now,
    )


def local_status(env: EnvConfig) -> LocalStatusResult:
    """`chromactl status` of a local env: the server's report (local/health.py) plus the highest
    Chroma version that has opened the data (day2/version.py's record)."""
    report = local_report(env)
    try:
        highest = read_record(env).get("highest")
    except Exception as exc:  # noqa: BLE001 - a broken record file is a line in the report, not a failed status
        return LocalStatusResult.from_report(report, None, problem=f"version record: {getattr(exc, 'message', exc)}")
    return LocalStatusResult.from_report(report, highest)
