"""The failover's steps, what each calls, and the RTO model (modelled time per step).

Every figure has a source: an AWS published figure, a bound we enforce by
construction (timeouts), or a time measured on this project's test machine.
docs/failover.md explains each one; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS: tuple[str, ...] = ("preflight", "fence", "promote", "apply", "wait", "gate", "dns")

SOURCES = ("replica", "backup")


@dataclass(frozen=True)
class StepModel:
    name: str
    title: str
    seconds: int
    source: str


# Replica path (pilot light: the EFS replica, KMS key and vault already exist in the target region).
_REPLICA_MODEL: dict[str, StepModel] = {
    "preflight": StepModel("preflight", "Preflight in the target region", 20,
                           "about 8 read calls, each well under 1 s; measured here against moto in under 1 s"),
    "fence": StepModel("fence", "Fence the old primary (best effort)", 10,
                       "bounded by construction: 3 s connect + 5 s read timeout, one attempt"),
    "promote": StepModel("promote", "Promote the EFS replica", 300,
                         "AWS EFS guide (Deleting replication configurations): 'can take several minutes'; 5 min budget"),
    "apply": StepModel("apply", "Terraform apply of the stack in the target region", 300,
                       "critical path VPC -> NAT gateway / ALB (each typically 2-3 min to become available) -> listener -> ECS service; "
                       "aws_ecs_service does not wait for steady state"),
    "wait": StepModel("wait", "Wait for the service to be stable and targets healthy", 150,
                      "Fargate task launch and image pull (~60 s) + Chroma start (measured here: heartbeat in 2.2 s) + ALB health checks "
                      "(stack: healthy_threshold 2 x interval 15 s = 30 s); bounded by the wait's timeout"),
    "gate": StepModel("gate", "Gate: smoke, latency, data check", 45,
                      "measured here against a real Chroma: manifest snapshot 0.3 s + smoke (500 vectors) 0.8 s + 200-query closed loop 0.8 s; 45 s budget for a cross-region client, TLS and a larger manifest"),
    "dns": StepModel("dns", "DNS cutover (Route 53) or print the endpoint", 60,
                     "Route 53: changes reach all authoritative name servers within 60 s (GetChange INSYNC); "
                     "clients follow after the record's TTL"),
}

_BACKUP_PROMOTE = StepModel(
    "promote", "Restore the newest recovery point into a new EFS", 7200,
    "AWS Backup restore time grows with data size; AWS's DR whitepaper puts backup-and-restore at hours; 2 h budget",
)

RTO_TARGET_REPLICA_S = 15 * 60


def step_model(source: str) -> list[StepModel]:
    models = dict(_REPLICA_MODEL)
    if source == "backup":
        models["promote"] = _BACKUP_PROMOTE
    return [models[name] for name in STEPS]


def modelled_rto_s(source: str) -> int:
    return sum(m.seconds for m in step_model(source))


def planned_calls(source: str, *, primary: str, target: str, state_region: str, dns_managed: bool) -> dict[str, list[str]]:
    """What each step calls (AWS API calls by region, Terraform runs), for --dry-run."""
    promote_replica = [
        f"efs:DescribeReplicationConfigurations (FileSystemId=<replica>) in {target}",
        f"efs:DeleteReplicationConfiguration (SourceFileSystemId=<source>, DeletionMode=LOCAL_CONFIGURATION_ONLY) in {target}",
        f"efs:DescribeFileSystems (FileSystemId=<replica>) in {target}, polled until writeable (bounded)",
        f"efs:DescribeReplicationConfigurations (FileSystemId=<replica>) in {target}, until ReplicationNotFound",
    ]
    promote_backup = [
        f"backup:StartRestoreJob (newFileSystem=true, Encrypted=true, KmsKeyId=<DR key>, PerformanceMode=generalPurpose) in {target}",
        f"backup:DescribeRestoreJob in {target}, polled until COMPLETED (bounded)",
    ]
    preflight = [
        f"sts:GetCallerIdentity in {target}",
        f"s3:HeadBucket, s3:GetObject (primary's state, manifest) in {state_region}",
        f"efs:DescribeReplicationConfigurations in {target}" if source != "backup" else
        f"backup:ListRecoveryPointsByBackupVault (ByResourceType=EFS) in {target}",
    ]
    if source == "auto":
        preflight.append(f"backup:ListRecoveryPointsByBackupVault in {target} (only when no replica is found)")
    return {
        "preflight": preflight,
        "fence": [f"ecs:UpdateService (desiredCount=0) in {primary}: 3 s connect / 5 s read timeout, one attempt; failure never blocks"],
        "promote": promote_backup if source == "backup" else promote_replica,
        "apply": [
            f"terraform init (state key <prefix>/<env>/{target}/terraform.tfstate in {state_region})",
            (f"terraform plan + apply -var region={target} -var existing_file_system_id=<promoted> "
             "-var existing_root_directory=<root> -var existing_kms_key_arn=<DR key> -var enable_cross_region_dr=false"),
        ],
        "wait": [f"ecs:DescribeServices, elbv2:DescribeTargetHealth in {target}, bounded"],
        "gate": [
            f"secretsmanager:GetSecretValue (token) in {target}",
            "Chroma: heartbeat, smoke (temporary collection), closed-loop latency vs the env's SLOs",
            "Chroma: list collections and counts vs the last manifest (read from the state bucket)",
        ],
        "dns": (
            [f"elbv2:DescribeTargetGroups, DescribeLoadBalancers in {target}",
             "route53:ChangeResourceRecordSets UPSERT alias (global endpoint; control plane in us-east-1)",
             "route53:GetChange until INSYNC (bounded)"]
            if dns_managed else ["none: print the new endpoint and what to change"]
        ),
    }
