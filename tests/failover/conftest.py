"""Failover test world: a temp project (envs prod and staging), moto for STS/S3/ECS/ELBv2/Route 53/Secrets Manager,
botocore Stubbers for EFS replication and AWS Backup in the target region (moto lacks them), the primary region
dead (a closed port), and a real Chroma server the gate checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.servers import free_port

PRIMARY = "us-east-1"
TARGET = "us-west-2"
STATE_REGION = "us-east-2"
BUCKET = "chromactl-state-test"
ACCOUNT = "123456789012"
SOURCE_FS = "fs-0123456789abcdef0"
REPLICA_FS = "fs-0fedcba987654321f"
RESTORED_FS = "fs-0aaaabbbbccccdddd"
VAULT = "chromactl-prod-dr-from-us-east-1"
KMS = f"arn:aws:kms:{TARGET}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
CLUSTER = "chromactl-prod"
SERVICE = "chromactl-prod"
# RFC 2606's `.test`, not example.com: the env files hold the record, and an apply refuses example.com as a placeholder.
ZONE_NAME = "acme.test."
RECORD = "chroma.acme.test."
BACKUP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/chromactl-prod-{PRIMARY}-backup"  # terraform/modules/efs/iam.tf: aws_iam_role.backup
LAG_S = 450  # the replica's lag the Stubber reports: RPO must come out at about this

ENV_TOML = """[env]
kind = "aws"
protected = {protected}
sandbox = true
account_id = "{account}"

[regions]
primary = "{primary}"
failover = ["{target}"]

[state]
bucket = "{bucket}"
region = "{state_region}"
key_prefix = "chromactl"

[slo]
p95_ms = 2000
p99_ms = 5000
rpo_minutes = 15
rto_minutes = 15
{dns}
"""


def write_env(root: Path, name: str, *, protected: bool, zone_id: str = "") -> None:
    d = root / "envs" / name
    d.mkdir(parents=True, exist_ok=True)
    dns = f'\n[dns]\nzone_id = "{zone_id}"\nrecord_name = "{RECORD}"\n' if zone_id else ""
    (d / "chromactl.toml").write_text(ENV_TOML.format(protected=str(protected).lower(), account=ACCOUNT, primary=PRIMARY, target=TARGET,
                                                       bucket=BUCKET, state_region=STATE_REGION, dns=dns))


def primary_state(env: str = "prod", *, backup_role_output: bool = True, backup_role_resource: bool = True) -> dict[str, Any]:
    """The primary's last Terraform state, shaped like the stack's (outputs and resources checked against a real
    offline apply of envs/prod: the output names, the access point's root_directory, the task definition's image)."""
    outputs = {
        "endpoint_url": "https://chroma.example.com",
        "cluster_name": CLUSTER,
        "service_name": SERVICE,
        "file_system_id": SOURCE_FS,
        "file_system_root_directory": "/chroma",
        "replica_file_system_id": REPLICA_FS,
        "dr_backup_vault_name": VAULT,
        "dr_kms_key_arn": KMS,
        "failover_region": TARGET,
        "token_secret_arn": f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:chromactl-prod/alb-token-AbCdEf",
    }
    if backup_role_output:
        outputs["backup_role_arn"] = BACKUP_ROLE
    roles = [
        {"mode": "managed", "type": "aws_iam_role", "name": "task", "module": "module.stack.module.ecs",
         "instances": [{"attributes": {"arn": f"arn:aws:iam::{ACCOUNT}:role/chromactl-prod-{PRIMARY}-task",
                                       "assume_role_policy": json.dumps({"Statement": [{"Principal": {"Service": "ecs-tasks.amazonaws.com"}}]})}}]},
    ]
    if backup_role_resource:
        # a state from before the backup_role_arn output also predates issue 15's move out of modules/iam
        module = "module.stack.module.efs" if backup_role_output else "module.stack.module.iam"
        roles.append({"mode": "managed", "type": "aws_iam_role", "name": "backup", "module": module,
                      "instances": [{"attributes": {"arn": BACKUP_ROLE,
                                                    "assume_role_policy": json.dumps({"Statement": [{"Principal": {"Service": "backup.amazonaws.com"}}]})}}]})
    return {
        "version": 4,
        "terraform_version": "1.15.5",
        "outputs": {k: {"value": v, "type": "string"} for k, v in outputs.items()},
        "resources": [
            {"mode": "managed", "type": "aws_efs_access_point", "name": "this", "module": "module.stack.module.efs",
             "instances": [{"attributes": {"file_system_id": SOURCE_FS, "root_directory": [
                 {"path": "/chroma", "creation_info": [{"owner_gid": 1000, "owner_uid": 1000, "permissions": "0750"}]}]}}]},
            {"mode": "managed", "type": "aws_ecs_task_definition", "name": "this", "module": "module.stack.module.ecs",
             "instances": [{"attributes": {"container_definitions": json.dumps([{"name": "chroma", "image": "chromadb/chroma:1.5.9"}])}}]},
            *roles,
        ],
    }


# --- Chroma ----------------------------------------------------------------------------------------------

SEED = {"docs": 120, "faq": 30}


TOKEN = "f0" * 32  # the env's token (64 of [a-z0-9]), stored in the target region's secret


@dataclass
class Chroma:
    url: str  # the proxied endpoint: answers only with `Authorization: Bearer <TOKEN>`, like the ALB rule
    direct: str
    path: Path


@pytest.fixture(scope="session")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroma]:
    """A real `chroma run` holding the 'promoted' data (docs: 120, faq: 30), behind nginx enforcing the ALB's token rule."""
    import numpy as np
    from chromactl.checks.client import ChromaClient

    from tests.fixtures.chroma_server import start_chroma
    from tests.fixtures.nginx_proxy import start_nginx

    server = start_chroma(tmp_path_factory.mktemp("failover-chroma"))
    try:
        rng = np.random.default_rng(7)
        with ChromaClient(server.url) as c:  # seeded directly, behind the proxy
            for name, n in SEED.items():
                col = c.create_collection(name)
                c.add(col["id"], [f"{name}-{i}" for i in range(n)], rng.random((n, 16), dtype=np.float32))
        proxy = start_nginx(tmp_path_factory.mktemp("failover-nginx"), server.url, [TOKEN])
        try:
            yield Chroma(url=proxy.url, direct=server.url, path=server.data_dir)
        finally:
            proxy.stop()
    finally:
        server.stop()


# --- AWS world -------------------------------------------------------------------------------------------


def _ts(seconds_ago: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


def replication_resp(lag_s: float = LAG_S) -> dict[str, Any]:
    return {"Replications": [{
        "SourceFileSystemId": SOURCE_FS, "SourceFileSystemRegion": PRIMARY,
        "SourceFileSystemArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{SOURCE_FS}",
        "OriginalSourceFileSystemArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{SOURCE_FS}",
        "CreationTime": _ts(86400),
        "Destinations": [{"Status": "ENABLED", "FileSystemId": REPLICA_FS, "Region": TARGET, "LastReplicatedTimestamp": _ts(lag_s)}],
    }]}


def fs_resp(fs_id: str, protection: str) -> dict[str, Any]:
    return {"FileSystems": [{
        "OwnerId": ACCOUNT, "CreationToken": "tok", "FileSystemId": fs_id, "CreationTime": _ts(86400), "LifeCycleState": "available",
        "NumberOfMountTargets": 0, "SizeInBytes": {"Value": 1024}, "PerformanceMode": "generalPurpose", "Encrypted": True,
        "Tags": [], "FileSystemProtection": {"ReplicationOverwriteProtection": protection},
    }]}


def recovery_point(arn_id: str = "aaaa-1111", *, hours_ago: float = 3, source: str = SOURCE_FS, vault: str = VAULT) -> dict[str, Any]:
    return {
        "RecoveryPointArn": f"arn:aws:backup:{TARGET}:{ACCOUNT}:recovery-point:{arn_id}",
        "BackupVaultName": vault, "BackupVaultArn": f"arn:aws:backup:{TARGET}:{ACCOUNT}:backup-vault:{vault}",
        "ResourceArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{source}",
        "ResourceType": "EFS", "Status": "COMPLETED", "CreationDate": _ts(hours_ago * 3600),
    }


@dataclass
class World:
    root: Path
    moto_url: str
    dead_url: str
    factory: Any
    efs: Any  # Stubber
    backup: Any  # Stubber
    ecs_target: Any  # Stubber (moto's ECS service never reaches steady state)
    zone_id: str
    outputs: dict[str, Any]
    calls: dict[str, int] = field(default_factory=dict)

    def boto(self, service: str, region: str) -> Any:
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.moto_url)

    # Stubber queues for the normal paths ---------------------------------------------------------------
    def queue_preflight_replica(self) -> None:
        self.efs.add_response("describe_replication_configurations", replication_resp(), {"FileSystemId": REPLICA_FS})

    def queue_promote_replica(self) -> None:
        self.efs.add_response("describe_replication_configurations", replication_resp(), {"FileSystemId": REPLICA_FS})
        self.efs.add_response("delete_replication_configuration", {},
                              {"SourceFileSystemId": SOURCE_FS, "DeletionMode": "LOCAL_CONFIGURATION_ONLY"})
        self.efs.add_response("describe_file_systems", fs_resp(REPLICA_FS, "REPLICATING"), {"FileSystemId": REPLICA_FS})
        self.efs.add_response("describe_file_systems", fs_resp(REPLICA_FS, "ENABLED"), {"FileSystemId": REPLICA_FS})
        self.efs.add_client_error("describe_replication_configurations", "ReplicationNotFound", http_status_code=404,
                                  expected_params={"FileSystemId": REPLICA_FS})

    def queue_wait_stable(self) -> None:
        svc = {"serviceName": "chroma", "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
               "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
                                "rolloutState": "COMPLETED"}]}
        self.ecs_target.add_response("describe_services", {"services": [svc], "failures": []},
                                     {"cluster": self.outputs["cluster_name"], "services": [self.outputs["service_name"]]})

    def assert_stubs_used(self) -> None:
        for s in (self.efs, self.backup, self.ecs_target):
            s.assert_no_pending_responses()


def _seed_target_stack(w_boto: Any, region: str) -> dict[str, Any]:
    """The resources the new stack would have in the target region, made in moto (the offline provider makes none)."""
    ec2 = w_boto("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    elb = w_boto("elbv2", region)
    lb = elb.create_load_balancer(Name="chromactl-prod", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="chromactl-prod-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.20.1.10", "Port": 8000}])
    secret = w_boto("secretsmanager", region).create_secret(Name="chromactl-prod/alb-token", SecretString=TOKEN)
    return {
        "endpoint_url": "https://chroma.example.com",
        "cluster_name": CLUSTER,
        "service_name": SERVICE,
        "target_group_arn": tg["TargetGroupArn"],
        "token_secret_arn": secret["ARN"],
        "failover_region": "",
    }


def make_project(root: Path) -> Path:
    """A temp copy of the project (terraform/ and envs/prod, as the real apply needs them)."""
    import zipfile

    from tfoffline import harness

    harness.copy_root("envs/prod", root)
    zip_path = root / "build" / "token-rotation.zip"
    if not zip_path.is_file():  # built by `make` (rotation part); a stand-in is enough to plan and apply offline
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as zf:
            zf.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return root


@pytest.fixture
def world(aws_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    import boto3
    from botocore.stub import Stubber
    from chromactl.aws.session import ClientFactory

    root = make_project(tmp_path / "project")
    write_env(root, "prod", protected=True, zone_id="")
    write_env(root, "staging", protected=False)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.delenv("CHROMACTL_BACKEND", raising=False)
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every primary-region call is a connection error
    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", json.dumps({PRIMARY: dead}))

    def w_boto(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=aws_env.url)

    s3 = w_boto("s3", STATE_REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": STATE_REGION})
    s3.put_object(Bucket=BUCKET, Key=f"chromactl/prod/{PRIMARY}/terraform.tfstate", Body=json.dumps(primary_state()).encode())
    r53 = w_boto("route53", "us-east-1")  # moto: one global Route 53
    zone_id = r53.create_hosted_zone(Name=ZONE_NAME, CallerReference="chromactl-test")["HostedZone"]["Id"].split("/")[-1]
    write_env(root, "prod", protected=True, zone_id=zone_id)
    outputs = _seed_target_stack(w_boto, TARGET)

    efs = boto3.client("efs", region_name=TARGET)
    backup = boto3.client("backup", region_name=TARGET)
    ecs_t = boto3.client("ecs", region_name=TARGET)
    stubs = [Stubber(efs), Stubber(backup), Stubber(ecs_t)]
    for s in stubs:
        s.activate()
    factory = ClientFactory(overrides={("efs", TARGET): efs, ("backup", TARGET): backup, ("ecs", TARGET): ecs_t})
    w = World(root=root, moto_url=aws_env.url, dead_url=dead, factory=factory, efs=stubs[0], backup=stubs[1], ecs_target=stubs[2],
              zone_id=zone_id, outputs=outputs)
    try:
        yield w
    finally:
        for s in stubs:
            s.deactivate()


# --- ports: the real parts, with the apply recorded where a test says so ------------------------------------


@dataclass
class Counting:
    """Counts calls per port so tests can prove no step ran twice."""

    calls: dict[str, int] = field(default_factory=dict)

    def hit(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1


def make_ports(world: World, counting: Counting, *, apply_fn: Any = None) -> Any:
    from chromactl.failover.ports import Ports

    real = Ports()

    def apply(env: Any, region: str, **kw: Any) -> dict[str, Any]:
        counting.hit("apply")
        counting.calls.setdefault("apply_vars", []).append(kw.get("extra_vars"))  # type: ignore[arg-type]
        if apply_fn is not None:
            return apply_fn(env, region, **kw)
        return dict(world.outputs)  # recorded outputs of a real apply (see test_terraform_apply)

    def wait(*a: Any, **kw: Any) -> dict[str, Any]:
        counting.hit("wait")
        world.queue_wait_stable()
        return real.wait_stable(*a, **kw)

    def smoke(target: Any, **kw: Any) -> Any:
        counting.hit("smoke")
        return real.smoke(target, **kw)

    def latency(*a: Any, **kw: Any) -> Any:
        counting.hit("latency")
        return real.latency(*a, **kw)

    def token(*a: Any) -> Any:
        counting.hit("token")
        return real.read_token(*a)

    return Ports(apply_region=apply, wait_stable=wait, read_token=token, smoke=smoke, latency=latency)
